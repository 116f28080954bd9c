// One recurrent layer (one direction) over a whole sequence on the GPU: LSTM, GRU or Elman RNN,
// forward and backward, with the semantics, layouts and saved state of rnn_forward_cpu /
// rnn_backward_cpu (native/kernels/rnn.h; letters T B I H G S as there). Per-element math is
// native/include/textkernels/math/rnn.h, shared with the CPU kernels.
//
// The input projection of all steps is one GEMM, then each step is one GEMM (h W_hh^T) and one
// fused pointwise kernel; the backward runs the steps in reverse, one pointwise kernel and one GEMM
// (dgates W_hh) per step, then dW_ih, dW_hh and dx as single GEMMs and the biases as column sums.
// As on the CPU, the backward keeps the gate gradients in saved_gates (consuming it).
// GEMMs go through sgemm_cuda (cuBLAS when present at run time, else the tiled kernel).
//
// All pointers are device pointers (lengths too); calls are asynchronous on `stream`; `workspace`
// is scratch of at least rnn_*_cuda_workspace(d) floats, owned by the caller (no allocation here).
// Throws std::invalid_argument for bad sizes and std::runtime_error for CUDA failures.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/rnn.h"

namespace tk {

int64_t rnn_forward_cuda_workspace(const RnnDims& d);   // floats
int64_t rnn_backward_cuda_workspace(const RnnDims& d);  // floats

void rnn_forward_cuda(float* y,                // [T, B, H] rows ldy apart; zero at padded steps
                      int64_t ldy,             // >= H
                      float* h_n,              // [B, H]
                      float* c_n,              // [B, H] LSTM, else null
                      float* saved_gates,      // [T, B, S*H]
                      float* saved_h,          // [T+1, B, H]
                      float* saved_c,          // [T+1, B, H] LSTM, else null
                      const float* x,          // [T, B, I]
                      const float* h0,         // [B, H] or null
                      const float* c0,         // [B, H] or null; LSTM only
                      const float* w_ih,       // [G*H, I]
                      const float* w_hh,       // [G*H, H]
                      const float* b_ih,       // [G*H] or null
                      const float* b_hh,       // [G*H] or null
                      const int32_t* lengths,  // [B] in [1, T] or null
                      const RnnDims& d, float* workspace, cudaStream_t stream);

void rnn_backward_cuda(float* dx,  // [T, B, I] or null; written, or added to with accumulate_dx
                       bool accumulate_dx,
                       float* dh0,          // [B, H]
                       float* dc0,          // [B, H] LSTM, else null
                       float* dw_ih,        // [G*H, I]
                       float* dw_hh,        // [G*H, H]
                       float* db_ih,        // [G*H] or null
                       float* db_hh,        // [G*H] or null
                       float* saved_gates,  // [T, B, S*H]; consumed: overwritten by the gate gradients
                       const float* dy,     // [T, B, H] rows lddy apart
                       int64_t lddy,        // >= H
                       const float* dh_n,   // [B, H] or null
                       const float* dc_n,   // [B, H] or null; LSTM only
                       const float* x,      // [T, B, I]
                       const float* w_ih,   // [G*H, I]
                       const float* w_hh,   // [G*H, H]
                       const float* saved_h, const float* saved_c, const int32_t* lengths, const RnnDims& d,
                       float* workspace, cudaStream_t stream);

}  // namespace tk

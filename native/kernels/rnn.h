// One recurrent layer (one direction) over a whole sequence: LSTM, GRU or Elman RNN.
//
// GENERAL NOTES (letters as in textkernels/math/common.h): T steps, B batch, I input features,
// H hidden size, G gates (LSTM 4, GRU 3, RNN 1), S saved values per hidden unit (LSTM 4: i f g o;
// GRU 4: r z n and hn = W_hn h + b_hn; RNN 1: the activation output). Tensors are time-major
// ([T, B, ...]); weights are PyTorch's (w_ih [G*H, I], w_hh [G*H, H], biases [G*H]).
//
// Forward: one GEMM projects the inputs of all steps (into saved_gates, in place), then per step
// one GEMM for h_{t-1} W_hh^T and one fused pointwise pass writing the gates, c, h and y. With
// `reverse` the steps run T-1 .. 0. With `lengths`, row b takes part in step t only when
// t < lengths[b]: elsewhere its state is carried unchanged, y is 0 and no gradient flows, as
// PyTorch's packed sequences (a reverse pass starts at each row's own last step).
//
// Backward: steps in reverse order with a fused pointwise pass and one GEMM per step for the
// gradient reaching h_{t-1}; the gate gradients of all steps are kept, so dW_ih, dW_hh, the biases
// and dx are each one large GEMM (or column sum) after the loop. They are kept in saved_gates
// itself: step t's gradients overwrite step t's saved values once its pointwise pass has read
// them, so the backward needs no buffer of the size of the saved state and CONSUMES saved_gates
// (a second backward needs a copy taken before the first; lib/nn/rnn.ts takes one under
// retainGraph).
#pragma once
#include <cstdint>

namespace tk {

enum class RnnCell : int { kLstm = 0, kGru = 1, kRnnTanh = 2, kRnnRelu = 3 };

struct RnnDims {
  int64_t T, B, I, H;
  RnnCell cell;
  bool reverse;   // run the steps T-1 .. 0
  bool residual;  // Elman RNN only: h_t = act(...) + h_{t-1}
};

int rnn_gate_count(RnnCell cell);   // G
int rnn_saved_count(RnnCell cell);  // S

// Saved state for the backward: saved_h holds the T+1 states in order of time; the state entering
// step t is saved_h[t] (forward) or saved_h[t + 1] (reverse), h0 sits at index 0 (forward) or T
// (reverse). saved_c likewise for the LSTM cell.
void rnn_forward_cpu(float* y,                // [T, B, H] rows ldy apart; zero at padded steps
                     int64_t ldy,             // >= H
                     float* h_n,              // [B, H] final state (each row's own last step)
                     float* c_n,              // [B, H] LSTM final cell state, else null
                     float* saved_gates,      // [T, B, S*H]
                     float* saved_h,          // [T+1, B, H]
                     float* saved_c,          // [T+1, B, H] LSTM only, else null
                     const float* x,          // [T, B, I]
                     const float* h0,         // [B, H] or null (zeros)
                     const float* c0,         // [B, H] or null (zeros); LSTM only
                     const float* w_ih,       // [G*H, I]
                     const float* w_hh,       // [G*H, H]
                     const float* b_ih,       // [G*H] or null
                     const float* b_hh,       // [G*H] or null
                     const int32_t* lengths,  // [B] in [1, T], or null (all T)
                     const RnnDims& d);       // no output may alias an input or another output

void rnn_backward_cpu(float* dx,  // [T, B, I] or null; written, or added to with accumulate_dx
                      bool accumulate_dx,
                      float* dh0,              // [B, H]
                      float* dc0,              // [B, H] LSTM, else null
                      float* dw_ih,            // [G*H, I] written
                      float* dw_hh,            // [G*H, H] written
                      float* db_ih,            // [G*H] or null
                      float* db_hh,            // [G*H] or null
                      float* saved_gates,      // [T, B, S*H] from rnn_forward_cpu; consumed (overwritten
                                               // by the gate gradients, see above)
                      const float* dy,         // [T, B, H] rows lddy apart
                      int64_t lddy,            // >= H
                      const float* dh_n,       // [B, H] or null (zeros)
                      const float* dc_n,       // [B, H] or null (zeros); LSTM only
                      const float* x,          // [T, B, I]
                      const float* w_ih,       // [G*H, I]
                      const float* w_hh,       // [G*H, H]
                      const float* saved_h,    // [T+1, B, H]
                      const float* saved_c,    // [T+1, B, H] LSTM, else null
                      const int32_t* lengths,  // [B] or null, as in the forward
                      const RnnDims& d);       // no output may alias an input or another output

namespace isa {
// C[M, panels p0..p1 of 16 columns] = (C +) A[M, K] @ Bp, Bp packed by columns in panels of
// K x 16 (zero-padded past N); rnn_avx2.cc, call only when simd_level() >= kAvx2.
void rnn_panel_gemm_avx2(float* c, int64_t ldc, const float* a, int64_t lda, const float* packed, int64_t M,
                         int64_t N, int64_t K, int64_t p0, int64_t p1, bool accumulate);
}  // namespace isa

}  // namespace tk

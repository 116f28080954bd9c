// Fused softmax attention on the GPU: the twins of native/kernels/attention.h (same layouts, masks,
// dropout stream and fully-masked-row convention), with device pointers and a stream. The per-row
// softmax steps and the dropout draw come from math/attention.h, shared with the CPU kernel.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/attention.h"  // AttentionMask, AttentionDropout (pointers in them are device pointers here)

namespace tk {

// D (head size) up to 128. lse [B, H, Tq] is written for the backward.
void attention_forward_cuda(float* out, float* lse, const float* q, const float* k, const float* v,
                            const AttentionMask& mask, const AttentionDropout& drop, int64_t B, int64_t H,
                            int64_t Tq, int64_t Tk, int64_t D, float scale, cudaStream_t stream);
// Overwrites dq, dk, dv. `workspace` holds B * H * Tq floats (the rows' D = rowsum(dO * O)).
void attention_backward_cuda(float* dq, float* dk, float* dv, const float* dout, const float* q,
                             const float* k, const float* v, const float* out, const float* lse,
                             float* workspace, const AttentionMask& mask, const AttentionDropout& drop,
                             int64_t B, int64_t H, int64_t Tq, int64_t Tk, int64_t D, float scale,
                             cudaStream_t stream);

}  // namespace tk

// Layer normalisation on the GPU over the last N elements of each of M rows, forward and backward:
// layernorm_forward_cpu / layernorm_backward_cpu's twins (native/kernels/layernorm.h), with the same
// double-precision statistics and the same per-element formulas. Pointers are device pointers;
// calls are asynchronous on `stream`.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tk {

void layernorm_forward_cuda(float* y,        // [M, N], must not alias x
                            float* mean,     // [M], saved for the backward pass
                            float* rstd,     // [M], 1 / sqrt(var + eps)
                            const float* x,  // [M, N]
                            const float* w,  // [N] or null
                            const float* b,  // [N] or null
                            int64_t M, int64_t N, float eps, cudaStream_t stream);
void layernorm_backward_cuda(float* dx,          // [M, N] or null (not wanted)
                             float* dw,          // [N] or null, overwritten
                             float* db,          // [N] or null, overwritten
                             const float* dy,    // [M, N]
                             const float* x,     // [M, N]
                             const float* mean,  // [M]
                             const float* rstd,  // [M]
                             const float* w,     // [N] or null
                             int64_t M, int64_t N, cudaStream_t stream);

}  // namespace tk

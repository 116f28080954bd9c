// Softmax and log-softmax on the GPU over one dimension of a contiguous tensor seen as
// [outer, dim, inner], forward and backward: softmax_forward_cpu / softmax_backward_cpu's twins
// (native/kernels/softmax.h), with the per-element steps of native/include/textkernels/math/softmax.h.
// Pointers are device pointers; calls are asynchronous on `stream`.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tk {

void softmax_forward_cuda(float* y,        // [outer, dim, inner], must not alias x
                          const float* x,  // [outer, dim, inner]
                          int64_t outer, int64_t dim, int64_t inner,
                          bool log,  // log-softmax instead of softmax
                          cudaStream_t stream);
// dx = y * (dy - sum(dy * y)) (softmax) or dy - exp(y) * sum(dy) (log-softmax).
void softmax_backward_cuda(float* dx,        // [outer, dim, inner], may alias dy
                           const float* dy,  // [outer, dim, inner]
                           const float* y,   // [outer, dim, inner], the forward output
                           int64_t outer, int64_t dim, int64_t inner, bool log, cudaStream_t stream);

}  // namespace tk

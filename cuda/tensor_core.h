// The few kernels the device tensor itself needs, before any op: filling a buffer with one value
// (zeros, ones, full) and accumulating a gradient in place (the autograd engine's sum of the
// gradients that reach a tensor from several consumers). Pointers are device pointers; calls are
// asynchronous on `stream`.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tk {

// out[i] = the 32-bit pattern `bits` (a float's or an int32's), for i < n.
void fill32_cuda(void* out,  // [n] 4-byte elements
                 uint32_t bits, int64_t n, cudaStream_t stream);

// acc[i] += g[i], for i < n, in the order a CPU loop would (one add per element, no reassociation).
void accumulate_cuda(float* acc,      // [n]; must not overlap g unless equal
                     const float* g,  // [n]
                     int64_t n, cudaStream_t stream);

}  // namespace tk

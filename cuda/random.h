// Seeded fills on the GPU: the twins of native/kernels/random.h, drawing the same Philox4x32-10
// numbers (math/philox.h) with the same mapping: element i of a fill that starts at block `offset`
// takes lane i % 4 of block offset + i / 4, stream 0. Uniform, Bernoulli and uint32 fills are
// bit-identical to the CPU's; normal fills agree to a few ulp (CUDA's logf/sinf/cosf are not
// glibc's). Each fill of n values consumes random_blocks(n) = ceil(n / 4) blocks. `out` is a device
// pointer; the call is asynchronous on `stream`.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tk {

// out[i] = low + (high - low) * U[0,1)
void random_uniform_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, float low, float high,
                         cudaStream_t stream);
// out[i] = mean + std * N(0,1)
void random_normal_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std,
                        cudaStream_t stream);
// out[i] = U[0,1) >= p ? scale : 0, the mask inverted dropout multiplies by.
void random_bernoulli_mask_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, float p, float scale,
                                cudaStream_t stream);
// Raw 32-bit words.
void random_uint32_cuda(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream);

}  // namespace tk

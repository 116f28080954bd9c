// cuda/tensor_core.h: grid-stride loops, one element per thread per step.
//
// defines: fill32_cuda, accumulate_cuda
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/tensor_core.h"

namespace tk {
namespace {

constexpr int kBlock = 256;

__global__ void fill32_kernel(uint32_t* out, uint32_t bits, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    out[i] = bits;
  }
}

__global__ void accumulate_kernel(float* acc, const float* g, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    acc[i] = acc[i] + g[i];
  }
}

}  // namespace

void fill32_cuda(void* out, uint32_t bits, int64_t n, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("fill32_cuda: n must be >= 0");
  if (n == 0) return;
  fill32_kernel<<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(static_cast<uint32_t*>(out), bits, n);
  cuda_check_launch();
}

void accumulate_cuda(float* acc, const float* g, int64_t n, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("accumulate_cuda: n must be >= 0");
  if (n == 0) return;
  accumulate_kernel<<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(acc, g, n);
  cuda_check_launch();
}

}  // namespace tk

// Philox fills on the GPU (cuda/random.h). One thread per Philox block of 4 values
// (cuda/random_block.cuh, shared with the CPU emulation in cuda/dev/random.cu), grid-stride, so
// the values do not depend on the launch shape.
//
// defines: random_uniform_cuda, random_normal_cuda, random_bernoulli_mask_cuda, random_uint32_cuda
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/random.h"
#include "cuda/random_block.cuh"

namespace tk {
namespace {

constexpr int kBlock = 256;

using cuda::Fill;

// ---- kernels ---------------------------------------------------------------------------------------

template <Fill kind, typename T>
__global__ void random_fill_kernel(T* __restrict__ out, int64_t n, uint64_t seed, uint64_t offset, float a,
                                   float b) {
  const int64_t blocks = (n + 3) / 4;
  for (int64_t blk = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; blk < blocks;
       blk += int64_t(gridDim.x) * blockDim.x) {
    cuda::fill_block<kind>(out, n, blk, seed, offset, a, b);
  }
}

// ---- launchers -------------------------------------------------------------------------------------

template <Fill kind, typename T>
void launch_fill(T* out, int64_t n, uint64_t seed, uint64_t offset, float a, float b, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("random fill: n must be >= 0");
  if (n == 0) return;
  random_fill_kernel<kind, T>
      <<<cuda::grid_for((n + 3) / 4, kBlock), kBlock, 0, stream>>>(out, n, seed, offset, a, b);
  cuda_check_launch();
}

}  // namespace

void random_uniform_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, float low, float high,
                         cudaStream_t stream) {
  // span on the host, as random.cc computes it once before the loop.
  launch_fill<Fill::kUniform>(out, n, seed, offset, low, high - low, stream);
}

void random_normal_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std,
                        cudaStream_t stream) {
  launch_fill<Fill::kNormal>(out, n, seed, offset, mean, std, stream);
}

void random_bernoulli_mask_cuda(float* out, int64_t n, uint64_t seed, uint64_t offset, float p, float scale,
                                cudaStream_t stream) {
  launch_fill<Fill::kBernoulli>(out, n, seed, offset, p, scale, stream);
}

void random_uint32_cuda(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset, cudaStream_t stream) {
  launch_fill<Fill::kUint32>(out, n, seed, offset, 0.0f, 0.0f, stream);
}

}  // namespace tk

// Philox fills on the GPU (cuda/random.h). One thread per Philox block: it computes the four words
// of block offset + b and writes elements 4b .. 4b+3, exactly as native/kernels/random.cc does per
// block on the CPU, so the values do not depend on the launch shape.
//
// The affine maps use __fmul_rn/__fadd_rn: never contracted into an FMA whatever the nvcc flags,
// so low + span * u rounds twice, as on the CPU under -ffp-contract=off.
//
// defines: random_uniform_cuda, random_normal_cuda, random_bernoulli_mask_cuda, random_uint32_cuda
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/random.h"
#include "textkernels/math/philox.h"

namespace tk {
namespace {

// Same stream as the CPU fills (random.cc's kStream).
constexpr uint64_t kStream = 0;
constexpr int kBlock = 256;

enum class Fill { kUniform, kNormal, kBernoulli, kUint32 };

// ---- kernels ---------------------------------------------------------------------------------------

template <Fill kind, typename T>
__global__ void random_fill_kernel(T* __restrict__ out, int64_t n, uint64_t seed, uint64_t offset, float a,
                                   float b) {
  const int64_t blocks = (n + 3) / 4;
  for (int64_t blk = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; blk < blocks;
       blk += int64_t(gridDim.x) * blockDim.x) {
    const math::Philox4 r = math::philox4x32_10(seed, offset + uint64_t(blk), kStream);
    T v[4];
    if constexpr (kind == Fill::kNormal) {
      float z[4];
      math::box_muller(r.v[0], r.v[1], &z[0], &z[1]);
      math::box_muller(r.v[2], r.v[3], &z[2], &z[3]);
#pragma unroll
      for (int lane = 0; lane < 4; ++lane)
        v[lane] = T(__fadd_rn(a, __fmul_rn(b, z[lane])));  // mean + std * z
    } else {
#pragma unroll
      for (int lane = 0; lane < 4; ++lane) {
        if constexpr (kind == Fill::kUint32) {
          v[lane] = T(r.v[lane]);
        } else {
          const float u = math::uint_to_unit_float(r.v[lane]);
          if constexpr (kind == Fill::kUniform)
            v[lane] = T(__fadd_rn(a, __fmul_rn(b, u)));  // low + span * u
          else
            v[lane] = T(u >= a ? b : 0.0f);  // p, scale
        }
      }
    }
#pragma unroll
    for (int lane = 0; lane < 4; ++lane) {
      const int64_t i = blk * 4 + lane;
      if (i < n) out[i] = v[lane];
    }
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

// One Philox block of a fill (cuda/random.cu), as a __host__ __device__ function so that
// cuda/dev/random.cu can run the kernel's own code on the CPU (version 0) and check it against
// native/kernels/random.cc's mapping on machines without a GPU: element i of a fill starting at
// block `offset` takes lane i % 4 of block offset + i / 4, stream 0.
//
// The affine maps round the product and the sum separately (__fmul_rn/__fadd_rn on the device are
// never contracted into an FMA, whatever the nvcc flags), as the CPU does under -ffp-contract=off.
//
// defines: Fill, fill_block
#pragma once
#include <cstdint>

#include "cuda/common.cuh"
#include "textkernels/math/philox.h"

namespace tk::cuda {

enum class Fill { kUniform, kNormal, kBernoulli, kUint32 };

__host__ __device__ __forceinline__ float mul_add_rn(float a, float b, float c) {  // a + b * c
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, __fmul_rn(b, c));
#else
  volatile float prod = b * c;  // the host compiler must not contract either
  return a + prod;
#endif
}

// Writes elements 4 blk .. 4 blk + 3 (those < n). a, b: uniform (low, high - low), normal (mean,
// std), Bernoulli (p, scale); unused for uint32.
template <Fill kind, typename T>
__host__ __device__ __forceinline__ void fill_block(T* out, int64_t n, int64_t blk, uint64_t seed,
                                                    uint64_t offset, float a, float b) {
  const math::Philox4 r = math::philox4x32_10(seed, offset + uint64_t(blk), 0);
  T v[4];
  if constexpr (kind == Fill::kNormal) {
    float z[4];
    math::box_muller(r.v[0], r.v[1], &z[0], &z[1]);
    math::box_muller(r.v[2], r.v[3], &z[2], &z[3]);
    TK_UNROLL
    for (int lane = 0; lane < 4; ++lane) v[lane] = T(mul_add_rn(a, b, z[lane]));
  } else {
    TK_UNROLL
    for (int lane = 0; lane < 4; ++lane) {
      if constexpr (kind == Fill::kUint32) {
        v[lane] = T(r.v[lane]);
      } else {
        const float u = math::uint_to_unit_float(r.v[lane]);
        if constexpr (kind == Fill::kUniform) {
          v[lane] = T(mul_add_rn(a, b, u));
        } else {
          v[lane] = T(u >= a ? b : 0.0f);
        }
      }
    }
  }
  TK_UNROLL
  for (int lane = 0; lane < 4; ++lane) {
    const int64_t i = blk * 4 + lane;
    if (i < n) out[i] = v[lane];
  }
}

}  // namespace tk::cuda

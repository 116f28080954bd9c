// AVX2+FMA GEMM microkernels: 6x16 (12 ymm accumulators, 2 for the B row, 1 broadcast), the
// register blocking of the BLIS Haswell kernel, and 4x24 for row counts that are multiples of 4.
// Compiled with -mavx2 -mfma.
#include <immintrin.h>

#include "kernels/gemm.h"

namespace tk {
namespace {

struct Avx2V {
  using reg = __m256;
  static constexpr int W = 8;
  static reg zero() { return _mm256_setzero_ps(); }
  static reg set1(float x) { return _mm256_set1_ps(x); }
  static reg load(const float* p) { return _mm256_load_ps(p); }
  static reg loadu(const float* p) { return _mm256_loadu_ps(p); }
  static void storeu(float* p, reg r) { _mm256_storeu_ps(p, r); }
  static reg fma(reg a, reg b, reg c) { return _mm256_fmadd_ps(a, b, c); }
  static reg mul(reg a, reg b) { return _mm256_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm256_add_ps(a, b); }
};

#include "kernels/gemm_ukernel.inc"

}  // namespace

namespace isa {

gemm_detail::KernelSet gemm_kernels_avx2() {
  // A block 144 x 256 (144 KiB) stays in a 512 KiB L2; a B micro-panel 256 x 16 (16 KiB) or
  // 256 x 24 (24 KiB) in L1. 4x24 uses all 16 ymm registers: 12 accumulators, 3 B, 1 broadcast.
  return {{&gemm_ukernel<Avx2V, 6, 2>, 6, 16, 144, 256, 2048, "avx2-6x16", &gemm_ukernel<Avx2V, 6, 1>, 8},
          {&gemm_ukernel<Avx2V, 4, 3>, 4, 24, 144, 256, 2016, "avx2-4x24", &gemm_ukernel<Avx2V, 4, 1>, 8}};
}

}  // namespace isa
}  // namespace tk

// AVX-512 GEMM microkernel: 12x32 (24 zmm accumulators, 2 for the B row, 1 broadcast), the same
// template as the AVX2 kernel at twice the width. Compiled with -mavx512f ... -mfma.
#include <immintrin.h>

#include "kernels/gemm.h"

namespace tk {
namespace {

struct Avx512V {
  using reg = __m512;
  static constexpr int W = 16;
  static reg zero() { return _mm512_setzero_ps(); }
  static reg set1(float x) { return _mm512_set1_ps(x); }
  static reg load(const float* p) { return _mm512_load_ps(p); }
  static reg loadu(const float* p) { return _mm512_loadu_ps(p); }
  static void storeu(float* p, reg r) { _mm512_storeu_ps(p, r); }
  static reg fma(reg a, reg b, reg c) { return _mm512_fmadd_ps(a, b, c); }
  static reg mul(reg a, reg b) { return _mm512_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm512_add_ps(a, b); }
};

#include "kernels/gemm_ukernel.inc"

}  // namespace

namespace isa {

gemm_detail::KernelSet gemm_kernels_avx512() {
  // A block 144 x 192 in L2 (1 MiB or more on AVX-512 parts); a B micro-panel 192 x 32 (24 KiB)
  // leaves room in a 32 KiB L1 for the A micro-panel streaming past it.
  return {
      {&gemm_ukernel<Avx512V, 12, 2>, 12, 32, 144, 192, 2048, "avx512-12x32", &gemm_ukernel<Avx512V, 12, 1>,
       16},
      {&gemm_ukernel<Avx512V, 8, 3>, 8, 48, 144, 160, 2016, "avx512-8x48", &gemm_ukernel<Avx512V, 8, 1>, 16}};
}

}  // namespace isa
}  // namespace tk

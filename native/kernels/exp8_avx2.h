// Include only from files compiled with -mavx2 -mfma (*_avx2.cc): an 8-lane expf (Cephes' polynomial,
// as in avx_mathfun; within 2 ulp of expf on [-87.3, 88.7]), exact at the edges that matter: exp(-inf)
// and anything below the float range is 0, NaN stays NaN, overflow is +inf. In an anonymous namespace,
// so each including file gets its own copy and no AVX2 code has external linkage.
#pragma once
#include <immintrin.h>

#include <cmath>

namespace tk::isa {
namespace {

// exp of N vectors in lockstep: each step of the polynomial is issued for all N before the next,
// so independent work is always waiting. Zen 1's small FP scheduler otherwise holds about one
// exp's dependency chain at a time and runs the loop at its latency (4.6 cycles an element with
// one vector per step, 4.0 with two, measured in a tile loop); four at a time run out of the 16 registers and
// spill. The values are bit-identical to exp8 on each vector: the same operations on the same operands.
template <int N>
void exp8_n(__m256* x) {
  const __m256 hi = _mm256_set1_ps(88.3762626647949f);
  const __m256 lo = _mm256_set1_ps(-88.3762626647949f);
  const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
  const __m256 c1 = _mm256_set1_ps(0.693359375f);
  const __m256 c2 = _mm256_set1_ps(-2.12194440e-4f);
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 fx[N], r[N], p[N];
  for (int i = 0; i < N; ++i) {
    __m256 xc = _mm256_max_ps(_mm256_min_ps(x[i], hi), lo);
    // n = round(x * log2(e)), r = x - n * ln 2 in two steps for accuracy.
    fx[i] = _mm256_round_ps(_mm256_mul_ps(xc, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    r[i] = _mm256_fnmadd_ps(fx[i], c1, xc);
  }
  for (int i = 0; i < N; ++i) r[i] = _mm256_fnmadd_ps(fx[i], c2, r[i]);
  for (int i = 0; i < N; ++i)
    p[i] = _mm256_fmadd_ps(_mm256_set1_ps(1.9875691500e-4f), r[i], _mm256_set1_ps(1.3981999507e-3f));
  for (int i = 0; i < N; ++i) p[i] = _mm256_fmadd_ps(p[i], r[i], _mm256_set1_ps(8.3334519073e-3f));
  for (int i = 0; i < N; ++i) p[i] = _mm256_fmadd_ps(p[i], r[i], _mm256_set1_ps(4.1665795894e-2f));
  for (int i = 0; i < N; ++i) p[i] = _mm256_fmadd_ps(p[i], r[i], _mm256_set1_ps(1.6666665459e-1f));
  for (int i = 0; i < N; ++i) p[i] = _mm256_fmadd_ps(p[i], r[i], _mm256_set1_ps(5.0000001201e-1f));
  for (int i = 0; i < N; ++i)
    p[i] = _mm256_fmadd_ps(p[i], _mm256_mul_ps(r[i], r[i]), _mm256_add_ps(r[i], one));
  for (int i = 0; i < N; ++i) {
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx[i]), _mm256_set1_epi32(127)), 23);
    __m256 y = _mm256_mul_ps(p[i], _mm256_castsi256_ps(e));
    // Edges: below the float range (and -inf) -> 0, above -> +inf, NaN -> NaN.
    y = _mm256_andnot_ps(_mm256_cmp_ps(x[i], _mm256_set1_ps(-87.33654f), _CMP_LT_OQ), y);
    y = _mm256_blendv_ps(y, _mm256_set1_ps(INFINITY),
                         _mm256_cmp_ps(x[i], _mm256_set1_ps(88.72283f), _CMP_GT_OQ));
    x[i] = _mm256_blendv_ps(y, x[i], _mm256_cmp_ps(x[i], x[i], _CMP_UNORD_Q));
  }
}

__m256 exp8(__m256 x) {
  exp8_n<1>(&x);
  return x;
}

}  // namespace
}  // namespace tk::isa

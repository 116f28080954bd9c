// Compiled with -mavx2 -mfma: include nothing here with inline functions of external linkage
// (see math/common.h), or the linker may hand AVX2 code to the generic path.
//
// exp is Cephes' expf (as in Eigen's pexp): n = round(x log2 e), r = x - n ln 2 in two parts, a
// degree-5 polynomial for e^r, then 2^n applied as two factors so that results near the overflow
// and underflow ends (inf, denormals) come out as expf gives them. tanh uses Cephes' tanhf
// polynomial below |x| < 0.625 and 1 - 2 / (e^{2|x|} + 1) above. NaN inputs give NaN.
#include <immintrin.h>

#include "kernels/elementwise.h"

namespace tk::isa {
namespace {

__m256 exp8(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.8f), lo = _mm256_set1_ps(-104.0f);
  __m256 nan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  __m256 xc = _mm256_min_ps(_mm256_max_ps(x, lo), hi);
  __m256 fx = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  __m256 r2 = _mm256_mul_ps(r, r);
  __m256 y = _mm256_add_ps(_mm256_fmadd_ps(p, r2, r), _mm256_set1_ps(1.0f));
  // 2^n as 2^(n/2) * 2^(n - n/2): each factor stays a normal float for n in [-150, 128].
  __m256i n = _mm256_cvtps_epi32(fx);
  __m256i n1 = _mm256_srai_epi32(n, 1);
  __m256i n2 = _mm256_sub_epi32(n, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  y = _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
  return _mm256_blendv_ps(y, x, nan);
}

__m256 tanh8(__m256 x) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  __m256 ax = _mm256_andnot_ps(sign_mask, x);
  __m256 z = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(-5.70498872745e-3f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.06390887954e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.37397155531e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.33314422036e-1f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.33332819422e-1f));
  __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(p, z), x, x);
  __m256 e = exp8(_mm256_add_ps(ax, ax));
  __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.0f),
                             _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
  big = _mm256_or_ps(big, _mm256_and_ps(x, sign_mask));
  __m256 use_small = _mm256_cmp_ps(ax, _mm256_set1_ps(0.625f), _CMP_LT_OQ);
  __m256 y = _mm256_blendv_ps(big, small, use_small);
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

// erf by Abramowitz and Stegun 7.1.26 (|error| < 1.5e-7), the formula PyTorch's own vectorised
// CPU erf uses, so GELU agrees with torch's CPU kernel to rounding.
__m256 erf8(__m256 x) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f), one = _mm256_set1_ps(1.0f);
  __m256 sign = _mm256_and_ps(sign_mask, x);
  __m256 ax = _mm256_xor_ps(sign, x);
  __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), ax, one));
  __m256 r = _mm256_fmadd_ps(_mm256_set1_ps(1.061405429f), t, _mm256_set1_ps(-1.453152027f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(1.421413741f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(-0.284496736f));
  r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(0.254829592f));
  __m256 e = exp8(_mm256_xor_ps(sign_mask, _mm256_mul_ps(x, x)));
  __m256 y = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_xor_ps(sign_mask, e), t), r, one);
  return _mm256_xor_ps(sign, y);
}

__m256 gelu8(__m256 x) {
  const __m256 half = _mm256_set1_ps(0.5f);
  __m256 cdf =
      _mm256_add_ps(_mm256_set1_ps(1.0f), erf8(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752440f))));
  return _mm256_mul_ps(_mm256_mul_ps(x, half), cdf);
}

__m256 sigmoid8(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

template <class F>
void map8(float* out, const float* x, int64_t n, F f) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    // The tail goes through the same vector code, so every element gets the same formula.
    alignas(32) float buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t k = i; k < n; ++k) buf[k - i] = x[k];
    _mm256_store_ps(buf, f(_mm256_load_ps(buf)));
    for (int64_t k = i; k < n; ++k) out[k] = buf[k - i];
  }
}

// torch.relu is clamp_min(x, 0): NaN passes through and -0 becomes +0. NLE_UQ is true for x > 0
// and for NaN, so the mask keeps exactly those lanes.
__m256 relu8(__m256 x) { return _mm256_and_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_NLE_UQ), x); }

}  // namespace

void relu_avx2(float* out, const float* x, int64_t n) { map8(out, x, n, relu8); }

// threshold_backward(g, y, 0): zero where y <= 0, g elsewhere (NaN in y keeps g).
void relu_backward_avx2(float* dx, const float* g, const float* y, int64_t n) {
  const __m256 zero = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 keep = _mm256_cmp_ps(_mm256_loadu_ps(y + i), zero, _CMP_NLE_UQ);
    _mm256_storeu_ps(dx + i, _mm256_and_ps(keep, _mm256_loadu_ps(g + i)));
  }
  for (; i < n; ++i) dx[i] = y[i] <= 0.0f ? 0.0f : g[i];
}

void exp_avx2(float* out, const float* x, int64_t n) { map8(out, x, n, exp8); }
void sigmoid_avx2(float* out, const float* x, int64_t n) { map8(out, x, n, sigmoid8); }
void tanh_avx2(float* out, const float* x, int64_t n) { map8(out, x, n, tanh8); }
void gelu_avx2(float* out, const float* x, int64_t n) { map8(out, x, n, gelu8); }

}  // namespace tk::isa

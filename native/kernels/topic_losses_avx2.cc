// Compiled with -mavx2 -mfma: include nothing here with inline functions of external linkage
// (see math/common.h), or the linker may hand AVX2 code to the generic path.
//
// The MMD's per-pair transform (kernel value and gradient coefficient from the pair statistic)
// eight pairs at a time. It is where the scalar kernel spends most of its time (acosf, expf); here
// exp is exp8 (kernels/exp8_avx2.h, within 2 ulp of expf) and arccos is Cephes'
// asinf polynomial through acos(c) = 2 asin(sqrt((1 - c) / 2)) above 1/2 and pi/2 - asin(c) below
// (1 - c is exact there, so the small angles of near-identical rows keep their precision). Same
// clamps, masks and arccos-ratio series as math/topics.h; NaN statistics stay NaN.
#include <immintrin.h>

#include <cmath>

#include "kernels/exp8_avx2.h"
#include "kernels/topic_losses.h"
#include "textkernels/math/topics.h"

namespace tk::isa {
namespace {

// arccos of c in [0, 1] (or NaN).
__m256 acos8(__m256 c) {
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  const __m256 big = _mm256_cmp_ps(c, half, _CMP_GT_OQ);
  const __m256 zb = _mm256_mul_ps(half, _mm256_sub_ps(one, c));
  const __m256 z = _mm256_blendv_ps(_mm256_mul_ps(c, c), zb, big);
  const __m256 s = _mm256_blendv_ps(c, _mm256_sqrt_ps(zb), big);
  __m256 p = _mm256_set1_ps(4.2163199048e-2f);
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.4181311049e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(4.5470025998e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(7.4953002686e-2f));
  p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.6666752422e-1f));
  const __m256 as = _mm256_fmadd_ps(_mm256_mul_ps(s, z), p, s);  // asin(s)
  const __m256 small_branch = _mm256_sub_ps(_mm256_set1_ps(1.57079632679489662f), as);
  return _mm256_blendv_ps(small_branch, _mm256_add_ps(as, as), big);
}

double hsum_pd(__m256d v) {
  __m128d h = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

template <int kKind>
double mmd_row_t(float* t, int64_t nc, float h, float grad_weight, int64_t self, float qn, const float* kn,
                 double* csum) {
  const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1.0f), hv = _mm256_set1_ps(h);
  const __m256 gw = _mm256_set1_ps(grad_weight);
  const __m256 iota = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256 selfv = _mm256_set1_ps(float(self));
  __m256d ks0 = _mm256_setzero_pd(), ks1 = _mm256_setzero_pd(), cs0 = _mm256_setzero_pd(),
          cs1 = _mm256_setzero_pd();
  int64_t j = 0;
  for (; j + 8 <= nc; j += 8) {
    __m256 q = _mm256_loadu_ps(t + j);
    if (kKind != math::kMmdDiffusion) {
      const __m256 n2 = _mm256_add_ps(_mm256_set1_ps(qn), _mm256_loadu_ps(kn + j));
      q = _mm256_sub_ps(n2, _mm256_mul_ps(_mm256_set1_ps(2.0f), q));
    }
    __m256 k, dk;
    if (kKind == math::kMmdDiffusion) {
      const __m256 inside =
          _mm256_and_ps(_mm256_cmp_ps(q, zero, _CMP_GE_OQ), _mm256_cmp_ps(q, one, _CMP_LE_OQ));
      const __m256 c = _mm256_min_ps(one, _mm256_max_ps(zero, q));  // NaN stays NaN (second operands)
      const __m256 a = acos8(c);
      k = exp8(_mm256_div_ps(_mm256_sub_ps(zero, _mm256_mul_ps(a, a)), hv));
      const __m256 a2 = _mm256_mul_ps(a, a);
      const __m256 series = _mm256_add_ps(
          one, _mm256_mul_ps(a2, _mm256_add_ps(_mm256_set1_ps(1.0f / 6.0f),
                                               _mm256_mul_ps(a2, _mm256_set1_ps(7.0f / 360.0f)))));
      const __m256 sn = _mm256_sqrt_ps(_mm256_mul_ps(_mm256_sub_ps(one, c), _mm256_add_ps(one, c)));
      const __m256 ratio =
          _mm256_blendv_ps(_mm256_div_ps(a, sn), series, _mm256_cmp_ps(a, _mm256_set1_ps(0.05f), _CMP_LT_OQ));
      dk = _mm256_and_ps(inside,
                         _mm256_mul_ps(k, _mm256_div_ps(_mm256_mul_ps(_mm256_set1_ps(2.0f), ratio), hv)));
    } else {
      const __m256 d2 = _mm256_max_ps(zero, q);  // q < 0 from rounding -> 0; NaN stays NaN
      if (kKind == math::kMmdRbf) {
        const __m256 two_h2 = _mm256_set1_ps(2.0f * h * h);
        k = exp8(_mm256_div_ps(_mm256_sub_ps(zero, d2), two_h2));
        dk = _mm256_div_ps(_mm256_sub_ps(zero, k), two_h2);
      } else {
        k = _mm256_div_ps(hv, _mm256_add_ps(hv, d2));
        dk = _mm256_div_ps(_mm256_sub_ps(zero, _mm256_mul_ps(k, k)), hv);
      }
    }
    __m256 coef = _mm256_mul_ps(gw, dk);
    if (self >= j && self < j + 8) {
      const __m256 diag = _mm256_cmp_ps(_mm256_add_ps(iota, _mm256_set1_ps(float(j))), selfv, _CMP_EQ_OQ);
      k = _mm256_andnot_ps(diag, k);
      coef = _mm256_andnot_ps(diag, coef);
    }
    _mm256_storeu_ps(t + j, coef);
    ks0 = _mm256_add_pd(ks0, _mm256_cvtps_pd(_mm256_castps256_ps128(k)));
    ks1 = _mm256_add_pd(ks1, _mm256_cvtps_pd(_mm256_extractf128_ps(k, 1)));
    cs0 = _mm256_add_pd(cs0, _mm256_cvtps_pd(_mm256_castps256_ps128(coef)));
    cs1 = _mm256_add_pd(cs1, _mm256_cvtps_pd(_mm256_extractf128_ps(coef, 1)));
  }
  double ksum = hsum_pd(_mm256_add_pd(ks0, ks1)), cs = hsum_pd(_mm256_add_pd(cs0, cs1));
  for (; j < nc; ++j) {
    float stat = t[j];
    if (kKind != math::kMmdDiffusion) stat = (qn + kn[j]) - 2.0f * stat;
    float dk;
    const float kv = math::mmd_kernel(kKind, stat, h, &dk);
    if (j == self) {
      t[j] = 0.0f;
      continue;
    }
    ksum += kv;
    t[j] = grad_weight * dk;
    cs += t[j];
  }
  *csum += cs;
  return ksum;
}

}  // namespace

double mmd_row_avx2(float* t, int64_t nc, int kind, float h, float grad_weight, int64_t self, float qn,
                    const float* kn, double* csum) {
  // Column indices are compared as floats: exact below 2^24, far beyond a 512-column tile.
  if (kind == math::kMmdDiffusion)
    return mmd_row_t<math::kMmdDiffusion>(t, nc, h, grad_weight, self, qn, kn, csum);
  if (kind == math::kMmdRbf) return mmd_row_t<math::kMmdRbf>(t, nc, h, grad_weight, self, qn, kn, csum);
  return mmd_row_t<math::kMmdImq>(t, nc, h, grad_weight, self, qn, kn, csum);
}

}  // namespace tk::isa

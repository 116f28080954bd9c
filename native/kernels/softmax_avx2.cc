// Compiled with -mavx2 -mfma: include nothing here with inline functions of external linkage
// (see math/common.h), or the linker may hand AVX2 code to the generic path.
//
// Row primitives of softmax and cross-entropy with an 8-lane exp (Cephes' expf polynomial, as in
// avx_mathfun; within 2 ulp of expf on [-87.3, 88.7]), exact at the edges that matter: exp(-inf)
// and anything below the float range is 0, NaN stays NaN, overflow is +inf.
#include <immintrin.h>

#include <cmath>

#include "kernels/exp8_avx2.h"
#include "kernels/softmax.h"

namespace tk::isa {
namespace {

float hsum(__m256 s) {
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  return _mm_cvtss_f32(h);
}

}  // namespace

float row_max_avx2(const float* x, int64_t n) {
  __m256 m = _mm256_set1_ps(-INFINITY);
  __m256 nan = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    m = _mm256_max_ps(m, v);
    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, m);
  float r = lanes[0];
  for (int k = 1; k < 8; ++k) r = lanes[k] > r ? lanes[k] : r;
  bool has_nan = _mm256_movemask_ps(nan) != 0;
  for (; i < n; ++i) {
    if (x[i] != x[i]) has_nan = true;
    r = x[i] > r ? x[i] : r;
  }
  return has_nan ? NAN : r;
}

float exp_sum_avx2(float* y, const float* x, int64_t n, float shift) {
  __m256 vs = _mm256_set1_ps(shift);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  // Two vectors in lockstep (exp8_n); the sum adds them in element order, as one at a time would.
  for (; i + 16 <= n; i += 16) {
    __m256 e[2] = {_mm256_sub_ps(_mm256_loadu_ps(x + i), vs), _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vs)};
    exp8_n<2>(e);
    if (y) {
      _mm256_storeu_ps(y + i, e[0]);
      _mm256_storeu_ps(y + i + 8, e[1]);
    }
    acc = _mm256_add_ps(acc, e[0]);
    acc = _mm256_add_ps(acc, e[1]);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vs));
    if (y) _mm256_storeu_ps(y + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  if (i < n) {
    float in[8], out[8];
    for (int k = 0; k < 8; ++k) in[k] = i + k < n ? x[i + k] - shift : -INFINITY;
    _mm256_storeu_ps(out, exp8(_mm256_loadu_ps(in)));
    for (int64_t k = 0; i + k < n; ++k) {
      if (y) y[i + k] = out[k];
    }
    acc = _mm256_add_ps(acc, _mm256_loadu_ps(out));
  }
  return hsum(acc);
}

void scale_avx2(float* y, int64_t n, float a) {
  __m256 va = _mm256_set1_ps(a);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), va));
  for (; i < n; ++i) y[i] *= a;
}

void exp_affine_avx2(float* y, const float* x, int64_t n, float shift, float a, float b, const float* w) {
  __m256 vs = _mm256_set1_ps(shift), va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b),
         one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), vs));
    __m256 wv = w ? _mm256_loadu_ps(w + i) : one;
    _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_mul_ps(va, e), _mm256_mul_ps(vb, wv)));
  }
  if (i < n) {
    float in[8], out[8];
    for (int k = 0; k < 8; ++k) in[k] = i + k < n ? x[i + k] - shift : 0.0f;
    _mm256_storeu_ps(out, exp8(_mm256_loadu_ps(in)));
    for (int64_t k = 0; i + k < n; ++k) y[i + k] = a * out[k] - b * (w ? w[i + k] : 1.0f);
  }
}

}  // namespace tk::isa

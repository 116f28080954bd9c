// AVX2/FMA inner loops of the negative-sampling update (word2vec.cc picks them at run time).
// Compiled with -mavx2 -mfma: nothing here may be an inline function with external linkage.
#include <immintrin.h>

#include <cstdint>

namespace tk::isa {

float sgns_dot_avx2(const float* x, const float* y, int64_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
  }
  for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
  __m256 s = _mm256_add_ps(a0, a1);
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_movehdup_ps(h));
  float acc = _mm_cvtss_f32(h);
  for (; i < n; ++i) acc += x[i] * y[i];
  return acc;
}

// neu1e += g * out; out += g * h, in one pass over `out` (word2vec.c's two loops, fused; each
// element of out is read before it is written, as in the sequential order).
void sgns_fused_update_avx2(float g, const float* h, float* out, float* neu1e, int64_t n) {
  __m256 vg = _mm256_set1_ps(g);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 o = _mm256_loadu_ps(out + i);
    _mm256_storeu_ps(neu1e + i, _mm256_fmadd_ps(vg, o, _mm256_loadu_ps(neu1e + i)));
    _mm256_storeu_ps(out + i, _mm256_fmadd_ps(vg, _mm256_loadu_ps(h + i), o));
  }
  for (; i < n; ++i) {
    float o = out[i];
    neu1e[i] += g * o;
    out[i] = o + g * h[i];
  }
}

void sgns_add_avx2(const float* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] += x[i];
}

}  // namespace tk::isa

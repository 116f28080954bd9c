// AVX2/FMA inner loops of the negative-sampling update (word2vec.cc picks them at run time).
// Compiled with -mavx2 -mfma: nothing here may be an inline function with external linkage.
#include <immintrin.h>

#include <cstdint>

namespace tk::isa {

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

// out = (sum over j of rows[j] of base) / n, summed from zero in j order and divided as word2vec.c
// does (a division, not a reciprocal product: same bits), eight columns at a time in a register.
void sgns_mean_rows_avx2(float* out, const float* base, const int32_t* rows, int n, int64_t D) {
  const __m256 vn = _mm256_set1_ps(float(n));
  int64_t c = 0;
  for (; c + 8 <= D; c += 8) {
    __m256 acc = _mm256_setzero_ps();
    for (int j = 0; j < n; ++j) acc = _mm256_add_ps(acc, _mm256_loadu_ps(base + int64_t(rows[j]) * D + c));
    _mm256_storeu_ps(out + c, _mm256_div_ps(acc, vn));
  }
  for (; c < D; ++c) {
    float acc = 0.0f;
    for (int j = 0; j < n; ++j) acc += base[int64_t(rows[j]) * D + c];
    out[c] = acc / float(n);
  }
}

}  // namespace tk::isa

// Compiled with -mavx2 -mfma: include nothing here with inline functions of external linkage
// (see math/common.h).
//
// Products for the recurrent step of a small batch (B <= 4): at B = 1 the per-step product
// h W_hh^T is a matrix-vector product, where a blocked GEMM spends its time packing W_hh and
// padding one row to a 4- or 6-row tile. These read W_hh in place, row by row.
#include <immintrin.h>

#include "kernels/rnn.h"

namespace tk::isa {
namespace {

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

}  // namespace

void rnn_small_nt_avx2(float* c, int64_t ldc, const float* a, int64_t lda, const float* w, int64_t ldw,
                       int64_t B, int64_t j0, int64_t j1, int64_t K) {
  int64_t j = j0;
  for (; j + 4 <= j1; j += 4) {
    const float* w0 = w + j * ldw;
    const float* w1 = w0 + ldw;
    const float* w2 = w1 + ldw;
    const float* w3 = w2 + ldw;
    for (int64_t b = 0; b < B; ++b) {
      const float* ab = a + b * lda;
      __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(),
             s3 = _mm256_setzero_ps();
      int64_t k = 0;
      for (; k + 8 <= K; k += 8) {
        __m256 av = _mm256_loadu_ps(ab + k);
        s0 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w0 + k), s0);
        s1 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w1 + k), s1);
        s2 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w2 + k), s2);
        s3 = _mm256_fmadd_ps(av, _mm256_loadu_ps(w3 + k), s3);
      }
      float r0 = hsum(s0), r1 = hsum(s1), r2 = hsum(s2), r3 = hsum(s3);
      for (; k < K; ++k) {
        r0 += ab[k] * w0[k];
        r1 += ab[k] * w1[k];
        r2 += ab[k] * w2[k];
        r3 += ab[k] * w3[k];
      }
      float* cb = c + b * ldc;
      cb[j] = r0;
      cb[j + 1] = r1;
      cb[j + 2] = r2;
      cb[j + 3] = r3;
    }
  }
  for (; j < j1; ++j) {
    const float* wj = w + j * ldw;
    for (int64_t b = 0; b < B; ++b) {
      const float* ab = a + b * lda;
      __m256 s = _mm256_setzero_ps();
      int64_t k = 0;
      for (; k + 8 <= K; k += 8) s = _mm256_fmadd_ps(_mm256_loadu_ps(ab + k), _mm256_loadu_ps(wj + k), s);
      float r = hsum(s);
      for (; k < K; ++k) r += ab[k] * wj[k];
      c[b * ldc + j] = r;
    }
  }
}

void rnn_small_nn_acc_avx2(float* c, int64_t ldc, const float* g, int64_t ldg, const float* w, int64_t ldw,
                           int64_t B, int64_t k0, int64_t k1, int64_t J) {
  for (int64_t b = 0; b < B; ++b) {
    const float* gb = g + b * ldg;
    float* cb = c + b * ldc;
    int64_t k = k0;
    for (; k + 32 <= k1; k += 32) {
      __m256 a0 = _mm256_loadu_ps(cb + k), a1 = _mm256_loadu_ps(cb + k + 8);
      __m256 a2 = _mm256_loadu_ps(cb + k + 16), a3 = _mm256_loadu_ps(cb + k + 24);
      for (int64_t j = 0; j < J; ++j) {
        __m256 gv = _mm256_broadcast_ss(gb + j);
        const float* wj = w + j * ldw + k;
        a0 = _mm256_fmadd_ps(gv, _mm256_loadu_ps(wj), a0);
        a1 = _mm256_fmadd_ps(gv, _mm256_loadu_ps(wj + 8), a1);
        a2 = _mm256_fmadd_ps(gv, _mm256_loadu_ps(wj + 16), a2);
        a3 = _mm256_fmadd_ps(gv, _mm256_loadu_ps(wj + 24), a3);
      }
      _mm256_storeu_ps(cb + k, a0);
      _mm256_storeu_ps(cb + k + 8, a1);
      _mm256_storeu_ps(cb + k + 16, a2);
      _mm256_storeu_ps(cb + k + 24, a3);
    }
    for (; k + 8 <= k1; k += 8) {
      __m256 a0 = _mm256_loadu_ps(cb + k);
      for (int64_t j = 0; j < J; ++j)
        a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(gb + j), _mm256_loadu_ps(w + j * ldw + k), a0);
      _mm256_storeu_ps(cb + k, a0);
    }
    for (; k < k1; ++k) {
      float s = cb[k];
      for (int64_t j = 0; j < J; ++j) s += gb[j] * w[j * ldw + k];
      cb[k] = s;
    }
  }
}

}  // namespace tk::isa

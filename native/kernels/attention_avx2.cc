// The attention kernel's tile products with AVX2 + FMA: C = alpha * op(A) B (+ C), all row-major and
// unpacked. Attention tiles are small (64 x 64 x 64): packing them for the general GEMM costs as
// much as the product, while here B's rows (a transposed K or V tile, or a Q / dO tile) are read
// straight from L1. Compiled with -mavx2 -mfma; templates live in an anonymous namespace (see
// math/common.h on ISA files and linkage).
#include <immintrin.h>

#include "kernels/attention.h"

namespace tk::isa {
namespace {

// MR rows x 16 columns of C; kTail: the columns past n are masked out of loads and stores.
template <int MR, bool kTail, bool kTransA>
void block(int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
           float alpha, bool accumulate, __m256i m0, __m256i m1) {
  __m256 acc0[MR], acc1[MR];
  for (int r = 0; r < MR; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    const float* bp = b + p * ldb;
    __m256 b0 = kTail ? _mm256_maskload_ps(bp, m0) : _mm256_loadu_ps(bp);
    __m256 b1 = kTail ? _mm256_maskload_ps(bp + 8, m1) : _mm256_loadu_ps(bp + 8);
    for (int r = 0; r < MR; ++r) {
      __m256 av = _mm256_broadcast_ss(kTransA ? a + p * lda + r : a + r * lda + p);
      acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
    }
  }
  const __m256 va = _mm256_set1_ps(alpha);
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    __m256 x0 = _mm256_mul_ps(acc0[r], va), x1 = _mm256_mul_ps(acc1[r], va);
    if (kTail) {
      if (accumulate) {
        x0 = _mm256_add_ps(x0, _mm256_maskload_ps(cr, m0));
        x1 = _mm256_add_ps(x1, _mm256_maskload_ps(cr + 8, m1));
      }
      _mm256_maskstore_ps(cr, m0, x0);
      _mm256_maskstore_ps(cr + 8, m1, x1);
    } else {
      if (accumulate) {
        x0 = _mm256_add_ps(x0, _mm256_loadu_ps(cr));
        x1 = _mm256_add_ps(x1, _mm256_loadu_ps(cr + 8));
      }
      _mm256_storeu_ps(cr, x0);
      _mm256_storeu_ps(cr + 8, x1);
    }
  }
}

template <bool kTail, bool kTransA>
void rows(int64_t m, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
          int64_t ldc, float alpha, bool accumulate, __m256i m0, __m256i m1) {
  int64_t i = 0;
  for (; i + 6 <= m; i += 6)
    block<6, kTail, kTransA>(k, kTransA ? a + i : a + i * lda, lda, b, ldb, c + i * ldc, ldc, alpha,
                             accumulate, m0, m1);
  switch (m - i) {
    case 5:
      block<5, kTail, kTransA>(k, kTransA ? a + i : a + i * lda, lda, b, ldb, c + i * ldc, ldc, alpha,
                               accumulate, m0, m1);
      break;
    case 4:
      block<4, kTail, kTransA>(k, kTransA ? a + i : a + i * lda, lda, b, ldb, c + i * ldc, ldc, alpha,
                               accumulate, m0, m1);
      break;
    case 3:
      block<3, kTail, kTransA>(k, kTransA ? a + i : a + i * lda, lda, b, ldb, c + i * ldc, ldc, alpha,
                               accumulate, m0, m1);
      break;
    case 2:
      block<2, kTail, kTransA>(k, kTransA ? a + i : a + i * lda, lda, b, ldb, c + i * ldc, ldc, alpha,
                               accumulate, m0, m1);
      break;
    case 1:
      block<1, kTail, kTransA>(k, kTransA ? a + i : a + i * lda, lda, b, ldb, c + i * ldc, ldc, alpha,
                               accumulate, m0, m1);
      break;
    default:
      break;
  }
}

}  // namespace

void attention_gemm_avx2(bool trans_a, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                         int64_t lda, const float* b, int64_t ldb, bool accumulate, float* c, int64_t ldc) {
  const __m256i ones = _mm256_set1_epi32(-1);
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    if (trans_a)
      rows<false, true>(m, k, a, lda, b + j, ldb, c + j, ldc, alpha, accumulate, ones, ones);
    else
      rows<false, false>(m, k, a, lda, b + j, ldb, c + j, ldc, alpha, accumulate, ones, ones);
  }
  if (j < n) {
    int rem = int(n - j);
    alignas(32) int32_t mk[16];
    for (int t = 0; t < 16; ++t) mk[t] = t < rem ? -1 : 0;
    __m256i m0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(mk));
    __m256i m1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(mk + 8));
    if (trans_a)
      rows<true, true>(m, k, a, lda, b + j, ldb, c + j, ldc, alpha, accumulate, m0, m1);
    else
      rows<true, false>(m, k, a, lda, b + j, ldb, c + j, ldc, alpha, accumulate, m0, m1);
  }
}

}  // namespace tk::isa

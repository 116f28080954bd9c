// Compiled with -mavx2 -mfma: include nothing here with inline functions of external linkage
// (see math/common.h).
//
// The recurrent product of one step, C[M, N] (+)= A[M, K] @ Bp, against a weight packed once per
// layer call into panels of 16 columns (rnn.h, rnn_pack_panels): a blocked GEMM would pack W_hh
// again at every step, and at small batches pad the few rows of h to a 4- or 6-row tile. Each
// panel is K x 16 floats (16 KB at K = 256), read from L1 by a 6 x 16 register block.
#include <immintrin.h>

#include <algorithm>

#include "kernels/rnn.h"

namespace tk::isa {
namespace {

// Rows r < MR of a 6 x 16 block. The accumulators are named variables: arrays of __m256 indexed
// in a loop end up on the stack at every k.
template <int MR>
void block(float* c, int64_t ldc, const float* a, int64_t lda, const float* bp, int64_t K, int64_t ncols,
           bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const float* a0 = a;
  const float* a1 = a + lda;
  const float* a2 = a + 2 * lda;
  const float* a3 = a + 3 * lda;
  const float* a4 = a + 4 * lda;
  const float* a5 = a + 5 * lda;
#define TK_RNN_ROW(r)                           \
  if constexpr (MR > r) {                       \
    __m256 av = _mm256_broadcast_ss(a##r + k);  \
    c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0); \
    c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1); \
  }
  for (int64_t k = 0; k < K; ++k) {
    __m256 b0 = _mm256_loadu_ps(bp + k * 16);
    __m256 b1 = _mm256_loadu_ps(bp + k * 16 + 8);
    TK_RNN_ROW(0)
    TK_RNN_ROW(1)
    TK_RNN_ROW(2)
    TK_RNN_ROW(3)
    TK_RNN_ROW(4)
    TK_RNN_ROW(5)
  }
#undef TK_RNN_ROW
  const __m256 acc[6][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  for (int r = 0; r < MR; ++r) {
    float* cr = c + r * ldc;
    __m256 v0 = acc[r][0], v1 = acc[r][1];
    if (ncols == 16) {
      if (accumulate) {
        v0 = _mm256_add_ps(_mm256_loadu_ps(cr), v0);
        v1 = _mm256_add_ps(_mm256_loadu_ps(cr + 8), v1);
      }
      _mm256_storeu_ps(cr, v0);
      _mm256_storeu_ps(cr + 8, v1);
    } else {
      alignas(32) float buf[16];
      _mm256_store_ps(buf, v0);
      _mm256_store_ps(buf + 8, v1);
      for (int64_t j = 0; j < ncols; ++j) cr[j] = accumulate ? cr[j] + buf[j] : buf[j];
    }
  }
}

// One or two rows: with only 2 or 4 accumulator chains the FMA latency would bound the loop, so
// the k loop is split into P interleaved phases with their own accumulators, added at the end.
template <int MR, int P>
void block_thin(float* c, int64_t ldc, const float* a, int64_t lda, const float* bp, int64_t K, int64_t ncols,
                bool accumulate) {
  __m256 acc[MR][P][2];
  for (int r = 0; r < MR; ++r)
    for (int q = 0; q < P; ++q) acc[r][q][0] = acc[r][q][1] = _mm256_setzero_ps();
  int64_t k = 0;
  for (; k + P <= K; k += P) {
    for (int q = 0; q < P; ++q) {
      __m256 b0 = _mm256_loadu_ps(bp + (k + q) * 16);
      __m256 b1 = _mm256_loadu_ps(bp + (k + q) * 16 + 8);
      for (int r = 0; r < MR; ++r) {
        __m256 av = _mm256_broadcast_ss(a + r * lda + k + q);
        acc[r][q][0] = _mm256_fmadd_ps(av, b0, acc[r][q][0]);
        acc[r][q][1] = _mm256_fmadd_ps(av, b1, acc[r][q][1]);
      }
    }
  }
  for (; k < K; ++k) {
    __m256 b0 = _mm256_loadu_ps(bp + k * 16);
    __m256 b1 = _mm256_loadu_ps(bp + k * 16 + 8);
    for (int r = 0; r < MR; ++r) {
      __m256 av = _mm256_broadcast_ss(a + r * lda + k);
      acc[r][0][0] = _mm256_fmadd_ps(av, b0, acc[r][0][0]);
      acc[r][0][1] = _mm256_fmadd_ps(av, b1, acc[r][0][1]);
    }
  }
  for (int r = 0; r < MR; ++r) {
    __m256 v0 = acc[r][0][0], v1 = acc[r][0][1];
    for (int q = 1; q < P; ++q) {
      v0 = _mm256_add_ps(v0, acc[r][q][0]);
      v1 = _mm256_add_ps(v1, acc[r][q][1]);
    }
    float* cr = c + r * ldc;
    if (ncols == 16) {
      if (accumulate) {
        v0 = _mm256_add_ps(_mm256_loadu_ps(cr), v0);
        v1 = _mm256_add_ps(_mm256_loadu_ps(cr + 8), v1);
      }
      _mm256_storeu_ps(cr, v0);
      _mm256_storeu_ps(cr + 8, v1);
    } else {
      alignas(32) float buf[16];
      _mm256_store_ps(buf, v0);
      _mm256_store_ps(buf + 8, v1);
      for (int64_t j = 0; j < ncols; ++j) cr[j] = accumulate ? cr[j] + buf[j] : buf[j];
    }
  }
}

}  // namespace

void rnn_panel_gemm_avx2(float* c, int64_t ldc, const float* a, int64_t lda, const float* packed, int64_t M,
                         int64_t N, int64_t K, int64_t p0, int64_t p1, bool accumulate) {
  for (int64_t p = p0; p < p1; ++p) {
    const float* bp = packed + p * K * 16;
    const int64_t n0 = p * 16, ncols = std::min<int64_t>(16, N - n0);
    int64_t i = 0;
    for (; i + 6 <= M; i += 6) block<6>(c + i * ldc + n0, ldc, a + i * lda, lda, bp, K, ncols, accumulate);
    switch (M - i) {
      case 5:
        block<5>(c + i * ldc + n0, ldc, a + i * lda, lda, bp, K, ncols, accumulate);
        break;
      case 4:
        block<4>(c + i * ldc + n0, ldc, a + i * lda, lda, bp, K, ncols, accumulate);
        break;
      case 3:
        block<3>(c + i * ldc + n0, ldc, a + i * lda, lda, bp, K, ncols, accumulate);
        break;
      case 2:
        block_thin<2, 2>(c + i * ldc + n0, ldc, a + i * lda, lda, bp, K, ncols, accumulate);
        break;
      case 1:
        block_thin<1, 4>(c + i * ldc + n0, ldc, a + i * lda, lda, bp, K, ncols, accumulate);
        break;
      default:
        break;
    }
  }
}

}  // namespace tk::isa

// The tiled SGEMM kernel's three steps (cuda/gemm.cu), as __host__ __device__ functions of the
// thread index, so that cuda/dev/gemm.cu can run the kernel's exact index math on the CPU
// (version 0) on machines without a GPU. One block: 256 threads compute a 64x64 tile of C; per
// 16-wide slab of k, every thread loads its share of both operands into shared memory
// (load_tiles), the block synchronises, every thread updates its 4x4 register block
// (accumulate), the block synchronises again; finally every thread writes its block (store).
//
// Layout: as[p][i] = op(A)[row0 + i][k0 + p] and bs[p][j] = op(B)[k0 + p][col0 + j], so the inner
// loop reads both operands along the tile. Thread (tx, ty) = (tid % 16, tid / 16) owns rows
// ty + 16 i and columns tx + 16 j: shared-memory reads are broadcasts or consecutive (no bank
// conflicts) and each row of global stores is 16 consecutive floats.
//
// defines: kTileM, kTileN, kTileK, kThreads, kRegM, kRegN, load_tiles, accumulate, store
#pragma once
#include <cstdint>

#include "cuda/common.cuh"

namespace tk::cuda::gemm_tiles {

constexpr int kTileM = 64, kTileN = 64, kTileK = 16;
constexpr int kThreads = 256;        // 16 x 16
constexpr int kRegM = 4, kRegN = 4;  // register block per thread
constexpr int kPad = 1;              // breaks the power-of-two stride of the transposed stores

using TileA = float[kTileK][kTileM + kPad];
using TileB = float[kTileK][kTileN + kPad];
using Acc = float[kRegM][kRegN];

// 64 x 16 = 1024 values per operand, 4 per thread; consecutive threads read consecutive addresses
// of whichever layout the operand has. Slots past m, n or k are zero.
template <bool TransA, bool TransB>
__host__ __device__ __forceinline__ void load_tiles(int tid, TileA& as, TileB& bs, const float* a,
                                                    int64_t lda, const float* b, int64_t ldb, int64_t m,
                                                    int64_t n, int64_t k, int64_t row0, int64_t col0,
                                                    int64_t k0) {
  TK_UNROLL
  for (int l = 0; l < (kTileM * kTileK) / kThreads; ++l) {
    const int idx = tid + l * kThreads;
    // A stored [k, lda] when transposed (op(A)[r][q] = a[q * lda + r]), else [m, lda].
    const int i = TransA ? idx % kTileM : idx / kTileK;
    const int p = TransA ? idx / kTileM : idx % kTileK;
    const int64_t r = row0 + i, q = k0 + p;
    float v = 0.0f;
    if (r < m && q < k) v = TransA ? a[q * lda + r] : a[r * lda + q];
    as[p][i] = v;
  }
  TK_UNROLL
  for (int l = 0; l < (kTileN * kTileK) / kThreads; ++l) {
    const int idx = tid + l * kThreads;
    // B stored [n, ldb] when transposed (op(B)[q][s] = b[s * ldb + q]), else [k, ldb].
    const int j = TransB ? idx / kTileK : idx % kTileN;
    const int p = TransB ? idx % kTileK : idx / kTileN;
    const int64_t q = k0 + p, s = col0 + j;
    float v = 0.0f;
    if (q < k && s < n) v = TransB ? b[s * ldb + q] : b[q * ldb + s];
    bs[p][j] = v;
  }
}

// Slots past k are zero in both operands (0 * 0 adds nothing), so the slab needs no bound; rows
// past m and columns past n may accumulate junk but are never stored. One fmaf per product, in
// order of k: one rounding per step.
__host__ __device__ __forceinline__ void accumulate(int tid, const TileA& as, const TileB& bs, Acc& acc) {
  const int tx = tid % 16, ty = tid / 16;
  TK_UNROLL
  for (int p = 0; p < kTileK; ++p) {
    float ra[kRegM], rb[kRegN];
    TK_UNROLL
    for (int i = 0; i < kRegM; ++i) ra[i] = as[p][ty + 16 * i];
    TK_UNROLL
    for (int j = 0; j < kRegN; ++j) rb[j] = bs[p][tx + 16 * j];
    TK_UNROLL
    for (int i = 0; i < kRegM; ++i) {
      TK_UNROLL
      for (int j = 0; j < kRegN; ++j) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
    }
  }
}

// C = alpha * acc + beta * C; beta == 0 never reads C (it may hold NaN).
__host__ __device__ __forceinline__ void store(int tid, const Acc& acc, float* c, int64_t ldc, int64_t m,
                                               int64_t n, int64_t row0, int64_t col0, float alpha,
                                               float beta) {
  const int tx = tid % 16, ty = tid / 16;
  TK_UNROLL
  for (int i = 0; i < kRegM; ++i) {
    const int64_t r = row0 + ty + 16 * i;
    if (r >= m) continue;
    TK_UNROLL
    for (int j = 0; j < kRegN; ++j) {
      const int64_t s = col0 + tx + 16 * j;
      if (s >= n) continue;
      float* out = c + r * ldc + s;
      float v = alpha * acc[i][j];
      if (beta != 0.0f) v = v + beta * *out;
      *out = v;
    }
  }
}

}  // namespace tk::cuda::gemm_tiles

#include "kernels/layout.h"

#include <algorithm>

#include "kernels/thread_pool.h"

namespace tk {
namespace {

constexpr int kMaxRank = 16;
constexpr int64_t kGrain = 32768;
// Tiles of kTile x kTile words keep both the read and the write side of a transpose in cache.
constexpr int64_t kTile = 32;

struct Plan {
  int rank = 0;
  int64_t numel = 1;
  int64_t shape[kMaxRank];
  int64_t ds[kMaxRank];
  int64_t ss[kMaxRank];
};

// Drops size-1 dimensions and merges neighbours contiguous on both sides.
Plan make_plan(const int64_t* dst_strides, const int64_t* src_strides, const int64_t* shape, int rank) {
  Plan p;
  for (int d = 0; d < rank; ++d) {
    p.numel *= shape[d];
    if (shape[d] == 1) continue;
    if (p.rank > 0 && p.ds[p.rank - 1] == dst_strides[d] * shape[d] &&
        p.ss[p.rank - 1] == src_strides[d] * shape[d]) {
      p.shape[p.rank - 1] *= shape[d];
      p.ds[p.rank - 1] = dst_strides[d];
      p.ss[p.rank - 1] = src_strides[d];
    } else {
      p.shape[p.rank] = shape[d];
      p.ds[p.rank] = dst_strides[d];
      p.ss[p.rank] = src_strides[d];
      ++p.rank;
    }
  }
  if (p.rank == 0) {
    p.rank = 1;
    p.shape[0] = 1;
    p.ds[0] = p.ss[0] = 0;
  }
  return p;
}

// Offsets of the outer index `t` over dimensions [0, upto) except `skip`.
inline void outer_offsets(const Plan& p, int upto, int skip, int64_t t, int64_t& doff, int64_t& soff) {
  doff = soff = 0;
  for (int d = upto - 1; d >= 0; --d) {
    if (d == skip) continue;
    int64_t i = t % p.shape[d];
    t /= p.shape[d];
    doff += i * p.ds[d];
    soff += i * p.ss[d];
  }
}

}  // namespace

void strided_copy_cpu(uint32_t* dst, const int64_t* dst_strides, const uint32_t* src,
                      const int64_t* src_strides, const int64_t* shape, int rank) {
  Plan p = make_plan(dst_strides, src_strides, shape, rank);
  if (p.numel == 0) return;
  const int last = p.rank - 1;
  const int64_t n = p.shape[last];
  const int64_t dsl = p.ds[last], ssl = p.ss[last];

  // A transpose: the innermost output dimension reads with a large stride while another dimension
  // reads contiguously. Copy tile by tile over those two dimensions.
  int j = -1;
  if (p.rank >= 2 && ssl != 1) {
    for (int d = 0; d < last; ++d)
      if (p.ss[d] == 1) j = d;
  }
  if (j >= 0 && n >= kTile / 2 && p.shape[j] >= kTile / 2) {
    const int64_t m = p.shape[j];
    const int64_t tiles_j = (m + kTile - 1) / kTile, tiles_n = (n + kTile - 1) / kTile;
    int64_t others = 1;
    for (int d = 0; d < last; ++d)
      if (d != j) others *= p.shape[d];
    const int64_t dsj = p.ds[j];
    parallel_for(others * tiles_j * tiles_n, std::max<int64_t>(1, kGrain / (kTile * kTile)),
                 [&](int64_t b, int64_t e) {
                   for (int64_t t = b; t < e; ++t) {
                     int64_t tn = t % tiles_n, tj = (t / tiles_n) % tiles_j, o = t / (tiles_n * tiles_j);
                     int64_t doff, soff;
                     outer_offsets(p, last, j, o, doff, soff);
                     int64_t j0 = tj * kTile, j1 = std::min(m, j0 + kTile);
                     int64_t k0 = tn * kTile, k1 = std::min(n, k0 + kTile);
                     for (int64_t a = j0; a < j1; ++a) {
                       uint32_t* drow = dst + doff + a * dsj;
                       const uint32_t* srow = src + soff + a;  // src stride along j is 1
                       for (int64_t k = k0; k < k1; ++k) drow[k * dsl] = srow[k * ssl];
                     }
                   }
                 });
    return;
  }

  int64_t rows = p.numel / n;
  parallel_for(rows, std::max<int64_t>(1, kGrain / n), [&](int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      int64_t doff, soff;
      outer_offsets(p, last, -1, r, doff, soff);
      uint32_t* d = dst + doff;
      const uint32_t* s = src + soff;
      if (dsl == 1 && ssl == 1) {
        std::copy(s, s + n, d);
      } else if (dsl == 1 && ssl == 0) {
        std::fill(d, d + n, *s);
      } else {
        for (int64_t k = 0; k < n; ++k) d[k * dsl] = s[k * ssl];
      }
    }
  });
}

}  // namespace tk

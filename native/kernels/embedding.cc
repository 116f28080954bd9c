#include "kernels/embedding.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/thread_pool.h"

namespace tk {

void index_select_forward_cpu(float* out, const float* x, const int32_t* index, int64_t outer, int64_t n_src,
                              int64_t n_idx, int64_t inner) {
  int64_t rows = outer * n_idx;
  if (rows == 0 || inner == 0) return;
  int64_t grain = std::max<int64_t>(1, 16384 / inner);
  parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      int64_t o = r / n_idx, j = r % n_idx;
      std::memcpy(out + r * inner, x + (o * n_src + index[j]) * inner, size_t(inner) * sizeof(float));
    }
  });
}

void index_select_backward_cpu(float* dx, const float* dy, const int32_t* index, int64_t outer, int64_t n_src,
                               int64_t n_idx, int64_t inner, int64_t skip) {
  std::fill(dx, dx + outer * n_src * inner, 0.0f);
  if (outer == 0 || n_idx == 0 || inner == 0) return;
  // Each task owns a block of inner columns of one outer slice and adds the rows in index order, so
  // repeated ids accumulate in the same order whatever the thread count.
  constexpr int64_t kCols = 256;
  int64_t blocks = (inner + kCols - 1) / kCols;
  int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n_idx * std::min(inner, kCols)));
  parallel_for(outer * blocks, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t o = t / blocks, c0 = (t % blocks) * kCols, c1 = std::min(inner, c0 + kCols);
      for (int64_t j = 0; j < n_idx; ++j) {
        int64_t id = index[j];
        if (id == skip) continue;
        const float* g = dy + (o * n_idx + j) * inner;
        float* d = dx + (o * n_src + id) * inner;
        for (int64_t c = c0; c < c1; ++c) d[c] += g[c];
      }
    }
  });
}

namespace {

// Calls fn(x_base, i_base, x_step, i_step, n) for each line along `dim` of the index: the line's
// first element offsets in x and in the index, their strides along dim, and the index's length.
template <typename Fn>
void for_gather_lines(const int64_t* x_shape, const int64_t* index_shape, int64_t rank, int64_t dim, Fn fn) {
  std::vector<int64_t> xs(size_t(rank), 1), is(size_t(rank), 1);
  for (int64_t d = rank - 2; d >= 0; --d) {
    xs[size_t(d)] = xs[size_t(d + 1)] * x_shape[d + 1];
    is[size_t(d)] = is[size_t(d + 1)] * index_shape[d + 1];
  }
  int64_t lines = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (d != dim) lines *= index_shape[d];
  int64_t n = index_shape[dim];
  if (lines == 0 || n == 0) return;
  int64_t grain = std::max<int64_t>(1, 16384 / n);
  parallel_for(lines, grain, [&](int64_t l0, int64_t l1) {
    for (int64_t l = l0; l < l1; ++l) {
      int64_t rem = l, xb = 0, ib = 0;
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (d == dim) continue;
        int64_t c = rem % index_shape[d];
        rem /= index_shape[d];
        xb += c * xs[size_t(d)];
        ib += c * is[size_t(d)];
      }
      fn(xb, ib, xs[size_t(dim)], is[size_t(dim)], n);
    }
  });
}

}  // namespace

void gather_forward_cpu(float* out, const float* x, const int32_t* index, const int64_t* x_shape,
                        const int64_t* index_shape, int64_t rank, int64_t dim) {
  if (rank == 0) {
    out[0] = x[0];
    return;
  }
  for_gather_lines(x_shape, index_shape, rank, dim,
                   [&](int64_t xb, int64_t ib, int64_t xstep, int64_t istep, int64_t n) {
                     for (int64_t j = 0; j < n; ++j)
                       out[ib + j * istep] = x[xb + int64_t(index[ib + j * istep]) * xstep];
                   });
}

void gather_backward_cpu(float* dx, const float* dy, const int32_t* index, const int64_t* x_shape,
                         const int64_t* index_shape, int64_t rank, int64_t dim) {
  int64_t nx = 1;
  for (int64_t d = 0; d < rank; ++d) nx *= x_shape[d];
  std::fill(dx, dx + nx, 0.0f);
  if (rank == 0) {
    dx[0] = dy[0];
    return;
  }
  // Distinct lines write distinct lines of dx, so lines run in parallel without races.
  for_gather_lines(x_shape, index_shape, rank, dim,
                   [&](int64_t xb, int64_t ib, int64_t xstep, int64_t istep, int64_t n) {
                     for (int64_t j = 0; j < n; ++j)
                       dx[xb + int64_t(index[ib + j * istep]) * xstep] += dy[ib + j * istep];
                   });
}

}  // namespace tk

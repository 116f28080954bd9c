#include "kernels/softmax.h"

#include <algorithm>

#include "kernels/thread_pool.h"
#include "textkernels/math/softmax.h"

namespace tk {
namespace {

// Columns of the inner dimension handled together, so that a softmax over a strided dimension
// still walks memory in contiguous runs.
constexpr int64_t kCols = 64;

// Calls fn(o, i0, i1) for every row block: outer index o, inner columns [i0, i1).
template <typename Fn>
void for_row_blocks(int64_t outer, int64_t dim, int64_t inner, Fn fn) {
  int64_t blocks = (inner + kCols - 1) / kCols;
  int64_t tasks = outer * blocks;
  int64_t per = std::max<int64_t>(1, dim * std::min(inner, kCols));
  int64_t grain = std::max<int64_t>(1, 16384 / per);
  parallel_for(tasks, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t o = t / blocks, b = t % blocks;
      fn(o, b * kCols, std::min(inner, (b + 1) * kCols));
    }
  });
}

}  // namespace

void softmax_forward_cpu(float* y, const float* x, int64_t outer, int64_t dim, int64_t inner, bool log) {
  if (outer == 0 || dim == 0 || inner == 0) return;
  for_row_blocks(outer, dim, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    math::SoftmaxState st[kCols];
    int64_t w = i1 - i0;
    for (int64_t c = 0; c < w; ++c) st[c] = math::softmax_state_init();
    const float* xo = x + o * dim * inner + i0;
    float* yo = y + o * dim * inner + i0;
    for (int64_t d = 0; d < dim; ++d) {
      const float* xr = xo + d * inner;
      for (int64_t c = 0; c < w; ++c) math::softmax_state_update(&st[c], xr[c]);
    }
    if (log) {
      float lse[kCols];
      for (int64_t c = 0; c < w; ++c) lse[c] = logf(st[c].s);
      for (int64_t d = 0; d < dim; ++d) {
        const float* xr = xo + d * inner;
        float* yr = yo + d * inner;
        for (int64_t c = 0; c < w; ++c) yr[c] = xr[c] - st[c].m - lse[c];
      }
    } else {
      float inv[kCols];
      for (int64_t c = 0; c < w; ++c) inv[c] = 1.0f / st[c].s;
      for (int64_t d = 0; d < dim; ++d) {
        const float* xr = xo + d * inner;
        float* yr = yo + d * inner;
        for (int64_t c = 0; c < w; ++c) yr[c] = expf(xr[c] - st[c].m) * inv[c];
      }
    }
  });
}

void softmax_backward_cpu(float* dx, const float* dy, const float* y, int64_t outer, int64_t dim, int64_t inner,
                          bool log) {
  if (outer == 0 || dim == 0 || inner == 0) return;
  for_row_blocks(outer, dim, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    float r[kCols] = {0};
    int64_t w = i1 - i0;
    int64_t base = o * dim * inner + i0;
    for (int64_t d = 0; d < dim; ++d) {
      const float* g = dy + base + d * inner;
      const float* yr = y + base + d * inner;
      if (log) {
        for (int64_t c = 0; c < w; ++c) r[c] += g[c];
      } else {
        for (int64_t c = 0; c < w; ++c) r[c] += g[c] * yr[c];
      }
    }
    for (int64_t d = 0; d < dim; ++d) {
      const float* g = dy + base + d * inner;
      const float* yr = y + base + d * inner;
      float* out = dx + base + d * inner;
      if (log) {
        for (int64_t c = 0; c < w; ++c) out[c] = math::log_softmax_grad(yr[c], g[c], r[c]);
      } else {
        for (int64_t c = 0; c < w; ++c) out[c] = math::softmax_grad(yr[c], g[c], r[c]);
      }
    }
  });
}

}  // namespace tk

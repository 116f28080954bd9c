#include "kernels/softmax.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu_features.h"
#include "kernels/thread_pool.h"
#include "textkernels/math/softmax.h"

namespace tk {
namespace {

bool use_avx2() {
#if defined(TK_HAVE_X86_KERNELS)
  return simd_level() >= SimdLevel::kAvx2;
#else
  return false;
#endif
}

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

// NaN-propagating max step: once NaN, stays NaN (as PyTorch's vectorised max).
inline float max_step(float m, float v) { return math::softmax_max_step(m, v); }

}  // namespace

float softmax_row_max(const float* x, int64_t n) {
#if defined(TK_HAVE_X86_KERNELS)
  if (use_avx2()) return isa::row_max_avx2(x, n);
#endif
  float m = -INFINITY;
  for (int64_t i = 0; i < n; ++i) m = max_step(m, x[i]);
  return m;
}

float softmax_row_exp_sum(float* y, const float* x, int64_t n, float shift) {
#if defined(TK_HAVE_X86_KERNELS)
  if (use_avx2()) return isa::exp_sum_avx2(y, x, n, shift);
#endif
  float s = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    float e = expf(x[i] - shift);
    if (y) y[i] = e;
    s += e;
  }
  return s;
}

void softmax_row_scale(float* y, int64_t n, float a) {
#if defined(TK_HAVE_X86_KERNELS)
  if (use_avx2()) return isa::scale_avx2(y, n, a);
#endif
  for (int64_t i = 0; i < n; ++i) y[i] *= a;
}

void softmax_row_exp_affine(float* y, const float* x, int64_t n, float shift, float a, float b,
                            const float* w) {
#if defined(TK_HAVE_X86_KERNELS)
  if (use_avx2()) return isa::exp_affine_avx2(y, x, n, shift, a, b, w);
#endif
  for (int64_t i = 0; i < n; ++i) y[i] = a * expf(x[i] - shift) - b * (w ? w[i] : 1.0f);
}

void softmax_forward_cpu(float* y, const float* x, int64_t outer, int64_t dim, int64_t inner, bool log) {
  if (outer == 0 || dim == 0 || inner == 0) return;
  if (inner == 1) {
    // Contiguous rows, PyTorch's order: max, exp and sum, then scale (or subtract the log-sum).
    int64_t grain = std::max<int64_t>(1, 16384 / dim);
    parallel_for(outer, grain, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* xr = x + r * dim;
        float* yr = y + r * dim;
        float m = softmax_row_max(xr, dim);
        if (log) {
          float lse = logf(softmax_row_exp_sum(nullptr, xr, dim, m));
          for (int64_t d = 0; d < dim; ++d) yr[d] = xr[d] - m - lse;
        } else {
          float s = softmax_row_exp_sum(yr, xr, dim, m);
          softmax_row_scale(yr, dim, 1.0f / s);
        }
      }
    });
    return;
  }
  for_row_blocks(outer, dim, inner, [&](int64_t o, int64_t i0, int64_t i1) {
    float m[kCols], s[kCols];
    int64_t w = i1 - i0;
    const float* xo = x + o * dim * inner + i0;
    float* yo = y + o * dim * inner + i0;
    for (int64_t c = 0; c < w; ++c) {
      m[c] = -INFINITY;
      s[c] = 0.0f;
    }
    for (int64_t d = 0; d < dim; ++d) {
      const float* xr = xo + d * inner;
      for (int64_t c = 0; c < w; ++c) m[c] = max_step(m[c], xr[c]);
    }
    for (int64_t d = 0; d < dim; ++d) {
      const float* xr = xo + d * inner;
      float* yr = yo + d * inner;
      for (int64_t c = 0; c < w; ++c) {
        float e = expf(xr[c] - m[c]);
        if (!log) yr[c] = e;
        s[c] += e;
      }
    }
    if (log) {
      for (int64_t c = 0; c < w; ++c) s[c] = logf(s[c]);
      for (int64_t d = 0; d < dim; ++d) {
        const float* xr = xo + d * inner;
        float* yr = yo + d * inner;
        for (int64_t c = 0; c < w; ++c) yr[c] = xr[c] - m[c] - s[c];
      }
    } else {
      for (int64_t c = 0; c < w; ++c) s[c] = 1.0f / s[c];
      for (int64_t d = 0; d < dim; ++d) {
        float* yr = yo + d * inner;
        for (int64_t c = 0; c < w; ++c) yr[c] *= s[c];
      }
    }
  });
}

void softmax_backward_cpu(float* dx, const float* dy, const float* y, int64_t outer, int64_t dim,
                          int64_t inner, bool log) {
  if (outer == 0 || dim == 0 || inner == 0) return;
  if (inner == 1) {
    int64_t grain = std::max<int64_t>(1, 16384 / dim);
    parallel_for(outer, grain, [&](int64_t r0, int64_t r1) {
      for (int64_t row = r0; row < r1; ++row) {
        const float* g = dy + row * dim;
        const float* yr = y + row * dim;
        float* out = dx + row * dim;
        float r = 0.0f;
        if (log) {
          for (int64_t d = 0; d < dim; ++d) r += g[d];
          // dx = g - exp(y) * r, as a * exp(y - 0) - b * w with a = -r, b = -1, w = g.
          softmax_row_exp_affine(out, yr, dim, 0.0f, -r, -1.0f, g);
        } else {
          for (int64_t d = 0; d < dim; ++d) r += g[d] * yr[d];
          for (int64_t d = 0; d < dim; ++d) out[d] = math::softmax_grad(yr[d], g[d], r);
        }
      }
    });
    return;
  }
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

#include "kernels/reduce.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/thread_pool.h"

namespace tk {
namespace {

constexpr int64_t kGrain = 32768;
// Long rows are summed in blocks of this many elements, independent of the thread count.
constexpr int64_t kBlock = 16384;
// Columns (the I axis) handled together, so the inner loop runs over contiguous memory.
constexpr int64_t kColumnChunk = 256;

double sum_row(const float* x, int64_t n) {
  // Eight partial sums: independent chains the compiler can keep in vector lanes.
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) s[k] += double(x[i + k]);
  double acc = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; i < n; ++i) acc += double(x[i]);
  return acc;
}

inline int64_t grain_for(int64_t work_per_item) {
  return std::max<int64_t>(1, kGrain / std::max<int64_t>(1, work_per_item));
}

}  // namespace

void sum_forward_cpu(float* out, const float* x, int64_t outer, int64_t reduced, int64_t inner) {
  if (outer * inner == 0) return;
  if (inner == 1) {
    if (outer >= 4 || reduced <= kBlock) {
      parallel_for(outer, grain_for(reduced), [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) out[o] = float(sum_row(x + o * reduced, reduced));
      });
      return;
    }
    // Few long rows (a full reduction): fixed blocks summed in parallel, then in order.
    int64_t blocks = (reduced + kBlock - 1) / kBlock;
    std::vector<double> partial(size_t(outer * blocks));
    parallel_for(outer * blocks, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        int64_t o = t / blocks, k = t % blocks;
        int64_t start = k * kBlock, len = std::min(kBlock, reduced - start);
        partial[size_t(t)] = sum_row(x + o * reduced + start, len);
      }
    });
    for (int64_t o = 0; o < outer; ++o) {
      double acc = 0;
      for (int64_t k = 0; k < blocks; ++k) acc += partial[size_t(o * blocks + k)];
      out[o] = float(acc);
    }
    return;
  }
  int64_t chunks = (inner + kColumnChunk - 1) / kColumnChunk;
  parallel_for(outer * chunks, grain_for(reduced * std::min(inner, kColumnChunk)), [&](int64_t b, int64_t e) {
    double acc[kColumnChunk];
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / chunks, c0 = (t % chunks) * kColumnChunk;
      int64_t len = std::min(kColumnChunk, inner - c0);
      std::fill(acc, acc + len, 0.0);
      const float* base = x + o * reduced * inner + c0;
      for (int64_t r = 0; r < reduced; ++r) {
        const float* row = base + r * inner;
        for (int64_t j = 0; j < len; ++j) acc[j] += double(row[j]);
      }
      for (int64_t j = 0; j < len; ++j) out[o * inner + c0 + j] = float(acc[j]);
    }
  });
}

namespace {
// Whether v replaces the current extreme: strictly better, or the first NaN.
inline bool better(bool is_max, float v, float best) {
  if (std::isnan(best)) return false;
  if (std::isnan(v)) return true;
  return is_max ? v > best : v < best;
}
}  // namespace

void max_forward_cpu(bool is_max, float* values, int32_t* indices, const float* x, int64_t outer,
                     int64_t reduced, int64_t inner) {
  if (outer * inner == 0 || reduced == 0) return;
  parallel_for(outer * inner, grain_for(reduced), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / inner, i = t % inner;
      const float* p = x + o * reduced * inner + i;
      float best = p[0];
      int64_t arg = 0;
      for (int64_t r = 1; r < reduced; ++r) {
        float v = p[r * inner];
        if (better(is_max, v, best)) {
          best = v;
          arg = r;
        }
      }
      if (values) values[t] = best;
      indices[t] = int32_t(arg);
    }
  });
}

void max_backward_cpu(float* dx, const float* g, const int32_t* indices, int64_t outer, int64_t reduced,
                      int64_t inner) {
  std::fill(dx, dx + outer * reduced * inner, 0.0f);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i)
      dx[(o * reduced + indices[o * inner + i]) * inner + i] = g[o * inner + i];
}

void logsumexp_forward_cpu(float* out, const float* x, int64_t outer, int64_t reduced, int64_t inner) {
  if (outer * inner == 0) return;
  parallel_for(outer * inner, grain_for(2 * reduced), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / inner, i = t % inner;
      const float* p = x + o * reduced * inner + i;
      float m = -std::numeric_limits<float>::infinity();
      bool nan = false;
      for (int64_t r = 0; r < reduced; ++r) {
        float v = p[r * inner];
        if (std::isnan(v))
          nan = true;
        else if (v > m)
          m = v;
      }
      if (nan) {
        out[t] = std::numeric_limits<float>::quiet_NaN();
        continue;
      }
      // An infinite max is not subtracted (it would give inf - inf), as in torch.logsumexp.
      if (std::isinf(m)) m = 0.0f;
      double acc = 0;
      for (int64_t r = 0; r < reduced; ++r) acc += double(std::exp(p[r * inner] - m));
      out[t] = float(std::log(acc)) + m;
    }
  });
}

bool all_finite_cpu(const float* x, int64_t n) {
  // On the bits: an exponent of all ones is NaN or infinity. Branch-free within a block so the
  // loop vectorises; the early exit runs per block.
  constexpr int64_t kBlock = 4096;
  for (int64_t b = 0; b < n; b += kBlock) {
    const int64_t e = std::min(n, b + kBlock);
    uint32_t bad = 0;
    for (int64_t i = b; i < e; ++i) {
      uint32_t u;
      std::memcpy(&u, x + i, sizeof u);
      bad |= uint32_t((u & 0x7f800000u) == 0x7f800000u);
    }
    if (bad) return false;
  }
  return true;
}

}  // namespace tk

#include "kernels/optim.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/thread_pool.h"

namespace tk {
namespace {
// Elementwise updates read ~5 floats and write ~3 per element: below this the pool costs more.
constexpr int64_t kGrain = 1 << 15;

// The FMA build: without -mfma, fmaf is a libm call (~10x slower). AVX-512 CPUs run it too.
bool use_avx2() {
#if defined(TK_HAVE_X86_KERNELS)
  return simd_level() == SimdLevel::kAvx2 || simd_level() == SimdLevel::kAvx512;
#else
  return false;
#endif
}
}  // namespace

void adam_update_cpu(float* param, float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq,
                     const float* grad, const math::AdamScalars& s, int64_t n) {
  const bool avx2 = use_avx2();
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
#if defined(TK_HAVE_X86_KERNELS)
    if (avx2)
      return isa::adam_update_range_avx2(param, exp_avg, exp_avg_sq, max_exp_avg_sq, grad, s, begin, end);
#else
    (void)avx2;
#endif
    if (s.amsgrad) {
      for (int64_t i = begin; i < end; ++i)
        math::adam_update(param + i, grad[i], exp_avg + i, exp_avg_sq + i, max_exp_avg_sq + i, s);
    } else {
      for (int64_t i = begin; i < end; ++i)
        math::adam_update(param + i, grad[i], exp_avg + i, exp_avg_sq + i, nullptr, s);
    }
  });
}

void sgd_update_cpu(float* param, float* buf, const float* grad, const math::SgdScalars& s, int64_t n) {
  const bool avx2 = use_avx2();
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
#if defined(TK_HAVE_X86_KERNELS)
    if (avx2) return isa::sgd_update_range_avx2(param, buf, grad, s, begin, end);
#else
    (void)avx2;
#endif
    if (s.has_momentum) {
      for (int64_t i = begin; i < end; ++i) math::sgd_update(param + i, grad[i], buf + i, s);
    } else {
      for (int64_t i = begin; i < end; ++i) math::sgd_update(param + i, grad[i], nullptr, s);
    }
  });
}

double pow_sum_cpu(const float* x, int64_t n, double p) {
  // Fixed chunks summed in order: the same bits for any thread count.
  constexpr int64_t kChunk = 1 << 16;
  int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(size_t(chunks), 0.0);
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      int64_t b = c * kChunk, e = std::min(n, b + kChunk);
      double acc = 0;
      if (p == 2) {
        for (int64_t i = b; i < e; ++i) acc += double(x[i]) * double(x[i]);
      } else if (p == 1) {
        for (int64_t i = b; i < e; ++i) acc += std::fabs(double(x[i]));
      } else {
        for (int64_t i = b; i < e; ++i) acc += std::pow(std::fabs(double(x[i])), p);
      }
      partial[size_t(c)] = acc;
    }
  });
  double total = 0;
  for (double v : partial) total += v;
  return total;
}

double abs_max_cpu(const float* x, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i) {
    double a = std::fabs(double(x[i]));
    if (a != a) return a;
    if (a > m) m = a;
  }
  return m;
}

}  // namespace tk

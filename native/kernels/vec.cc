#include "kernels/vec.h"

#include "kernels/cpu_features.h"

namespace tk {
namespace {

float dot_generic(const float* x, const float* y, int64_t n) {
  // Four partial sums: lets the compiler keep SSE2 lanes busy without -ffast-math.
  float s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) s[k] += x[i + k] * y[i + k];
  float acc = (s[0] + s[1]) + (s[2] + s[3]);
  for (; i < n; ++i) acc += x[i] * y[i];
  return acc;
}

void axpy_generic(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

}  // namespace

float vec_dot(const float* x, const float* y, int64_t n) {
#if defined(TK_HAVE_X86_KERNELS)
  switch (simd_level()) {
    case SimdLevel::kAvx512:
      return isa::vec_dot_avx512(x, y, n);
    case SimdLevel::kAvx2:
      return isa::vec_dot_avx2(x, y, n);
    default:
      break;
  }
#endif
  return dot_generic(x, y, n);
}

void vec_axpy(float a, const float* x, float* y, int64_t n) {
#if defined(TK_HAVE_X86_KERNELS)
  switch (simd_level()) {
    case SimdLevel::kAvx512:
      return isa::vec_axpy_avx512(a, x, y, n);
    case SimdLevel::kAvx2:
      return isa::vec_axpy_avx2(a, x, y, n);
    default:
      break;
  }
#endif
  axpy_generic(a, x, y, n);
}

}  // namespace tk

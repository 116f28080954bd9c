// Level-1 vector primitives with runtime SIMD dispatch, for kernels that work row by row
// (negative-sampling updates, top-k cosine search, optimizer steps).
#pragma once
#include <cstdint>

namespace tk {

// sum_i x[i] * y[i], accumulated in float lanes (8 or 16 wide) then reduced.
float vec_dot(const float* x, const float* y, int64_t n);
// y[i] += a * x[i]
void vec_axpy(float a, const float* x, float* y, int64_t n);

namespace isa {
// Per-ISA implementations (vec_avx2.cc, vec_avx512.cc); call only after the CPU check.
float vec_dot_avx2(const float* x, const float* y, int64_t n);
void vec_axpy_avx2(float a, const float* x, float* y, int64_t n);
float vec_dot_avx512(const float* x, const float* y, int64_t n);
void vec_axpy_avx512(float a, const float* x, float* y, int64_t n);
}  // namespace isa

}  // namespace tk

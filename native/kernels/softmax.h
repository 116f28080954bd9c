// Softmax and log-softmax over one dimension of a contiguous tensor seen as [outer, dim, inner]:
// the softmax runs along `dim`, whose elements are `inner` apart.
#pragma once
#include <cstdint>

namespace tk {

void softmax_forward_cpu(float* y,        // [outer, dim, inner], must not alias x
                         const float* x,  // [outer, dim, inner]
                         int64_t outer, int64_t dim, int64_t inner,
                         bool log);  // log-softmax instead of softmax
// dx = y * (dy - sum(dy * y)) (softmax) or dy - exp(y) * sum(dy) (log-softmax).
void softmax_backward_cpu(float* dx,        // [outer, dim, inner], may alias dy
                          const float* dy,  // [outer, dim, inner]
                          const float* y,   // [outer, dim, inner], the forward output
                          int64_t outer, int64_t dim, int64_t inner, bool log);

// Row primitives over n contiguous values, dispatched on the SIMD level; softmax and the fused
// cross-entropy are built from them.
// The max of x[0, n) (-inf for n = 0); NaN if any value is NaN.
float softmax_row_max(const float* x, int64_t n);
// y[i] = exp(x[i] - shift) when y is not null (may alias x); returns the sum of those values.
float softmax_row_exp_sum(float* y, const float* x, int64_t n, float shift);
// y[i] *= a
void softmax_row_scale(float* y, int64_t n, float a);
// y[i] = a * exp(x[i] - shift) - b * (w ? w[i] : 1): a cross-entropy gradient row (y may alias x).
void softmax_row_exp_affine(float* y, const float* x, int64_t n, float shift, float a, float b,
                            const float* w);

namespace isa {
// AVX2 + FMA versions (softmax_avx2.cc); call only after the CPU check. AVX-512 CPUs use these too.
float row_max_avx2(const float* x, int64_t n);
float exp_sum_avx2(float* y, const float* x, int64_t n, float shift);
void scale_avx2(float* y, int64_t n, float a);
void exp_affine_avx2(float* y, const float* x, int64_t n, float shift, float a, float b, const float* w);
}  // namespace isa

}  // namespace tk

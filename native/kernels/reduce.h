// Reductions over one run of contiguous dimensions: the input is viewed as [O, R, I] (outer,
// reduced, inner) and the output as [O, I]. Reductions over several separated dimensions are
// chained by the caller.
//
// Results do not depend on the thread count: every output element is reduced in a fixed order,
// and long rows are cut into fixed-size blocks whose partial sums are added in block order.
#pragma once
#include <cstdint>

namespace tk {

// out[o, i] = sum_r x[o, r, i], accumulated in double.
void sum_forward_cpu(float* out,      // [O, I]; must not alias x
                     const float* x,  // [O, R, I]
                     int64_t outer, int64_t reduced, int64_t inner);

// Max (is_max) or min along R with the index of the first extreme; NaN wins, as in torch.max.
// R must be > 0.
void max_forward_cpu(bool is_max, float* values,  // [O, I], may be null (argmax only)
                     int32_t* indices,            // [O, I]
                     const float* x,              // [O, R, I]
                     int64_t outer, int64_t reduced, int64_t inner);
// dx[o, indices[o, i], i] = g[o, i]; zero elsewhere. Indices must be in [0, R).
void max_backward_cpu(float* dx,               // [O, R, I]; must not alias g
                      const float* g,          // [O, I]
                      const int32_t* indices,  // [O, I]
                      int64_t outer, int64_t reduced, int64_t inner);

// out[o, i] = log(sum_r exp(x[o, r, i])), shifted by the finite max for stability (torch.logsumexp).
void logsumexp_forward_cpu(float* out,      // [O, I]; must not alias x
                           const float* x,  // [O, R, I]
                           int64_t outer, int64_t reduced, int64_t inner);

// Whether every x[i] is finite (no NaN or infinity): the check a training step makes on each
// gradient before the optimizer runs.
bool all_finite_cpu(const float* x,  // [n]
                    int64_t n);

}  // namespace tk

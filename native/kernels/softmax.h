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

}  // namespace tk

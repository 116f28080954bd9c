// Layer normalisation over the last N elements of each of M rows (torch.nn.functional.layer_norm
// with normalized_shape of N elements): y = (x - mean) * rstd * w + b, biased variance.
#pragma once
#include <cstdint>

namespace tk {

void layernorm_forward_cpu(float* y,        // [M, N], must not alias x
                           float* mean,     // [M], saved for the backward pass
                           float* rstd,     // [M], 1 / sqrt(var + eps), saved for the backward pass
                           const float* x,  // [M, N]
                           const float* w,  // [N] or null (no affine weight)
                           const float* b,  // [N] or null (no bias)
                           int64_t M, int64_t N, float eps);
void layernorm_backward_cpu(float* dx,          // [M, N] or null (not wanted)
                            float* dw,          // [N] or null (not wanted), overwritten
                            float* db,          // [N] or null (not wanted), overwritten
                            const float* dy,    // [M, N]
                            const float* x,     // [M, N]
                            const float* mean,  // [M]
                            const float* rstd,  // [M]
                            const float* w,     // [N] or null
                            int64_t M, int64_t N);

}  // namespace tk

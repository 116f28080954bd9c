// Fused optimizer updates: one call updates one parameter tensor and its state in a single pass.
// The per-element rules live in textkernels/math/optim.h (shared with CUDA).
//
// GENERAL NOTES: all arrays are float32 [N], contiguous. param, exp_avg, exp_avg_sq,
// max_exp_avg_sq and buf are updated in place and must not alias each other or grad.
#pragma once
#include <cstdint>

#include "textkernels/math/optim.h"

namespace tk {

// Adam / AdamW step for one tensor (torch.optim.Adam, AdamW with decoupled weight decay).
void adam_update_cpu(float* param,           // [N] updated in place
                     float* exp_avg,         // [N] first moment, updated in place
                     float* exp_avg_sq,      // [N] second moment, updated in place
                     float* max_exp_avg_sq,  // [N] running max of exp_avg_sq (amsgrad), else null
                     const float* grad,      // [N]
                     const math::AdamScalars& s, int64_t n);

// SGD step for one tensor (torch.optim.SGD).
void sgd_update_cpu(float* param,       // [N] updated in place
                    float* buf,         // [N] momentum buffer (written on the first step), or null
                    const float* grad,  // [N]
                    const math::SgdScalars& s, int64_t n);

// Sum over i of |x_i|^p in double (p = 1 and 2 special-cased), for gradient-norm clipping.
double pow_sum_cpu(const float* x, int64_t n, double p);
// max |x_i| (NaN if any element is NaN).
double abs_max_cpu(const float* x, int64_t n);

namespace isa {
// Ranges [begin, end) of the updates above, compiled with AVX2+FMA (optim_avx2.cc); call only
// after the CPU check.
void adam_update_range_avx2(float* param, float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq,
                            const float* grad, const math::AdamScalars& s, int64_t begin, int64_t end);
void sgd_update_range_avx2(float* param, float* buf, const float* grad, const math::SgdScalars& s,
                           int64_t begin, int64_t end);
}  // namespace isa

}  // namespace tk

// Fused optimizer updates on the GPU: one launch updates one parameter tensor and its state, with the
// per-element rules of native/include/textkernels/math/optim.h (the CPU kernels' own, replaying
// torch's single-tensor Adam and SGD op by op in float32), so both devices compute the same floats:
// the rules use only +, *, /, fmaf and sqrtf, which CUDA rounds correctly (without --use_fast_math),
// so device and CPU steps agree to the bit. The scalars come from binding/optim_args.h.
// Pointers are device pointers; calls are asynchronous on `stream`.
//
// GENERAL NOTES: all arrays are float32 [n], contiguous. param, exp_avg, exp_avg_sq, max_exp_avg_sq
// and buf are updated in place and must not alias each other or grad.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "textkernels/math/optim.h"

namespace tk {

// Adam / AdamW step for one tensor (adam_update_cpu's twin).
void adam_update_cuda(float* param,           // [n] updated in place
                      float* exp_avg,         // [n] first moment, updated in place
                      float* exp_avg_sq,      // [n] second moment, updated in place
                      float* max_exp_avg_sq,  // [n] running max of exp_avg_sq when s.amsgrad, else null
                      const float* grad,      // [n]
                      const math::AdamScalars& s, int64_t n, cudaStream_t stream);

// SGD step for one tensor (sgd_update_cpu's twin). buf is written on the first step.
void sgd_update_cuda(float* param,       // [n] updated in place
                     float* buf,         // [n] momentum buffer when s.has_momentum, else null
                     const float* grad,  // [n]
                     const math::SgdScalars& s, int64_t n, cudaStream_t stream);

}  // namespace tk

// Fused losses. Cross-entropy is log-softmax + NLL in one pass over logits seen as [N, C, S]
// (class dim 1 of torch's [N, C, d1, ...]; S = d1 * ...; a sample is one (n, s) pair). The forward
// pass writes per-sample losses (torch's reduction='none' values) and each sample's logsumexp,
// which the backward pass uses to recompute the softmax without storing it.
//
// Backward passes take the upstream gradient as dloss[i * dloss_stride] * scale: stride 1 with
// scale 1 for reduction 'none', stride 0 with scale 1 (sum) or 1 / denominator (mean).
#pragma once
#include <cstdint>

namespace tk {

// Class-index targets. Returns the 'mean' denominator: the sum of weight[target] over samples whose
// target is not ignore_index (their count without weights).
double cross_entropy_forward_cpu(float* loss,            // [N, S], 0 for ignored samples
                                 float* lse,             // [N, S], logsumexp over classes
                                 const float* logits,    // [N, C, S]
                                 const int32_t* target,  // [N, S], in [0, C) or ignore_index
                                 const float* weight,    // [C] or null
                                 int64_t N, int64_t C, int64_t S, int64_t ignore_index,
                                 float label_smoothing);
void cross_entropy_backward_cpu(float* dlogits,         // [N, C, S], must not alias logits
                                const float* dloss,     // [N, S] (stride 1) or [1] (stride 0)
                                const float* logits,    // [N, C, S]
                                const float* lse,       // [N, S] from the forward pass
                                const int32_t* target,  // [N, S]
                                const float* weight,    // [C] or null
                                int64_t N, int64_t C, int64_t S, int64_t ignore_index, float label_smoothing,
                                int64_t dloss_stride, float scale);

// Class-probability targets: loss = -sum_c weight[c] * t'[c] * log_softmax(x)[c] with the smoothed
// target t' = t * (1 - label_smoothing) + label_smoothing / C.
void cross_entropy_prob_forward_cpu(float* loss,          // [N, S]
                                    float* lse,           // [N, S]
                                    const float* logits,  // [N, C, S]
                                    const float* target,  // [N, C, S]
                                    const float* weight,  // [C] or null
                                    int64_t N, int64_t C, int64_t S, float label_smoothing);
void cross_entropy_prob_backward_cpu(float* dlogits,       // [N, C, S] or null
                                     float* dtarget,       // [N, C, S] or null
                                     const float* dloss,   // see above
                                     const float* logits,  // [N, C, S]
                                     const float* lse,     // [N, S]
                                     const float* target,  // [N, C, S]
                                     const float* weight,  // [C] or null
                                     int64_t N, int64_t C, int64_t S, float label_smoothing,
                                     int64_t dloss_stride, float scale);

// Binary cross-entropy on logits, elementwise; weight and pos_weight already broadcast to [n].
void bce_logits_forward_cpu(float* loss,              // [n]
                            const float* x,           // [n]
                            const float* t,           // [n]
                            const float* weight,      // [n] or null
                            const float* pos_weight,  // [n] or null
                            int64_t n);
void bce_logits_backward_cpu(float* dx,           // [n] or null
                             float* dt,           // [n] or null
                             const float* dloss,  // [n] (stride 1) or [1] (stride 0)
                             const float* x, const float* t, const float* weight, const float* pos_weight,
                             int64_t n, int64_t dloss_stride, float scale);

}  // namespace tk

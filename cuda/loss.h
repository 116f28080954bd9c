// Losses on the device, the twins of native/kernels/loss.h and of the nllLoss / pointwise loops in
// native/binding/loss.cc, with the same arguments and per-element math (textkernels/math/loss.h).
// Pointers are device pointers; calls are asynchronous on `stream` except those returning the 'mean'
// denominator (they wait for it). Class-index targets must have been range-checked
// (first_bad_index_cuda in cuda/reduce.h); the kernels still treat a bad one as ignored rather than
// read out of bounds.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tk {

// Returns the 'mean' denominator (sum of weight[target] over non-ignored samples), as the CPU's.
double cross_entropy_forward_cuda(float* loss, float* lse, const float* logits, const int32_t* target,
                                  const float* weight, int64_t N, int64_t C, int64_t S, int64_t ignore_index,
                                  float label_smoothing, cudaStream_t stream);
void cross_entropy_backward_cuda(float* dlogits, const float* dloss, const float* logits, const float* lse,
                                 const int32_t* target, const float* weight, int64_t N, int64_t C, int64_t S,
                                 int64_t ignore_index, float label_smoothing, int64_t dloss_stride,
                                 float scale, cudaStream_t stream);
void cross_entropy_prob_forward_cuda(float* loss, float* lse, const float* logits, const float* target,
                                     const float* weight, int64_t N, int64_t C, int64_t S,
                                     float label_smoothing, cudaStream_t stream);
void cross_entropy_prob_backward_cuda(float* dlogits, float* dtarget, const float* dloss, const float* logits,
                                      const float* lse, const float* target, const float* weight, int64_t N,
                                      int64_t C, int64_t S, float label_smoothing, int64_t dloss_stride,
                                      float scale, cudaStream_t stream);
void bce_logits_forward_cuda(float* loss, const float* x, const float* t, const float* weight,
                             const float* pos_weight, int64_t n, cudaStream_t stream);
void bce_logits_backward_cuda(float* dx, float* dt, const float* dloss, const float* x, const float* t,
                              const float* weight, const float* pos_weight, int64_t n, int64_t dloss_stride,
                              float scale, cudaStream_t stream);

// nll: loss[i] = -logProbs[n, y, s] * weight[y] (0 when ignored); returns the denominator.
double nll_loss_forward_cuda(float* loss, const float* log_probs, const int32_t* target, const float* weight,
                             int64_t N, int64_t C, int64_t S, int64_t ignore_index, cudaStream_t stream);
void nll_loss_backward_cuda(float* dx, const float* dloss, const int32_t* target, const float* weight,
                            int64_t N, int64_t C, int64_t S, int64_t ignore_index, int64_t dloss_stride,
                            double scale, cudaStream_t stream);

// math::pointwise_loss / pointwise_loss_grad elementwise (kind: math::PointwiseLossKind).
void pointwise_loss_forward_cuda(int32_t kind, float* loss, const float* x, const float* t, int64_t n,
                                 double beta, cudaStream_t stream);
void pointwise_loss_backward_cuda(int32_t kind, float* dx, float* dt, const float* dloss, const float* x,
                                  const float* t, int64_t n, double beta, int64_t dloss_stride, double scale,
                                  cudaStream_t stream);

}  // namespace tk

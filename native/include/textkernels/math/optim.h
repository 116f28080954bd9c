// Per-element update rules of the optimizers, shared by the C++ kernels (native/kernels/optim.cc)
// and the CUDA kernels.
//
// Each rule replays PyTorch's CPU single-tensor implementation (torch/optim/adam.py
// `_single_tensor_adam`, sgd.py `_single_tensor_sgd`) operation by operation in float32, so that
// trajectories agree with torch to the bit where torch's own kernels are correctly rounded. PyTorch
// builds its AVX2 kernels without -ffp-contract=off, and we checked element by element (2.x, AVX2)
// which of its ops come out fused:
//   t.add(o, alpha=a)         fma(o, a, t)                  (Vectorized fmadd; scalar tail contracted)
//   t.lerp_(e, w)             |w| < 0.5 ? fma(w, e - t, t) : fma(w - 1, e - t, e)
//   t.addcmul_(a, b, value=v) fma(v * a, b, t)
//   t.addcdiv_(a, b, value=v) t + (v * a) / b              (nothing to fuse)
//   t.mul_(s), t / s, t + s   one rounding each, s rounded to float first
// torch's float32 sqrt on CPU (MKL's vsSqrt in the builds we checked) is not correctly rounded: 1 ulp
// off for ~15% of inputs, at every tensor size. We use the correctly rounded sqrtf, so Adam agrees
// with torch to the bit except where such an ulp propagates (95-100% of elements in our fixtures,
// the rest within 1e-6 relative); SGD has no sqrt and agrees to the bit. Scalars (bias corrections, step
// sizes) are computed in double as Python does and rounded to float where torch converts them (AdamScalars
// below).
#pragma once

#include "textkernels/math/common.h"

namespace tk::math {

// torch.lerp for float: start + w * (end - start), computed from the nearer end.
TK_HD float optim_lerp(float start, float end, float w) {
  float diff = end - start;
  return fabsf(w) < 0.5f ? fmaf(w, diff, start) : fmaf(w - 1.0f, diff, end);
}

// Float copies of the scalars torch hands its float32 kernels for one Adam/AdamW step.
struct AdamScalars {
  float weight_decay;     // grad.add(param, alpha=weight_decay) (L2, Adam)
  float decay_factor;     // param.mul_(1 - lr * weight_decay) (decoupled, AdamW); 1 = none
  float one_minus_beta1;  // exp_avg.lerp_(grad, 1 - beta1)
  float beta2;            // exp_avg_sq.mul_(beta2)
  float one_minus_beta2;  // .addcmul_(grad, grad, value=1 - beta2)
  float bias_corr2_sqrt;  // denom = sqrt(exp_avg_sq) / sqrt(1 - beta2^step) + eps
  float eps;
  float neg_step_size;  // param.addcdiv_(exp_avg, denom, value=-lr / (1 - beta1^step))
  bool l2;              // weight_decay != 0 and not decoupled
  bool decoupled;       // weight_decay != 0 and decoupled
  bool amsgrad;
  bool maximize;
};

// One Adam/AdamW step for one element. max_exp_avg_sq is read and written only when s.amsgrad.
TK_HD void adam_update(float* param, float grad, float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq,
                       const AdamScalars& s) {
  float p = *param;
  float g = s.maximize ? -grad : grad;
  if (s.decoupled)
    p = p * s.decay_factor;
  else if (s.l2)
    g = fmaf(p, s.weight_decay, g);
  float m = optim_lerp(*exp_avg, g, s.one_minus_beta1);
  float v = *exp_avg_sq * s.beta2;
  v = fmaf(s.one_minus_beta2 * g, g, v);
  float vhat = v;
  if (s.amsgrad) {
    // torch.maximum propagates NaN.
    float mx = *max_exp_avg_sq;
    vhat = (mx != mx || v != v) ? mx + v : (mx > v ? mx : v);
    *max_exp_avg_sq = vhat;
  }
  float denom = sqrtf(vhat) / s.bias_corr2_sqrt + s.eps;
  p = p + (s.neg_step_size * m) / denom;
  *exp_avg = m;
  *exp_avg_sq = v;
  *param = p;
}

// Float copies of the scalars of one SGD step.
struct SgdScalars {
  float weight_decay;         // grad.add(param, alpha=weight_decay)
  float momentum;             // buf.mul_(momentum); nesterov: grad.add(buf, alpha=momentum)
  float one_minus_dampening;  // buf.add_(grad, alpha=1 - dampening)
  float neg_lr;               // param.add_(grad, alpha=-lr)
  bool has_weight_decay;
  bool has_momentum;
  bool first_step;  // the momentum buffer starts as a copy of the (decayed) gradient
  bool nesterov;
  bool maximize;
};

// One SGD step for one element. buf is read and written only when s.has_momentum.
TK_HD void sgd_update(float* param, float grad, float* buf, const SgdScalars& s) {
  float p = *param;
  float g = s.maximize ? -grad : grad;
  if (s.has_weight_decay) g = fmaf(p, s.weight_decay, g);
  if (s.has_momentum) {
    float b = s.first_step ? g : fmaf(g, s.one_minus_dampening, *buf * s.momentum);
    *buf = b;
    g = s.nesterov ? fmaf(b, s.momentum, g) : b;
  }
  *param = fmaf(g, s.neg_lr, p);
}

}  // namespace tk::math

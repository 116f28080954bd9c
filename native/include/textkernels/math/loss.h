// Per-element loss terms and their derivatives, shared by the CPU kernels (native/kernels/loss.cc)
// and the CUDA kernels. Formulas follow PyTorch's (aten/src/ATen/native/Loss.cpp) so values agree
// to float rounding.
#pragma once
#include "textkernels/math/common.h"

namespace tk::math {

// log(sigmoid(x)) without overflow: min(x, 0) - log1p(exp(-|x|)).
TK_HD float log_sigmoid(float x) { return (x < 0.0f ? x : 0.0f) - log1pf(expf(-fabsf(x))); }
// sigmoid(-x) = d/dx log_sigmoid(x), stable for large |x|.
TK_HD float sigmoid_neg(float x) {
  float e = expf(-fabsf(x));
  return x >= 0.0f ? e / (1.0f + e) : 1.0f / (1.0f + e);
}

// Binary cross-entropy on logits with a positive-class weight pw (1 when absent), as PyTorch:
//   loss = (1 - t) * x - (1 + (pw - 1) * t) * log_sigmoid(x)
TK_HD float bce_logits(float x, float t, float pw) {
  float lw = (pw - 1.0f) * t + 1.0f;
  return (1.0f - t) * x - lw * log_sigmoid(x);
}
TK_HD float bce_logits_grad_input(float x, float t, float pw) {
  float lw = (pw - 1.0f) * t + 1.0f;
  return (1.0f - t) - lw * sigmoid_neg(x);
}
TK_HD float bce_logits_grad_target(float x, float t, float pw) { return -x - (pw - 1.0f) * log_sigmoid(x); }

// Cross-entropy with class-index target y, class weights w (1 without), label smoothing eps over C
// classes, for one sample with logsumexp lse (as PyTorch's cross_entropy with label_smoothing):
//   loss = (1 - eps) * w[y] * (lse - x[y]) + (eps / C) * sum_c w[c] * (lse - x[c])
// and d loss / d x[c] = (1 - eps) * w[y] * (p[c] - [c == y]) + (eps / C) * (W * p[c] - w[c]) with
// p = softmax(x), W = sum_c w[c]. wy1 = (1 - eps) * w[y], eps_c = eps / C.
TK_HD float cross_entropy_grad(float p, bool is_target, float wy1, float eps_c, float wsum, float wc) {
  float d = wy1 * (is_target ? p - 1.0f : p);
  return eps_c > 0.0f ? d + eps_c * (wsum * p - wc) : d;
}

// Smooth L1 (Huber with slope 1) with PyTorch's beta: 0.5 d^2 / beta below beta, else |d| - beta/2.
TK_HD float smooth_l1(float d, float beta) {
  float a = fabsf(d);
  return a < beta ? 0.5f * d * d / beta : a - 0.5f * beta;
}
TK_HD float smooth_l1_grad(float d, float beta) {
  if (fabsf(d) < beta) return d / beta;
  return d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : 0.0f);
}

// The pointwise regression losses of lib/ops/losses.ts (mseLoss, l1Loss, smoothL1Loss, klDiv), in
// the arithmetic those had as JavaScript loops: float differences where JS rounded with
// Math.fround, double everywhere else, rounded to float once at the store. So the CPU results
// are the ones the JS loops gave, and the device computes the same.
enum PointwiseLossKind : int32_t {
  kLossMse = 0,
  kLossL1 = 1,
  kLossSmoothL1 = 2,
  kLossKlDiv = 3,           // t * log(t) - t * x (0 * log(0) = 0)
  kLossKlDivLogTarget = 4,  // exp(t) * (t - x)
};

// Math.sign: NaN for NaN, and +-0 keep their sign.
TK_HD double js_sign(double v) { return v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : v); }

TK_HD float pointwise_loss(int32_t kind, float x, float t, double beta) {
  switch (kind) {
    case kLossMse: {
      const float d = x - t;
      return d * d;
    }
    case kLossL1:
      return fabsf(x - t);
    case kLossSmoothL1: {
      const double d = double(x - t);
      const double a = fabs(d);
      return float(a < beta ? (0.5 * d * d) / beta : a - 0.5 * beta);
    }
    case kLossKlDiv:
      return float((t == 0.0f ? 0.0 : double(t) * log(double(t))) - double(t) * double(x));
    default:
      return float(exp(double(t)) * (double(t) - double(x)));
  }
}

// d loss / d x and d loss / d t of pointwise_loss, in double.
TK_HD void pointwise_loss_grad(int32_t kind, float x, float t, double beta, double* dx, double* dt) {
  const double xd = double(x), td = double(t);
  switch (kind) {
    case kLossMse:
      *dx = 2.0 * (xd - td);
      *dt = -2.0 * (xd - td);
      return;
    case kLossL1: {
      const double s = js_sign(xd - td);
      *dx = s;
      *dt = -s;
      return;
    }
    case kLossSmoothL1: {
      const double d = double(x - t);
      const double g = fabs(d) < beta ? d / beta : js_sign(d);
      *dx = g;
      *dt = -g;
      return;
    }
    case kLossKlDiv:
      // At t = 0 PyTorch's xlogy(t, t) backward gives 0 * log(0) + t / t = NaN.
      *dx = -td;
      *dt = t == 0.0f ? double(NAN) : log(td) + 1.0 - xd;
      return;
    default: {
      const double e = exp(td);
      *dx = -e;
      *dt = e * (td - xd + 1.0);
      return;
    }
  }
}

}  // namespace tk::math

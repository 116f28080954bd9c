// Per-element formulas of the broadcasting pointwise kernels (binary arithmetic and its gradients,
// comparisons, the unary ops that math/activations.h does not cover), shared by the CPU kernels
// (native/kernels/elementwise.cc) and the CUDA kernels (cuda/elementwise.cu), so both give the same
// bits wherever the device's libm agrees with the host's.
// PyTorch's derivatives.yaml gives the gradients.
#pragma once
#include "textkernels/math/activations.h"
#include "textkernels/math/common.h"

namespace tk::math {

// ---- binary --------------------------------------------------------------------------------------

TK_HD float add_scaled(float x, float y, float alpha) { return alpha == 1.0f ? x + y : x + alpha * y; }
TK_HD float sub_scaled(float x, float y, float alpha) { return alpha == 1.0f ? x - y : x - alpha * y; }

// PyTorch computes small integer powers by multiplication; powf agrees to rounding elsewhere.
TK_HD float pow_fwd(float x, float y) {
  if (y == 2.0f) return x * x;
  if (y == 1.0f) return x;
  if (y == 0.5f) return sqrtf(x);
  return powf(x, y);
}

// NaN-propagating, as torch.maximum / torch.minimum (x != x is isnan on both sides).
TK_HD float nan_max(float x, float y) {
  if (x != x || y != y) return NAN;
  return x > y ? x : y;
}
TK_HD float nan_min(float x, float y) {
  if (x != x || y != y) return NAN;
  return x < y ? x : y;
}

// Gradients of the full-shape output with respect to both operands: g the output's gradient, x and
// y the operands, o the forward output (pow reads it).
TK_HD void mul_grad(float g, float x, float y, float& gx, float& gy) {
  gx = g * y;
  gy = g * x;
}
TK_HD void div_grad(float g, float x, float y, float& gx, float& gy) {
  gx = g / y;
  gy = -g * ((x / y) / y);
}
TK_HD void pow_grad(float g, float x, float e, float o, float& gx, float& ge) {
  gx = e == 0.0f ? 0.0f : g * (e * powf(x, e - 1.0f));
  ge = (x == 0.0f && e >= 0.0f) ? 0.0f : g * (o * logf(x));
}
// Equal operands share the gradient (torch.maximum's backward).
TK_HD void maximum_grad(float g, float x, float y, float& gx, float& gy) {
  float shared = x == y ? g / 2.0f : g;
  gx = x < y ? 0.0f : shared;
  gy = x > y ? 0.0f : shared;
}
TK_HD void minimum_grad(float g, float x, float y, float& gx, float& gy) {
  float shared = x == y ? g / 2.0f : g;
  gx = x > y ? 0.0f : shared;
  gy = x < y ? 0.0f : shared;
}

// ---- unary (the rest are in activations.h) -------------------------------------------------------

// torch.relu is clamp_min(x, 0), which keeps NaN.
TK_HD float relu_nan(float x) { return x != x ? x : relu(x); }
// min then max, so min > max gives max everywhere, as torch.clamp does; NaN stays NaN.
TK_HD float clamp_fwd(float x, float lo, float hi) {
  if (x != x) return x;
  float r = x < lo ? lo : x;
  return r > hi ? hi : r;
}
TK_HD float clamp_grad(float g, float x, float lo, float hi) { return (x >= lo && x <= hi) ? g : 0.0f; }
TK_HD float sign_of(float x) { return float((0.0f < x) - (x < 0.0f)); }

}  // namespace tk::math

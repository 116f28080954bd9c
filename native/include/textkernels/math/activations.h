// Pointwise activations and their derivatives, shared by the CPU kernels and the CUDA kernels.
// Derivatives take the forward output y where that is cheaper (sigmoid, tanh), else the input x.
// Formulas follow PyTorch's CPU kernels (aten/src/ATen/native/cpu/*Kernel.cpp) so values agree
// to float rounding.
#pragma once
#include "textkernels/math/common.h"

namespace tk::math {

TK_HD float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
TK_HD float sigmoid_grad_from_y(float y) { return y * (1.0f - y); }

TK_HD float tanh_fwd(float x) { return tanhf(x); }
TK_HD float tanh_grad_from_y(float y) { return 1.0f - y * y; }

TK_HD float relu(float x) { return x > 0.0f ? x : 0.0f; }
// PyTorch's threshold_backward: the gradient passes where the output is > 0.
TK_HD float relu_grad_from_y(float y) { return y > 0.0f ? 1.0f : 0.0f; }

// GELU, exact (erf) form: x * Phi(x), PyTorch's approximate='none'.
TK_HD float gelu(float x) {
  const float kAlpha = 0.70710678118654752440f;  // 1/sqrt(2)
  return x * 0.5f * (1.0f + erff(x * kAlpha));
}
TK_HD float gelu_grad(float x) {
  const float kAlpha = 0.70710678118654752440f;
  const float kBeta = 0.39894228040143267794f;  // 1/sqrt(2*pi)
  float cdf = 0.5f * (1.0f + erff(x * kAlpha));
  float pdf = kBeta * expf(-0.5f * x * x);
  return cdf + x * pdf;
}

// GELU, tanh approximation: PyTorch's approximate='tanh'.
TK_HD float gelu_tanh(float x) {
  const float kBeta = 0.79788456080286535588f;  // sqrt(2/pi)
  const float kKappa = 0.044715f;
  float inner = kBeta * (x + kKappa * x * x * x);
  return 0.5f * x * (1.0f + tanhf(inner));
}
TK_HD float gelu_tanh_grad(float x) {
  const float kBeta = 0.79788456080286535588f;
  const float kKappa = 0.044715f;
  float x2 = x * x;
  float inner = kBeta * (x + kKappa * x2 * x);
  float t = tanhf(inner);
  float left = 0.5f * x;
  float right = 1.0f + t;
  float left_d = 0.5f * right;
  float tanh_d = 1.0f - t * t;
  float inner_d = kBeta * (1.0f + 3.0f * kKappa * x2);
  float right_d = left * tanh_d * inner_d;
  return left_d + right_d;
}

// Softplus with PyTorch's defaults (beta 1, threshold 20): linear above the threshold.
TK_HD float softplus(float x) { return x > 20.0f ? x : log1pf(expf(x)); }
TK_HD float softplus_grad(float x) { return x > 20.0f ? 1.0f : sigmoid(x); }

}  // namespace tk::math

namespace tk::math {

// Softplus with explicit beta and threshold (torch.nn.functional.softplus): linear where
// beta * x > threshold.
TK_HD float softplus_beta(float x, float beta, float threshold) {
  float bx = x * beta;
  return bx > threshold ? x : log1pf(expf(bx)) / beta;
}
TK_HD float softplus_beta_grad(float x, float beta, float threshold) {
  float bx = x * beta;
  if (bx > threshold) return 1.0f;
  float z = expf(bx);
  return z / (z + 1.0f);
}

// PyTorch's leaky_relu: slope applies where x <= 0.
TK_HD float leaky_relu(float x, float slope) { return x > 0.0f ? x : x * slope; }
TK_HD float leaky_relu_grad(float x, float slope) { return x > 0.0f ? 1.0f : slope; }

}  // namespace tk::math

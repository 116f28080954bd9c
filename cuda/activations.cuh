// The op structs of the pointwise activation kernels (cuda/activations.cu): fwd and bwd over
// math/activations.h, __host__ __device__ so cuda/dev/activations.cu can run them on the CPU
// (version 0) on machines without a GPU.
//
// defines: SigmoidOp, TanhOp, ReluOp, GeluOp, GeluTanhOp, SoftplusOp, with_op
#pragma once
#include <stdexcept>
#include <string>

#include "cuda/activations.h"
#include "textkernels/math/activations.h"

namespace tk::cuda::activation_ops {

// fwd(x); bwd(dy, s) = dy * op'(s) where s is y when kFromOutput, else x.
struct SigmoidOp {
  static constexpr bool kFromOutput = true;
  __host__ __device__ static float fwd(float x) { return math::sigmoid(x); }
  __host__ __device__ static float bwd(float dy, float y) { return dy * math::sigmoid_grad_from_y(y); }
};
struct TanhOp {
  static constexpr bool kFromOutput = true;
  __host__ __device__ static float fwd(float x) { return math::tanh_fwd(x); }
  __host__ __device__ static float bwd(float dy, float y) { return dy * math::tanh_grad_from_y(y); }
};
struct ReluOp {
  static constexpr bool kFromOutput = true;
  // relu(NaN) is NaN in PyTorch; math::relu maps it to 0, so keep NaN here explicitly.
  __host__ __device__ static float fwd(float x) { return x != x ? x : math::relu(x); }
  // PyTorch's threshold_backward selects rather than multiplies: dy passes where y > 0 (and where y
  // is NaN), else 0, even when dy is Inf or NaN.
  __host__ __device__ static float bwd(float dy, float y) { return y <= 0.0f ? 0.0f : dy; }
};
struct GeluOp {
  static constexpr bool kFromOutput = false;
  __host__ __device__ static float fwd(float x) { return math::gelu(x); }
  __host__ __device__ static float bwd(float dy, float x) { return dy * math::gelu_grad(x); }
};
struct GeluTanhOp {
  static constexpr bool kFromOutput = false;
  __host__ __device__ static float fwd(float x) { return math::gelu_tanh(x); }
  __host__ __device__ static float bwd(float dy, float x) { return dy * math::gelu_tanh_grad(x); }
};
struct SoftplusOp {
  static constexpr bool kFromOutput = false;
  __host__ __device__ static float fwd(float x) { return math::softplus(x); }
  __host__ __device__ static float bwd(float dy, float x) { return dy * math::softplus_grad(x); }
};

// Calls fn(OpStruct{}) for `op` (host side): the one place that maps the enum to the structs.
template <typename Fn>
void with_op(Activation op, Fn&& fn) {
  switch (op) {
    case Activation::kSigmoid:
      return fn(SigmoidOp{});
    case Activation::kTanh:
      return fn(TanhOp{});
    case Activation::kRelu:
      return fn(ReluOp{});
    case Activation::kGelu:
      return fn(GeluOp{});
    case Activation::kGeluTanh:
      return fn(GeluTanhOp{});
    case Activation::kSoftplus:
      return fn(SoftplusOp{});
  }
  throw std::invalid_argument("activation: unknown op " + std::to_string(int(op)));
}

}  // namespace tk::cuda::activation_ops

// Pointwise activations (cuda/activations.h): one grid-stride kernel per direction, templated on
// an op struct so each activation compiles to its own straight-line loop (haste's fused
// elementwise kernels do the same with compile-time flags). The math is math/activations.h's.
//
// defines: activation_forward_cuda, activation_backward_cuda, activation_backward_uses_output
#include <stdexcept>

#include "cuda/activations.h"
#include "cuda/common.cuh"
#include "textkernels/math/activations.h"

namespace tk {
namespace {

constexpr int kBlock = 256;

// fwd(x); bwd(dy, s) = dy * op'(s) where s is y when kFromOutput, else x.
struct SigmoidOp {
  static constexpr bool kFromOutput = true;
  __device__ static float fwd(float x) { return math::sigmoid(x); }
  __device__ static float bwd(float dy, float y) { return dy * math::sigmoid_grad_from_y(y); }
};
struct TanhOp {
  static constexpr bool kFromOutput = true;
  __device__ static float fwd(float x) { return math::tanh_fwd(x); }
  __device__ static float bwd(float dy, float y) { return dy * math::tanh_grad_from_y(y); }
};
struct ReluOp {
  static constexpr bool kFromOutput = true;
  // relu(NaN) is NaN in PyTorch; math::relu maps it to 0, so keep NaN here explicitly.
  __device__ static float fwd(float x) { return x != x ? x : math::relu(x); }
  // PyTorch's threshold_backward selects rather than multiplies: dy passes where y > 0 (and where y
  // is NaN), else 0, even when dy is Inf or NaN.
  __device__ static float bwd(float dy, float y) { return y <= 0.0f ? 0.0f : dy; }
};
struct GeluOp {
  static constexpr bool kFromOutput = false;
  __device__ static float fwd(float x) { return math::gelu(x); }
  __device__ static float bwd(float dy, float x) { return dy * math::gelu_grad(x); }
};
struct GeluTanhOp {
  static constexpr bool kFromOutput = false;
  __device__ static float fwd(float x) { return math::gelu_tanh(x); }
  __device__ static float bwd(float dy, float x) { return dy * math::gelu_tanh_grad(x); }
};
struct SoftplusOp {
  static constexpr bool kFromOutput = false;
  __device__ static float fwd(float x) { return math::softplus(x); }
  __device__ static float bwd(float dy, float x) { return dy * math::softplus_grad(x); }
};

// ---- kernels ---------------------------------------------------------------------------------------

template <typename Op>
__global__ void activation_forward_kernel(float* y, const float* x, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    y[i] = Op::fwd(x[i]);
  }
}

template <typename Op>
__global__ void activation_backward_kernel(float* dx, const float* dy, const float* saved, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    dx[i] = Op::bwd(dy[i], saved[i]);
  }
}

// ---- launchers -------------------------------------------------------------------------------------

template <typename Op>
void launch_forward(float* y, const float* x, int64_t n, cudaStream_t stream) {
  activation_forward_kernel<Op><<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(y, x, n);
  cuda_check_launch();
}

template <typename Op>
void launch_backward(float* dx, const float* dy, const float* x, const float* y, int64_t n,
                     cudaStream_t stream) {
  const float* saved = Op::kFromOutput ? y : x;
  if (!saved) {
    throw std::invalid_argument(Op::kFromOutput ? "activation_backward_cuda: this activation needs y"
                                                : "activation_backward_cuda: this activation needs x");
  }
  activation_backward_kernel<Op><<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(dx, dy, saved, n);
  cuda_check_launch();
}

}  // namespace

bool activation_backward_uses_output(Activation op) {
  return op == Activation::kSigmoid || op == Activation::kTanh || op == Activation::kRelu;
}

void activation_forward_cuda(Activation op, float* y, const float* x, int64_t n, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("activation_forward_cuda: n must be >= 0");
  if (n == 0) return;
  switch (op) {
    case Activation::kSigmoid:
      return launch_forward<SigmoidOp>(y, x, n, stream);
    case Activation::kTanh:
      return launch_forward<TanhOp>(y, x, n, stream);
    case Activation::kRelu:
      return launch_forward<ReluOp>(y, x, n, stream);
    case Activation::kGelu:
      return launch_forward<GeluOp>(y, x, n, stream);
    case Activation::kGeluTanh:
      return launch_forward<GeluTanhOp>(y, x, n, stream);
    case Activation::kSoftplus:
      return launch_forward<SoftplusOp>(y, x, n, stream);
  }
  throw std::invalid_argument("activation_forward_cuda: unknown activation");
}

void activation_backward_cuda(Activation op, float* dx, const float* dy, const float* x, const float* y,
                              int64_t n, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("activation_backward_cuda: n must be >= 0");
  if (n == 0) return;
  switch (op) {
    case Activation::kSigmoid:
      return launch_backward<SigmoidOp>(dx, dy, x, y, n, stream);
    case Activation::kTanh:
      return launch_backward<TanhOp>(dx, dy, x, y, n, stream);
    case Activation::kRelu:
      return launch_backward<ReluOp>(dx, dy, x, y, n, stream);
    case Activation::kGelu:
      return launch_backward<GeluOp>(dx, dy, x, y, n, stream);
    case Activation::kGeluTanh:
      return launch_backward<GeluTanhOp>(dx, dy, x, y, n, stream);
    case Activation::kSoftplus:
      return launch_backward<SoftplusOp>(dx, dy, x, y, n, stream);
  }
  throw std::invalid_argument("activation_backward_cuda: unknown activation");
}

}  // namespace tk

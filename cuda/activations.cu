// Pointwise activations (cuda/activations.h): one grid-stride kernel per direction, templated on
// an op struct (cuda/activations.cuh) so each activation compiles to its own straight-line loop
// (haste's fused elementwise kernels do the same with compile-time flags).
//
// defines: activation_forward_cuda, activation_backward_cuda, activation_backward_uses_output
#include <stdexcept>

#include "cuda/activations.cuh"
#include "cuda/activations.h"
#include "cuda/common.cuh"

namespace tk {
namespace {

constexpr int kBlock = 256;

using namespace cuda::activation_ops;

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
  bool uses = false;
  with_op(op, [&](auto o) { uses = decltype(o)::kFromOutput; });
  return uses;
}

void activation_forward_cuda(Activation op, float* y, const float* x, int64_t n, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("activation_forward_cuda: n must be >= 0");
  if (n == 0) return;
  with_op(op, [&](auto o) { launch_forward<decltype(o)>(y, x, n, stream); });
}

void activation_backward_cuda(Activation op, float* dx, const float* dy, const float* x, const float* y,
                              int64_t n, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("activation_backward_cuda: n must be >= 0");
  if (n == 0) return;
  with_op(op, [&](auto o) { launch_backward<decltype(o)>(dx, dy, x, y, n, stream); });
}

}  // namespace tk

// cuda/optim.h: grid-stride loops, one element per thread per step; the scalars travel by value.
//
// defines: adam_update_cuda, sgd_update_cuda
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/optim.h"

namespace tk {
namespace {

constexpr int kBlock = 256;

__global__ void adam_update_kernel(float* param, float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq,
                                   const float* grad, math::AdamScalars s, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    math::adam_update(param + i, grad[i], exp_avg + i, exp_avg_sq + i,
                      s.amsgrad ? max_exp_avg_sq + i : nullptr, s);
  }
}

__global__ void sgd_update_kernel(float* param, float* buf, const float* grad, math::SgdScalars s,
                                  int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    math::sgd_update(param + i, grad[i], s.has_momentum ? buf + i : nullptr, s);
  }
}

}  // namespace

void adam_update_cuda(float* param, float* exp_avg, float* exp_avg_sq, float* max_exp_avg_sq,
                      const float* grad, const math::AdamScalars& s, int64_t n, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("adam_update_cuda: n must be >= 0");
  if (s.amsgrad && max_exp_avg_sq == nullptr && n > 0)
    throw std::invalid_argument("adam_update_cuda: amsgrad needs max_exp_avg_sq");
  if (n == 0) return;
  adam_update_kernel<<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(param, exp_avg, exp_avg_sq,
                                                                       max_exp_avg_sq, grad, s, n);
  cuda_check_launch();
}

void sgd_update_cuda(float* param, float* buf, const float* grad, const math::SgdScalars& s, int64_t n,
                     cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("sgd_update_cuda: n must be >= 0");
  if (s.has_momentum && buf == nullptr && n > 0)
    throw std::invalid_argument("sgd_update_cuda: momentum needs buf");
  if (n == 0) return;
  sgd_update_kernel<<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(param, buf, grad, s, n);
  cuda_check_launch();
}

}  // namespace tk

// cuda/loss.h. Per-sample reductions over the classes (logsumexp, the smoothing sum, the probability
// targets' weighted sums) run one 256-thread block per sample with block_reduce (cuda/reduce.cuh);
// everything per element (gradients, BCE, nll, the pointwise losses) runs one thread per element.
// The 'mean' denominators are reduced per block and added in block order (sum_partials_to_host_cuda),
// so they are deterministic.
//
// defines: cross_entropy_forward_cuda, cross_entropy_backward_cuda, cross_entropy_prob_forward_cuda,
// cross_entropy_prob_backward_cuda, bce_logits_forward_cuda, bce_logits_backward_cuda,
// nll_loss_forward_cuda, nll_loss_backward_cuda, pointwise_loss_forward_cuda,
// pointwise_loss_backward_cuda
#include <cmath>
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/device_memory.h"
#include "cuda/loss.h"
#include "cuda/reduce.cuh"
#include "cuda/reduce.h"
#include "textkernels/math/loss.h"

namespace tk {
namespace {

using cuda::block_reduce;
using cuda::kReduceBlock;

constexpr int kEw = 256;
constexpr int64_t kMaxDenomBlocks = 256;  // blocks of the denominator's sum, at most

#define TK_GRID_STRIDE(i, n)                                                \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); \
       i += int64_t(gridDim.x) * blockDim.x)

unsigned blocks_for(int64_t n) {
  const int64_t cap = 65535LL * 16;
  return unsigned(n < 1 ? 1 : (n > cap ? cap : n));
}

void check_sizes(const char* fn, int64_t N, int64_t C, int64_t S) {
  if (N < 0 || C < 0 || S < 0) throw std::invalid_argument(std::string(fn) + ": negative size");
  if (N * S > 0 && C == 0)
    throw std::invalid_argument(std::string(fn) + ": logits must have at least one class");
}

struct Scratch {
  void* p;
  explicit Scratch(size_t bytes, cudaStream_t s) : p(cuda::allocate(bytes < 8 ? 8 : bytes, s)) {}
  ~Scratch() { cuda::release(p); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(p);
  }
};

__device__ __forceinline__ bool valid_target(int64_t y, int64_t C, int64_t ignore) {
  return y != ignore && y >= 0 && y < C;
}

// The logsumexp over the classes of one sample (x at stride S), by the whole block.
__device__ float block_lse(const float* x, int64_t C, int64_t S, double* sh) {
  double m = -INFINITY;
  for (int64_t c = threadIdx.x; c < C; c += kReduceBlock) m = cuda::MaxNanOp()(m, double(x[c * S]));
  m = block_reduce(m, sh, cuda::MaxNanOp());
  const float mf = float(m);
  double acc = 0;
  for (int64_t c = threadIdx.x; c < C; c += kReduceBlock) acc += double(expf(x[c * S] - mf));
  acc = block_reduce(acc, sh, cuda::SumOp());
  return mf + logf(float(acc));
}

__global__ void ce_forward_kernel(float* loss, float* lse, const float* logits, const int32_t* target,
                                  const float* weight, int64_t samples, int64_t C, int64_t S, int64_t ignore,
                                  float eps) {
  __shared__ double sh[kReduceBlock];
  for (int64_t i = blockIdx.x; i < samples; i += gridDim.x) {
    const int64_t n = i / S, s = i % S;
    const float* x = logits + n * C * S + s;
    const float l = block_lse(x, C, S, sh);
    double smooth = 0;
    if (eps > 0.0f) {
      for (int64_t c = threadIdx.x; c < C; c += kReduceBlock)
        smooth += double((x[c * S] - l) * (weight ? weight[c] : 1.0f));
      smooth = block_reduce(smooth, sh, cuda::SumOp());
    }
    if (threadIdx.x == 0) {
      lse[i] = l;
      const int64_t y = target[i];
      if (!valid_target(y, C, ignore)) {
        loss[i] = 0.0f;
      } else {
        const float wy = weight ? weight[y] : 1.0f;
        const float nll = -(x[y * S] - l) * wy;
        loss[i] = eps > 0.0f ? (1.0f - eps) * nll + float(-smooth) * (eps / float(C)) : nll;
      }
    }
  }
}

// Block b's share of the denominator (sum of weight[target] over the valid targets) to partial[b].
__global__ void denominator_kernel(double* partial, const int32_t* target, const float* weight,
                                   int64_t samples, int64_t C, int64_t ignore) {
  __shared__ double sh[kReduceBlock];
  double acc = 0;
  TK_GRID_STRIDE(i, samples) {
    const int64_t y = target[i];
    if (valid_target(y, C, ignore)) acc += weight ? double(weight[y]) : 1.0;
  }
  acc = block_reduce(acc, sh, cuda::SumOp());
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

double denominator(const int32_t* target, const float* weight, int64_t samples, int64_t C, int64_t ignore,
                   cudaStream_t stream) {
  if (samples == 0) return 0.0;
  // A function of the size only, so the sum's rounding does not depend on the device.
  int64_t blocks = cuda::ceil_div<int64_t>(samples, int64_t(kReduceBlock) * 8);
  if (blocks > kMaxDenomBlocks) blocks = kMaxDenomBlocks;
  Scratch partial(size_t(blocks) * sizeof(double), stream);
  denominator_kernel<<<unsigned(blocks), kReduceBlock, 0, stream>>>(partial.as<double>(), target, weight,
                                                                    samples, C, ignore);
  cuda_check_launch();
  return sum_partials_to_host_cuda(partial.as<double>(), blocks, stream);
}

// The sum of the class weights in float, as the CPU adds them (C when there are none).
__global__ void weight_sum_kernel(float* out, const float* weight, int64_t C) {
  if (blockIdx.x == 0 && threadIdx.x == 0) {
    float s = 0.0f;
    for (int64_t c = 0; c < C; ++c) s += weight[c];
    *out = s;
  }
}

__global__ void ce_backward_kernel(float* dlogits, const float* dloss, const float* logits, const float* lse,
                                   const int32_t* target, const float* weight, const float* wsum_p,
                                   int64_t numel, int64_t C, int64_t S, int64_t ignore, float eps,
                                   int64_t stride, float scale) {
  const float wsum = wsum_p ? *wsum_p : float(C);
  const float eps_c = eps / float(C);
  TK_GRID_STRIDE(k, numel) {
    const int64_t s = k % S, c = (k / S) % C, n = k / S / C;
    const int64_t i = n * S + s;
    const int64_t y = target[i];
    if (!valid_target(y, C, ignore)) {
      dlogits[k] = 0.0f;
      continue;
    }
    const float g = dloss[i * stride] * scale;
    const float wy = (weight ? weight[y] : 1.0f) * (1.0f - eps);
    const float p = expf(logits[k] - lse[i]);
    dlogits[k] = g * math::cross_entropy_grad(p, c == y, wy, eps_c, wsum, weight ? weight[c] : 1.0f);
  }
}

__device__ __forceinline__ float smoothed(float t, float eps, float eps_c) {
  return eps > 0.0f ? t * (1.0f - eps) + eps_c : t;
}

__global__ void ce_prob_forward_kernel(float* loss, float* lse, const float* logits, const float* target,
                                       const float* weight, int64_t samples, int64_t C, int64_t S,
                                       float eps) {
  __shared__ double sh[kReduceBlock];
  const float eps_c = eps / float(C);
  for (int64_t i = blockIdx.x; i < samples; i += gridDim.x) {
    const int64_t n = i / S, s = i % S;
    const float* x = logits + n * C * S + s;
    const float* t = target + n * C * S + s;
    const float l = block_lse(x, C, S, sh);
    double acc = 0;
    for (int64_t c = threadIdx.x; c < C; c += kReduceBlock)
      acc += double((x[c * S] - l) * smoothed(t[c * S], eps, eps_c) * (weight ? weight[c] : 1.0f));
    acc = block_reduce(acc, sh, cuda::SumOp());
    if (threadIdx.x == 0) {
      lse[i] = l;
      loss[i] = float(-acc);
    }
  }
}

__global__ void ce_prob_backward_kernel(float* dlogits, float* dtarget, const float* dloss,
                                        const float* logits, const float* lse, const float* target,
                                        const float* weight, int64_t samples, int64_t C, int64_t S, float eps,
                                        int64_t stride, float scale) {
  __shared__ double sh[kReduceBlock];
  const float eps_c = eps / float(C);
  for (int64_t i = blockIdx.x; i < samples; i += gridDim.x) {
    const int64_t n = i / S, s = i % S;
    const int64_t base = n * C * S + s;
    const float* x = logits + base;
    const float* t = target + base;
    const float g = dloss[i * stride] * scale;
    const float l = lse[i];
    if (dlogits) {
      double wt = 0;
      for (int64_t c = threadIdx.x; c < C; c += kReduceBlock)
        wt += double(smoothed(t[c * S], eps, eps_c) * (weight ? weight[c] : 1.0f));
      const float wt_sum = float(block_reduce(wt, sh, cuda::SumOp()));
      for (int64_t c = threadIdx.x; c < C; c += kReduceBlock) {
        const float tc = smoothed(t[c * S], eps, eps_c);
        const float p = expf(x[c * S] - l);
        dlogits[base + c * S] = g * (p * wt_sum - tc * (weight ? weight[c] : 1.0f));
      }
    }
    if (dtarget) {
      for (int64_t c = threadIdx.x; c < C; c += kReduceBlock)
        dtarget[base + c * S] = -g * (x[c * S] - l) * (weight ? weight[c] : 1.0f) * (1.0f - eps);
    }
  }
}

__global__ void bce_forward_kernel(float* loss, const float* x, const float* t, const float* w,
                                   const float* pw, int64_t n) {
  TK_GRID_STRIDE(i, n) {
    const float l = math::bce_logits(x[i], t[i], pw ? pw[i] : 1.0f);
    loss[i] = w ? l * w[i] : l;
  }
}

__global__ void bce_backward_kernel(float* dx, float* dt, const float* dloss, const float* x, const float* t,
                                    const float* w, const float* pw, int64_t n, int64_t stride, float scale) {
  TK_GRID_STRIDE(i, n) {
    float g = dloss[i * stride] * scale;
    if (w) g *= w[i];
    const float p = pw ? pw[i] : 1.0f;
    if (dx) dx[i] = g * math::bce_logits_grad_input(x[i], t[i], p);
    if (dt) dt[i] = g * math::bce_logits_grad_target(x[i], t[i], p);
  }
}

__global__ void nll_forward_kernel(float* loss, const float* x, const int32_t* target, const float* weight,
                                   int64_t samples, int64_t C, int64_t S, int64_t ignore) {
  TK_GRID_STRIDE(i, samples) {
    const int64_t n = i / S, s = i % S, y = target[i];
    if (!valid_target(y, C, ignore)) {
      loss[i] = 0.0f;
      continue;
    }
    const double w = weight ? double(weight[y]) : 1.0;
    loss[i] = float(-double(x[(n * C + y) * S + s]) * w);
  }
}

__global__ void nll_backward_kernel(float* dx, const float* dloss, const int32_t* target, const float* weight,
                                    int64_t numel, int64_t C, int64_t S, int64_t ignore, int64_t stride,
                                    double scale) {
  TK_GRID_STRIDE(k, numel) {
    const int64_t s = k % S, c = (k / S) % C, n = k / S / C;
    const int64_t i = n * S + s, y = target[i];
    if (!valid_target(y, C, ignore) || c != y) {
      dx[k] = 0.0f;
      continue;
    }
    const double w = weight ? double(weight[y]) : 1.0;
    dx[k] = float(-w * double(dloss[i * stride]) * scale);
  }
}

__global__ void pointwise_forward_kernel(int32_t kind, float* loss, const float* x, const float* t, int64_t n,
                                         double beta) {
  TK_GRID_STRIDE(i, n) loss[i] = math::pointwise_loss(kind, x[i], t[i], beta);
}

__global__ void pointwise_backward_kernel(int32_t kind, float* dx, float* dt, const float* dloss,
                                          const float* x, const float* t, int64_t n, double beta,
                                          int64_t stride, double scale) {
  TK_GRID_STRIDE(i, n) {
    const double g = double(dloss[i * stride]) * scale;
    double a, c;
    math::pointwise_loss_grad(kind, x[i], t[i], beta, &a, &c);
    if (dx) dx[i] = float(g * a);
    if (dt) dt[i] = float(g * c);
  }
}

}  // namespace

double cross_entropy_forward_cuda(float* loss, float* lse, const float* logits, const int32_t* target,
                                  const float* weight, int64_t N, int64_t C, int64_t S, int64_t ignore_index,
                                  float label_smoothing, cudaStream_t stream) {
  check_sizes("cross_entropy_forward_cuda", N, C, S);
  const int64_t samples = N * S;
  if (samples == 0) return 0.0;
  ce_forward_kernel<<<blocks_for(samples), kReduceBlock, 0, stream>>>(
      loss, lse, logits, target, weight, samples, C, S, ignore_index, label_smoothing);
  cuda_check_launch();
  return denominator(target, weight, samples, C, ignore_index, stream);
}

void cross_entropy_backward_cuda(float* dlogits, const float* dloss, const float* logits, const float* lse,
                                 const int32_t* target, const float* weight, int64_t N, int64_t C, int64_t S,
                                 int64_t ignore_index, float label_smoothing, int64_t dloss_stride,
                                 float scale, cudaStream_t stream) {
  check_sizes("cross_entropy_backward_cuda", N, C, S);
  const int64_t numel = N * C * S;
  if (numel == 0) return;
  Scratch wsum(sizeof(float), stream);
  if (weight) {
    weight_sum_kernel<<<1, 1, 0, stream>>>(wsum.as<float>(), weight, C);
    cuda_check_launch();
  }
  ce_backward_kernel<<<cuda::grid_for(numel, kEw), kEw, 0, stream>>>(
      dlogits, dloss, logits, lse, target, weight, weight ? wsum.as<float>() : nullptr, numel, C, S,
      ignore_index, label_smoothing, dloss_stride, scale);
  cuda_check_launch();
}

void cross_entropy_prob_forward_cuda(float* loss, float* lse, const float* logits, const float* target,
                                     const float* weight, int64_t N, int64_t C, int64_t S,
                                     float label_smoothing, cudaStream_t stream) {
  check_sizes("cross_entropy_prob_forward_cuda", N, C, S);
  const int64_t samples = N * S;
  if (samples == 0) return;
  ce_prob_forward_kernel<<<blocks_for(samples), kReduceBlock, 0, stream>>>(loss, lse, logits, target, weight,
                                                                           samples, C, S, label_smoothing);
  cuda_check_launch();
}

void cross_entropy_prob_backward_cuda(float* dlogits, float* dtarget, const float* dloss, const float* logits,
                                      const float* lse, const float* target, const float* weight, int64_t N,
                                      int64_t C, int64_t S, float label_smoothing, int64_t dloss_stride,
                                      float scale, cudaStream_t stream) {
  check_sizes("cross_entropy_prob_backward_cuda", N, C, S);
  const int64_t samples = N * S;
  if (samples == 0 || (!dlogits && !dtarget)) return;
  ce_prob_backward_kernel<<<blocks_for(samples), kReduceBlock, 0, stream>>>(
      dlogits, dtarget, dloss, logits, lse, target, weight, samples, C, S, label_smoothing, dloss_stride,
      scale);
  cuda_check_launch();
}

void bce_logits_forward_cuda(float* loss, const float* x, const float* t, const float* weight,
                             const float* pos_weight, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  bce_forward_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(loss, x, t, weight, pos_weight, n);
  cuda_check_launch();
}

void bce_logits_backward_cuda(float* dx, float* dt, const float* dloss, const float* x, const float* t,
                              const float* weight, const float* pos_weight, int64_t n, int64_t dloss_stride,
                              float scale, cudaStream_t stream) {
  if (n <= 0 || (!dx && !dt)) return;
  bce_backward_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(dx, dt, dloss, x, t, weight, pos_weight, n,
                                                                  dloss_stride, scale);
  cuda_check_launch();
}

double nll_loss_forward_cuda(float* loss, const float* log_probs, const int32_t* target, const float* weight,
                             int64_t N, int64_t C, int64_t S, int64_t ignore_index, cudaStream_t stream) {
  if (N < 0 || C < 0 || S < 0) throw std::invalid_argument("nll_loss_forward_cuda: negative size");
  const int64_t samples = N * S;
  if (samples == 0) return 0.0;
  nll_forward_kernel<<<cuda::grid_for(samples, kEw), kEw, 0, stream>>>(loss, log_probs, target, weight,
                                                                       samples, C, S, ignore_index);
  cuda_check_launch();
  return denominator(target, weight, samples, C, ignore_index, stream);
}

void nll_loss_backward_cuda(float* dx, const float* dloss, const int32_t* target, const float* weight,
                            int64_t N, int64_t C, int64_t S, int64_t ignore_index, int64_t dloss_stride,
                            double scale, cudaStream_t stream) {
  if (N < 0 || C < 0 || S < 0) throw std::invalid_argument("nll_loss_backward_cuda: negative size");
  const int64_t numel = N * C * S;
  if (numel == 0) return;
  nll_backward_kernel<<<cuda::grid_for(numel, kEw), kEw, 0, stream>>>(dx, dloss, target, weight, numel, C, S,
                                                                      ignore_index, dloss_stride, scale);
  cuda_check_launch();
}

void pointwise_loss_forward_cuda(int32_t kind, float* loss, const float* x, const float* t, int64_t n,
                                 double beta, cudaStream_t stream) {
  if (n <= 0) return;
  pointwise_forward_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(kind, loss, x, t, n, beta);
  cuda_check_launch();
}

void pointwise_loss_backward_cuda(int32_t kind, float* dx, float* dt, const float* dloss, const float* x,
                                  const float* t, int64_t n, double beta, int64_t dloss_stride, double scale,
                                  cudaStream_t stream) {
  if (n <= 0 || (!dx && !dt)) return;
  pointwise_backward_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(kind, dx, dt, dloss, x, t, n, beta,
                                                                        dloss_stride, scale);
  cuda_check_launch();
}

}  // namespace tk

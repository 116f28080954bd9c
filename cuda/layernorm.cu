// Layer-norm kernels.
// - Forward and the backward's dx: one 256-thread block per row (grid-stride over rows). Each thread
//   sums a strided share of the row in double; a shared-memory tree reduction in double gives the
//   row's sums. The statistics follow the CPU kernel (two passes: mean, then the biased variance of
//   float(x - mean) in double; rstd = 1 / sqrt(max(var, 0) + eps) in double), so mean and rstd match
//   it bit for bit except where a double sum in another order rounds to a different float.
// - dweight and dbias: one thread per column summing the rows in order in double, exactly as the CPU
//   kernel does (deterministic, bit for bit; coalesced across the threads of a block).
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/layernorm.h"

namespace tk {
namespace {

constexpr int kRowThreads = 256;  // a power of two: the tree reduction halves it
constexpr int kColBlock = 128;

// Sum over the block of v (in red[0, kRowThreads)); every thread gets the result; `red` is free
// again when it returns.
__device__ double block_sum(double* red, double v) {
  const int t = threadIdx.x;
  red[t] = v;
  __syncthreads();
  for (int s = kRowThreads / 2; s > 0; s >>= 1) {
    if (t < s) red[t] += red[t + s];
    __syncthreads();
  }
  const double r = red[0];
  __syncthreads();
  return r;
}

__global__ void __launch_bounds__(kRowThreads)
    layernorm_forward_kernel(float* y, float* mean, float* rstd, const float* x, const float* w,
                             const float* b, int64_t M, int64_t N, float eps) {
  __shared__ double red[kRowThreads];
  for (int64_t r = blockIdx.x; r < M; r += gridDim.x) {
    const float* xr = x + r * N;
    float* yr = y + r * N;
    double s = 0;
    for (int64_t j = threadIdx.x; j < N; j += kRowThreads) s += xr[j];
    s = block_sum(red, s);
    const double mu = N ? s / double(N) : NAN;
    const float muf = float(mu);
    double v = 0;
    for (int64_t j = threadIdx.x; j < N; j += kRowThreads) {
      const float d = xr[j] - muf;
      v += double(d) * d;
    }
    v = block_sum(red, v);
    const double var = N ? v / double(N) : NAN;
    const float rs = float(1.0 / sqrt((var < 0.0 ? 0.0 : var) + double(eps)));
    if (threadIdx.x == 0) {
      mean[r] = muf;
      rstd[r] = rs;
    }
    const float scale = rs, shift = -rs * muf;
    for (int64_t j = threadIdx.x; j < N; j += kRowThreads) {
      float o = xr[j] * scale + shift;
      if (w) o = o * w[j];
      if (b) o = o + b[j];
      yr[j] = o;
    }
  }
}

__global__ void __launch_bounds__(kRowThreads)
    layernorm_backward_dx_kernel(float* dx, const float* dy, const float* x, const float* mean,
                                 const float* rstd, const float* w, int64_t M, int64_t N) {
  __shared__ double red[kRowThreads];
  for (int64_t r = blockIdx.x; r < M; r += gridDim.x) {
    const float* g = dy + r * N;
    const float* xr = x + r * N;
    float* out = dx + r * N;
    // PyTorch's formula (layer_norm_backward_cpu): dx = a*dy*w + b*x + c.
    double ds = 0, dbias = 0;
    for (int64_t j = threadIdx.x; j < N; j += kRowThreads) {
      const float gw = w ? g[j] * w[j] : g[j];
      ds += double(gw) * xr[j];
      dbias += gw;
    }
    ds = block_sum(red, ds);
    dbias = block_sum(red, dbias);
    const double m = mean[r], a = rstd[r];
    const double bcoef = (dbias * m - ds) * a * a * a / double(N);
    const double c = -bcoef * m - dbias * a / double(N);
    const float af = float(a), bf = float(bcoef), cf = float(c);
    for (int64_t j = threadIdx.x; j < N; j += kRowThreads)
      out[j] = af * (w ? g[j] * w[j] : g[j]) + bf * xr[j] + cf;
  }
}

__global__ void layernorm_backward_dwdb_kernel(float* dw, float* db, const float* dy, const float* x,
                                               const float* mean, const float* rstd, int64_t M, int64_t N) {
  for (int64_t j = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; j < N;
       j += int64_t(gridDim.x) * blockDim.x) {
    double accw = 0, accb = 0;
    for (int64_t r = 0; r < M; ++r) {
      const float g = dy[r * N + j];
      const double m = mean[r], a = rstd[r];
      accw += double(g) * (x[r * N + j] - m) * a;
      accb += g;
    }
    if (dw) dw[j] = float(accw);
    if (db) db[j] = float(accb);
  }
}

unsigned row_grid(int64_t rows) {
  const int64_t kMax = 65535LL * 16;
  return unsigned(rows < kMax ? rows : kMax);
}

}  // namespace

void layernorm_forward_cuda(float* y, float* mean, float* rstd, const float* x, const float* w,
                            const float* b, int64_t M, int64_t N, float eps, cudaStream_t stream) {
  if (M < 0 || N < 0) throw std::invalid_argument("layernorm_forward_cuda: M and N must be >= 0");
  if (M == 0) return;
  layernorm_forward_kernel<<<row_grid(M), kRowThreads, 0, stream>>>(y, mean, rstd, x, w, b, M, N, eps);
  cuda_check_launch();
}

void layernorm_backward_cuda(float* dx, float* dw, float* db, const float* dy, const float* x,
                             const float* mean, const float* rstd, const float* w, int64_t M, int64_t N,
                             cudaStream_t stream) {
  if (M < 0 || N < 0) throw std::invalid_argument("layernorm_backward_cuda: M and N must be >= 0");
  if (dx && M > 0 && N > 0) {
    layernorm_backward_dx_kernel<<<row_grid(M), kRowThreads, 0, stream>>>(dx, dy, x, mean, rstd, w, M, N);
    cuda_check_launch();
  }
  if ((dw || db) && N > 0) {
    layernorm_backward_dwdb_kernel<<<cuda::grid_for(N, kColBlock), kColBlock, 0, stream>>>(dw, db, dy, x,
                                                                                           mean, rstd, M, N);
    cuda_check_launch();
  }
}

}  // namespace tk

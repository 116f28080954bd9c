// Softmax kernels. Two layouts:
// - inner == 1 (contiguous rows, the common case): one 256-thread block per row (grid-stride over
//   rows); each thread folds a strided share of the row, then a shared-memory tree reduction gives
//   the row's max (NaN-propagating), then its sum of exp(x - max); then every thread writes its
//   share. The sums are in a different order from the CPU's, so results agree to rounding.
// - inner > 1: one thread per (outer, inner) column, walking `dim` in order exactly as the CPU's
//   column path does (adjacent threads read adjacent columns: coalesced), so the only differences
//   from the CPU are those of the device's expf/logf.
// The backward passes have the same two shapes, reducing sum(dy * y) (softmax) or sum(dy)
// (log-softmax). dx may alias dy: each row (column) is fully read before any of it is written.
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/softmax.h"
#include "textkernels/math/softmax.h"

namespace tk {
namespace {

constexpr int kRowThreads = 256;  // a power of two: the tree reduction halves it
constexpr int kColBlock = 256;

// Tree reduction over the block's values in red[0, kRowThreads); every thread gets the result.
// The trailing barrier lets the caller reuse `red` at once.
template <typename T, typename Op>
__device__ T block_reduce(T* red, T v, Op op) {
  const int t = threadIdx.x;
  red[t] = v;
  __syncthreads();
  for (int s = kRowThreads / 2; s > 0; s >>= 1) {
    if (t < s) red[t] = op(red[t], red[t + s]);
    __syncthreads();
  }
  T r = red[0];
  __syncthreads();
  return r;
}

struct MaxOp {
  __device__ float operator()(float a, float b) const { return math::softmax_max_step(a, b); }
};
struct SumOp {
  __device__ float operator()(float a, float b) const { return a + b; }
};

template <bool kLog>
__global__ void __launch_bounds__(kRowThreads)
    softmax_rows_forward(float* y, const float* x, int64_t rows, int64_t n) {
  __shared__ float red[kRowThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * n;
    float* yr = y + r * n;
    float m = -INFINITY;
    for (int64_t i = threadIdx.x; i < n; i += kRowThreads) m = math::softmax_max_step(m, xr[i]);
    m = block_reduce(red, m, MaxOp());
    float s = 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += kRowThreads) s += expf(xr[i] - m);
    s = block_reduce(red, s, SumOp());
    if (kLog) {
      const float lse = logf(s);
      for (int64_t i = threadIdx.x; i < n; i += kRowThreads) yr[i] = xr[i] - m - lse;
    } else {
      const float inv = 1.0f / s;
      for (int64_t i = threadIdx.x; i < n; i += kRowThreads) yr[i] = expf(xr[i] - m) * inv;
    }
  }
}

template <bool kLog>
__global__ void softmax_cols_forward(float* y, const float* x, int64_t outer, int64_t dim, int64_t inner) {
  const int64_t cols = outer * inner;
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < cols;
       c += int64_t(gridDim.x) * blockDim.x) {
    const int64_t base = (c / inner) * dim * inner + c % inner;
    const float* xc = x + base;
    float* yc = y + base;
    float m = -INFINITY;
    for (int64_t d = 0; d < dim; ++d) m = math::softmax_max_step(m, xc[d * inner]);
    float s = 0.0f;
    for (int64_t d = 0; d < dim; ++d) {
      const float e = expf(xc[d * inner] - m);
      if (!kLog) yc[d * inner] = e;
      s += e;
    }
    if (kLog) {
      const float lse = logf(s);
      for (int64_t d = 0; d < dim; ++d) yc[d * inner] = xc[d * inner] - m - lse;
    } else {
      const float inv = 1.0f / s;
      for (int64_t d = 0; d < dim; ++d) yc[d * inner] *= inv;
    }
  }
}

template <bool kLog>
__global__ void __launch_bounds__(kRowThreads)
    softmax_rows_backward(float* dx, const float* dy, const float* y, int64_t rows, int64_t n) {
  __shared__ float red[kRowThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* g = dy + r * n;
    const float* yr = y + r * n;
    float* out = dx + r * n;
    float part = 0.0f;
    for (int64_t i = threadIdx.x; i < n; i += kRowThreads) part += kLog ? g[i] : g[i] * yr[i];
    // The barriers inside also order every read of g above before any write of out below (dx may be dy).
    const float s = block_reduce(red, part, SumOp());
    for (int64_t i = threadIdx.x; i < n; i += kRowThreads)
      out[i] = kLog ? math::log_softmax_grad(yr[i], g[i], s) : math::softmax_grad(yr[i], g[i], s);
  }
}

template <bool kLog>
__global__ void softmax_cols_backward(float* dx, const float* dy, const float* y, int64_t outer, int64_t dim,
                                      int64_t inner) {
  const int64_t cols = outer * inner;
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < cols;
       c += int64_t(gridDim.x) * blockDim.x) {
    const int64_t base = (c / inner) * dim * inner + c % inner;
    float s = 0.0f;
    for (int64_t d = 0; d < dim; ++d) {
      const int64_t k = base + d * inner;
      s += kLog ? dy[k] : dy[k] * y[k];
    }
    for (int64_t d = 0; d < dim; ++d) {
      const int64_t k = base + d * inner;
      dx[k] = kLog ? math::log_softmax_grad(y[k], dy[k], s) : math::softmax_grad(y[k], dy[k], s);
    }
  }
}

void check_sizes(const char* fn, int64_t outer, int64_t dim, int64_t inner) {
  if (outer < 0 || dim < 0 || inner < 0)
    throw std::invalid_argument(std::string(fn) + ": sizes must be >= 0");
}

unsigned row_grid(int64_t rows) {
  const int64_t kMax = 65535LL * 16;
  return unsigned(rows < kMax ? rows : kMax);
}

}  // namespace

void softmax_forward_cuda(float* y, const float* x, int64_t outer, int64_t dim, int64_t inner, bool log,
                          cudaStream_t stream) {
  check_sizes("softmax_forward_cuda", outer, dim, inner);
  if (outer == 0 || dim == 0 || inner == 0) return;
  if (inner == 1) {
    if (log)
      softmax_rows_forward<true><<<row_grid(outer), kRowThreads, 0, stream>>>(y, x, outer, dim);
    else
      softmax_rows_forward<false><<<row_grid(outer), kRowThreads, 0, stream>>>(y, x, outer, dim);
  } else {
    const unsigned grid = cuda::grid_for(outer * inner, kColBlock);
    if (log)
      softmax_cols_forward<true><<<grid, kColBlock, 0, stream>>>(y, x, outer, dim, inner);
    else
      softmax_cols_forward<false><<<grid, kColBlock, 0, stream>>>(y, x, outer, dim, inner);
  }
  cuda_check_launch();
}

void softmax_backward_cuda(float* dx, const float* dy, const float* y, int64_t outer, int64_t dim,
                           int64_t inner, bool log, cudaStream_t stream) {
  check_sizes("softmax_backward_cuda", outer, dim, inner);
  if (outer == 0 || dim == 0 || inner == 0) return;
  if (inner == 1) {
    if (log)
      softmax_rows_backward<true><<<row_grid(outer), kRowThreads, 0, stream>>>(dx, dy, y, outer, dim);
    else
      softmax_rows_backward<false><<<row_grid(outer), kRowThreads, 0, stream>>>(dx, dy, y, outer, dim);
  } else {
    const unsigned grid = cuda::grid_for(outer * inner, kColBlock);
    if (log)
      softmax_cols_backward<true><<<grid, kColBlock, 0, stream>>>(dx, dy, y, outer, dim, inner);
    else
      softmax_cols_backward<false><<<grid, kColBlock, 0, stream>>>(dx, dy, y, outer, dim, inner);
  }
  cuda_check_launch();
}

}  // namespace tk

// Index kernels. Forward passes: one thread per output element. Backward passes, without atomics:
// - index_select: one thread per (range of dx rows, outer slice, inner column), walking the ids in
//   order and adding dy's row j into dx's row index[j] when that row is in its range (the threads own
//   disjoint elements of dx, and repeated ids accumulate in the CPU's order, so the result is the
//   CPU's bit for bit). The row ranges (up to 64) raise the parallelism beyond outer * inner (the
//   embedding dimension, for an embedding), at the price of reading the ids once per range.
// - gather: one thread per line of the index along `dim` (distinct lines of the index address
//   distinct lines of x, because index_shape[d] <= x_shape[d] off `dim`), walking the line in order.
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/indexing.h"

namespace tk {
namespace {

constexpr int kBlock = 256;
constexpr int kMaxRank = 16;
constexpr int64_t kScatterThreads = 65536;

#define TK_GRID_STRIDE(i, n)                                                \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); \
       i += int64_t(gridDim.x) * blockDim.x)

__global__ void index_select_forward_kernel(uint32_t* out, const uint32_t* x, const int32_t* index,
                                            int64_t n_src, int64_t n_idx, int64_t inner, int64_t total) {
  TK_GRID_STRIDE(k, total) {
    const int64_t c = k % inner, row = k / inner;
    const int64_t j = row % n_idx, o = row / n_idx;
    out[k] = x[(o * n_src + index[j]) * inner + c];
  }
}

__global__ void fill_zero_kernel(float* p, int64_t n) { TK_GRID_STRIDE(i, n) p[i] = 0.0f; }

// Thread t owns column c of rows [r0, r0 + rows_per) of dx's outer slice o: it walks every id in
// order and adds the rows whose id falls in its range (the id is the same for a whole warp: a
// broadcast read). More ranges, more threads, each reading the ids once more.
__global__ void index_select_backward_kernel(float* dx, const float* dy, const int32_t* index, int64_t outer,
                                             int64_t n_src, int64_t n_idx, int64_t inner, int64_t skip,
                                             int64_t ranges, int64_t rows_per) {
  TK_GRID_STRIDE(t, ranges * outer * inner) {
    const int64_t c = t % inner, o = (t / inner) % outer, range = t / (inner * outer);
    const int64_t r0 = range * rows_per, r1 = r0 + rows_per < n_src ? r0 + rows_per : n_src;
    for (int64_t j = 0; j < n_idx; ++j) {
      const int64_t id = index[j];
      if (id < r0 || id >= r1 || id == skip) continue;
      dx[(o * n_src + id) * inner + c] += dy[(o * n_idx + j) * inner + c];
    }
  }
}

// Index and x strides, and the index's shape, by value.
struct GatherPlan {
  int rank, dim;
  int64_t ishape[kMaxRank];
  int64_t xs[kMaxRank];
  int64_t is[kMaxRank];
};

__global__ void gather_forward_kernel(uint32_t* out, const uint32_t* x, const int32_t* index, GatherPlan p,
                                      int64_t total) {
  TK_GRID_STRIDE(k, total) {
    int64_t t = k, xoff = 0;
    for (int d = p.rank - 1; d >= 0; --d) {
      const int64_t c = t % p.ishape[d];
      t /= p.ishape[d];
      xoff += (d == p.dim ? int64_t(index[k]) : c) * p.xs[d];
    }
    out[k] = x[xoff];
  }
}

__global__ void gather_backward_kernel(float* dx, const float* dy, const int32_t* index, GatherPlan p,
                                       int64_t lines) {
  TK_GRID_STRIDE(l, lines) {
    int64_t rem = l, xb = 0, ib = 0;
    for (int d = p.rank - 1; d >= 0; --d) {
      if (d == p.dim) continue;
      const int64_t c = rem % p.ishape[d];
      rem /= p.ishape[d];
      xb += c * p.xs[d];
      ib += c * p.is[d];
    }
    const int64_t n = p.ishape[p.dim], xstep = p.xs[p.dim], istep = p.is[p.dim];
    for (int64_t j = 0; j < n; ++j) dx[xb + int64_t(index[ib + j * istep]) * xstep] += dy[ib + j * istep];
  }
}

__global__ void copy_one_kernel(float* dst, const float* src) { *dst = *src; }

__global__ void mul_mask_kernel(float* out, const float* x, const float* mask, int64_t n) {
  TK_GRID_STRIDE(i, n) out[i] = x[i] * mask[i];
}

void zero(float* p, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  fill_zero_kernel<<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(p, n);
  cuda_check_launch();
}

GatherPlan make_gather_plan(const char* fn, const int64_t* x_shape, const int64_t* index_shape, int64_t rank,
                            int64_t dim) {
  if (rank < 1 || rank > kMaxRank || dim < 0 || dim >= rank)
    throw std::invalid_argument(std::string(fn) + ": rank must be in [1, 16] and dim in [0, rank)");
  GatherPlan p{};
  p.rank = int(rank);
  p.dim = int(dim);
  int64_t xs = 1, is = 1;
  for (int d = p.rank - 1; d >= 0; --d) {
    p.ishape[d] = index_shape[d];
    p.xs[d] = xs;
    p.is[d] = is;
    xs *= x_shape[d];
    is *= index_shape[d];
  }
  return p;
}

}  // namespace

void index_select_forward_cuda(uint32_t* out, const uint32_t* x, const int32_t* index, int64_t outer,
                               int64_t n_src, int64_t n_idx, int64_t inner, cudaStream_t stream) {
  if (outer < 0 || n_src < 0 || n_idx < 0 || inner < 0)
    throw std::invalid_argument("index_select_forward_cuda: sizes must be >= 0");
  const int64_t total = outer * n_idx * inner;
  if (total == 0) return;
  index_select_forward_kernel<<<cuda::grid_for(total, kBlock), kBlock, 0, stream>>>(out, x, index, n_src,
                                                                                    n_idx, inner, total);
  cuda_check_launch();
}

void index_select_backward_cuda(float* dx, const float* dy, const int32_t* index, int64_t outer,
                                int64_t n_src, int64_t n_idx, int64_t inner, int64_t skip,
                                cudaStream_t stream) {
  if (outer < 0 || n_src < 0 || n_idx < 0 || inner < 0)
    throw std::invalid_argument("index_select_backward_cuda: sizes must be >= 0");
  zero(dx, outer * n_src * inner, stream);
  if (outer == 0 || n_idx == 0 || inner == 0) return;
  // Enough row ranges for about kScatterThreads threads (at most one row each, at most 64 ranges).
  const int64_t cols = outer * inner;
  int64_t ranges = cuda::ceil_div<int64_t>(kScatterThreads, cols);
  if (ranges > 64) ranges = 64;
  if (ranges > n_src) ranges = n_src;
  if (ranges < 1) ranges = 1;
  const int64_t rows_per = cuda::ceil_div<int64_t>(n_src, ranges);
  ranges = cuda::ceil_div<int64_t>(n_src, rows_per);
  index_select_backward_kernel<<<cuda::grid_for(ranges * cols, kBlock), kBlock, 0, stream>>>(
      dx, dy, index, outer, n_src, n_idx, inner, skip, ranges, rows_per);
  cuda_check_launch();
}

void gather_forward_cuda(uint32_t* out, const uint32_t* x, const int32_t* index, const int64_t* x_shape,
                         const int64_t* index_shape, int64_t rank, int64_t dim, cudaStream_t stream) {
  if (rank == 0) {
    // A 0-d gather copies the one element (its index was checked to be 0).
    cudaCheck(cudaMemcpyAsync(out, x, sizeof(uint32_t), cudaMemcpyDeviceToDevice, stream));
    return;
  }
  GatherPlan p = make_gather_plan("gather_forward_cuda", x_shape, index_shape, rank, dim);
  int64_t total = 1;
  for (int d = 0; d < p.rank; ++d) total *= index_shape[d];
  if (total == 0) return;
  gather_forward_kernel<<<cuda::grid_for(total, kBlock), kBlock, 0, stream>>>(out, x, index, p, total);
  cuda_check_launch();
}

void gather_backward_cuda(float* dx, const float* dy, const int32_t* index, const int64_t* x_shape,
                          const int64_t* index_shape, int64_t rank, int64_t dim, cudaStream_t stream) {
  if (rank == 0) {
    copy_one_kernel<<<1, 1, 0, stream>>>(dx, dy);
    cuda_check_launch();
    return;
  }
  GatherPlan p = make_gather_plan("gather_backward_cuda", x_shape, index_shape, rank, dim);
  int64_t nx = 1, lines = 1;
  for (int d = 0; d < p.rank; ++d) {
    nx *= x_shape[d];
    if (d != p.dim) lines *= index_shape[d];
  }
  zero(dx, nx, stream);
  if (lines == 0 || index_shape[dim] == 0) return;
  gather_backward_kernel<<<cuda::grid_for(lines, kBlock), kBlock, 0, stream>>>(dx, dy, index, p, lines);
  cuda_check_launch();
}

void mul_mask_cuda(float* out, const float* x, const float* mask, int64_t n, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("mul_mask_cuda: n must be >= 0");
  if (n == 0) return;
  mul_mask_kernel<<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(out, x, mask, n);
  cuda_check_launch();
}

}  // namespace tk

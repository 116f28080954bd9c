// Broadcasting pointwise kernels (cuda/elementwise.h): grid-stride loops over the output, one
// element per iteration, templated on the op (cuda/elementwise.cuh) so each op compiles to its own
// loop; operands are read through the merged broadcast plan. sum_to_shape reduces a broadcast
// gradient: one thread per output element for short reductions, one block per output element (a
// shared-memory tree in double) for long ones.
//
// defines: binary_forward_cuda, binary_backward_cuda, compare_cuda, where_cuda, unary_forward_cuda,
// unary_backward_cuda, int32_to_float32_cuda, sum_to_shape_cuda
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/elementwise.cuh"
#include "cuda/elementwise.h"

namespace tk {
namespace {

using namespace cuda::elementwise;

constexpr int kBlock = 256;
// sum_to_shape runs one block per output element from this many reduced elements on.
constexpr int64_t kBlockReduceFrom = 256;

// ---- kernels ---------------------------------------------------------------------------------------

template <typename T, typename O, typename Op>
__global__ void binary_kernel(O* out, const T* a, const T* b, Plan<2> p, Op op) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.numel;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    plan_offsets(p, i, off);
    out[i] = op(a[off[0]], b[off[1]]);
  }
}

// Operands a, b, then g and out (contiguous over the output).
template <typename Grad>
__global__ void binary_backward_kernel(float* da, float* db, const float* g, const float* a, const float* b,
                                       const float* out, Plan<2> p, Grad grad) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.numel;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    plan_offsets(p, i, off);
    float ga, gb;
    grad(g[i], a[off[0]], b[off[1]], out[i], ga, gb);
    if (da) da[i] = ga;
    if (db) db[i] = gb;
  }
}

__global__ void where_kernel(uint32_t* out, const int32_t* cond, const uint32_t* a, const uint32_t* b,
                             Plan<3> p) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.numel;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[3];
    plan_offsets(p, i, off);
    out[i] = cond[off[0]] ? a[off[1]] : b[off[2]];
  }
}

template <int OP>
__global__ void unary_forward_kernel(float* out, const float* x, int64_t n, float p0, float p1) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    out[i] = unary_fwd<OP>(x[i], p0, p1);
  }
}

template <int OP>
__global__ void unary_backward_kernel(float* dx, const float* g, const float* x, const float* y, int64_t n,
                                      float p0, float p1) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    dx[i] = unary_bwd<OP>(g[i], x ? x[i] : 0.0f, y ? y[i] : 0.0f, p0, p1);
  }
}

__global__ void int32_to_float32_kernel(float* out, const int32_t* x, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    out[i] = float(x[i]);
  }
}

// One thread per output element, summing its reduced elements in index order.
__global__ void sum_to_shape_thread_kernel(float* out, const float* g, ReducePlan p) {
  for (int64_t o = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; o < p.n_out;
       o += int64_t(gridDim.x) * blockDim.x) {
    const float* base = g + dims_offset(p.kept_rank, p.kept_shape, p.kept_stride, o);
    double acc = 0.0;
    for (int64_t r = 0; r < p.n_red; ++r)
      acc += double(base[dims_offset(p.red_rank, p.red_shape, p.red_stride, r)]);
    out[o] = float(acc);
  }
}

// One block per output element: thread t sums reduced elements t, t + kBlock, ..., then a tree in
// shared memory adds the partial sums (a fixed order: the result does not depend on scheduling).
__global__ void sum_to_shape_block_kernel(float* out, const float* g, ReducePlan p) {
  __shared__ double partial[kBlock];
  const int t = threadIdx.x;
  for (int64_t o = blockIdx.x; o < p.n_out; o += gridDim.x) {
    const float* base = g + dims_offset(p.kept_rank, p.kept_shape, p.kept_stride, o);
    double acc = 0.0;
    for (int64_t r = t; r < p.n_red; r += kBlock)
      acc += double(base[dims_offset(p.red_rank, p.red_shape, p.red_stride, r)]);
    partial[t] = acc;
    __syncthreads();
    for (int s = kBlock / 2; s > 0; s >>= 1) {
      if (t < s) partial[t] += partial[t + s];
      __syncthreads();
    }
    if (t == 0) out[o] = float(partial[0]);
    __syncthreads();  // partial is rewritten for the next output element
  }
}

// ---- launchers -------------------------------------------------------------------------------------

template <typename T, typename O, typename Op>
void launch_binary(O* out, const T* a, const T* b, const Plan<2>& p, Op op, cudaStream_t stream) {
  binary_kernel<T, O, Op><<<cuda::grid_for(p.numel, kBlock), kBlock, 0, stream>>>(out, a, b, p, op);
  cuda_check_launch();
}

template <typename Grad>
void launch_binary_backward(float* da, float* db, const float* g, const float* a, const float* b,
                            const float* out, const Plan<2>& p, Grad grad, cudaStream_t stream) {
  binary_backward_kernel<Grad>
      <<<cuda::grid_for(p.numel, kBlock), kBlock, 0, stream>>>(da, db, g, a, b, out, p, grad);
  cuda_check_launch();
}

template <typename T>
void launch_compare(CompareOp op, int32_t* out, const T* a, const T* b, const Plan<2>& p,
                    cudaStream_t stream) {
  switch (op) {
    case CompareOp::kEq:
      return launch_binary(out, a, b, p, CompareFn<T, int(CompareOp::kEq)>{}, stream);
    case CompareOp::kNe:
      return launch_binary(out, a, b, p, CompareFn<T, int(CompareOp::kNe)>{}, stream);
    case CompareOp::kLt:
      return launch_binary(out, a, b, p, CompareFn<T, int(CompareOp::kLt)>{}, stream);
    case CompareOp::kLe:
      return launch_binary(out, a, b, p, CompareFn<T, int(CompareOp::kLe)>{}, stream);
    case CompareOp::kGt:
      return launch_binary(out, a, b, p, CompareFn<T, int(CompareOp::kGt)>{}, stream);
    case CompareOp::kGe:
      return launch_binary(out, a, b, p, CompareFn<T, int(CompareOp::kGe)>{}, stream);
  }
  throw std::invalid_argument("compare_cuda: unknown op " + std::to_string(int(op)));
}

Plan<2> plan2(int rank, const int64_t* shape, const int64_t* as, const int64_t* bs) {
  const int64_t* st[2] = {as, bs};
  return make_plan<2>(rank, shape, st);
}

}  // namespace

void binary_forward_cuda(BinaryOp op, float* out, const float* a, const float* b, int rank,
                         const int64_t* shape, const int64_t* as, const int64_t* bs, float alpha,
                         cudaStream_t stream) {
  const Plan<2> p = plan2(rank, shape, as, bs);
  if (p.numel == 0) return;
  switch (op) {
    case BinaryOp::kAdd:
      return launch_binary(out, a, b, p, AddOp{alpha}, stream);
    case BinaryOp::kSub:
      return launch_binary(out, a, b, p, SubOp{alpha}, stream);
    case BinaryOp::kMul:
      return launch_binary(out, a, b, p, MulOp{}, stream);
    case BinaryOp::kDiv:
      return launch_binary(out, a, b, p, DivOp{}, stream);
    case BinaryOp::kPow:
      return launch_binary(out, a, b, p, PowOp{}, stream);
    case BinaryOp::kMaximum:
      return launch_binary(out, a, b, p, MaximumOp{}, stream);
    case BinaryOp::kMinimum:
      return launch_binary(out, a, b, p, MinimumOp{}, stream);
  }
  throw std::invalid_argument("binary_forward_cuda: unknown op " + std::to_string(int(op)));
}

void binary_backward_cuda(BinaryOp op, float* da, float* db, const float* g, const float* a, const float* b,
                          const float* out, int rank, const int64_t* shape, const int64_t* as,
                          const int64_t* bs, cudaStream_t stream) {
  const Plan<2> p = plan2(rank, shape, as, bs);
  if (p.numel == 0 || (!da && !db)) return;
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
      return;  // the caller's: the gradients are g and +-alpha g
    case BinaryOp::kMul:
      return launch_binary_backward(da, db, g, a, b, out, p, MulGrad{}, stream);
    case BinaryOp::kDiv:
      return launch_binary_backward(da, db, g, a, b, out, p, DivGrad{}, stream);
    case BinaryOp::kPow:
      return launch_binary_backward(da, db, g, a, b, out, p, PowGrad{}, stream);
    case BinaryOp::kMaximum:
      return launch_binary_backward(da, db, g, a, b, out, p, MaximumGrad{}, stream);
    case BinaryOp::kMinimum:
      return launch_binary_backward(da, db, g, a, b, out, p, MinimumGrad{}, stream);
  }
  throw std::invalid_argument("binary_backward_cuda: unknown op " + std::to_string(int(op)));
}

void compare_cuda(CompareOp op, int32_t* out, const void* a, const void* b, bool is_int, int rank,
                  const int64_t* shape, const int64_t* as, const int64_t* bs, cudaStream_t stream) {
  const Plan<2> p = plan2(rank, shape, as, bs);
  if (p.numel == 0) return;
  if (is_int) {
    launch_compare(op, out, static_cast<const int32_t*>(a), static_cast<const int32_t*>(b), p, stream);
  } else {
    launch_compare(op, out, static_cast<const float*>(a), static_cast<const float*>(b), p, stream);
  }
}

void where_cuda(uint32_t* out, const int32_t* cond, const uint32_t* a, const uint32_t* b, int rank,
                const int64_t* shape, const int64_t* cs, const int64_t* as, const int64_t* bs,
                cudaStream_t stream) {
  const int64_t* st[3] = {cs, as, bs};
  const Plan<3> p = make_plan<3>(rank, shape, st);
  if (p.numel == 0) return;
  where_kernel<<<cuda::grid_for(p.numel, kBlock), kBlock, 0, stream>>>(out, cond, a, b, p);
  cuda_check_launch();
}

void unary_forward_cuda(UnaryOp op, float* out, const float* x, int64_t n, float p0, float p1,
                        cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("unary_forward_cuda: n must be >= 0");
  if (n == 0) return;
  with_unary_op(op, [&](auto k) {
    unary_forward_kernel<decltype(k)::value>
        <<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(out, x, n, p0, p1);
    cuda_check_launch();
  });
}

void unary_backward_cuda(UnaryOp op, float* dx, const float* g, const float* x, const float* y, int64_t n,
                         float p0, float p1, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("unary_backward_cuda: n must be >= 0");
  if (n == 0) return;
  with_unary_op(op, [&](auto k) {
    unary_backward_kernel<decltype(k)::value>
        <<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(dx, g, x, y, n, p0, p1);
    cuda_check_launch();
  });
}

void int32_to_float32_cuda(float* out, const int32_t* x, int64_t n, cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("int32_to_float32_cuda: n must be >= 0");
  if (n == 0) return;
  int32_to_float32_kernel<<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(out, x, n);
  cuda_check_launch();
}

void sum_to_shape_cuda(float* out, const float* g, int rank, const int64_t* shape, const int64_t* out_shape,
                       cudaStream_t stream) {
  const ReducePlan p = make_reduce_plan(rank, shape, out_shape);
  if (p.n_out == 0) return;
  if (p.n_red >= kBlockReduceFrom) {
    sum_to_shape_block_kernel<<<cuda::grid_for(p.n_out * kBlock, kBlock), kBlock, 0, stream>>>(out, g, p);
  } else {
    sum_to_shape_thread_kernel<<<cuda::grid_for(p.n_out, kBlock), kBlock, 0, stream>>>(out, g, p);
  }
  cuda_check_launch();
}

}  // namespace tk

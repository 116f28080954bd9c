// Block reductions shared by cuda/reduce.cu and cuda/loss.cu.
//
// Every reduction here is deterministic: a thread adds its elements in index order, the block
// combines the threads' values in a fixed tree (shared memory down to one warp, then shuffles), and
// results that span several blocks are written per block and added in block order by one more
// block. So a result depends on the sizes only, never on timing; sums are in double, so they agree
// with the CPU's (also double, in another order) to float rounding.
//
// defines: kReduceBlock, SumOp, MaxOp, block_reduce, shfl_down, ValIdx, better_of, MaxIdxOp
#pragma once
#include <cmath>

#include "cuda/common.cuh"

namespace tk::cuda {

// Threads per block of every reduction kernel (a power of two >= 64: block_reduce relies on it).
constexpr int kReduceBlock = 256;

__device__ __forceinline__ double shfl_down(double v, int d) { return __shfl_down_sync(0xffffffffu, v, d); }
__device__ __forceinline__ float shfl_down(float v, int d) { return __shfl_down_sync(0xffffffffu, v, d); }
__device__ __forceinline__ int shfl_down(int v, int d) { return __shfl_down_sync(0xffffffffu, v, d); }

struct SumOp {
  template <typename T>
  __device__ T operator()(T a, T b) const {
    return a + b;
  }
};

// max that propagates NaN (fmax would drop it).
struct MaxNanOp {
  __device__ double operator()(double a, double b) const { return (a != a || a > b) ? a : b; }
};

// Combines one value per thread of the block into one, returned to every thread. All kReduceBlock
// threads must call it (it has barriers); `shared` has kReduceBlock elements and may be reused
// after it returns.
template <typename T, typename Op>
__device__ T block_reduce(T v, T* shared, Op op) {
  const int tid = int(threadIdx.x);
  shared[tid] = v;
  __syncthreads();
  for (int s = kReduceBlock / 2; s >= 32; s >>= 1) {
    if (tid < s) shared[tid] = op(shared[tid], shared[tid + s]);
    __syncthreads();
  }
  if (tid < 32) {
    v = shared[tid];
    for (int d = 16; d > 0; d >>= 1) v = op(v, shfl_down(v, d));
    if (tid == 0) shared[0] = v;
  }
  __syncthreads();
  v = shared[0];
  __syncthreads();
  return v;
}

// A candidate of max/min with its index along the reduced dimension; i < 0 is "no element yet".
struct ValIdx {
  float v;
  int32_t i;
};
__device__ __forceinline__ ValIdx shfl_down(ValIdx a, int d) {
  a.v = __shfl_down_sync(0xffffffffu, a.v, d);
  a.i = __shfl_down_sync(0xffffffffu, a.i, d);
  return a;
}

// The CPU's rule (native/kernels/reduce.cc): the first NaN wins; else the strictly larger (max) or
// smaller (min) value; among equal values the smaller index.
__device__ __forceinline__ ValIdx better_of(bool is_max, ValIdx a, ValIdx b) {
  if (a.i < 0) return b;
  if (b.i < 0) return a;
  const bool an = a.v != a.v, bn = b.v != b.v;
  if (an || bn) {
    if (an && bn) return a.i < b.i ? a : b;
    return an ? a : b;
  }
  if (is_max ? b.v > a.v : b.v < a.v) return b;
  if (is_max ? a.v > b.v : a.v < b.v) return a;
  return a.i < b.i ? a : b;
}
struct MaxIdxOp {
  bool is_max;
  __device__ ValIdx operator()(ValIdx a, ValIdx b) const { return better_of(is_max, a, b); }
};

}  // namespace tk::cuda

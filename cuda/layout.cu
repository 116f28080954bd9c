// The strided copy: one thread per element of the (merged) shape, in a grid-stride loop. The
// launcher first drops size-1 dimensions and merges neighbours contiguous on both sides, as the CPU
// kernel does, so a contiguous copy decomposes its index over one dimension only.
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/layout.h"

namespace tk {
namespace {

constexpr int kBlock = 256;
constexpr int kMaxRank = 16;

// Passed by value: every thread gets its own copy of the merged shape and strides.
struct CopyPlan {
  int rank;
  int64_t numel;
  int64_t shape[kMaxRank];
  int64_t ds[kMaxRank];
  int64_t ss[kMaxRank];
};

__global__ void strided_copy_kernel(uint32_t* dst, const uint32_t* src, CopyPlan p) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.numel;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t t = i, doff = 0, soff = 0;
    for (int d = p.rank - 1; d >= 0; --d) {
      const int64_t c = t % p.shape[d];
      t /= p.shape[d];
      doff += c * p.ds[d];
      soff += c * p.ss[d];
    }
    dst[doff] = src[soff];
  }
}

}  // namespace

void strided_copy_cuda(uint32_t* dst, const int64_t* dst_strides, const uint32_t* src,
                       const int64_t* src_strides, const int64_t* shape, int rank, cudaStream_t stream) {
  if (rank < 0 || rank > kMaxRank) throw std::invalid_argument("strided_copy_cuda: rank must be in [0, 16]");
  CopyPlan p{};
  p.numel = 1;
  for (int d = 0; d < rank; ++d) {
    if (shape[d] < 0 || dst_strides[d] < 0 || src_strides[d] < 0)
      throw std::invalid_argument("strided_copy_cuda: sizes and strides must be non-negative");
    p.numel *= shape[d];
    if (shape[d] == 1) continue;
    if (p.rank > 0 && p.ds[p.rank - 1] == dst_strides[d] * shape[d] &&
        p.ss[p.rank - 1] == src_strides[d] * shape[d]) {
      p.shape[p.rank - 1] *= shape[d];
      p.ds[p.rank - 1] = dst_strides[d];
      p.ss[p.rank - 1] = src_strides[d];
    } else {
      p.shape[p.rank] = shape[d];
      p.ds[p.rank] = dst_strides[d];
      p.ss[p.rank] = src_strides[d];
      ++p.rank;
    }
  }
  if (p.numel == 0) return;
  strided_copy_kernel<<<cuda::grid_for(p.numel, kBlock), kBlock, 0, stream>>>(dst, src, p);
  cuda_check_launch();
}

}  // namespace tk

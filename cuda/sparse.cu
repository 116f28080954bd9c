// cuda/sparse.h: one thread per output element (a grid-stride loop over rows * H, so consecutive
// threads take consecutive columns h of one row and read the row's indices and values as warp
// broadcasts, and dense's rows coalesced). No shared memory, barriers or atomics.
//
// defines: spmm_cuda, spmm_transposed_cuda
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/sparse.h"

namespace tk {
namespace {

constexpr int kBlock = 256;

// out[r, h] = sum_k values[k] * dense[indices[k], h] for k in [ptr[r], ptr[r + 1]), summed in k's
// order from 0.0f (csr_rows_times_dense in native/kernels/sparse.cc, element by element).
__global__ void csr_rows_times_dense_kernel(float* out, const int32_t* ptr, const int32_t* indices,
                                            const float* values, const float* dense, int64_t rows,
                                            int64_t H) {
  const int64_t n = rows * H;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / H, h = i - r * H;
    float acc = 0.0f;
    const int64_t k1 = ptr[r + 1];
    for (int64_t k = ptr[r]; k < k1; ++k) acc += values[k] * dense[int64_t(indices[k]) * H + h];
    out[i] = acc;
  }
}

void launch_rows_times_dense(float* out, const int32_t* ptr, const int32_t* indices, const float* values,
                             const float* dense, int64_t rows, int64_t H, cudaStream_t stream) {
  const int64_t n = rows * H;
  if (n == 0) return;
  csr_rows_times_dense_kernel<<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(out, ptr, indices, values,
                                                                                dense, rows, H);
  cuda_check_launch();
}

void check_sizes(const char* name, int64_t R, int64_t C, int64_t H) {
  if (R < 0 || C < 0 || H < 0) throw std::invalid_argument(std::string(name) + ": sizes must be >= 0");
}

}  // namespace

void spmm_cuda(float* out, const int32_t* indptr, const int32_t* indices, const float* values,
               const float* dense, int64_t R, int64_t C, int64_t H, cudaStream_t stream) {
  check_sizes("spmm_cuda", R, C, H);
  launch_rows_times_dense(out, indptr, indices, values, dense, R, H, stream);
}

void spmm_transposed_cuda(float* out, const int32_t* tptr, const int32_t* trow, const float* tval,
                          const float* g, int64_t R, int64_t C, int64_t H, cudaStream_t stream) {
  check_sizes("spmm_transposed_cuda", R, C, H);
  launch_rows_times_dense(out, tptr, trow, tval, g, C, H, stream);
}

}  // namespace tk

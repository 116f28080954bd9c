// SGEMM on the GPU: a tiled kernel of our own, and cuBLAS through dlopen (cuda/cublas_dl.h).
// Semantics: cuda/gemm.h (row-major, identical to sgemm_cpu).
//
// The tiled kernel: 64x64 tiles of C per 256-thread block, k in slabs of 16 through shared memory,
// a 4x4 register block per thread (details and the step functions in cuda/gemm_tiles.cuh). Every
// element sums its k products in order with fmaf. Batches run on gridDim.z; grids larger than the
// hardware limits loop.
//
// defines: sgemm_cuda, sgemm_strided_batched_cuda, sgemm_cuda_default_impl
#include <climits>
#include <stdexcept>
#include <string>

#include "cuda/common.cuh"
#include "cuda/cublas_dl.h"
#include "cuda/gemm.h"
#include "cuda/gemm_tiles.cuh"

namespace tk {
namespace {

using cuda::ceil_div;

using namespace cuda::gemm_tiles;

// ---- kernels ---------------------------------------------------------------------------------------

template <bool TransA, bool TransB>
__global__ void __launch_bounds__(kThreads)
    sgemm_tiled_kernel(int64_t m, int64_t n, int64_t k, float alpha, const float* __restrict__ a, int64_t lda,
                       int64_t stride_a, const float* __restrict__ b, int64_t ldb, int64_t stride_b,
                       float beta, float* __restrict__ c, int64_t ldc, int64_t stride_c, int64_t batch) {
  __shared__ TileA as;
  __shared__ TileB bs;
  const int tid = threadIdx.x;
  const int64_t tiles_m = ceil_div<int64_t>(m, kTileM);
  for (int64_t z = blockIdx.z; z < batch; z += gridDim.z) {
    for (int64_t tile_m = blockIdx.y; tile_m < tiles_m; tile_m += gridDim.y) {
      const int64_t row0 = tile_m * kTileM, col0 = int64_t(blockIdx.x) * kTileN;
      Acc acc = {};
      for (int64_t k0 = 0; k0 < k; k0 += kTileK) {
        load_tiles<TransA, TransB>(tid, as, bs, a + z * stride_a, lda, b + z * stride_b, ldb, m, n, k, row0,
                                   col0, k0);
        __syncthreads();
        accumulate(tid, as, bs, acc);
        __syncthreads();
      }
      store(tid, acc, c + z * stride_c, ldc, m, n, row0, col0, alpha, beta);
    }
  }
}

// C = beta * C (0 when beta == 0, without reading C): the whole product when alpha == 0 or k == 0.
__global__ void sgemm_scale_c_kernel(int64_t m, int64_t n, float beta, float* c, int64_t ldc,
                                     int64_t stride_c, int64_t batch) {
  const int64_t total = batch * m * n;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total;
       e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t z = e / (m * n), rem = e % (m * n);
    float* out = c + z * stride_c + (rem / n) * ldc + rem % n;
    *out = beta == 0.0f ? 0.0f : beta * *out;
  }
}

// ---- launchers -------------------------------------------------------------------------------------

void check_sizes(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb,
                 int64_t ldc, int64_t batch, int64_t stride_a, int64_t stride_b, int64_t stride_c) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("sgemm_cuda: " + what); };
  if (m < 0 || n < 0 || k < 0 || batch < 0) fail("m, n, k and batch must be >= 0");
  const int64_t a_cols = trans_a ? m : k, b_cols = trans_b ? k : n;
  if (lda < (a_cols > 1 ? a_cols : 1)) fail("lda is shorter than a stored row of A (k, or m when trans_a)");
  if (ldb < (b_cols > 1 ? b_cols : 1)) fail("ldb is shorter than a stored row of B (n, or k when trans_b)");
  if (ldc < (n > 1 ? n : 1)) fail("ldc is smaller than n");
  if (stride_a < 0 || stride_b < 0 || stride_c < 0) fail("strides must be >= 0");
  // As the CPU export: the C matrices may follow one another, or interleave row by row (each row of
  // the batch side by side within ldc); anything else overlaps.
  if (batch > 1 && m > 0 && n > 0) {
    const bool sequential = stride_c >= (m - 1) * ldc + n;
    const bool interleaved = stride_c >= n && (batch - 1) * stride_c + n <= ldc;
    if (!sequential && !interleaved) fail("the C matrices of the batch overlap");
  }
}

bool fits_int(int64_t v) { return v <= INT_MAX; }

void launch_tiled(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta,
                  float* c, int64_t ldc, int64_t stride_c, int64_t batch, cudaStream_t stream) {
  const int64_t tiles_n = ceil_div<int64_t>(n, kTileN), tiles_m = ceil_div<int64_t>(m, kTileM);
  if (tiles_n > INT_MAX) throw std::invalid_argument("sgemm_cuda: n is too large");
  dim3 grid(unsigned(tiles_n), unsigned(tiles_m < 65535 ? tiles_m : 65535),
            unsigned(batch < 65535 ? batch : 65535));
#define TK_SGEMM_LAUNCH(TA, TB)                                                                       \
  sgemm_tiled_kernel<TA, TB><<<grid, kThreads, 0, stream>>>(m, n, k, alpha, a, lda, stride_a, b, ldb, \
                                                            stride_b, beta, c, ldc, stride_c, batch)
  if (!trans_a && !trans_b)
    TK_SGEMM_LAUNCH(false, false);
  else if (!trans_a && trans_b)
    TK_SGEMM_LAUNCH(false, true);
  else if (trans_a && !trans_b)
    TK_SGEMM_LAUNCH(true, false);
  else
    TK_SGEMM_LAUNCH(true, true);
#undef TK_SGEMM_LAUNCH
  cuda_check_launch();
}

// Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: the row-major buffers, read as
// column-major, already are the transposes, so swap the operands (and m with n) and keep the flags.
void launch_cublas(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                   int64_t lda, int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b, float beta,
                   float* c, int64_t ldc, int64_t stride_c, int64_t batch, cudaStream_t stream) {
  const cuda::CublasApi* api = cuda::cublas_api();
  cuda::cublasHandle_t h = cuda::cublas_handle(stream);
  const int op_a = trans_a ? cuda::kCublasOpT : cuda::kCublasOpN;
  const int op_b = trans_b ? cuda::kCublasOpT : cuda::kCublasOpN;
  int status;
  if (batch == 1) {
    status = api->sgemm(h, op_b, op_a, int(n), int(m), int(k), &alpha, b, int(ldb), a, int(lda), &beta, c,
                        int(ldc));
  } else {
    status = api->sgemm_strided_batched(h, op_b, op_a, int(n), int(m), int(k), &alpha, b, int(ldb), stride_b,
                                        a, int(lda), stride_a, &beta, c, int(ldc), stride_c, int(batch));
  }
  if (status != 0) throw std::runtime_error("cublasSgemm failed with status " + std::to_string(status));
}

}  // namespace

const char* sgemm_cuda_default_impl() { return cuda::cublas_api() ? "cublas" : "tiled"; }

void sgemm_strided_batched_cuda(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                                const float* a, int64_t lda, const float* b, int64_t ldb, float beta,
                                float* c, int64_t ldc, int64_t batch, int64_t stride_a, int64_t stride_b,
                                int64_t stride_c, cudaStream_t stream, GemmImpl impl) {
  check_sizes(trans_a, trans_b, m, n, k, lda, ldb, ldc, batch, stride_a, stride_b, stride_c);
  if (m == 0 || n == 0 || batch == 0) return;
  if (k == 0 || alpha == 0.0f) {
    const int block = 256;
    sgemm_scale_c_kernel<<<cuda::grid_for(batch * m * n, block), block, 0, stream>>>(m, n, beta, c, ldc,
                                                                                     stride_c, batch);
    cuda_check_launch();
    return;
  }
  const bool cublas_ok = cuda::cublas_api() && fits_int(m) && fits_int(n) && fits_int(k) && fits_int(lda) &&
                         fits_int(ldb) && fits_int(ldc) && fits_int(batch);
  if (impl == GemmImpl::kCublas && !cublas_ok) {
    throw std::runtime_error(cuda::cublas_api() ? "sgemm_cuda: sizes exceed cuBLAS's int arguments"
                                                : "sgemm_cuda: cuBLAS is not available");
  }
  if (impl != GemmImpl::kTiled && cublas_ok) {
    launch_cublas(trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc,
                  stride_c, batch, stream);
  } else {
    launch_tiled(trans_a, trans_b, m, n, k, alpha, a, lda, stride_a, b, ldb, stride_b, beta, c, ldc, stride_c,
                 batch, stream);
  }
}

void sgemm_cuda(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
                cudaStream_t stream, GemmImpl impl) {
  sgemm_strided_batched_cuda(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 1, 0, 0, 0,
                             stream, impl);
}

}  // namespace tk

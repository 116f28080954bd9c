// SGEMM on the GPU: a tiled kernel of our own, and cuBLAS through dlopen (cuda/cublas_dl.h).
// Semantics: cuda/gemm.h (row-major, identical to sgemm_cpu).
//
// The tiled kernel: each 256-thread block computes a 64x64 tile of C, stepping through k in slabs
// of 16 staged in shared memory (op(A) as As[p][row], op(B) as Bs[p][col], so the inner loop reads
// both along the tile's rows and columns); each thread holds a 4x4 register block of C at rows
// ty + 16 i and columns tx + 16 j, which keeps shared-memory reads conflict-free and global stores
// coalesced. Every element sums its k products in order with fmaf, one rounding per step.
// Batches run on gridDim.z; grids larger than the hardware limits loop.
//
// defines: sgemm_cuda, sgemm_strided_batched_cuda, sgemm_cuda_default_impl
#include <climits>
#include <stdexcept>
#include <string>

#include "cuda/common.cuh"
#include "cuda/cublas_dl.h"
#include "cuda/gemm.h"

namespace tk {
namespace {

using cuda::ceil_div;

constexpr int kTileM = 64, kTileN = 64, kTileK = 16;
constexpr int kThreads = 256;        // 16 x 16 threads
constexpr int kRegM = 4, kRegN = 4;  // register block per thread
constexpr int kPad = 1;              // breaks the power-of-two stride of the transposed stores

// ---- kernels ---------------------------------------------------------------------------------------

template <bool TransA, bool TransB>
__global__ void __launch_bounds__(kThreads)
    sgemm_tiled_kernel(int64_t m, int64_t n, int64_t k, float alpha, const float* __restrict__ a, int64_t lda,
                       int64_t stride_a, const float* __restrict__ b, int64_t ldb, int64_t stride_b,
                       float beta, float* __restrict__ c, int64_t ldc, int64_t stride_c, int64_t batch) {
  __shared__ float as[kTileK][kTileM + kPad];  // as[p][i] = op(A)[row0 + i][k0 + p]
  __shared__ float bs[kTileK][kTileN + kPad];  // bs[p][j] = op(B)[k0 + p][col0 + j]
  const int tid = threadIdx.x;
  const int tx = tid % 16, ty = tid / 16;
  const int64_t tiles_m = ceil_div<int64_t>(m, kTileM);

  for (int64_t z = blockIdx.z; z < batch; z += gridDim.z) {
    const float* az = a + z * stride_a;
    const float* bz = b + z * stride_b;
    float* cz = c + z * stride_c;
    for (int64_t tile_m = blockIdx.y; tile_m < tiles_m; tile_m += gridDim.y) {
      const int64_t row0 = tile_m * kTileM;
      const int64_t col0 = int64_t(blockIdx.x) * kTileN;
      float acc[kRegM][kRegN] = {};

      for (int64_t k0 = 0; k0 < k; k0 += kTileK) {
        // 64 x 16 = 1024 values per operand, 4 per thread; consecutive threads read consecutive
        // addresses of whichever layout the operand has.
#pragma unroll
        for (int l = 0; l < (kTileM * kTileK) / kThreads; ++l) {
          const int idx = tid + l * kThreads;
          int i, p;
          if (TransA) {  // A stored [k, lda]: op(A)[r][q] = a[q * lda + r]
            i = idx % kTileM, p = idx / kTileM;
          } else {  // A stored [m, lda]: op(A)[r][q] = a[r * lda + q]
            i = idx / kTileK, p = idx % kTileK;
          }
          const int64_t r = row0 + i, q = k0 + p;
          float v = 0.0f;
          if (r < m && q < k) v = TransA ? az[q * lda + r] : az[r * lda + q];
          as[p][i] = v;
        }
#pragma unroll
        for (int l = 0; l < (kTileN * kTileK) / kThreads; ++l) {
          const int idx = tid + l * kThreads;
          int j, p;
          if (TransB) {  // B stored [n, ldb]: op(B)[q][s] = b[s * ldb + q]
            j = idx / kTileK, p = idx % kTileK;
          } else {  // B stored [k, ldb]: op(B)[q][s] = b[q * ldb + s]
            j = idx % kTileN, p = idx / kTileN;
          }
          const int64_t q = k0 + p, s = col0 + j;
          float v = 0.0f;
          if (q < k && s < n) v = TransB ? bz[s * ldb + q] : bz[q * ldb + s];
          bs[p][j] = v;
        }
        __syncthreads();
        // Slots past k are zero in both operands (0 * 0 adds nothing), so the slab loop needs no
        // bound; rows past m and columns past n may accumulate junk but are never stored.
#pragma unroll
        for (int p = 0; p < kTileK; ++p) {
          float ra[kRegM], rb[kRegN];
#pragma unroll
          for (int i = 0; i < kRegM; ++i) ra[i] = as[p][ty + 16 * i];
#pragma unroll
          for (int j = 0; j < kRegN; ++j) rb[j] = bs[p][tx + 16 * j];
#pragma unroll
          for (int i = 0; i < kRegM; ++i)
#pragma unroll
            for (int j = 0; j < kRegN; ++j) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
        }
        __syncthreads();
      }

#pragma unroll
      for (int i = 0; i < kRegM; ++i) {
        const int64_t r = row0 + ty + 16 * i;
        if (r >= m) continue;
#pragma unroll
        for (int j = 0; j < kRegN; ++j) {
          const int64_t s = col0 + tx + 16 * j;
          if (s >= n) continue;
          float* out = cz + r * ldc + s;
          float v = alpha * acc[i][j];
          if (beta != 0.0f) v = v + beta * *out;  // beta == 0 must not read C (it may hold NaN)
          *out = v;
        }
      }
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
  if (lda < (a_cols > 1 ? a_cols : 1)) fail("lda is smaller than the rows of A");
  if (ldb < (b_cols > 1 ? b_cols : 1)) fail("ldb is smaller than the rows of B");
  if (ldc < (n > 1 ? n : 1)) fail("ldc is smaller than n");
  if (stride_a < 0 || stride_b < 0 || stride_c < 0) fail("strides must be >= 0");
  if (batch > 1 && stride_c < (m - 1) * ldc + n) fail("the C matrices of the batch overlap");
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

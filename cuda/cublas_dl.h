// cuBLAS, opened at run time with dlopen so that the addon neither links against nor ships it: a
// machine with the library gets cublasSgemm_v2, one without gets our tiled kernel (gemm.cu). The
// few declarations below are copied from cublas_api.h (stable ABI since CUDA 6), so the build needs
// no cuBLAS headers either.
#pragma once
#include <cuda_runtime_api.h>

namespace tk::cuda {

using cublasHandle_t = struct cublasContext*;
using cublasStatus_t = int;  // CUBLAS_STATUS_SUCCESS == 0
enum CublasOp : int { kCublasOpN = 0, kCublasOpT = 1 };

struct CublasApi {
  cublasStatus_t (*create)(cublasHandle_t*);
  cublasStatus_t (*destroy)(cublasHandle_t);
  cublasStatus_t (*set_stream)(cublasHandle_t, cudaStream_t);
  cublasStatus_t (*set_math_mode)(cublasHandle_t, int);
  cublasStatus_t (*sgemm)(cublasHandle_t, int transa, int transb, int m, int n, int k, const float* alpha,
                          const float* a, int lda, const float* b, int ldb, const float* beta, float* c,
                          int ldc);
  cublasStatus_t (*sgemm_strided_batched)(cublasHandle_t, int transa, int transb, int m, int n, int k,
                                          const float* alpha, const float* a, int lda, long long stride_a,
                                          const float* b, int ldb, long long stride_b, const float* beta,
                                          float* c, int ldc, long long stride_c, int batch);
  const char* library;  // the soname that was opened
};

// The loaded API, or nullptr when no libcublas.so.13 / .so.12 with these symbols is present.
// Opened once (thread-safe) and never closed; TEXTKERNELS_CUDA_GEMM=tiled keeps it closed.
const CublasApi* cublas_api();

// The calling thread's handle for the current device, created on first use, bound to `stream`.
// Throws on failure.
cublasHandle_t cublas_handle(cudaStream_t stream);

}  // namespace tk::cuda

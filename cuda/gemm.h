// Single-precision GEMM on the GPU, with the same row-major semantics as sgemm_cpu
// (native/kernels/gemm.h):
//
//   C[m, n] = alpha * op(A)[m, k] @ op(B)[k, n] + beta * C[m, n]
//
// op(A) = A (stored [m, lda >= k]) or A^T (trans_a: stored [k, lda >= m]); op(B) likewise with
// ldb; C stored [m, ldc >= n]. beta == 0 never reads C; alpha == 0 or k == 0 reads neither A nor B.
// All pointers are device pointers; the call is asynchronous on `stream`. Throws
// std::invalid_argument for bad sizes and std::runtime_error for CUDA/cuBLAS failures.
//
// Two implementations: cuBLAS (cublasSgemm_v2 opened at run time, cuda/cublas_dl.h) and our tiled
// kernel. kAuto takes cuBLAS when it was found and the sizes fit its int arguments;
// TEXTKERNELS_CUDA_GEMM=tiled in the environment keeps cuBLAS from being loaded at all.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tk {

enum class GemmImpl : int { kAuto = 0, kTiled = 1, kCublas = 2 };

void sgemm_cuda(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a,  // op(A) [m, k], device
                int64_t lda,
                const float* b,  // op(B) [k, n], device
                int64_t ldb, float beta,
                float* c,  // [m, n] with row stride ldc, device; must not alias a or b
                int64_t ldc, cudaStream_t stream, GemmImpl impl = GemmImpl::kAuto);

// `batch` independent products; matrix i starts at a + i * stride_a (likewise b, c). A stride of 0
// shares one operand across the batch; the C matrices must not overlap.
void sgemm_strided_batched_cuda(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                                const float* a,  // batch x op(A) [m, k], device
                                int64_t lda,
                                const float* b,  // batch x op(B) [k, n], device
                                int64_t ldb, float beta,
                                float* c,  // batch x [m, n], device; must not alias a or b
                                int64_t ldc, int64_t batch, int64_t stride_a, int64_t stride_b,
                                int64_t stride_c, cudaStream_t stream, GemmImpl impl = GemmImpl::kAuto);

// The implementation kAuto picks for sizes that fit cuBLAS: "cublas" or "tiled".
const char* sgemm_cuda_default_impl();

}  // namespace tk

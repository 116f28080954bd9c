// Sparse (CSR) times dense products on the GPU: spmm_cpu and spmm_transposed_cpu's twins
// (native/kernels/sparse.h). Each thread owns one output element and sums its row's nonzeros in
// CSR order from 0.0f, as the CPU kernel's inner loop does per element, with --fmad=false
// (no contraction of v * b + acc), so the results are the CPU's bit for bit. No atomics: the
// transposed product runs the same row gather over A's transpose (CSC), which the caller builds
// with tk::csr_transpose (native/kernels/sparse.h, a stable counting sort on the host, the CPU's
// own), so each output element sums its contributions in increasing row order, as on the CPU.
// The CSR structure must already be validated (binding/sparse_args.h). Pointers are device
// pointers; calls are asynchronous on `stream`.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tk {

// out = A * B for A sparse [R, C], B dense [C, H].
void spmm_cuda(float* out,              // [R, H], overwritten, must not alias dense
               const int32_t* indptr,   // [R + 1], monotone, indptr[0] = 0
               const int32_t* indices,  // [nnz], column of each value, in [0, C)
               const float* values,     // [nnz]
               const float* dense,      // [C, H]
               int64_t R, int64_t C, int64_t H, cudaStream_t stream);
// out = A^T * G for A sparse [R, C], G dense [R, H], given A's transpose from csr_transpose.
void spmm_transposed_cuda(float* out,           // [C, H], overwritten, must not alias g
                          const int32_t* tptr,  // [C + 1], the transpose's row pointers
                          const int32_t* trow,  // [nnz], the row of each entry, increasing per column
                          const float* tval,    // [nnz]
                          const float* g,       // [R, H]
                          int64_t R, int64_t C, int64_t H, cudaStream_t stream);

}  // namespace tk

// Sparse (CSR) times dense products: the bag-of-words input path (a linear layer on a batch of
// sparse document vectors). The CSR structure is validated by the caller.
//   R rows of the sparse matrix, C its columns (vocabulary), H columns of the dense operand.
#pragma once
#include <cstdint>

namespace tk {

// out = A * B for A sparse [R, C], B dense [C, H].
void spmm_cpu(float* out,              // [R, H], must not alias dense
              const int32_t* indptr,   // [R + 1], monotone, indptr[0] = 0
              const int32_t* indices,  // [nnz], column of each value, in [0, C)
              const float* values,     // [nnz]
              const float* dense,      // [C, H]
              int64_t R, int64_t C, int64_t H);
// out = A^T * G for A sparse [R, C], G dense [R, H]: the gradient of spmm for its dense operand.
// Transposes A (stable counting sort) so each output row is summed by one thread in row order.
void spmm_transposed_cpu(float* out,              // [C, H], must not alias g
                         const int32_t* indptr,   // [R + 1]
                         const int32_t* indices,  // [nnz]
                         const float* values,     // [nnz]
                         const float* g,          // [R, H]
                         int64_t R, int64_t C, int64_t H);

}  // namespace tk

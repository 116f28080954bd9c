// Sparse (CSR) times dense products: the bag-of-words input path (a linear layer on a batch of
// sparse document vectors). The CSR structure is validated by the caller.
//   R rows of the sparse matrix, C its columns (vocabulary), H columns of the dense operand.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

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

// The transpose of A [R, C] in CSR form, i.e. A in CSC form: column c's entries are
// trow/tval[tptr[c] .. tptr[c + 1]), in increasing row order (a stable counting sort), so a row
// gather over it sums each output element of A^T * G in the order a row-by-row scatter would.
// Header-only because the device export (cuda/binding/sparse.cc) builds the same transpose on the
// host without linking the CPU kernels. Index is int32_t or int64_t (tptr's type; nnz < 2^31).
template <typename Index>
void csr_transpose(std::vector<Index>& tptr,    // [C + 1] out
                   std::vector<int32_t>& trow,  // [nnz] out: the row of each entry
                   std::vector<float>& tval,    // [nnz] out
                   const int32_t* indptr,       // [R + 1], validated
                   const int32_t* indices,      // [nnz], in [0, C)
                   const float* values,         // [nnz]
                   int64_t R, int64_t C) {
  const int64_t nnz = indptr[R];
  tptr.assign(size_t(C + 1), Index(0));
  trow.resize(size_t(nnz));
  tval.resize(size_t(nnz));
  for (int64_t k = 0; k < nnz; ++k) ++tptr[size_t(indices[k]) + 1];
  for (int64_t c = 0; c < C; ++c) tptr[size_t(c + 1)] += tptr[size_t(c)];
  std::vector<Index> fill(tptr.begin(), tptr.end() - 1);
  for (int64_t r = 0; r < R; ++r) {
    for (int64_t k = indptr[r]; k < indptr[r + 1]; ++k) {
      const Index dst = fill[size_t(indices[k])]++;
      trow[size_t(dst)] = int32_t(r);
      tval[size_t(dst)] = values[k];
    }
  }
}

}  // namespace tk

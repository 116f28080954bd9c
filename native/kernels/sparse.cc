#include "kernels/sparse.h"

#include <algorithm>
#include <vector>

#include "kernels/thread_pool.h"

namespace tk {
namespace {

// out[r, :] = sum_k values[k] * dense[indices[k], :] for k in [ptr[r], ptr[r + 1]).
template <typename Index>
void csr_rows_times_dense(float* out, const Index* ptr, const int32_t* indices, const float* values,
                          const float* dense, int64_t R, int64_t H) {
  if (R == 0 || H == 0) return;
  int64_t nnz = int64_t(ptr[R]);
  int64_t work_per_row = std::max<int64_t>(1, (nnz / std::max<int64_t>(R, 1) + 1) * H);
  int64_t grain = std::max<int64_t>(1, 32768 / work_per_row);
  parallel_for(R, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* o = out + r * H;
      std::fill(o, o + H, 0.0f);
      for (int64_t k = int64_t(ptr[r]); k < int64_t(ptr[r + 1]); ++k) {
        float v = values[k];
        const float* b = dense + int64_t(indices[k]) * H;
        for (int64_t h = 0; h < H; ++h) o[h] += v * b[h];
      }
    }
  });
}

}  // namespace

void spmm_cpu(float* out, const int32_t* indptr, const int32_t* indices, const float* values,
              const float* dense, int64_t R, int64_t C, int64_t H) {
  csr_rows_times_dense(out, indptr, indices, values, dense, R, H);
}

void spmm_transposed_cpu(float* out, const int32_t* indptr, const int32_t* indices, const float* values,
                         const float* g, int64_t R, int64_t C, int64_t H) {
  int64_t nnz = indptr[R];
  std::vector<int64_t> tptr(size_t(C + 1), 0);
  std::vector<int32_t> trow(static_cast<size_t>(nnz));
  std::vector<float> tval(static_cast<size_t>(nnz));
  for (int64_t k = 0; k < nnz; ++k) ++tptr[size_t(indices[k]) + 1];
  for (int64_t c = 0; c < C; ++c) tptr[size_t(c + 1)] += tptr[size_t(c)];
  std::vector<int64_t> fill(tptr.begin(), tptr.end() - 1);
  for (int64_t r = 0; r < R; ++r) {
    for (int64_t k = indptr[r]; k < indptr[r + 1]; ++k) {
      int64_t dst = fill[size_t(indices[k])]++;
      trow[size_t(dst)] = int32_t(r);
      tval[size_t(dst)] = values[k];
    }
  }
  csr_rows_times_dense(out, tptr.data(), trow.data(), tval.data(), g, C, H);
}

}  // namespace tk

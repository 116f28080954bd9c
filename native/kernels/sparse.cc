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
  std::vector<int64_t> tptr;
  std::vector<int32_t> trow;
  std::vector<float> tval;
  csr_transpose(tptr, trow, tval, indptr, indices, values, R, C);
  csr_rows_times_dense(out, tptr.data(), trow.data(), tval.data(), g, C, H);
}

}  // namespace tk

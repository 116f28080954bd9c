// Row lookups and their scatter-add backward passes: embedding, index_select and gather.
// Index arrays are range-checked by the caller (the binding); the kernels trust them.
// Backward passes are deterministic: every output element is summed in index order by one thread.
#pragma once
#include <cstdint>

namespace tk {

// out[o, j, :] = x[o, index[j], :] over x seen as [outer, n_src, inner] (index_select; embedding is
// outer = 1, inner = embedding dim).
void index_select_forward_cpu(float* out,            // [outer, n_idx, inner], must not alias x
                              const float* x,        // [outer, n_src, inner]
                              const int32_t* index,  // [n_idx], each in [0, n_src)
                              int64_t outer, int64_t n_src, int64_t n_idx, int64_t inner);
// dx[o, index[j], :] += dy[o, j, :], skipping j where index[j] == skip (skip < 0: none skipped).
void index_select_backward_cpu(float* dx,             // [outer, n_src, inner], overwritten (zeroed first)
                               const float* dy,       // [outer, n_idx, inner]
                               const int32_t* index,  // [n_idx]
                               int64_t outer, int64_t n_src, int64_t n_idx, int64_t inner, int64_t skip);

// torch.gather along `dim`: out[..., j, ...] = x[..., index[..., j, ...], ...] where the other
// coordinates are the index's own; index_shape[d] <= x_shape[d] for d != dim.
void gather_forward_cpu(float* out,                  // index_shape, must not alias x
                        const float* x,              // x_shape
                        const int32_t* index,        // index_shape, values in [0, x_shape[dim])
                        const int64_t* x_shape,      // [rank]
                        const int64_t* index_shape,  // [rank]
                        int64_t rank, int64_t dim);
void gather_backward_cpu(float* dx,             // x_shape, overwritten (zeroed first)
                         const float* dy,       // index_shape
                         const int32_t* index,  // index_shape
                         const int64_t* x_shape, const int64_t* index_shape, int64_t rank, int64_t dim);

}  // namespace tk

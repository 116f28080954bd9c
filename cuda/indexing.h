// Row lookups on the GPU and their gradients: index_select (embedding is outer = 1) and gather,
// the twins of native/kernels/embedding.h, plus mul_mask (dropout's mask product). The forward
// passes move 4-byte words (float32 and int32 alike). The backward passes are deterministic, with
// no atomics: each thread owns whole output elements and adds their contributions in index order,
// as the CPU kernels do, so the gradients are bit for bit the CPU's. Index values must already be
// range-checked (the bindings do it before calling). Pointers are device pointers; calls are
// asynchronous on `stream`.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tk {

// out[o, j, :] = x[o, index[j], :] over x seen as [outer, n_src, inner].
void index_select_forward_cuda(uint32_t* out,         // [outer, n_idx, inner], must not alias x
                               const uint32_t* x,     // [outer, n_src, inner]
                               const int32_t* index,  // [n_idx], each in [0, n_src)
                               int64_t outer, int64_t n_src, int64_t n_idx, int64_t inner,
                               cudaStream_t stream);
// dx[o, index[j], :] += dy[o, j, :] in order of j, skipping j where index[j] == skip (skip < 0: none).
void index_select_backward_cuda(float* dx,             // [outer, n_src, inner], overwritten (zeroed first)
                                const float* dy,       // [outer, n_idx, inner]
                                const int32_t* index,  // [n_idx]
                                int64_t outer, int64_t n_src, int64_t n_idx, int64_t inner, int64_t skip,
                                cudaStream_t stream);

// torch.gather along `dim` (see gather_forward_cpu). Shapes are host arrays; rank <= 16.
void gather_forward_cuda(uint32_t* out,               // index_shape, must not alias x
                         const uint32_t* x,           // x_shape
                         const int32_t* index,        // index_shape, values in [0, x_shape[dim])
                         const int64_t* x_shape,      // [rank], host
                         const int64_t* index_shape,  // [rank], host
                         int64_t rank, int64_t dim, cudaStream_t stream);
void gather_backward_cuda(float* dx,                   // x_shape, overwritten (zeroed first)
                          const float* dy,             // index_shape
                          const int32_t* index,        // index_shape
                          const int64_t* x_shape,      // [rank], host
                          const int64_t* index_shape,  // [rank], host
                          int64_t rank, int64_t dim, cudaStream_t stream);

// out[i] = x[i] * mask[i]
void mul_mask_cuda(float* out,         // [n], may alias x
                   const float* x,     // [n]
                   const float* mask,  // [n]
                   int64_t n, cudaStream_t stream);

}  // namespace tk

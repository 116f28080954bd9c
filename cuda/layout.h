// Layout on the GPU: the strided copy of 4-byte words (float32 and int32 alike) behind permute,
// transpose, slice and its backward scatter, concat and split, expand (a source stride of 0) and
// repeat: strided_copy_cpu's twin (native/kernels/layout.h), bit for bit (it only moves words).
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tk {

// dst[sum_d i_d * dst_strides[d]] = src[sum_d i_d * src_strides[d]] for every index i < shape.
// dst and src are device pointers (already offset); strides and shape are host arrays, in elements,
// non-negative; dst and src must not overlap. rank <= 16. Asynchronous on `stream`.
void strided_copy_cuda(uint32_t* dst,               // strided by dst_strides
                       const int64_t* dst_strides,  // [rank], host
                       const uint32_t* src,         // strided by src_strides
                       const int64_t* src_strides,  // [rank], host
                       const int64_t* shape,        // [rank], host
                       int rank, cudaStream_t stream);

}  // namespace tk

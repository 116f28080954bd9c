// Layout: one strided copy of 4-byte words (float32 and int32 alike) serves permute, transpose,
// slice and its backward scatter, concat and split, and expand (a source stride of 0).
#pragma once
#include <cstdint>

namespace tk {

// dst[sum_d i_d * dst_strides[d]] = src[sum_d i_d * src_strides[d]] for every index i < shape.
// Strides are in elements and non-negative; dst and src must not overlap. rank <= 16.
void strided_copy_cpu(uint32_t* dst,               // strided by dst_strides
                      const int64_t* dst_strides,  // [rank]
                      const uint32_t* src,         // strided by src_strides
                      const int64_t* src_strides,  // [rank]
                      const int64_t* shape,        // [rank]
                      int rank);

}  // namespace tk

// Broadcasting pointwise ops on the GPU: the twins of native/kernels/elementwise.h (binary
// arithmetic and its gradients, comparisons, where, the unary ops and their gradients) plus the
// reduction of a broadcast gradient back to its input's shape. They compute the CPU kernels'
// per-element formulas (native/include/textkernels/math/elementwise.h and activations.h), so both
// devices agree bit for bit wherever the device's libm agrees with the host's (powf, expf, logf,
// tanhf, erff, sinf, cosf differ by an ulp or two at most); the CPU's AVX2 exp/sigmoid/tanh/gelu
// are within a few ulp of the scalar formulas the device runs.
//
// Broadcasting: operand k is read at sum_d idx[d] * strides_k[d] over the output `shape` (rank
// <= 16, 0 along broadcast dimensions), the output is contiguous; shapes and strides are host
// arrays, copied into the launch. Buffers are device pointers; calls are asynchronous on `stream`.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/elementwise.h"  // BinaryOp, CompareOp, UnaryOp (plain enums)

namespace tk {

// out = op(a, b)
void binary_forward_cuda(BinaryOp op, float* out,  // [shape], contiguous; must not alias a or b
                         const float* a, const float* b, int rank, const int64_t* shape,
                         const int64_t* a_strides, const int64_t* b_strides, float alpha,
                         cudaStream_t stream);
// Full-shape gradients of mul, div, pow, maximum, minimum (add and sub take none); da or db may be
// null.
void binary_backward_cuda(BinaryOp op, float* da,  // [shape], contiguous, or null
                          float* db,               // [shape], contiguous, or null
                          const float* g,          // [shape], contiguous
                          const float* a, const float* b,
                          const float* out,  // [shape], contiguous: the forward output
                          int rank, const int64_t* shape, const int64_t* a_strides, const int64_t* b_strides,
                          cudaStream_t stream);

// out = (a op b) ? 1 : 0; a and b are both float32 (is_int false) or both int32.
void compare_cuda(CompareOp op, int32_t* out, const void* a, const void* b, bool is_int, int rank,
                  const int64_t* shape, const int64_t* a_strides, const int64_t* b_strides,
                  cudaStream_t stream);

// out = cond != 0 ? a : b, copying 4-byte words.
void where_cuda(uint32_t* out, const int32_t* cond, const uint32_t* a, const uint32_t* b, int rank,
                const int64_t* shape, const int64_t* c_strides, const int64_t* a_strides,
                const int64_t* b_strides, cudaStream_t stream);

// out = op(x); out may alias x.
void unary_forward_cuda(UnaryOp op, float* out, const float* x, int64_t n, float p0, float p1,
                        cudaStream_t stream);
// dx = g * op'(.) reading x or y as unary_backward_cpu does; dx may alias g.
void unary_backward_cuda(UnaryOp op, float* dx, const float* g, const float* x, const float* y, int64_t n,
                         float p0, float p1, cudaStream_t stream);

// out = g summed over the dimensions where out_shape (padded to `rank`) is 1 and shape is not; each
// output element is accumulated in double in a fixed order (deterministic), then rounded once.
void sum_to_shape_cuda(float* out,      // [out_shape], contiguous; must not alias g
                       const float* g,  // [shape], contiguous
                       int rank, const int64_t* shape, const int64_t* out_shape, cudaStream_t stream);

// out[i] = float(x[i]) (round to nearest): int32 operands promoted to float32.
void int32_to_float32_cuda(float* out, const int32_t* x, int64_t n, cudaStream_t stream);

}  // namespace tk

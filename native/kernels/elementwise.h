// Pointwise kernels with NumPy/PyTorch broadcasting: binary arithmetic and comparisons, where,
// unary activations, and their backward passes.
//
// Broadcasting never materialises an expanded copy: each input comes with strides over the output
// shape (0 along a broadcast dimension), and the output is contiguous. Shapes are at most 16-D.
#pragma once
#include <cstdint>

namespace tk {

enum class BinaryOp : int {
  kAdd = 0,  // a + alpha * b
  kSub = 1,  // a - alpha * b
  kMul = 2,
  kDiv = 3,
  kPow = 4,
  kMaximum = 5,  // NaN-propagating, as torch.maximum
  kMinimum = 6,
};

enum class CompareOp : int { kEq = 0, kNe = 1, kLt = 2, kLe = 3, kGt = 4, kGe = 5 };

enum class UnaryOp : int {
  kNeg = 0,
  kExp = 1,
  kLog = 2,
  kSqrt = 3,
  kRsqrt = 4,
  kAbs = 5,
  kSin = 6,
  kCos = 7,
  kTanh = 8,
  kSigmoid = 9,
  kRelu = 10,
  kGelu = 11,       // exact (erf)
  kGeluTanh = 12,   // approximate='tanh'
  kSoftplus = 13,   // p0 beta, p1 threshold
  kLeakyRelu = 14,  // p0 negative slope
  kClamp = 15,      // p0 min, p1 max (use +-inf for a missing bound)
  kSquare = 16,
  kScale = 17,  // p0 * x
  kCount
};

// Iteration space shared by the broadcasting kernels: the output shape and, per operand, strides in
// elements over that shape (0 where the operand is broadcast).
struct BroadcastShape {
  int rank;
  const int64_t* shape;  // [rank]
};

// out = op(a, b) elementwise over `shape`.
void binary_forward_cpu(BinaryOp op, float* out,  // [shape], contiguous; must not alias a or b
                        const float* a,           // strided by a_strides
                        const float* b,           // strided by b_strides
                        BroadcastShape shape, const int64_t* a_strides, const int64_t* b_strides,
                        float alpha);
// Full-shape gradients of mul, div, pow, maximum, minimum (add and sub need no kernel); the caller
// sums them back to each input's shape. da or db may be null to skip it.
void binary_backward_cpu(BinaryOp op, float* da,          // [shape], contiguous, or null
                         float* db,                       // [shape], contiguous, or null
                         const float* g,                  // [shape], contiguous: gradient of the output
                         const float* a, const float* b,  // strided as in the forward pass
                         const float* out,                // [shape], contiguous: forward output
                         BroadcastShape shape, const int64_t* a_strides, const int64_t* b_strides);

// out = (a op b) ? 1 : 0, for float32 or int32 inputs.
void compare_cpu(CompareOp op, int32_t* out, const float* a, const float* b, BroadcastShape shape,
                 const int64_t* a_strides, const int64_t* b_strides);
void compare_i32_cpu(CompareOp op, int32_t* out, const int32_t* a, const int32_t* b, BroadcastShape shape,
                     const int64_t* a_strides, const int64_t* b_strides);

// out = cond != 0 ? a : b, copying 4-byte words (float32 or int32 alike).
void where_cpu(uint32_t* out,        // [shape], contiguous; must not alias the inputs
               const int32_t* cond,  // strided by c_strides
               const uint32_t* a,    // strided by a_strides
               const uint32_t* b,    // strided by b_strides
               BroadcastShape shape, const int64_t* c_strides, const int64_t* a_strides,
               const int64_t* b_strides);

// out = op(x); out may alias x. exp, sigmoid, tanh and gelu run the AVX2 versions below when the
// SIMD level allows (within a few ulp of the generic path; gelu within 1.5e-7 * |x|).
void unary_forward_cpu(UnaryOp op, float* out, const float* x, int64_t n, float p0, float p1);
// dx = g * op'(x); x is the forward input, y the forward output (sigmoid, tanh, exp, sqrt, rsqrt
// and relu read y, the others x). dx may alias g.
void unary_backward_cpu(UnaryOp op, float* dx, const float* g, const float* x, const float* y, int64_t n,
                        float p0, float p1);

namespace isa {
// AVX2 + FMA versions of the transcendental unary ops (elementwise_avx2.cc): a Cephes-style
// polynomial exp, within 2 ulp of expf; call only when simd_level() >= kAvx2. out may alias x.
void exp_avx2(float* out, const float* x, int64_t n);
void sigmoid_avx2(float* out, const float* x, int64_t n);
void tanh_avx2(float* out, const float* x, int64_t n);
// GELU (erf form) with the erf approximation of PyTorch's vectorised CPU kernel (|error| < 1.5e-7).
void gelu_avx2(float* out, const float* x, int64_t n);
// ReLU and its backward as masks, bit-identical to the generic path (whose branches mispredict on
// data of random sign).
void relu_avx2(float* out, const float* x, int64_t n);
void relu_backward_avx2(float* dx, const float* g, const float* y, int64_t n);
}  // namespace isa

}  // namespace tk

// The per-thread code of the broadcasting pointwise kernels (cuda/elementwise.cu): the iteration
// plan (size-1 dimensions dropped, neighbours contiguous in every operand merged, as the CPU kernels'
// make_plan does), an element's operand offsets, and the op structs over math/elementwise.h and
// math/activations.h. __host__ __device__, so the host can run them too.
//
// defines: kMaxRank, Plan, make_plan, plan_offsets, ReducePlan, make_reduce_plan, the op structs,
// with_unary_op
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/elementwise.h"
#include "textkernels/math/activations.h"
#include "textkernels/math/elementwise.h"

namespace tk::cuda::elementwise {

constexpr int kMaxRank = 16;

// The broadcast iteration space of N operands, passed to the kernels by value.
template <int N>
struct Plan {
  int rank = 0;
  int64_t numel = 1;
  int64_t shape[kMaxRank];
  int64_t strides[N][kMaxRank];
};

template <int N>
Plan<N> make_plan(int rank, const int64_t* shape, const int64_t* const (&strides)[N]) {
  if (rank < 0 || rank > kMaxRank) {
    throw std::invalid_argument("elementwise: rank " + std::to_string(rank) + " is over " +
                                std::to_string(kMaxRank));
  }
  Plan<N> p;
  for (int d = 0; d < rank; ++d) {
    p.numel *= shape[d];
    if (shape[d] == 1) continue;
    bool merge = p.rank > 0;
    for (int k = 0; k < N && merge; ++k) merge = p.strides[k][p.rank - 1] == strides[k][d] * shape[d];
    if (merge) {
      p.shape[p.rank - 1] *= shape[d];
      for (int k = 0; k < N; ++k) p.strides[k][p.rank - 1] = strides[k][d];
    } else {
      p.shape[p.rank] = shape[d];
      for (int k = 0; k < N; ++k) p.strides[k][p.rank] = strides[k][d];
      ++p.rank;
    }
  }
  if (p.rank == 0) {
    p.rank = 1;
    p.shape[0] = 1;
    for (int k = 0; k < N; ++k) p.strides[k][0] = 0;
  }
  return p;
}

// The offsets of output element i in each operand.
template <int N>
__host__ __device__ inline void plan_offsets(const Plan<N>& p, int64_t i, int64_t (&off)[N]) {
  if (p.rank == 1) {  // same shapes, or a scalar against a tensor: no index arithmetic
    for (int k = 0; k < N; ++k) off[k] = i * p.strides[k][0];
    return;
  }
  for (int k = 0; k < N; ++k) off[k] = 0;
  for (int d = p.rank - 1; d >= 0; --d) {
    const int64_t s = p.shape[d];
    const int64_t idx = i % s;
    i /= s;
    for (int k = 0; k < N; ++k) off[k] += idx * p.strides[k][d];
  }
}

// sum_to_shape: the kept dimensions (out's, in order) and the reduced ones, each with g's strides.
struct ReducePlan {
  int kept_rank = 0, red_rank = 0;
  int64_t n_out = 1, n_red = 1;
  int64_t kept_shape[kMaxRank], kept_stride[kMaxRank];
  int64_t red_shape[kMaxRank], red_stride[kMaxRank];
};

inline ReducePlan make_reduce_plan(int rank, const int64_t* shape, const int64_t* out_shape) {
  if (rank < 0 || rank > kMaxRank) {
    throw std::invalid_argument("sum_to_shape: rank " + std::to_string(rank) + " is over " +
                                std::to_string(kMaxRank));
  }
  ReducePlan p;
  int64_t stride[kMaxRank];
  int64_t acc = 1;
  for (int d = rank - 1; d >= 0; --d) {
    stride[d] = acc;
    acc *= shape[d];
  }
  int last = -1;  // 0 kept, 1 reduced: the kind of the previous dimension kept in the plan
  for (int d = 0; d < rank; ++d) {
    if (out_shape[d] != shape[d] && out_shape[d] != 1) {
      throw std::invalid_argument("sum_to_shape: shape is not a broadcast of out_shape");
    }
    if (shape[d] == 1) continue;
    const bool red = out_shape[d] == 1;
    int64_t* sh = red ? p.red_shape : p.kept_shape;
    int64_t* st = red ? p.red_stride : p.kept_stride;
    int& r = red ? p.red_rank : p.kept_rank;
    (red ? p.n_red : p.n_out) *= shape[d];
    if (last == int(red)) {  // g is contiguous: a neighbour of the same kind merges
      sh[r - 1] *= shape[d];
      st[r - 1] = stride[d];
    } else {
      sh[r] = shape[d];
      st[r] = stride[d];
      ++r;
    }
    last = int(red);
  }
  return p;
}

__host__ __device__ inline int64_t dims_offset(int rank, const int64_t* shape, const int64_t* stride,
                                               int64_t i) {
  int64_t off = 0;
  for (int d = rank - 1; d >= 0; --d) {
    off += (i % shape[d]) * stride[d];
    i /= shape[d];
  }
  return off;
}

// ---- op structs ------------------------------------------------------------------------------------

struct AddOp {
  float alpha;
  __host__ __device__ float operator()(float x, float y) const { return math::add_scaled(x, y, alpha); }
};
struct SubOp {
  float alpha;
  __host__ __device__ float operator()(float x, float y) const { return math::sub_scaled(x, y, alpha); }
};
struct MulOp {
  __host__ __device__ float operator()(float x, float y) const { return x * y; }
};
struct DivOp {
  __host__ __device__ float operator()(float x, float y) const { return x / y; }
};
struct PowOp {
  __host__ __device__ float operator()(float x, float y) const { return math::pow_fwd(x, y); }
};
struct MaximumOp {
  __host__ __device__ float operator()(float x, float y) const { return math::nan_max(x, y); }
};
struct MinimumOp {
  __host__ __device__ float operator()(float x, float y) const { return math::nan_min(x, y); }
};

// grad(g, x, y, o, gx, gy)
struct MulGrad {
  __host__ __device__ void operator()(float g, float x, float y, float, float& gx, float& gy) const {
    math::mul_grad(g, x, y, gx, gy);
  }
};
struct DivGrad {
  __host__ __device__ void operator()(float g, float x, float y, float, float& gx, float& gy) const {
    math::div_grad(g, x, y, gx, gy);
  }
};
struct PowGrad {
  __host__ __device__ void operator()(float g, float x, float y, float o, float& gx, float& gy) const {
    math::pow_grad(g, x, y, o, gx, gy);
  }
};
struct MaximumGrad {
  __host__ __device__ void operator()(float g, float x, float y, float, float& gx, float& gy) const {
    math::maximum_grad(g, x, y, gx, gy);
  }
};
struct MinimumGrad {
  __host__ __device__ void operator()(float g, float x, float y, float, float& gx, float& gy) const {
    math::minimum_grad(g, x, y, gx, gy);
  }
};

template <typename T, int OP>
struct CompareFn {
  __host__ __device__ int32_t operator()(T x, T y) const {
    switch (CompareOp(OP)) {
      case CompareOp::kEq:
        return int32_t(x == y);
      case CompareOp::kNe:
        return int32_t(x != y);
      case CompareOp::kLt:
        return int32_t(x < y);
      case CompareOp::kLe:
        return int32_t(x <= y);
      case CompareOp::kGt:
        return int32_t(x > y);
      case CompareOp::kGe:
        return int32_t(x >= y);
    }
    return 0;
  }
};

// The unary ops, as unary_forward_cpu's scalar path and unary_backward_cpu compute them.
template <int OP>
__host__ __device__ inline float unary_fwd(float v, float p0, float p1) {
  using namespace math;
  switch (UnaryOp(OP)) {
    case UnaryOp::kNeg:
      return -v;
    case UnaryOp::kExp:
      return expf(v);
    case UnaryOp::kLog:
      return logf(v);
    case UnaryOp::kSqrt:
      return sqrtf(v);
    case UnaryOp::kRsqrt:
      return 1.0f / sqrtf(v);
    case UnaryOp::kAbs:
      return fabsf(v);
    case UnaryOp::kSin:
      return sinf(v);
    case UnaryOp::kCos:
      return cosf(v);
    case UnaryOp::kTanh:
      return tanh_fwd(v);
    case UnaryOp::kSigmoid:
      return sigmoid(v);
    case UnaryOp::kRelu:
      return relu_nan(v);
    case UnaryOp::kGelu:
      return gelu(v);
    case UnaryOp::kGeluTanh:
      return gelu_tanh(v);
    case UnaryOp::kSoftplus:
      return softplus_beta(v, p0, p1);
    case UnaryOp::kLeakyRelu:
      return leaky_relu(v, p0);
    case UnaryOp::kClamp:
      return clamp_fwd(v, p0, p1);
    case UnaryOp::kSquare:
      return v * v;
    case UnaryOp::kScale:
      return p0 * v;
    case UnaryOp::kCount:
      break;
  }
  return 0.0f;
}

// g * op'(.) from x (the forward input) or y (the forward output), whichever the op reads.
template <int OP>
__host__ __device__ inline float unary_bwd(float g, float x, float y, float p0, float p1) {
  using namespace math;
  switch (UnaryOp(OP)) {
    case UnaryOp::kNeg:
      return -g;
    case UnaryOp::kExp:
      return g * y;
    case UnaryOp::kLog:
      return g / x;
    case UnaryOp::kSqrt:
      return g / (2.0f * y);
    case UnaryOp::kRsqrt:
      return -0.5f * g * (y * y * y);
    case UnaryOp::kAbs:
      return g * sign_of(x);
    case UnaryOp::kSin:
      return g * cosf(x);
    case UnaryOp::kCos:
      return g * -sinf(x);
    case UnaryOp::kTanh:
      return g * tanh_grad_from_y(y);
    case UnaryOp::kSigmoid:
      return g * sigmoid_grad_from_y(y);
    case UnaryOp::kRelu:  // threshold_backward: selects, zero where the output is <= 0
      return y <= 0.0f ? 0.0f : g;
    case UnaryOp::kGelu:
      return g * gelu_grad(x);
    case UnaryOp::kGeluTanh:
      return g * gelu_tanh_grad(x);
    case UnaryOp::kSoftplus:
      return g * softplus_beta_grad(x, p0, p1);
    case UnaryOp::kLeakyRelu:
      return x > 0.0f ? g : g * p0;
    case UnaryOp::kClamp:
      return clamp_grad(g, x, p0, p1);
    case UnaryOp::kSquare:
      return g * (2.0f * x);
    case UnaryOp::kScale:
      return g * p0;
    case UnaryOp::kCount:
      break;
  }
  return 0.0f;
}

// Calls fn(std::integral_constant<int, op>{}) (host side): the enum -> template mapping.
template <int K = 0, typename Fn>
void with_unary_op(UnaryOp op, Fn&& fn) {
  if constexpr (K < int(UnaryOp::kCount)) {
    if (int(op) == K) return fn(std::integral_constant<int, K>{});
    return with_unary_op<K + 1>(op, static_cast<Fn&&>(fn));
  } else {
    throw std::invalid_argument("elementwise: unknown unary op " + std::to_string(int(op)));
  }
}

}  // namespace tk::cuda::elementwise

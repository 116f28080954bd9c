#include "kernels/elementwise.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu_features.h"
#include "kernels/thread_pool.h"
#include "textkernels/math/activations.h"
#include "textkernels/math/elementwise.h"

namespace tk {
namespace {

constexpr int kMaxRank = 16;
// Below this many elements threading costs more than it saves.
constexpr int64_t kGrain = 32768;

// The broadcast iteration space after dropping size-1 dimensions and merging neighbours that are
// contiguous in every operand, so the common cases (same shape, scalar, row or column broadcast)
// run as one or two long inner loops.
template <int N>
struct Plan {
  int rank = 0;
  int64_t numel = 1;
  int64_t shape[kMaxRank];
  int64_t strides[N][kMaxRank];
};

template <int N>
Plan<N> make_plan(BroadcastShape s, const int64_t* const (&strides)[N]) {
  Plan<N> p;
  for (int d = 0; d < s.rank; ++d) {
    p.numel *= s.shape[d];
    if (s.shape[d] == 1) continue;
    bool merge = p.rank > 0;
    for (int k = 0; k < N && merge; ++k) merge = p.strides[k][p.rank - 1] == strides[k][d] * s.shape[d];
    if (merge) {
      p.shape[p.rank - 1] *= s.shape[d];
      for (int k = 0; k < N; ++k) p.strides[k][p.rank - 1] = strides[k][d];
    } else {
      p.shape[p.rank] = s.shape[d];
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

// f(i, off, inner, len): output elements [i, i + len) lie on one innermost row; operand k starts
// at off[k] and steps by inner[k].
template <int N, class F>
void broadcast_loop(const Plan<N>& p, F&& f) {
  if (p.numel == 0) return;
  parallel_for(p.numel, kGrain, [&](int64_t begin, int64_t end) {
    const int last = p.rank - 1;
    int64_t idx[kMaxRank];
    int64_t off[N] = {};
    int64_t rem = begin;
    for (int d = last; d >= 0; --d) {
      idx[d] = rem % p.shape[d];
      rem /= p.shape[d];
      for (int k = 0; k < N; ++k) off[k] += idx[d] * p.strides[k][d];
    }
    int64_t inner[N];
    for (int k = 0; k < N; ++k) inner[k] = p.strides[k][last];
    int64_t i = begin;
    while (i < end) {
      int64_t len = std::min(p.shape[last] - idx[last], end - i);
      f(i, off, inner, len);
      i += len;
      idx[last] += len;
      for (int k = 0; k < N; ++k) off[k] += len * inner[k];
      for (int d = last; d > 0 && idx[d] == p.shape[d]; --d) {
        idx[d] = 0;
        idx[d - 1] += 1;
        for (int k = 0; k < N; ++k) off[k] += p.strides[k][d - 1] - p.shape[d] * p.strides[k][d];
      }
    }
  });
}

// Inner loops specialised on the strides the compiler can vectorise: both contiguous, or one a
// broadcast scalar.
template <class T, class O, class F>
void run_binary(O* out, const T* a, const T* b, BroadcastShape s, const int64_t* as, const int64_t* bs,
                F op) {
  const int64_t* st[2] = {as, bs};
  Plan<2> p = make_plan<2>(s, st);
  broadcast_loop(p, [&](int64_t i, const int64_t* off, const int64_t* inner, int64_t len) {
    O* o = out + i;
    const T* pa = a + off[0];
    const T* pb = b + off[1];
    if (inner[0] == 1 && inner[1] == 1) {
      for (int64_t j = 0; j < len; ++j) o[j] = op(pa[j], pb[j]);
    } else if (inner[0] == 1 && inner[1] == 0) {
      const T bv = *pb;
      for (int64_t j = 0; j < len; ++j) o[j] = op(pa[j], bv);
    } else if (inner[0] == 0 && inner[1] == 1) {
      const T av = *pa;
      for (int64_t j = 0; j < len; ++j) o[j] = op(av, pb[j]);
    } else {
      for (int64_t j = 0; j < len; ++j) o[j] = op(pa[j * inner[0]], pb[j * inner[1]]);
    }
  });
}

template <class F>
void run_binary_backward(float* da, float* db, const float* g, const float* a, const float* b,
                         const float* out, BroadcastShape s, const int64_t* as, const int64_t* bs, F grad) {
  // Operands: g, a, b, out; g and out are contiguous over the output shape.
  int64_t contiguous[kMaxRank];
  int64_t acc = 1;
  for (int d = s.rank - 1; d >= 0; --d) {
    contiguous[d] = acc;
    acc *= s.shape[d];
  }
  const int64_t* st[3] = {as, bs, contiguous};
  Plan<3> p = make_plan<3>(s, st);
  broadcast_loop(p, [&](int64_t i, const int64_t* off, const int64_t* inner, int64_t len) {
    const float* pa = a + off[0];
    const float* pb = b + off[1];
    for (int64_t j = 0; j < len; ++j) {
      float ga, gb;
      grad(g[i + j], pa[j * inner[0]], pb[j * inner[1]], out[i + j], ga, gb);
      if (da) da[i + j] = ga;
      if (db) db[i + j] = gb;
    }
  });
}

}  // namespace

void binary_forward_cpu(BinaryOp op, float* out, const float* a, const float* b, BroadcastShape s,
                        const int64_t* as, const int64_t* bs, float alpha) {
  switch (op) {
    case BinaryOp::kAdd:
      if (alpha == 1.0f) return run_binary(out, a, b, s, as, bs, [](float x, float y) { return x + y; });
      return run_binary(out, a, b, s, as, bs, [alpha](float x, float y) { return x + alpha * y; });
    case BinaryOp::kSub:
      if (alpha == 1.0f) return run_binary(out, a, b, s, as, bs, [](float x, float y) { return x - y; });
      return run_binary(out, a, b, s, as, bs, [alpha](float x, float y) { return x - alpha * y; });
    case BinaryOp::kMul:
      return run_binary(out, a, b, s, as, bs, [](float x, float y) { return x * y; });
    case BinaryOp::kDiv:
      return run_binary(out, a, b, s, as, bs, [](float x, float y) { return x / y; });
    case BinaryOp::kPow:
      return run_binary(out, a, b, s, as, bs, math::pow_fwd);
    case BinaryOp::kMaximum:
      return run_binary(out, a, b, s, as, bs, math::nan_max);
    case BinaryOp::kMinimum:
      return run_binary(out, a, b, s, as, bs, math::nan_min);
  }
}

// Formulas follow PyTorch's derivatives.yaml; they live in math/elementwise.h, which the CUDA kernels
// share.
void binary_backward_cpu(BinaryOp op, float* da, float* db, const float* g, const float* a, const float* b,
                         const float* out, BroadcastShape s, const int64_t* as, const int64_t* bs) {
  switch (op) {
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
      // Handled by the caller (the gradient is g or -alpha * g).
      return;
    case BinaryOp::kMul:
      return run_binary_backward(
          da, db, g, a, b, out, s, as, bs,
          [](float gv, float x, float y, float, float& ga, float& gb) { math::mul_grad(gv, x, y, ga, gb); });
    case BinaryOp::kDiv:
      return run_binary_backward(
          da, db, g, a, b, out, s, as, bs,
          [](float gv, float x, float y, float, float& ga, float& gb) { math::div_grad(gv, x, y, ga, gb); });
    case BinaryOp::kPow:
      return run_binary_backward(da, db, g, a, b, out, s, as, bs, math::pow_grad);
    case BinaryOp::kMaximum:
      return run_binary_backward(da, db, g, a, b, out, s, as, bs,
                                 [](float gv, float x, float y, float, float& ga, float& gb) {
                                   math::maximum_grad(gv, x, y, ga, gb);
                                 });
    case BinaryOp::kMinimum:
      return run_binary_backward(da, db, g, a, b, out, s, as, bs,
                                 [](float gv, float x, float y, float, float& ga, float& gb) {
                                   math::minimum_grad(gv, x, y, ga, gb);
                                 });
  }
}

namespace {
template <class T>
void compare_impl(CompareOp op, int32_t* out, const T* a, const T* b, BroadcastShape s, const int64_t* as,
                  const int64_t* bs) {
  switch (op) {
    case CompareOp::kEq:
      return run_binary(out, a, b, s, as, bs, [](T x, T y) { return int32_t(x == y); });
    case CompareOp::kNe:
      return run_binary(out, a, b, s, as, bs, [](T x, T y) { return int32_t(x != y); });
    case CompareOp::kLt:
      return run_binary(out, a, b, s, as, bs, [](T x, T y) { return int32_t(x < y); });
    case CompareOp::kLe:
      return run_binary(out, a, b, s, as, bs, [](T x, T y) { return int32_t(x <= y); });
    case CompareOp::kGt:
      return run_binary(out, a, b, s, as, bs, [](T x, T y) { return int32_t(x > y); });
    case CompareOp::kGe:
      return run_binary(out, a, b, s, as, bs, [](T x, T y) { return int32_t(x >= y); });
  }
}
}  // namespace

void compare_cpu(CompareOp op, int32_t* out, const float* a, const float* b, BroadcastShape s,
                 const int64_t* as, const int64_t* bs) {
  compare_impl(op, out, a, b, s, as, bs);
}

void compare_i32_cpu(CompareOp op, int32_t* out, const int32_t* a, const int32_t* b, BroadcastShape s,
                     const int64_t* as, const int64_t* bs) {
  compare_impl(op, out, a, b, s, as, bs);
}

void where_cpu(uint32_t* out, const int32_t* cond, const uint32_t* a, const uint32_t* b, BroadcastShape s,
               const int64_t* cs, const int64_t* as, const int64_t* bs) {
  const int64_t* st[3] = {cs, as, bs};
  Plan<3> p = make_plan<3>(s, st);
  broadcast_loop(p, [&](int64_t i, const int64_t* off, const int64_t* inner, int64_t len) {
    const int32_t* pc = cond + off[0];
    const uint32_t* pa = a + off[1];
    const uint32_t* pb = b + off[2];
    uint32_t* o = out + i;
    if (inner[0] == 1 && inner[1] == 1 && inner[2] == 1) {
      for (int64_t j = 0; j < len; ++j) o[j] = pc[j] ? pa[j] : pb[j];
    } else {
      for (int64_t j = 0; j < len; ++j) o[j] = pc[j * inner[0]] ? pa[j * inner[1]] : pb[j * inner[2]];
    }
  });
}

namespace {
template <class F>
void map1(float* out, const float* x, int64_t n, F f) {
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = f(x[i]);
  });
}
template <class F>
void map_grad(float* dx, const float* g, const float* x, const float* y, int64_t n, F f) {
  // One loop per present input, so that the compiler vectorises each without a test per element.
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) {
    if (x && y) {
      for (int64_t i = b; i < e; ++i) dx[i] = f(g[i], x[i], y[i]);
    } else if (x) {
      for (int64_t i = b; i < e; ++i) dx[i] = f(g[i], x[i], 0.0f);
    } else if (y) {
      for (int64_t i = b; i < e; ++i) dx[i] = f(g[i], 0.0f, y[i]);
    } else {
      for (int64_t i = b; i < e; ++i) dx[i] = f(g[i], 0.0f, 0.0f);
    }
  });
}
}  // namespace

namespace {
// The vectorised transcendental ops; false where this build or CPU has none.
bool unary_forward_simd(UnaryOp op, float* out, const float* x, int64_t n) {
#if defined(TK_HAVE_X86_KERNELS)
  if (simd_level() < SimdLevel::kAvx2) return false;
  void (*fn)(float*, const float*, int64_t) = nullptr;
  if (op == UnaryOp::kExp) fn = isa::exp_avx2;
  if (op == UnaryOp::kSigmoid) fn = isa::sigmoid_avx2;
  if (op == UnaryOp::kTanh) fn = isa::tanh_avx2;
  if (op == UnaryOp::kGelu) fn = isa::gelu_avx2;
  if (op == UnaryOp::kRelu) fn = isa::relu_avx2;
  if (!fn) return false;
  parallel_for(n, kGrain, [&](int64_t b, int64_t e) { fn(out + b, x + b, e - b); });
  return true;
#else
  (void)op, (void)out, (void)x, (void)n;
  return false;
#endif
}
}  // namespace

void unary_forward_cpu(UnaryOp op, float* out, const float* x, int64_t n, float p0, float p1) {
  using namespace math;
  if (unary_forward_simd(op, out, x, n)) return;
  switch (op) {
    case UnaryOp::kNeg:
      return map1(out, x, n, [](float v) { return -v; });
    case UnaryOp::kExp:
      return map1(out, x, n, [](float v) { return std::exp(v); });
    case UnaryOp::kLog:
      return map1(out, x, n, [](float v) { return std::log(v); });
    case UnaryOp::kSqrt:
      return map1(out, x, n, [](float v) { return std::sqrt(v); });
    case UnaryOp::kRsqrt:
      return map1(out, x, n, [](float v) { return 1.0f / std::sqrt(v); });
    case UnaryOp::kAbs:
      return map1(out, x, n, [](float v) { return std::fabs(v); });
    case UnaryOp::kSin:
      return map1(out, x, n, [](float v) { return std::sin(v); });
    case UnaryOp::kCos:
      return map1(out, x, n, [](float v) { return std::cos(v); });
    case UnaryOp::kTanh:
      return map1(out, x, n, [](float v) { return tanh_fwd(v); });
    case UnaryOp::kSigmoid:
      return map1(out, x, n, [](float v) { return sigmoid(v); });
    case UnaryOp::kRelu:
      return map1(out, x, n, relu_nan);
    case UnaryOp::kGelu:
      return map1(out, x, n, [](float v) { return gelu(v); });
    case UnaryOp::kGeluTanh:
      return map1(out, x, n, [](float v) { return gelu_tanh(v); });
    case UnaryOp::kSoftplus:
      return map1(out, x, n, [p0, p1](float v) { return softplus_beta(v, p0, p1); });
    case UnaryOp::kLeakyRelu:
      return map1(out, x, n, [p0](float v) { return leaky_relu(v, p0); });
    case UnaryOp::kClamp:
      return map1(out, x, n, [p0, p1](float v) { return clamp_fwd(v, p0, p1); });
    case UnaryOp::kSquare:
      return map1(out, x, n, [](float v) { return v * v; });
    case UnaryOp::kScale:
      return map1(out, x, n, [p0](float v) { return p0 * v; });
    case UnaryOp::kCount:
      return;
  }
}

void unary_backward_cpu(UnaryOp op, float* dx, const float* g, const float* x, const float* y, int64_t n,
                        float p0, float p1) {
  using namespace math;
#if defined(TK_HAVE_X86_KERNELS)
  if (op == UnaryOp::kRelu && y && simd_level() >= SimdLevel::kAvx2) {
    parallel_for(n, kGrain,
                 [&](int64_t b, int64_t e) { isa::relu_backward_avx2(dx + b, g + b, y + b, e - b); });
    return;
  }
#endif
  switch (op) {
    case UnaryOp::kNeg:
      return map_grad(dx, g, x, y, n, [](float gv, float, float) { return -gv; });
    case UnaryOp::kExp:
      return map_grad(dx, g, x, y, n, [](float gv, float, float yv) { return gv * yv; });
    case UnaryOp::kLog:
      return map_grad(dx, g, x, y, n, [](float gv, float xv, float) { return gv / xv; });
    case UnaryOp::kSqrt:
      return map_grad(dx, g, x, y, n, [](float gv, float, float yv) { return gv / (2.0f * yv); });
    case UnaryOp::kRsqrt:
      return map_grad(dx, g, x, y, n, [](float gv, float, float yv) { return -0.5f * gv * (yv * yv * yv); });
    case UnaryOp::kAbs:
      return map_grad(dx, g, x, y, n, [](float gv, float xv, float) { return gv * sign_of(xv); });
    case UnaryOp::kSin:
      return map_grad(dx, g, x, y, n, [](float gv, float xv, float) { return gv * std::cos(xv); });
    case UnaryOp::kCos:
      return map_grad(dx, g, x, y, n, [](float gv, float xv, float) { return gv * -std::sin(xv); });
    case UnaryOp::kTanh:
      return map_grad(dx, g, x, y, n, [](float gv, float, float yv) { return gv * tanh_grad_from_y(yv); });
    case UnaryOp::kSigmoid:
      return map_grad(dx, g, x, y, n, [](float gv, float, float yv) { return gv * sigmoid_grad_from_y(yv); });
    // threshold_backward: zero where the output is <= 0.
    case UnaryOp::kRelu:
      return map_grad(dx, g, x, y, n, [](float gv, float, float yv) { return yv <= 0.0f ? 0.0f : gv; });
    case UnaryOp::kGelu:
      return map_grad(dx, g, x, y, n, [](float gv, float xv, float) { return gv * gelu_grad(xv); });
    case UnaryOp::kGeluTanh:
      return map_grad(dx, g, x, y, n, [](float gv, float xv, float) { return gv * gelu_tanh_grad(xv); });
    case UnaryOp::kSoftplus:
      return map_grad(dx, g, x, y, n,
                      [p0, p1](float gv, float xv, float) { return gv * softplus_beta_grad(xv, p0, p1); });
    case UnaryOp::kLeakyRelu:
      return map_grad(dx, g, x, y, n, [p0](float gv, float xv, float) { return xv > 0.0f ? gv : gv * p0; });
    case UnaryOp::kClamp:
      return map_grad(dx, g, x, y, n,
                      [p0, p1](float gv, float xv, float) { return clamp_grad(gv, xv, p0, p1); });
    case UnaryOp::kSquare:
      return map_grad(dx, g, x, y, n, [](float gv, float xv, float) { return gv * (2.0f * xv); });
    case UnaryOp::kScale:
      return map_grad(dx, g, x, y, n, [p0](float gv, float, float) { return gv * p0; });
    case UnaryOp::kCount:
      return;
  }
}

}  // namespace tk

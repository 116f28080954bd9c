// The argument checks of the reduction exports, shared by the CPU exports (native/binding/reduce.cc,
// Arrays = HostArrays: typed arrays) and the device exports (cuda/binding/reduce.cc, Arrays =
// cuda::DeviceArrays: device buffers), so that both refuse the same calls with the same messages.
//
// Checks that need the values of an index array (maxBackward's indices) cannot run on the host for
// device buffers: ReadMaxBackward leaves them to the caller, which checks on the CPU before the
// kernel runs, or on the device with a kernel that finds the first bad index; both then throw
// IndexMessage's RangeError.
#pragma once
#include <string>
#include <vector>

#include "binding/args.h"

namespace tk::binding::reduce_args {

struct Dims {
  int64_t outer, reduced, inner, in_numel, out_numel;
};

inline Dims GetDims(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  Dims d;
  d.outer = GetInt(info, i, "outer");
  d.reduced = GetInt(info, i + 1, "reduced");
  d.inner = GetInt(info, i + 2, "inner");
  std::vector<int64_t> in_shape = {d.outer, d.reduced, d.inner};
  std::vector<int64_t> out_shape = {d.outer, d.inner};
  d.in_numel = Numel(env, in_shape, "[outer, reduced, inner]");
  d.out_numel = Numel(env, out_shape, "[outer, inner]");
  return d;
}

// An optional trailing divisor (default 1): any number but 0 is taken (NaN and infinities too, as a
// mean over nothing or a loss whose targets are all ignored divides by them).
inline double GetDivisor(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined()) return 1.0;
  return GetNumber(info, i, "divisor");
}

// sumForward(out, x, outer, reduced, inner, divisor?): out = float(float(sum) / divisor).
struct Sum {
  Dims d;
  Span<float> out, x;
  double divisor;
};
template <class Arrays>
Sum ReadSum(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "sumForward");
  Sum r;
  r.d = GetDims(info, 2);
  r.divisor = GetDivisor(info, 5);
  r.out = Arrays::template GetExact<float>(info, 0, "out", r.d.out_numel);
  r.x = Arrays::template GetExact<float>(info, 1, "x", r.d.in_numel);
  if (Overlaps(r.out, r.x)) ThrowRange(info.Env(), "out must not overlap x");
  return r;
}

// sumBackward(dx, g, outer, reduced, inner, divisor?): dx[o, r, i] = g[o, i] / float(divisor).
struct SumBackward {
  Dims d;
  Span<float> dx, g;
  double divisor;
};
template <class Arrays>
SumBackward ReadSumBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "sumBackward");
  SumBackward r;
  r.d = GetDims(info, 2);
  r.divisor = GetDivisor(info, 5);
  r.dx = Arrays::template GetExact<float>(info, 0, "dx", r.d.in_numel);
  r.g = Arrays::template GetExact<float>(info, 1, "g", r.d.out_numel);
  if (Overlaps(r.dx, r.g)) ThrowRange(info.Env(), "dx must not overlap g");
  return r;
}

// sumInt32Forward(out, x, outer, reduced, inner): exact sums wrapped to int32.
struct SumInt32 {
  Dims d;
  Span<int32_t> out, x;
};
template <class Arrays>
SumInt32 ReadSumInt32(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "sumInt32Forward");
  SumInt32 r;
  r.d = GetDims(info, 2);
  r.out = Arrays::template GetExact<int32_t>(info, 0, "out", r.d.out_numel);
  r.x = Arrays::template GetExact<int32_t>(info, 1, "x", r.d.in_numel);
  if (Overlaps(r.out, r.x)) ThrowRange(info.Env(), "out must not overlap x");
  return r;
}

// maxForward(isMax, values | null, indices, x, outer, reduced, inner)
struct MaxForward {
  bool is_max;
  Dims d;
  Span<float> values, x;
  Span<int32_t> indices;
};
template <class Arrays>
MaxForward ReadMaxForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "maxForward");
  Napi::Env env = info.Env();
  MaxForward r;
  r.is_max = GetBool(info, 0, "isMax");
  r.d = GetDims(info, 4);
  if (r.d.reduced == 0 && r.d.out_numel > 0)
    ThrowRange(env, "max/min over an empty dimension has no identity");
  if (!(info[1].IsNull() || info[1].IsUndefined()))
    r.values = Arrays::template GetExact<float>(info, 1, "values", r.d.out_numel);
  r.indices = Arrays::template GetExact<int32_t>(info, 2, "indices", r.d.out_numel);
  r.x = Arrays::template GetExact<float>(info, 3, "x", r.d.in_numel);
  if (r.d.reduced > INT32_MAX) ThrowRange(env, "reduced must fit in int32 indices");
  if (Overlaps(r.values, r.x) || Overlaps(r.indices, r.x) || Overlaps(r.values, r.indices)) {
    ThrowRange(env, "outputs must not overlap x or each other");
  }
  return r;
}

// maxBackward(dx, g, indices, outer, reduced, inner); the indices' values are checked by the caller.
struct MaxBackward {
  Dims d;
  Span<float> dx, g;
  Span<int32_t> indices;
};
template <class Arrays>
MaxBackward ReadMaxBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "maxBackward");
  MaxBackward r;
  r.d = GetDims(info, 3);
  r.dx = Arrays::template GetExact<float>(info, 0, "dx", r.d.in_numel);
  r.g = Arrays::template GetExact<float>(info, 1, "g", r.d.out_numel);
  r.indices = Arrays::template GetExact<int32_t>(info, 2, "indices", r.d.out_numel);
  if (Overlaps(r.dx, r.g) || Overlaps(r.dx, r.indices))
    ThrowRange(info.Env(), "dx must not overlap g or indices");
  return r;
}

inline std::string IndexMessage(int64_t k, int64_t value, int64_t reduced) {
  return "indices[" + std::to_string(k) + "] is " + std::to_string(value) +
         ", out of range for a reduced size of " + std::to_string(reduced);
}

// maxAllBackward(dx, g, x, value): the gradient of a full max/min, g[0] shared evenly among the
// elements equal to value[0] (among the NaNs when it is NaN), as torch's evenly_distribute_backward.
struct MaxAllBackward {
  Span<float> dx, g, x, value;
};
template <class Arrays>
MaxAllBackward ReadMaxAllBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 4, "maxAllBackward");
  MaxAllBackward r;
  r.x = Arrays::template Get<float>(info, 2, "x");
  r.dx = Arrays::template GetExact<float>(info, 0, "dx", int64_t(r.x.length));
  r.g = Arrays::template GetExact<float>(info, 1, "g", 1);
  r.value = Arrays::template GetExact<float>(info, 3, "value", 1);
  if (Overlaps(r.dx, r.g) || Overlaps(r.dx, r.x) || Overlaps(r.dx, r.value))
    ThrowRange(info.Env(), "dx must not overlap g, x or value");
  return r;
}

// logsumexpForward(out, x, outer, reduced, inner)
struct Logsumexp {
  Dims d;
  Span<float> out, x;
};
template <class Arrays>
Logsumexp ReadLogsumexp(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "logsumexpForward");
  Logsumexp r;
  r.d = GetDims(info, 2);
  r.out = Arrays::template GetExact<float>(info, 0, "out", r.d.out_numel);
  r.x = Arrays::template GetExact<float>(info, 1, "x", r.d.in_numel);
  if (Overlaps(r.out, r.x)) ThrowRange(info.Env(), "out must not overlap x");
  return r;
}

// logsumexpBackward(dx, g, x, out, outer, reduced, inner): dx = g * exp(x - out).
struct LogsumexpBackward {
  Dims d;
  Span<float> dx, g, x, out;
};
template <class Arrays>
LogsumexpBackward ReadLogsumexpBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "logsumexpBackward");
  LogsumexpBackward r;
  r.d = GetDims(info, 4);
  r.dx = Arrays::template GetExact<float>(info, 0, "dx", r.d.in_numel);
  r.g = Arrays::template GetExact<float>(info, 1, "g", r.d.out_numel);
  r.x = Arrays::template GetExact<float>(info, 2, "x", r.d.in_numel);
  r.out = Arrays::template GetExact<float>(info, 3, "out", r.d.out_numel);
  if (Overlaps(r.dx, r.g) || Overlaps(r.dx, r.x) || Overlaps(r.dx, r.out))
    ThrowRange(info.Env(), "dx must not overlap g, x or out");
  return r;
}

// allFinite(x), absMax(x): one array.
template <class Arrays>
Span<float> ReadOne(const Napi::CallbackInfo& info, const char* fn) {
  RequireArgs(info, 1, fn);
  return Arrays::template Get<float>(info, 0, "x");
}

// powSum(x, p): p > 0 and finite (the CPU export lives in native/binding/optim.cc and reads these).
struct PowSum {
  Span<float> x;
  double p;
};
template <class Arrays>
PowSum ReadPowSum(const Napi::CallbackInfo& info) {
  RequireArgs(info, 2, "powSum");
  PowSum r;
  r.x = Arrays::template Get<float>(info, 0, "x");
  r.p = GetFiniteNumber(info, 1, "p");
  if (!(r.p > 0)) ThrowRange(info.Env(), "p must be positive, got " + std::to_string(r.p));
  return r;
}

// scaleInPlace(x, c): x *= float(c) (clipGradNorm); clampInPlace(x, lo, hi): NaN stays NaN.
struct ScaleInPlace {
  Span<float> x;
  float c;
};
template <class Arrays>
ScaleInPlace ReadScaleInPlace(const Napi::CallbackInfo& info) {
  RequireArgs(info, 2, "scaleInPlace");
  ScaleInPlace r;
  r.x = Arrays::template Get<float>(info, 0, "x");
  r.c = float(GetNumber(info, 1, "c"));
  return r;
}
struct ClampInPlace {
  Span<float> x;
  float lo, hi;
};
template <class Arrays>
ClampInPlace ReadClampInPlace(const Napi::CallbackInfo& info) {
  RequireArgs(info, 3, "clampInPlace");
  ClampInPlace r;
  r.x = Arrays::template Get<float>(info, 0, "x");
  r.lo = float(GetNumber(info, 1, "lo"));
  r.hi = float(GetNumber(info, 2, "hi"));
  return r;
}

}  // namespace tk::binding::reduce_args

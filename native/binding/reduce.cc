// Exports: sumForward, sumBackward, sumInt32Forward, maxForward, maxBackward, maxAllBackward,
// logsumexpForward, logsumexpBackward, allFinite, scaleInPlace, clampInPlace. Each [outer, reduced,
// inner] export views its input as that and its output as [outer, inner]. Arguments are checked in
// binding/reduce_args.h, which the device exports (cuda/binding/reduce.cc) share.
//
// The small loops here (backward passes, int32 sums, in-place scaling) are the CPU twins of device
// kernels that the ops call on either device; their arithmetic is what lib/ops/reduce.ts and
// lib/nn/utils.ts did in JavaScript before, so CPU results did not change.
#include "kernels/reduce.h"

#include <cmath>
#include <string>

#include "binding/args.h"
#include "binding/reduce_args.h"
#include "binding/registry.h"
#include "kernels/thread_pool.h"

namespace tk::binding {
namespace {

using namespace reduce_args;

Napi::Value JS_sumForward(const Napi::CallbackInfo& info) {
  Sum r = ReadSum<HostArrays>(info);
  sum_forward_cpu(r.out.data, r.x.data, r.d.outer, r.d.reduced, r.d.inner);
  if (r.divisor != 1.0) {
    for (int64_t k = 0; k < r.d.out_numel; ++k) r.out.data[k] = float(double(r.out.data[k]) / r.divisor);
  }
  return info.Env().Undefined();
}

Napi::Value JS_sumBackward(const Napi::CallbackInfo& info) {
  SumBackward r = ReadSumBackward<HostArrays>(info);
  const float div = float(r.divisor);
  const int64_t R = r.d.reduced, I = r.d.inner;
  parallel_for(r.d.outer * R, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, I)),
               [&](int64_t b, int64_t e) {
                 for (int64_t t = b; t < e; ++t) {
                   const float* g = r.g.data + (t / R) * I;
                   float* dx = r.dx.data + t * I;
                   for (int64_t i = 0; i < I; ++i) dx[i] = div == 1.0f ? g[i] : g[i] / div;
                 }
               });
  return info.Env().Undefined();
}

Napi::Value JS_sumInt32Forward(const Napi::CallbackInfo& info) {
  SumInt32 r = ReadSumInt32<HostArrays>(info);
  const int64_t R = r.d.reduced, I = r.d.inner;
  for (int64_t o = 0; o < r.d.outer; ++o)
    for (int64_t i = 0; i < I; ++i) {
      uint32_t acc = 0;  // wraps as an int32 add would
      for (int64_t k = 0; k < R; ++k) acc += uint32_t(r.x.data[(o * R + k) * I + i]);
      r.out.data[o * I + i] = int32_t(acc);
    }
  return info.Env().Undefined();
}

Napi::Value JS_allFinite(const Napi::CallbackInfo& info) {
  auto x = ReadOne<HostArrays>(info, "allFinite");
  return Napi::Boolean::New(info.Env(), all_finite_cpu(x.data, int64_t(x.length)));
}

Napi::Value JS_maxForward(const Napi::CallbackInfo& info) {
  MaxForward r = ReadMaxForward<HostArrays>(info);
  max_forward_cpu(r.is_max, r.values.data, r.indices.data, r.x.data, r.d.outer, r.d.reduced, r.d.inner);
  return info.Env().Undefined();
}

Napi::Value JS_maxBackward(const Napi::CallbackInfo& info) {
  MaxBackward r = ReadMaxBackward<HostArrays>(info);
  for (size_t k = 0; k < r.indices.length; ++k) {
    if (r.indices.data[k] < 0 || r.indices.data[k] >= r.d.reduced)
      ThrowRange(info.Env(), IndexMessage(int64_t(k), r.indices.data[k], r.d.reduced));
  }
  max_backward_cpu(r.dx.data, r.g.data, r.indices.data, r.d.outer, r.d.reduced, r.d.inner);
  return info.Env().Undefined();
}

Napi::Value JS_maxAllBackward(const Napi::CallbackInfo& info) {
  MaxAllBackward r = ReadMaxAllBackward<HostArrays>(info);
  const float v = r.value.data[0];
  const bool nan = std::isnan(v);
  int64_t count = 0;
  for (size_t i = 0; i < r.x.length; ++i) count += nan ? std::isnan(r.x.data[i]) : r.x.data[i] == v;
  const float share = r.g.data[0] / float(count);
  for (size_t i = 0; i < r.x.length; ++i) {
    const bool hit = nan ? std::isnan(r.x.data[i]) : r.x.data[i] == v;
    r.dx.data[i] = hit ? share : 0.0f * share;  // mask * share, as torch: NaN when share is
  }
  return info.Env().Undefined();
}

Napi::Value JS_logsumexpForward(const Napi::CallbackInfo& info) {
  Logsumexp r = ReadLogsumexp<HostArrays>(info);
  logsumexp_forward_cpu(r.out.data, r.x.data, r.d.outer, r.d.reduced, r.d.inner);
  return info.Env().Undefined();
}

Napi::Value JS_logsumexpBackward(const Napi::CallbackInfo& info) {
  LogsumexpBackward r = ReadLogsumexpBackward<HostArrays>(info);
  const int64_t R = r.d.reduced, I = r.d.inner;
  parallel_for(r.d.outer * R, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, I)),
               [&](int64_t b, int64_t e) {
                 for (int64_t t = b; t < e; ++t) {
                   const int64_t o = t / R;
                   for (int64_t i = 0; i < I; ++i) {
                     const int64_t k = t * I + i;
                     r.dx.data[k] = r.g.data[o * I + i] * expf(r.x.data[k] - r.out.data[o * I + i]);
                   }
                 }
               });
  return info.Env().Undefined();
}

Napi::Value JS_scaleInPlace(const Napi::CallbackInfo& info) {
  ScaleInPlace r = ReadScaleInPlace<HostArrays>(info);
  for (size_t i = 0; i < r.x.length; ++i) r.x.data[i] *= r.c;
  return info.Env().Undefined();
}

Napi::Value JS_clampInPlace(const Napi::CallbackInfo& info) {
  ClampInPlace r = ReadClampInPlace<HostArrays>(info);
  for (size_t i = 0; i < r.x.length; ++i) {
    const float v = r.x.data[i];
    if (v < r.lo)
      r.x.data[i] = r.lo;
    else if (v > r.hi)
      r.x.data[i] = r.hi;
  }
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sumForward", Napi::Function::New(env, JS_sumForward, "sumForward"));
  exports.Set("sumBackward", Napi::Function::New(env, JS_sumBackward, "sumBackward"));
  exports.Set("sumInt32Forward", Napi::Function::New(env, JS_sumInt32Forward, "sumInt32Forward"));
  exports.Set("allFinite", Napi::Function::New(env, JS_allFinite, "allFinite"));
  exports.Set("maxForward", Napi::Function::New(env, JS_maxForward, "maxForward"));
  exports.Set("maxBackward", Napi::Function::New(env, JS_maxBackward, "maxBackward"));
  exports.Set("maxAllBackward", Napi::Function::New(env, JS_maxAllBackward, "maxAllBackward"));
  exports.Set("logsumexpForward", Napi::Function::New(env, JS_logsumexpForward, "logsumexpForward"));
  exports.Set("logsumexpBackward", Napi::Function::New(env, JS_logsumexpBackward, "logsumexpBackward"));
  exports.Set("scaleInPlace", Napi::Function::New(env, JS_scaleInPlace, "scaleInPlace"));
  exports.Set("clampInPlace", Napi::Function::New(env, JS_clampInPlace, "clampInPlace"));
}

}  // namespace

TK_REGISTER_BINDING(reduce, Init);

}  // namespace tk::binding

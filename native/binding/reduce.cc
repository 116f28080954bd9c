// Exports: sumForward, maxForward, maxBackward, logsumexpForward. Each views its input as
// [outer, reduced, inner] and its output as [outer, inner].
#include "kernels/reduce.h"

#include <string>

#include "binding/args.h"
#include "binding/registry.h"

namespace tk::binding {
namespace {

struct Dims {
  int64_t outer, reduced, inner, in_numel, out_numel;
};

Dims GetDims(const Napi::CallbackInfo& info, size_t i) {
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

// sumForward(out, x, outer, reduced, inner)
Napi::Value JS_sumForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "sumForward");
  Dims d = GetDims(info, 2);
  auto out = GetArrayExact<float>(info, 0, "out", d.out_numel);
  auto x = GetArrayExact<float>(info, 1, "x", d.in_numel);
  if (Overlaps(out, x)) ThrowRange(info.Env(), "out must not overlap x");
  sum_forward_cpu(out.data, x.data, d.outer, d.reduced, d.inner);
  return info.Env().Undefined();
}

// allFinite(x): true when no element of x is NaN or infinite
Napi::Value JS_allFinite(const Napi::CallbackInfo& info) {
  RequireArgs(info, 1, "allFinite");
  auto x = GetArray<float>(info, 0, "x");
  return Napi::Boolean::New(info.Env(), all_finite_cpu(x.data, int64_t(x.length)));
}

// maxForward(isMax, values | null, indices, x, outer, reduced, inner)
Napi::Value JS_maxForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "maxForward");
  Napi::Env env = info.Env();
  bool is_max = GetBool(info, 0, "isMax");
  Dims d = GetDims(info, 4);
  if (d.reduced == 0 && d.out_numel > 0) ThrowRange(env, "max/min over an empty dimension has no identity");
  Span<float> values;
  if (!(info[1].IsNull() || info[1].IsUndefined()))
    values = GetArrayExact<float>(info, 1, "values", d.out_numel);
  auto indices = GetArrayExact<int32_t>(info, 2, "indices", d.out_numel);
  auto x = GetArrayExact<float>(info, 3, "x", d.in_numel);
  if (d.reduced > INT32_MAX) ThrowRange(env, "reduced must fit in int32 indices");
  if (Overlaps(values, x) || Overlaps(indices, x) || Overlaps(values, indices)) {
    ThrowRange(env, "outputs must not overlap x or each other");
  }
  max_forward_cpu(is_max, values.data, indices.data, x.data, d.outer, d.reduced, d.inner);
  return env.Undefined();
}

// maxBackward(dx, g, indices, outer, reduced, inner)
Napi::Value JS_maxBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "maxBackward");
  Napi::Env env = info.Env();
  Dims d = GetDims(info, 3);
  auto dx = GetArrayExact<float>(info, 0, "dx", d.in_numel);
  auto g = GetArrayExact<float>(info, 1, "g", d.out_numel);
  auto indices = GetArrayExact<int32_t>(info, 2, "indices", d.out_numel);
  if (Overlaps(dx, g) || Overlaps(dx, indices)) ThrowRange(env, "dx must not overlap g or indices");
  for (size_t k = 0; k < indices.length; ++k) {
    if (indices.data[k] < 0 || indices.data[k] >= d.reduced) {
      ThrowRange(env, "indices[" + std::to_string(k) + "] is " + std::to_string(indices.data[k]) +
                          ", out of range for a reduced size of " + std::to_string(d.reduced));
    }
  }
  max_backward_cpu(dx.data, g.data, indices.data, d.outer, d.reduced, d.inner);
  return env.Undefined();
}

// logsumexpForward(out, x, outer, reduced, inner)
Napi::Value JS_logsumexpForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "logsumexpForward");
  Dims d = GetDims(info, 2);
  auto out = GetArrayExact<float>(info, 0, "out", d.out_numel);
  auto x = GetArrayExact<float>(info, 1, "x", d.in_numel);
  if (Overlaps(out, x)) ThrowRange(info.Env(), "out must not overlap x");
  logsumexp_forward_cpu(out.data, x.data, d.outer, d.reduced, d.inner);
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sumForward", Napi::Function::New(env, JS_sumForward, "sumForward"));
  exports.Set("allFinite", Napi::Function::New(env, JS_allFinite, "allFinite"));
  exports.Set("maxForward", Napi::Function::New(env, JS_maxForward, "maxForward"));
  exports.Set("maxBackward", Napi::Function::New(env, JS_maxBackward, "maxBackward"));
  exports.Set("logsumexpForward", Napi::Function::New(env, JS_logsumexpForward, "logsumexpForward"));
}

}  // namespace

TK_REGISTER_BINDING(reduce, Init);

}  // namespace tk::binding

// Exports: softmaxForward, softmaxBackward, layerNormForward, layerNormBackward,
// indexSelectForward, indexSelectBackward, gatherForward, gatherBackward.
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/registry.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/softmax.h"

namespace tk::binding {
namespace {

// An optional Float32Array of exactly `length` elements: null or undefined gives an empty span.
Span<float> GetOptionalFloats(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return Span<float>{};
  return GetArrayExact<float>(info, i, name, length);
}

int64_t Product3(Napi::Env env, int64_t a, int64_t b, int64_t c) {
  return Numel(env, std::vector<int64_t>{a, b, c}, "size");
}

void RequireDisjoint(Napi::Env env, const Span<float>& out, const Span<float>& in, const char* out_name,
                     const char* in_name) {
  if (Overlaps(out, in)) ThrowRange(env, std::string(out_name) + " must not share memory with " + in_name);
}

void CheckIndices(Napi::Env env, const Span<int32_t>& idx, int64_t n, const char* name) {
  for (size_t k = 0; k < idx.length; ++k) {
    if (idx.data[k] < 0 || idx.data[k] >= n) {
      ThrowRange(env, std::string(name) + "[" + std::to_string(k) + "] = " + std::to_string(idx.data[k]) +
                          " is out of range [0, " + std::to_string(n) + ")");
    }
  }
}

// softmaxForward(y, x, outer, dim, inner, log)
Napi::Value JS_softmaxForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "softmaxForward");
  Napi::Env env = info.Env();
  int64_t outer = GetInt(info, 2, "outer"), dim = GetInt(info, 3, "dim"), inner = GetInt(info, 4, "inner");
  bool log = GetBool(info, 5, "log");
  int64_t n = Product3(env, outer, dim, inner);
  auto y = GetArrayExact<float>(info, 0, "y", n);
  auto x = GetArrayExact<float>(info, 1, "x", n);
  RequireDisjoint(env, y, x, "y", "x");
  softmax_forward_cpu(y.data, x.data, outer, dim, inner, log);
  return env.Undefined();
}

// softmaxBackward(dx, dy, y, outer, dim, inner, log)
Napi::Value JS_softmaxBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "softmaxBackward");
  Napi::Env env = info.Env();
  int64_t outer = GetInt(info, 3, "outer"), dim = GetInt(info, 4, "dim"), inner = GetInt(info, 5, "inner");
  bool log = GetBool(info, 6, "log");
  int64_t n = Product3(env, outer, dim, inner);
  auto dx = GetArrayExact<float>(info, 0, "dx", n);
  auto dy = GetArrayExact<float>(info, 1, "dy", n);
  auto y = GetArrayExact<float>(info, 2, "y", n);
  // dx may be dy itself (same row, read before written) but no other overlap.
  if (dx.data != dy.data) RequireDisjoint(env, dx, dy, "dx", "dy");
  RequireDisjoint(env, dx, y, "dx", "y");
  softmax_backward_cpu(dx.data, dy.data, y.data, outer, dim, inner, log);
  return env.Undefined();
}

// layerNormForward(y, mean, rstd, x, weight|null, bias|null, M, N, eps)
Napi::Value JS_layerNormForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 9, "layerNormForward");
  Napi::Env env = info.Env();
  int64_t M = GetInt(info, 6, "M"), N = GetInt(info, 7, "N");
  double eps = GetFiniteNumber(info, 8, "eps");
  if (eps < 0) ThrowRange(env, "eps must be non-negative");
  int64_t n = Product3(env, M, N, 1);
  auto y = GetArrayExact<float>(info, 0, "y", n);
  auto mean = GetArrayExact<float>(info, 1, "mean", M);
  auto rstd = GetArrayExact<float>(info, 2, "rstd", M);
  auto x = GetArrayExact<float>(info, 3, "x", n);
  auto w = GetOptionalFloats(info, 4, "weight", N);
  auto b = GetOptionalFloats(info, 5, "bias", N);
  RequireDisjoint(env, y, x, "y", "x");
  RequireDisjoint(env, y, w, "y", "weight");
  RequireDisjoint(env, y, b, "y", "bias");
  layernorm_forward_cpu(y.data, mean.data, rstd.data, x.data, w.data, b.data, M, N, float(eps));
  return env.Undefined();
}

// layerNormBackward(dx|null, dweight|null, dbias|null, dy, x, mean, rstd, weight|null, M, N)
Napi::Value JS_layerNormBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 10, "layerNormBackward");
  Napi::Env env = info.Env();
  int64_t M = GetInt(info, 8, "M"), N = GetInt(info, 9, "N");
  int64_t n = Product3(env, M, N, 1);
  auto dx = GetOptionalFloats(info, 0, "dx", n);
  auto dw = GetOptionalFloats(info, 1, "dweight", N);
  auto db = GetOptionalFloats(info, 2, "dbias", N);
  auto dy = GetArrayExact<float>(info, 3, "dy", n);
  auto x = GetArrayExact<float>(info, 4, "x", n);
  auto mean = GetArrayExact<float>(info, 5, "mean", M);
  auto rstd = GetArrayExact<float>(info, 6, "rstd", M);
  auto w = GetOptionalFloats(info, 7, "weight", N);
  const Span<float>* outs[] = {&dx, &dw, &db};
  const Span<float>* ins[] = {&dy, &x, &mean, &rstd, &w};
  for (auto o : outs)
    for (auto in : ins) RequireDisjoint(env, *o, *in, "gradient outputs", "the inputs");
  if (Overlaps(dx, dw) || Overlaps(dx, db) || Overlaps(dw, db))
    ThrowRange(env, "gradient outputs must not overlap");
  layernorm_backward_cpu(dx.data, dw.data, db.data, dy.data, x.data, mean.data, rstd.data, w.data, M, N);
  return env.Undefined();
}

// indexSelectForward(out, x, index, outer, nSrc, nIdx, inner)
Napi::Value JS_indexSelectForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "indexSelectForward");
  Napi::Env env = info.Env();
  int64_t outer = GetInt(info, 3, "outer"), nSrc = GetInt(info, 4, "nSrc"), nIdx = GetInt(info, 5, "nIdx"),
          inner = GetInt(info, 6, "inner");
  auto out = GetArrayExact<float>(info, 0, "out", Product3(env, outer, nIdx, inner));
  auto x = GetArrayExact<float>(info, 1, "x", Product3(env, outer, nSrc, inner));
  auto index = GetArrayExact<int32_t>(info, 2, "index", nIdx);
  CheckIndices(env, index, nSrc, "index");
  RequireDisjoint(env, out, x, "out", "x");
  index_select_forward_cpu(out.data, x.data, index.data, outer, nSrc, nIdx, inner);
  return env.Undefined();
}

// indexSelectBackward(dx, dy, index, outer, nSrc, nIdx, inner, skip): skip -1 for none.
Napi::Value JS_indexSelectBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 8, "indexSelectBackward");
  Napi::Env env = info.Env();
  int64_t outer = GetInt(info, 3, "outer"), nSrc = GetInt(info, 4, "nSrc"), nIdx = GetInt(info, 5, "nIdx"),
          inner = GetInt(info, 6, "inner");
  int64_t skip = GetInt(info, 7, "skip", -1, kMaxDim);
  auto dx = GetArrayExact<float>(info, 0, "dx", Product3(env, outer, nSrc, inner));
  auto dy = GetArrayExact<float>(info, 1, "dy", Product3(env, outer, nIdx, inner));
  auto index = GetArrayExact<int32_t>(info, 2, "index", nIdx);
  CheckIndices(env, index, nSrc, "index");
  RequireDisjoint(env, dx, dy, "dx", "dy");
  index_select_backward_cpu(dx.data, dy.data, index.data, outer, nSrc, nIdx, inner, skip);
  return env.Undefined();
}

struct GatherArgs {
  std::vector<int64_t> xShape, indexShape;
  int64_t dim = 0;
  int64_t nx = 0, ni = 0;
};

GatherArgs GetGatherArgs(const Napi::CallbackInfo& info, size_t shapes_at) {
  Napi::Env env = info.Env();
  GatherArgs a;
  a.xShape = GetShape(info, shapes_at, "xShape");
  a.indexShape = GetShape(info, shapes_at + 1, "indexShape");
  if (a.xShape.size() != a.indexShape.size()) ThrowRange(env, "index must have the same rank as x");
  int64_t rank = int64_t(a.xShape.size());
  a.dim = GetInt(info, shapes_at + 2, "dim", 0, rank == 0 ? 0 : rank - 1);
  for (int64_t d = 0; d < rank; ++d) {
    if (d != a.dim && a.indexShape[size_t(d)] > a.xShape[size_t(d)]) {
      ThrowRange(env, "index " + ShapeToString(a.indexShape) + " is larger than x " +
                          ShapeToString(a.xShape) + " in dimension " + std::to_string(d));
    }
  }
  a.nx = Numel(env, a.xShape, "xShape");
  a.ni = Numel(env, a.indexShape, "indexShape");
  if (a.ni > 0 && a.nx == 0) ThrowRange(env, "gather from an empty x with a non-empty index");
  return a;
}

// gatherForward(out, x, index, xShape, indexShape, dim)
Napi::Value JS_gatherForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "gatherForward");
  Napi::Env env = info.Env();
  GatherArgs a = GetGatherArgs(info, 3);
  auto out = GetArrayExact<float>(info, 0, "out", a.ni);
  auto x = GetArrayExact<float>(info, 1, "x", a.nx);
  auto index = GetArrayExact<int32_t>(info, 2, "index", a.ni);
  CheckIndices(env, index, a.xShape.empty() ? 1 : a.xShape[size_t(a.dim)], "index");
  RequireDisjoint(env, out, x, "out", "x");
  gather_forward_cpu(out.data, x.data, index.data, a.xShape.data(), a.indexShape.data(),
                     int64_t(a.xShape.size()), a.dim);
  return env.Undefined();
}

// gatherBackward(dx, dy, index, xShape, indexShape, dim)
Napi::Value JS_gatherBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "gatherBackward");
  Napi::Env env = info.Env();
  GatherArgs a = GetGatherArgs(info, 3);
  auto dx = GetArrayExact<float>(info, 0, "dx", a.nx);
  auto dy = GetArrayExact<float>(info, 1, "dy", a.ni);
  auto index = GetArrayExact<int32_t>(info, 2, "index", a.ni);
  CheckIndices(env, index, a.xShape.empty() ? 1 : a.xShape[size_t(a.dim)], "index");
  RequireDisjoint(env, dx, dy, "dx", "dy");
  gather_backward_cpu(dx.data, dy.data, index.data, a.xShape.data(), a.indexShape.data(),
                      int64_t(a.xShape.size()), a.dim);
  return env.Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("softmaxForward", Napi::Function::New(env, JS_softmaxForward, "softmaxForward"));
  exports.Set("softmaxBackward", Napi::Function::New(env, JS_softmaxBackward, "softmaxBackward"));
  exports.Set("layerNormForward", Napi::Function::New(env, JS_layerNormForward, "layerNormForward"));
  exports.Set("layerNormBackward", Napi::Function::New(env, JS_layerNormBackward, "layerNormBackward"));
  exports.Set("indexSelectForward", Napi::Function::New(env, JS_indexSelectForward, "indexSelectForward"));
  exports.Set("indexSelectBackward", Napi::Function::New(env, JS_indexSelectBackward, "indexSelectBackward"));
  exports.Set("gatherForward", Napi::Function::New(env, JS_gatherForward, "gatherForward"));
  exports.Set("gatherBackward", Napi::Function::New(env, JS_gatherBackward, "gatherBackward"));
}

}  // namespace

TK_REGISTER_BINDING(nnops, Init);

}  // namespace tk::binding

// Exports: binaryForward, binaryBackward, compare, where, unaryForward, unaryBackward.
#include "kernels/elementwise.h"

#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/registry.h"
#include "binding/strided_args.h"

namespace tk::binding {
namespace {

struct BroadcastArgs {
  std::vector<int64_t> shape, a_strides, b_strides;
  int64_t numel = 0;
  BroadcastShape view() const { return BroadcastShape{int(shape.size()), shape.data()}; }
};

// shape at `i`, then one stride vector per operand. Read before any typed array: reading a JS
// array's element can run a getter that detaches a buffer whose data pointer was already taken.
BroadcastArgs GetBroadcast(const Napi::CallbackInfo& info, size_t i) {
  BroadcastArgs r;
  r.shape = GetShape(info, i, "shape");
  r.numel = Numel(info.Env(), r.shape, "shape");
  r.a_strides = GetStrides(info, i + 1, "aStrides", r.shape);
  r.b_strides = GetStrides(info, i + 2, "bStrides", r.shape);
  return r;
}

// Checks each operand's length against the shape and its strides.
void CheckBroadcast(Napi::Env env, const BroadcastArgs& r, size_t a_len, size_t b_len) {
  CheckStridedBounds(env, "a", a_len, 0, r.shape, r.a_strides);
  CheckStridedBounds(env, "b", b_len, 0, r.shape, r.b_strides);
}

// binaryForward(op, out, a, b, shape, aStrides, bStrides, alpha)
Napi::Value JS_binaryForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 8, "binaryForward");
  int64_t op = GetInt(info, 0, "op", 0, int64_t(BinaryOp::kMinimum));
  BroadcastArgs br = GetBroadcast(info, 4);
  auto out = GetArray<float>(info, 1, "out");
  auto a = GetArray<float>(info, 2, "a");
  auto b = GetArray<float>(info, 3, "b");
  CheckBroadcast(info.Env(), br, a.length, b.length);
  double alpha = GetNumber(info, 7, "alpha");
  if (int64_t(out.length) != br.numel)
    ThrowRange(info.Env(), "out has " + std::to_string(out.length) + " elements, shape " +
                               ShapeToString(br.shape) + " needs " + std::to_string(br.numel));
  if (Overlaps(out, a) || Overlaps(out, b)) ThrowRange(info.Env(), "out must not overlap a or b");
  binary_forward_cpu(BinaryOp(op), out.data, a.data, b.data, br.view(), br.a_strides.data(),
                     br.b_strides.data(), float(alpha));
  return info.Env().Undefined();
}

// binaryBackward(op, da | null, db | null, g, a, b, out, shape, aStrides, bStrides)
Napi::Value JS_binaryBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 10, "binaryBackward");
  Napi::Env env = info.Env();
  int64_t op = GetInt(info, 0, "op", int64_t(BinaryOp::kMul), int64_t(BinaryOp::kMinimum));
  BroadcastArgs br = GetBroadcast(info, 7);
  auto a = GetArray<float>(info, 4, "a");
  auto b = GetArray<float>(info, 5, "b");
  CheckBroadcast(env, br, a.length, b.length);
  auto g = GetArrayExact<float>(info, 3, "g", br.numel, &br.shape);
  auto out = GetArrayExact<float>(info, 6, "out", br.numel, &br.shape);
  Span<float> da, db;
  if (!IsNullish(info, 1)) da = GetArrayExact<float>(info, 1, "da", br.numel, &br.shape);
  if (!IsNullish(info, 2)) db = GetArrayExact<float>(info, 2, "db", br.numel, &br.shape);
  for (const Span<float>* w : {&da, &db}) {
    if (Overlaps(*w, g) || Overlaps(*w, a) || Overlaps(*w, b) || Overlaps(*w, out)) {
      ThrowRange(env, "gradient outputs must not overlap the inputs");
    }
  }
  if (Overlaps(da, db)) ThrowRange(env, "da and db must not overlap");
  binary_backward_cpu(BinaryOp(op), da.data, db.data, g.data, a.data, b.data, out.data, br.view(),
                      br.a_strides.data(), br.b_strides.data());
  return env.Undefined();
}

// compare(op, out: Int32Array, a, b, shape, aStrides, bStrides): a and b both float32 or both int32.
Napi::Value JS_compare(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "compare");
  Napi::Env env = info.Env();
  int64_t op = GetInt(info, 0, "op", 0, int64_t(CompareOp::kGe));
  BroadcastArgs br = GetBroadcast(info, 4);
  auto out = GetArray<int32_t>(info, 1, "out");
  Words a = GetWords(info, 2, "a");
  Words b = GetWords(info, 3, "b");
  if (a.is_int != b.is_int)
    ThrowType(env, "a and b must have the same type (both Float32Array or both Int32Array)");
  CheckBroadcast(env, br, a.length, b.length);
  if (int64_t(out.length) != br.numel)
    ThrowRange(env, "out has " + std::to_string(out.length) + " elements, shape " + ShapeToString(br.shape) +
                        " needs " + std::to_string(br.numel));
  Words o = AsWords(out);
  if (WordsOverlap(o, a) || WordsOverlap(o, b)) ThrowRange(env, "out must not overlap a or b");
  if (a.is_int) {
    compare_i32_cpu(CompareOp(op), out.data, reinterpret_cast<const int32_t*>(a.data),
                    reinterpret_cast<const int32_t*>(b.data), br.view(), br.a_strides.data(),
                    br.b_strides.data());
  } else {
    compare_cpu(CompareOp(op), out.data, reinterpret_cast<const float*>(a.data),
                reinterpret_cast<const float*>(b.data), br.view(), br.a_strides.data(), br.b_strides.data());
  }
  return env.Undefined();
}

// where(out, cond: Int32Array, a, b, shape, condStrides, aStrides, bStrides): out, a, b all
// float32 or all int32.
Napi::Value JS_where(const Napi::CallbackInfo& info) {
  RequireArgs(info, 8, "where");
  Napi::Env env = info.Env();
  // Shapes first: see GetBroadcast.
  std::vector<int64_t> shape = GetShape(info, 4, "shape");
  int64_t numel = Numel(env, shape, "shape");
  auto cs = GetStrides(info, 5, "condStrides", shape);
  auto as = GetStrides(info, 6, "aStrides", shape);
  auto bs = GetStrides(info, 7, "bStrides", shape);
  Words out = GetWords(info, 0, "out");
  auto cond = GetArray<int32_t>(info, 1, "cond");
  Words a = GetWords(info, 2, "a");
  Words b = GetWords(info, 3, "b");
  if (a.is_int != b.is_int || a.is_int != out.is_int) ThrowType(env, "out, a and b must have the same type");
  CheckStridedBounds(env, "cond", cond.length, 0, shape, cs);
  CheckStridedBounds(env, "a", a.length, 0, shape, as);
  CheckStridedBounds(env, "b", b.length, 0, shape, bs);
  if (int64_t(out.length) != numel)
    ThrowRange(env, "out has " + std::to_string(out.length) + " elements, shape " + ShapeToString(shape) +
                        " needs " + std::to_string(numel));
  if (WordsOverlap(out, a) || WordsOverlap(out, b) || WordsOverlap(out, AsWords(cond))) {
    ThrowRange(env, "out must not overlap the inputs");
  }
  where_cpu(out.data, cond.data, a.data, b.data, BroadcastShape{int(shape.size()), shape.data()}, cs.data(),
            as.data(), bs.data());
  return env.Undefined();
}

// unaryForward(op, out, x, p0, p1): out may be x itself.
Napi::Value JS_unaryForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "unaryForward");
  int64_t op = GetInt(info, 0, "op", 0, int64_t(UnaryOp::kCount) - 1);
  auto x = GetArray<float>(info, 2, "x");
  auto out = GetArrayExact<float>(info, 1, "out", int64_t(x.length));
  double p0 = GetNumber(info, 3, "p0"), p1 = GetNumber(info, 4, "p1");
  if (Overlaps(out, x) && out.data != x.data)
    ThrowRange(info.Env(), "out must be x itself or not overlap it");
  unary_forward_cpu(UnaryOp(op), out.data, x.data, int64_t(x.length), float(p0), float(p1));
  return info.Env().Undefined();
}

// unaryBackward(op, dx, g, x | null, y | null, p0, p1): the ops that read y need y, the others x.
Napi::Value JS_unaryBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "unaryBackward");
  Napi::Env env = info.Env();
  int64_t op = GetInt(info, 0, "op", 0, int64_t(UnaryOp::kCount) - 1);
  auto g = GetArray<float>(info, 2, "g");
  int64_t n = int64_t(g.length);
  auto dx = GetArrayExact<float>(info, 1, "dx", n);
  Span<float> x, y;
  if (!IsNullish(info, 3)) x = GetArrayExact<float>(info, 3, "x", n);
  if (!IsNullish(info, 4)) y = GetArrayExact<float>(info, 4, "y", n);
  double p0 = GetNumber(info, 5, "p0"), p1 = GetNumber(info, 6, "p1");
  UnaryOp u = UnaryOp(op);
  bool needs_y = u == UnaryOp::kExp || u == UnaryOp::kSqrt || u == UnaryOp::kRsqrt || u == UnaryOp::kTanh ||
                 u == UnaryOp::kSigmoid || u == UnaryOp::kRelu;
  bool needs_x = !needs_y && u != UnaryOp::kNeg && u != UnaryOp::kScale;
  if (needs_y && !y.data && n > 0) ThrowType(env, "y must be a Float32Array for this op");
  if (needs_x && !x.data && n > 0) ThrowType(env, "x must be a Float32Array for this op");
  if ((Overlaps(dx, g) && dx.data != g.data) || Overlaps(dx, x) || Overlaps(dx, y)) {
    ThrowRange(env, "dx must be g itself or not overlap the inputs");
  }
  unary_backward_cpu(u, dx.data, g.data, x.data, y.data, n, float(p0), float(p1));
  return env.Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("binaryForward", Napi::Function::New(env, JS_binaryForward, "binaryForward"));
  exports.Set("binaryBackward", Napi::Function::New(env, JS_binaryBackward, "binaryBackward"));
  exports.Set("compare", Napi::Function::New(env, JS_compare, "compare"));
  exports.Set("where", Napi::Function::New(env, JS_where, "where"));
  exports.Set("unaryForward", Napi::Function::New(env, JS_unaryForward, "unaryForward"));
  exports.Set("unaryBackward", Napi::Function::New(env, JS_unaryBackward, "unaryBackward"));
}

}  // namespace

TK_REGISTER_BINDING(elementwise, Init);

}  // namespace tk::binding

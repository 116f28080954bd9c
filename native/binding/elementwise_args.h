// The argument checks of the pointwise exports (binaryForward, binaryBackward, compare, where,
// unaryForward, unaryBackward, sumToShape), shared by the CPU exports (native/binding/elementwise.cc,
// Arrays = HostArrays: typed arrays) and the device exports (cuda/binding/elementwise.cc,
// Arrays = cuda::DeviceArrays: device buffers), so that both refuse the same calls with the same
// messages and the CPU exports' fuzz test covers the checks the device relies on.
//
// Shapes and strides are read before any buffer: reading a JS array's element can run a getter that
// detaches a typed array whose data pointer was already taken. Every operand is checked against the
// output shape and its strides; outputs must not overlap the inputs (compared by memory).
#pragma once
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/strided_args.h"
#include "kernels/elementwise.h"

namespace tk::binding::elementwise_args {

// Reads a buffer of 4-byte words that may hold float32 or int32 (compare's and where's operands),
// per array policy; the device binding specialises it for cuda::DeviceArrays.
template <class Arrays>
struct WordArrays;
template <>
struct WordArrays<HostArrays> {
  static Words Get(const Napi::CallbackInfo& info, size_t i, const char* name) {
    return GetWords(info, i, name);
  }
};

// The output shape of a broadcasting call and, per operand, its strides over that shape.
struct Broadcast {
  std::vector<int64_t> shape;
  std::vector<int64_t> strides[3];
  int64_t numel = 0;
  BroadcastShape view() const { return BroadcastShape{int(shape.size()), shape.data()}; }
};

// shape at `i`, then one stride vector per name in `names` (at i + 1, i + 2, ...).
inline Broadcast GetBroadcast(const Napi::CallbackInfo& info, size_t i,
                              std::initializer_list<const char*> names) {
  Broadcast r;
  r.shape = GetShape(info, i, "shape");
  r.numel = Numel(info.Env(), r.shape, "shape");
  size_t k = 0;
  for (const char* n : names) {
    r.strides[k] = GetStrides(info, i + 1 + k, n, r.shape);
    ++k;
  }
  return r;
}

inline void CheckOutLength(Napi::Env env, size_t length, const Broadcast& br) {
  if (int64_t(length) != br.numel)
    ThrowRange(env, "out has " + std::to_string(length) + " elements, shape " + ShapeToString(br.shape) +
                        " needs " + std::to_string(br.numel));
}

// ---- binaryForward(op, out, a, b, shape, aStrides, bStrides, alpha) --------------------------------
struct BinaryForward {
  BinaryOp op;
  Span<float> out, a, b;
  Broadcast br;
  float alpha;
};
template <class Arrays>
BinaryForward ReadBinaryForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 8, "binaryForward");
  Napi::Env env = info.Env();
  BinaryForward r;
  r.op = BinaryOp(GetInt(info, 0, "op", 0, int64_t(BinaryOp::kMinimum)));
  r.br = GetBroadcast(info, 4, {"aStrides", "bStrides"});
  r.out = Arrays::template Get<float>(info, 1, "out");
  r.a = Arrays::template Get<float>(info, 2, "a");
  r.b = Arrays::template Get<float>(info, 3, "b");
  CheckStridedBounds(env, "a", r.a.length, 0, r.br.shape, r.br.strides[0]);
  CheckStridedBounds(env, "b", r.b.length, 0, r.br.shape, r.br.strides[1]);
  r.alpha = float(GetNumber(info, 7, "alpha"));
  CheckOutLength(env, r.out.length, r.br);
  if (Overlaps(r.out, r.a) || Overlaps(r.out, r.b)) ThrowRange(env, "out must not overlap a or b");
  return r;
}

// ---- binaryBackward(op, da | null, db | null, g, a, b, out, shape, aStrides, bStrides) -----------
struct BinaryBackward {
  BinaryOp op;
  Span<float> da, db, g, a, b, out;
  Broadcast br;
};
template <class Arrays>
BinaryBackward ReadBinaryBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 10, "binaryBackward");
  Napi::Env env = info.Env();
  BinaryBackward r;
  r.op = BinaryOp(GetInt(info, 0, "op", int64_t(BinaryOp::kMul), int64_t(BinaryOp::kMinimum)));
  r.br = GetBroadcast(info, 7, {"aStrides", "bStrides"});
  r.a = Arrays::template Get<float>(info, 4, "a");
  r.b = Arrays::template Get<float>(info, 5, "b");
  CheckStridedBounds(env, "a", r.a.length, 0, r.br.shape, r.br.strides[0]);
  CheckStridedBounds(env, "b", r.b.length, 0, r.br.shape, r.br.strides[1]);
  r.g = Arrays::template GetExact<float>(info, 3, "g", r.br.numel, &r.br.shape);
  r.out = Arrays::template GetExact<float>(info, 6, "out", r.br.numel, &r.br.shape);
  if (!IsNullish(info, 1)) r.da = Arrays::template GetExact<float>(info, 1, "da", r.br.numel, &r.br.shape);
  if (!IsNullish(info, 2)) r.db = Arrays::template GetExact<float>(info, 2, "db", r.br.numel, &r.br.shape);
  for (const Span<float>* w : {&r.da, &r.db}) {
    if (Overlaps(*w, r.g) || Overlaps(*w, r.a) || Overlaps(*w, r.b) || Overlaps(*w, r.out)) {
      ThrowRange(env, "gradient outputs must not overlap the inputs");
    }
  }
  if (Overlaps(r.da, r.db)) ThrowRange(env, "da and db must not overlap");
  return r;
}

// ---- compare(op, out: int32, a, b, shape, aStrides, bStrides): a and b both float32 or both int32 -
struct Compare {
  CompareOp op;
  Span<int32_t> out;
  Words a, b;
  Broadcast br;
};
template <class Arrays>
Compare ReadCompare(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "compare");
  Napi::Env env = info.Env();
  Compare r;
  r.op = CompareOp(GetInt(info, 0, "op", 0, int64_t(CompareOp::kGe)));
  r.br = GetBroadcast(info, 4, {"aStrides", "bStrides"});
  r.out = Arrays::template Get<int32_t>(info, 1, "out");
  r.a = WordArrays<Arrays>::Get(info, 2, "a");
  r.b = WordArrays<Arrays>::Get(info, 3, "b");
  if (r.a.is_int != r.b.is_int) {
    ThrowType(env, Arrays::kDevice
                       ? "a and b must have the same type (both float32 or both int32 device buffers)"
                       : "a and b must have the same type (both Float32Array or both Int32Array)");
  }
  CheckStridedBounds(env, "a", r.a.length, 0, r.br.shape, r.br.strides[0]);
  CheckStridedBounds(env, "b", r.b.length, 0, r.br.shape, r.br.strides[1]);
  CheckOutLength(env, r.out.length, r.br);
  Words o = AsWords(r.out);
  if (WordsOverlap(o, r.a) || WordsOverlap(o, r.b)) ThrowRange(env, "out must not overlap a or b");
  return r;
}

// ---- where(out, cond: int32, a, b, shape, condStrides, aStrides, bStrides): out, a, b one type ----
struct Where {
  Words out;
  Span<int32_t> cond;
  Words a, b;
  Broadcast br;  // strides: cond, a, b
};
template <class Arrays>
Where ReadWhere(const Napi::CallbackInfo& info) {
  RequireArgs(info, 8, "where");
  Napi::Env env = info.Env();
  Where r;
  r.br = GetBroadcast(info, 4, {"condStrides", "aStrides", "bStrides"});
  r.out = WordArrays<Arrays>::Get(info, 0, "out");
  r.cond = Arrays::template Get<int32_t>(info, 1, "cond");
  r.a = WordArrays<Arrays>::Get(info, 2, "a");
  r.b = WordArrays<Arrays>::Get(info, 3, "b");
  if (r.a.is_int != r.b.is_int || r.a.is_int != r.out.is_int)
    ThrowType(env, "out, a and b must have the same type");
  CheckStridedBounds(env, "cond", r.cond.length, 0, r.br.shape, r.br.strides[0]);
  CheckStridedBounds(env, "a", r.a.length, 0, r.br.shape, r.br.strides[1]);
  CheckStridedBounds(env, "b", r.b.length, 0, r.br.shape, r.br.strides[2]);
  CheckOutLength(env, r.out.length, r.br);
  if (WordsOverlap(r.out, r.a) || WordsOverlap(r.out, r.b) || WordsOverlap(r.out, AsWords(r.cond))) {
    ThrowRange(env, "out must not overlap the inputs");
  }
  return r;
}

// ---- unaryForward(op, out, x, p0, p1): out may be x itself -----------------------------------------
struct UnaryForward {
  UnaryOp op;
  Span<float> out, x;
  float p0, p1;
};
template <class Arrays>
UnaryForward ReadUnaryForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "unaryForward");
  UnaryForward r;
  r.op = UnaryOp(GetInt(info, 0, "op", 0, int64_t(UnaryOp::kCount) - 1));
  r.x = Arrays::template Get<float>(info, 2, "x");
  r.out = Arrays::template GetExact<float>(info, 1, "out", int64_t(r.x.length));
  r.p0 = float(GetNumber(info, 3, "p0"));
  r.p1 = float(GetNumber(info, 4, "p1"));
  if (Overlaps(r.out, r.x) && r.out.data != r.x.data)
    ThrowRange(info.Env(), "out must be x itself or not overlap it");
  return r;
}

// The unary ops whose derivative reads the forward output y; neg and scale read neither.
inline bool UnaryBackwardNeedsY(UnaryOp u) {
  return u == UnaryOp::kExp || u == UnaryOp::kSqrt || u == UnaryOp::kRsqrt || u == UnaryOp::kTanh ||
         u == UnaryOp::kSigmoid || u == UnaryOp::kRelu;
}
inline bool UnaryBackwardNeedsX(UnaryOp u) {
  return !UnaryBackwardNeedsY(u) && u != UnaryOp::kNeg && u != UnaryOp::kScale;
}

// ---- unaryBackward(op, dx, g, x | null, y | null, p0, p1): dx may be g itself ---------------------
struct UnaryBackward {
  UnaryOp op;
  Span<float> dx, g, x, y;
  int64_t n;
  float p0, p1;
};
template <class Arrays>
UnaryBackward ReadUnaryBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "unaryBackward");
  Napi::Env env = info.Env();
  UnaryBackward r;
  r.op = UnaryOp(GetInt(info, 0, "op", 0, int64_t(UnaryOp::kCount) - 1));
  r.g = Arrays::template Get<float>(info, 2, "g");
  r.n = int64_t(r.g.length);
  r.dx = Arrays::template GetExact<float>(info, 1, "dx", r.n);
  if (!IsNullish(info, 3)) r.x = Arrays::template GetExact<float>(info, 3, "x", r.n);
  if (!IsNullish(info, 4)) r.y = Arrays::template GetExact<float>(info, 4, "y", r.n);
  r.p0 = float(GetNumber(info, 5, "p0"));
  r.p1 = float(GetNumber(info, 6, "p1"));
  const char* kind = Arrays::kDevice ? "a float32 device buffer" : "a Float32Array";
  if (UnaryBackwardNeedsY(r.op) && !r.y.data && r.n > 0)
    ThrowType(env, std::string("y must be ") + kind + " for this op");
  if (UnaryBackwardNeedsX(r.op) && !r.x.data && r.n > 0)
    ThrowType(env, std::string("x must be ") + kind + " for this op");
  if ((Overlaps(r.dx, r.g) && r.dx.data != r.g.data) || Overlaps(r.dx, r.x) || Overlaps(r.dx, r.y)) {
    ThrowRange(env, "dx must be g itself or not overlap the inputs");
  }
  return r;
}

// ---- sumToShape(out, g, shape, outShape) -----------------------------------------------------------
// Sums g (contiguous, `shape`) over the dimensions along which outShape (at most as many
// dimensions, aligned at the end, each equal to shape's or 1) was broadcast to it: the gradient of a
// broadcast input. out is contiguous with outShape.
struct SumToShape {
  Span<float> out, g;
  std::vector<int64_t> shape;
  std::vector<int64_t> out_shape;  // padded with leading 1s to shape's rank
  std::vector<int64_t> out_shape_given;
  int64_t numel = 0, out_numel = 0;
};
template <class Arrays>
SumToShape ReadSumToShape(const Napi::CallbackInfo& info) {
  RequireArgs(info, 4, "sumToShape");
  Napi::Env env = info.Env();
  SumToShape r;
  r.shape = GetShape(info, 2, "shape");
  r.out_shape_given = GetShape(info, 3, "outShape");
  r.numel = Numel(env, r.shape, "shape");
  r.out_numel = Numel(env, r.out_shape_given, "outShape");
  if (r.out_shape_given.size() > r.shape.size()) {
    ThrowRange(env, "outShape " + ShapeToString(r.out_shape_given) + " has more dimensions than shape " +
                        ShapeToString(r.shape));
  }
  r.out_shape.assign(r.shape.size() - r.out_shape_given.size(), 1);
  r.out_shape.insert(r.out_shape.end(), r.out_shape_given.begin(), r.out_shape_given.end());
  for (size_t d = 0; d < r.shape.size(); ++d) {
    if (r.out_shape[d] != r.shape[d] && r.out_shape[d] != 1) {
      ThrowRange(env, "shape " + ShapeToString(r.shape) + " is not a broadcast of outShape " +
                          ShapeToString(r.out_shape_given));
    }
  }
  r.out = Arrays::template GetExact<float>(info, 0, "out", r.out_numel, &r.out_shape_given);
  r.g = Arrays::template GetExact<float>(info, 1, "g", r.numel, &r.shape);
  if (Overlaps(r.out, r.g)) ThrowRange(env, "out must not overlap g");
  return r;
}

// ---- int32ToFloat32(out, x): out[i] = float(x[i]), rounded to nearest ----------------------------
struct Cast {
  Span<float> out;
  Span<int32_t> x;
};
template <class Arrays>
Cast ReadCast(const Napi::CallbackInfo& info) {
  RequireArgs(info, 2, "int32ToFloat32");
  Cast r;
  r.x = Arrays::template Get<int32_t>(info, 1, "x");
  r.out = Arrays::template GetExact<float>(info, 0, "out", int64_t(r.x.length));
  if (Overlaps(r.out, r.x)) ThrowRange(info.Env(), "out must not overlap x");
  return r;
}

}  // namespace tk::binding::elementwise_args

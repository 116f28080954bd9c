// The argument checks of the nn-op exports (softmax, layerNorm, indexSelect, gather, mulMask), shared
// by the CPU exports (native/binding/nnops.cc, Arrays = HostArrays: typed arrays) and the device
// exports (cuda/binding/nnops.cc, Arrays = cuda::DeviceArrays: device buffers), so that both refuse
// the same calls with the same messages. Index arrays are range-checked here, through
// IndexValuesOf<Arrays> (a host copy for device buffers), before any kernel reads them.
#pragma once
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/strided_args.h"

namespace tk::binding::nnops_args {

inline int64_t Product3(Napi::Env env, int64_t a, int64_t b, int64_t c) {
  return Numel(env, std::vector<int64_t>{a, b, c}, "size");
}

template <typename A, typename B>
void RequireDisjoint(Napi::Env env, const Span<A>& out, const Span<B>& in, const char* out_name,
                     const char* in_name) {
  if (Overlaps(out, in)) ThrowRange(env, std::string(out_name) + " must not share memory with " + in_name);
}

// Throws a RangeError naming the first index outside [0, n); values read through Arrays' host view.
template <class Arrays>
void CheckIndices(Napi::Env env, const Span<int32_t>& idx, int64_t n, const char* name) {
  std::vector<int32_t> scratch;
  const int32_t* v = IndexValuesOf<Arrays>::Read(idx, &scratch);
  for (size_t k = 0; k < idx.length; ++k) {
    if (v[k] < 0 || v[k] >= n) {
      ThrowRange(env, std::string(name) + "[" + std::to_string(k) + "] = " + std::to_string(v[k]) +
                          " is out of range [0, " + std::to_string(n) + ")");
    }
  }
}

// An optional float array of exactly `length` elements: null or undefined gives an empty span.
template <class Arrays>
Span<float> GetOptional(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length) {
  if (IsNullish(info, i)) return Span<float>{};
  return Arrays::template GetExact<float>(info, i, name, length);
}

// Words of exactly `length` elements.
template <class Arrays>
Words GetWordsExact(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length) {
  Words w = WordsOf<Arrays>::Get(info, i, name);
  if (int64_t(w.length) != length) {
    ThrowRange(info.Env(), std::string(name) + " has " + std::to_string(w.length) + " elements, expected " +
                               std::to_string(length));
  }
  return w;
}

struct Softmax {
  Span<float> y, x, dy;  // forward: y, x; backward: y is dx's input y, out is dx
  Span<float> out;
  int64_t outer = 0, dim = 0, inner = 0;
  bool log = false;
};

// softmaxForward(y, x, outer, dim, inner, log)
template <class Arrays>
Softmax ReadSoftmaxForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "softmaxForward");
  Napi::Env env = info.Env();
  Softmax a;
  a.outer = GetInt(info, 2, "outer");
  a.dim = GetInt(info, 3, "dim");
  a.inner = GetInt(info, 4, "inner");
  a.log = GetBool(info, 5, "log");
  int64_t n = Product3(env, a.outer, a.dim, a.inner);
  a.out = Arrays::template GetExact<float>(info, 0, "y", n);
  a.x = Arrays::template GetExact<float>(info, 1, "x", n);
  RequireDisjoint(env, a.out, a.x, "y", "x");
  return a;
}

// softmaxBackward(dx, dy, y, outer, dim, inner, log): dx may be dy itself, no other overlap.
template <class Arrays>
Softmax ReadSoftmaxBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "softmaxBackward");
  Napi::Env env = info.Env();
  Softmax a;
  a.outer = GetInt(info, 3, "outer");
  a.dim = GetInt(info, 4, "dim");
  a.inner = GetInt(info, 5, "inner");
  a.log = GetBool(info, 6, "log");
  int64_t n = Product3(env, a.outer, a.dim, a.inner);
  a.out = Arrays::template GetExact<float>(info, 0, "dx", n);
  a.dy = Arrays::template GetExact<float>(info, 1, "dy", n);
  a.y = Arrays::template GetExact<float>(info, 2, "y", n);
  if (a.out.data != a.dy.data) RequireDisjoint(env, a.out, a.dy, "dx", "dy");
  RequireDisjoint(env, a.out, a.y, "dx", "y");
  return a;
}

struct LayerNormForward {
  Span<float> y, mean, rstd, x, w, b;
  int64_t M = 0, N = 0;
  float eps = 0;
};

// layerNormForward(y, mean, rstd, x, weight|null, bias|null, M, N, eps)
template <class Arrays>
LayerNormForward ReadLayerNormForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 9, "layerNormForward");
  Napi::Env env = info.Env();
  LayerNormForward a;
  a.M = GetInt(info, 6, "M");
  a.N = GetInt(info, 7, "N");
  double eps = GetFiniteNumber(info, 8, "eps");
  if (eps < 0) ThrowRange(env, "eps must be non-negative");
  a.eps = float(eps);
  int64_t n = Product3(env, a.M, a.N, 1);
  a.y = Arrays::template GetExact<float>(info, 0, "y", n);
  a.mean = Arrays::template GetExact<float>(info, 1, "mean", a.M);
  a.rstd = Arrays::template GetExact<float>(info, 2, "rstd", a.M);
  a.x = Arrays::template GetExact<float>(info, 3, "x", n);
  a.w = GetOptional<Arrays>(info, 4, "weight", a.N);
  a.b = GetOptional<Arrays>(info, 5, "bias", a.N);
  RequireDisjoint(env, a.y, a.x, "y", "x");
  RequireDisjoint(env, a.y, a.w, "y", "weight");
  RequireDisjoint(env, a.y, a.b, "y", "bias");
  // The statistics are written too: they must not land in the output or the inputs.
  const Span<float>* stats[] = {&a.mean, &a.rstd};
  const Span<float>* others[] = {&a.y, &a.x, &a.w, &a.b};
  for (auto s : stats)
    for (auto o : others) RequireDisjoint(env, *s, *o, "mean and rstd", "y or the inputs");
  if (Overlaps(a.mean, a.rstd)) ThrowRange(env, "mean must not share memory with rstd");
  return a;
}

struct LayerNormBackward {
  Span<float> dx, dw, db, dy, x, mean, rstd, w;
  int64_t M = 0, N = 0;
};

// layerNormBackward(dx|null, dweight|null, dbias|null, dy, x, mean, rstd, weight|null, M, N)
template <class Arrays>
LayerNormBackward ReadLayerNormBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 10, "layerNormBackward");
  Napi::Env env = info.Env();
  LayerNormBackward a;
  a.M = GetInt(info, 8, "M");
  a.N = GetInt(info, 9, "N");
  int64_t n = Product3(env, a.M, a.N, 1);
  a.dx = GetOptional<Arrays>(info, 0, "dx", n);
  a.dw = GetOptional<Arrays>(info, 1, "dweight", a.N);
  a.db = GetOptional<Arrays>(info, 2, "dbias", a.N);
  a.dy = Arrays::template GetExact<float>(info, 3, "dy", n);
  a.x = Arrays::template GetExact<float>(info, 4, "x", n);
  a.mean = Arrays::template GetExact<float>(info, 5, "mean", a.M);
  a.rstd = Arrays::template GetExact<float>(info, 6, "rstd", a.M);
  a.w = GetOptional<Arrays>(info, 7, "weight", a.N);
  const Span<float>* outs[] = {&a.dx, &a.dw, &a.db};
  const Span<float>* ins[] = {&a.dy, &a.x, &a.mean, &a.rstd, &a.w};
  for (auto o : outs)
    for (auto in : ins) RequireDisjoint(env, *o, *in, "gradient outputs", "the inputs");
  if (Overlaps(a.dx, a.dw) || Overlaps(a.dx, a.db) || Overlaps(a.dw, a.db))
    ThrowRange(env, "gradient outputs must not overlap");
  return a;
}

struct IndexSelectForward {
  Words out, x;  // float32 or int32, one dtype
  Span<int32_t> index;
  int64_t outer = 0, nSrc = 0, nIdx = 0, inner = 0;
};

// indexSelectForward(out, x, index, outer, nSrc, nIdx, inner): out and x both float32 or both int32.
template <class Arrays>
IndexSelectForward ReadIndexSelectForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "indexSelectForward");
  Napi::Env env = info.Env();
  IndexSelectForward a;
  a.outer = GetInt(info, 3, "outer");
  a.nSrc = GetInt(info, 4, "nSrc");
  a.nIdx = GetInt(info, 5, "nIdx");
  a.inner = GetInt(info, 6, "inner");
  int64_t n_out = Product3(env, a.outer, a.nIdx, a.inner), n_x = Product3(env, a.outer, a.nSrc, a.inner);
  a.out = GetWordsExact<Arrays>(info, 0, "out", n_out);
  a.x = GetWordsExact<Arrays>(info, 1, "x", n_x);
  if (a.out.is_int != a.x.is_int) ThrowType(env, "out and x must have the same type");
  a.index = Arrays::template GetExact<int32_t>(info, 2, "index", a.nIdx);
  if (WordsOverlap(a.out, a.x)) ThrowRange(env, "out must not share memory with x");
  if (WordsOverlap(a.out, AsWords(a.index))) ThrowRange(env, "out must not share memory with index");
  CheckIndices<Arrays>(env, a.index, a.nSrc, "index");
  return a;
}

struct IndexSelectBackward {
  Span<float> dx, dy;
  Span<int32_t> index;
  int64_t outer = 0, nSrc = 0, nIdx = 0, inner = 0, skip = -1;
};

// indexSelectBackward(dx, dy, index, outer, nSrc, nIdx, inner, skip): skip -1 for none.
template <class Arrays>
IndexSelectBackward ReadIndexSelectBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 8, "indexSelectBackward");
  Napi::Env env = info.Env();
  IndexSelectBackward a;
  a.outer = GetInt(info, 3, "outer");
  a.nSrc = GetInt(info, 4, "nSrc");
  a.nIdx = GetInt(info, 5, "nIdx");
  a.inner = GetInt(info, 6, "inner");
  a.skip = GetInt(info, 7, "skip", -1, kMaxDim);
  a.dx = Arrays::template GetExact<float>(info, 0, "dx", Product3(env, a.outer, a.nSrc, a.inner));
  a.dy = Arrays::template GetExact<float>(info, 1, "dy", Product3(env, a.outer, a.nIdx, a.inner));
  a.index = Arrays::template GetExact<int32_t>(info, 2, "index", a.nIdx);
  RequireDisjoint(env, a.dx, a.dy, "dx", "dy");
  RequireDisjoint(env, a.dx, a.index, "dx", "index");
  CheckIndices<Arrays>(env, a.index, a.nSrc, "index");
  return a;
}

struct Gather {
  Words out, x;        // forward: float32 or int32 words
  Span<float> dx, dy;  // backward
  Span<int32_t> index;
  std::vector<int64_t> xShape, indexShape;
  int64_t dim = 0, nx = 0, ni = 0;
};

inline void ReadGatherShapes(const Napi::CallbackInfo& info, size_t at, Gather* a) {
  Napi::Env env = info.Env();
  a->xShape = GetShape(info, at, "xShape");
  a->indexShape = GetShape(info, at + 1, "indexShape");
  if (a->xShape.size() != a->indexShape.size()) ThrowRange(env, "index must have the same rank as x");
  int64_t rank = int64_t(a->xShape.size());
  a->dim = GetInt(info, at + 2, "dim", 0, rank == 0 ? 0 : rank - 1);
  for (int64_t d = 0; d < rank; ++d) {
    if (d != a->dim && a->indexShape[size_t(d)] > a->xShape[size_t(d)]) {
      ThrowRange(env, "index " + ShapeToString(a->indexShape) + " is larger than x " +
                          ShapeToString(a->xShape) + " in dimension " + std::to_string(d));
    }
  }
  a->nx = Numel(env, a->xShape, "xShape");
  a->ni = Numel(env, a->indexShape, "indexShape");
  if (a->ni > 0 && a->nx == 0) ThrowRange(env, "gather from an empty x with a non-empty index");
}

inline int64_t GatherSize(const Gather& a) { return a.xShape.empty() ? 1 : a.xShape[size_t(a.dim)]; }

// gatherForward(out, x, index, xShape, indexShape, dim): out and x both float32 or both int32.
template <class Arrays>
Gather ReadGatherForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "gatherForward");
  Napi::Env env = info.Env();
  Gather a;
  ReadGatherShapes(info, 3, &a);
  a.out = GetWordsExact<Arrays>(info, 0, "out", a.ni);
  a.x = GetWordsExact<Arrays>(info, 1, "x", a.nx);
  if (a.out.is_int != a.x.is_int) ThrowType(env, "out and x must have the same type");
  a.index = Arrays::template GetExact<int32_t>(info, 2, "index", a.ni);
  if (WordsOverlap(a.out, a.x)) ThrowRange(env, "out must not share memory with x");
  if (WordsOverlap(a.out, AsWords(a.index))) ThrowRange(env, "out must not share memory with index");
  CheckIndices<Arrays>(env, a.index, GatherSize(a), "index");
  return a;
}

// gatherBackward(dx, dy, index, xShape, indexShape, dim)
template <class Arrays>
Gather ReadGatherBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "gatherBackward");
  Napi::Env env = info.Env();
  Gather a;
  ReadGatherShapes(info, 3, &a);
  a.dx = Arrays::template GetExact<float>(info, 0, "dx", a.nx);
  a.dy = Arrays::template GetExact<float>(info, 1, "dy", a.ni);
  a.index = Arrays::template GetExact<int32_t>(info, 2, "index", a.ni);
  RequireDisjoint(env, a.dx, a.dy, "dx", "dy");
  RequireDisjoint(env, a.dx, a.index, "dx", "index");
  CheckIndices<Arrays>(env, a.index, GatherSize(a), "index");
  return a;
}

struct MulMask {
  Span<float> out, x, mask;
  int64_t n = 0;
};

// mulMask(out, x, mask, n): out[i] = x[i] * mask[i] (dropout's forward and backward); out may be x
// itself but must not otherwise overlap x or mask.
template <class Arrays>
MulMask ReadMulMask(const Napi::CallbackInfo& info) {
  RequireArgs(info, 4, "mulMask");
  Napi::Env env = info.Env();
  MulMask a;
  a.n = GetInt(info, 3, "n");
  a.out = Arrays::template GetExact<float>(info, 0, "out", a.n);
  a.x = Arrays::template GetExact<float>(info, 1, "x", a.n);
  a.mask = Arrays::template GetExact<float>(info, 2, "mask", a.n);
  if (a.out.data != a.x.data) RequireDisjoint(env, a.out, a.x, "out", "x");
  RequireDisjoint(env, a.out, a.mask, "out", "mask");
  return a;
}

}  // namespace tk::binding::nnops_args

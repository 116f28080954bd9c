// The argument checks of the loss exports, shared by the CPU exports (native/binding/loss.cc, Arrays
// = HostArrays: typed arrays) and the device exports (cuda/binding/loss.cc, Arrays =
// cuda::DeviceArrays: device buffers), so that both refuse the same calls with the same messages.
//
// Class-index targets are range-checked by value, which the host cannot do for a device buffer:
// the readers leave that to the caller (CheckTargets on the CPU; on the device a kernel finds the
// first bad target before the loss kernel runs), and both throw TargetMessage's RangeError.
#pragma once
#include <string>
#include <vector>

#include "binding/args.h"

namespace tk::binding::loss_args {

template <class Arrays>
Span<float> GetOptionalFloats(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return Span<float>{};
  return Arrays::template GetExact<float>(info, i, name, length);
}

struct CeSizes {
  int64_t N, C, S, samples, numel;
};

inline CeSizes GetCeSizes(const Napi::CallbackInfo& info, size_t at) {
  Napi::Env env = info.Env();
  CeSizes s;
  s.N = GetInt(info, at, "N");
  s.C = GetInt(info, at + 1, "C");
  s.S = GetInt(info, at + 2, "S");
  s.numel = Numel(env, {s.N, s.C, s.S}, "logits shape");
  s.samples = Numel(env, {s.N, s.S}, "target shape");
  return s;
}

inline float GetSmoothing(const Napi::CallbackInfo& info, size_t i) {
  double v = GetFiniteNumber(info, i, "labelSmoothing");
  if (v < 0 || v > 1) ThrowRange(info.Env(), "labelSmoothing must be in [0, 1], got " + std::to_string(v));
  return float(v);
}

inline int64_t GetIgnoreIndex(const Napi::CallbackInfo& info, size_t i) {
  return GetInt(info, i, "ignoreIndex", -(int64_t(1) << 31), (int64_t(1) << 31) - 1);
}

inline std::string TargetMessage(int64_t k, int64_t y, int64_t C) {
  return "target[" + std::to_string(k) + "] = " + std::to_string(y) + " is out of range [0, " +
         std::to_string(C) + ")";
}

// Host only: the first target that is neither ignore_index nor in [0, C).
inline void CheckTargets(Napi::Env env, const Span<int32_t>& t, int64_t C, int64_t ignore) {
  for (size_t k = 0; k < t.length; ++k) {
    int64_t y = t.data[k];
    if (y == ignore) continue;
    if (y < 0 || y >= C) ThrowRange(env, TargetMessage(int64_t(k), y, C));
  }
}

// The upstream gradient: stride 1 over `samples` values or stride 0 over one value.
template <class Arrays>
Span<float> GetDloss(const Napi::CallbackInfo& info, size_t i, int64_t stride, int64_t samples) {
  if (stride == 1) return Arrays::template GetExact<float>(info, i, "dloss", samples);
  return Arrays::template Get<float>(info, i, "dloss", 1);
}

template <typename A, typename B>
void RequireDisjoint(Napi::Env env, const Span<A>& out, const Span<B>& in, const char* out_name) {
  if (Overlaps(out, in)) ThrowRange(env, std::string(out_name) + " must not share memory with an input");
}

// crossEntropyForward(loss, lse, logits, target, weight|null, N, C, S, ignoreIndex, labelSmoothing)
struct CeForward {
  CeSizes s;
  int64_t ignore;
  float eps;
  Span<float> loss, lse, logits, weight;
  Span<int32_t> target;
};
template <class Arrays>
CeForward ReadCeForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 10, "crossEntropyForward");
  Napi::Env env = info.Env();
  CeForward r;
  r.s = GetCeSizes(info, 5);
  r.ignore = GetIgnoreIndex(info, 8);
  r.eps = GetSmoothing(info, 9);
  r.loss = Arrays::template GetExact<float>(info, 0, "loss", r.s.samples);
  r.lse = Arrays::template GetExact<float>(info, 1, "lse", r.s.samples);
  r.logits = Arrays::template GetExact<float>(info, 2, "logits", r.s.numel);
  r.target = Arrays::template GetExact<int32_t>(info, 3, "target", r.s.samples);
  r.weight = GetOptionalFloats<Arrays>(info, 4, "weight", r.s.C);
  if (r.s.samples > 0 && r.s.C == 0) ThrowRange(env, "logits must have at least one class");
  if (Overlaps(r.loss, r.lse)) ThrowRange(env, "loss and lse must not overlap");
  for (const Span<float>* o : {&r.loss, &r.lse}) {
    RequireDisjoint(env, *o, r.logits, "loss");
    RequireDisjoint(env, *o, r.target, "loss");
    RequireDisjoint(env, *o, r.weight, "loss");
  }
  return r;
}

// crossEntropyBackward(dlogits, dloss, logits, lse, target, weight|null, N, C, S, ignoreIndex,
//                      labelSmoothing, dlossStride, scale)
struct CeBackward {
  CeSizes s;
  int64_t ignore, stride;
  float eps, scale;
  Span<float> dlogits, dloss, logits, lse, weight;
  Span<int32_t> target;
};
template <class Arrays>
CeBackward ReadCeBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 13, "crossEntropyBackward");
  Napi::Env env = info.Env();
  CeBackward r;
  r.s = GetCeSizes(info, 6);
  r.ignore = GetIgnoreIndex(info, 9);
  r.eps = GetSmoothing(info, 10);
  r.stride = GetInt(info, 11, "dlossStride", 0, 1);
  r.scale = float(GetNumber(info, 12, "scale"));
  r.dlogits = Arrays::template GetExact<float>(info, 0, "dlogits", r.s.numel);
  r.dloss = GetDloss<Arrays>(info, 1, r.stride, r.s.samples);
  r.logits = Arrays::template GetExact<float>(info, 2, "logits", r.s.numel);
  r.lse = Arrays::template GetExact<float>(info, 3, "lse", r.s.samples);
  r.target = Arrays::template GetExact<int32_t>(info, 4, "target", r.s.samples);
  r.weight = GetOptionalFloats<Arrays>(info, 5, "weight", r.s.C);
  RequireDisjoint(env, r.dlogits, r.dloss, "dlogits");
  RequireDisjoint(env, r.dlogits, r.logits, "dlogits");
  RequireDisjoint(env, r.dlogits, r.lse, "dlogits");
  RequireDisjoint(env, r.dlogits, r.target, "dlogits");
  RequireDisjoint(env, r.dlogits, r.weight, "dlogits");
  return r;
}

// crossEntropyProbForward(loss, lse, logits, target, weight|null, N, C, S, labelSmoothing)
struct CeProbForward {
  CeSizes s;
  float eps;
  Span<float> loss, lse, logits, target, weight;
};
template <class Arrays>
CeProbForward ReadCeProbForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 9, "crossEntropyProbForward");
  Napi::Env env = info.Env();
  CeProbForward r;
  r.s = GetCeSizes(info, 5);
  r.eps = GetSmoothing(info, 8);
  r.loss = Arrays::template GetExact<float>(info, 0, "loss", r.s.samples);
  r.lse = Arrays::template GetExact<float>(info, 1, "lse", r.s.samples);
  r.logits = Arrays::template GetExact<float>(info, 2, "logits", r.s.numel);
  r.target = Arrays::template GetExact<float>(info, 3, "target", r.s.numel);
  r.weight = GetOptionalFloats<Arrays>(info, 4, "weight", r.s.C);
  if (Overlaps(r.loss, r.lse)) ThrowRange(env, "loss and lse must not overlap");
  for (const Span<float>* o : {&r.loss, &r.lse}) {
    RequireDisjoint(env, *o, r.logits, "loss");
    RequireDisjoint(env, *o, r.target, "loss");
    RequireDisjoint(env, *o, r.weight, "loss");
  }
  return r;
}

// crossEntropyProbBackward(dlogits|null, dtarget|null, dloss, logits, lse, target, weight|null, N, C, S,
//                          labelSmoothing, dlossStride, scale)
struct CeProbBackward {
  CeSizes s;
  int64_t stride;
  float eps, scale;
  Span<float> dlogits, dtarget, dloss, logits, lse, target, weight;
};
template <class Arrays>
CeProbBackward ReadCeProbBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 13, "crossEntropyProbBackward");
  Napi::Env env = info.Env();
  CeProbBackward r;
  r.s = GetCeSizes(info, 7);
  r.eps = GetSmoothing(info, 10);
  r.stride = GetInt(info, 11, "dlossStride", 0, 1);
  r.scale = float(GetNumber(info, 12, "scale"));
  r.dlogits = GetOptionalFloats<Arrays>(info, 0, "dlogits", r.s.numel);
  r.dtarget = GetOptionalFloats<Arrays>(info, 1, "dtarget", r.s.numel);
  r.dloss = GetDloss<Arrays>(info, 2, r.stride, r.s.samples);
  r.logits = Arrays::template GetExact<float>(info, 3, "logits", r.s.numel);
  r.lse = Arrays::template GetExact<float>(info, 4, "lse", r.s.samples);
  r.target = Arrays::template GetExact<float>(info, 5, "target", r.s.numel);
  r.weight = GetOptionalFloats<Arrays>(info, 6, "weight", r.s.C);
  if (Overlaps(r.dlogits, r.dtarget)) ThrowRange(env, "dlogits and dtarget must not overlap");
  for (const Span<float>* o : {&r.dlogits, &r.dtarget}) {
    for (const Span<float>* in : {&r.dloss, &r.logits, &r.lse, &r.target, &r.weight})
      RequireDisjoint(env, *o, *in, "gradients");
  }
  return r;
}

// bceLogitsForward(loss, x, t, weight|null, posWeight|null)
struct BceForward {
  int64_t n;
  Span<float> loss, x, t, w, pw;
};
template <class Arrays>
BceForward ReadBceForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 3, "bceLogitsForward");
  Napi::Env env = info.Env();
  BceForward r;
  r.x = Arrays::template Get<float>(info, 1, "x");
  r.n = int64_t(r.x.length);
  r.loss = Arrays::template GetExact<float>(info, 0, "loss", r.n);
  r.t = Arrays::template GetExact<float>(info, 2, "t", r.n);
  r.w = GetOptionalFloats<Arrays>(info, 3, "weight", r.n);
  r.pw = GetOptionalFloats<Arrays>(info, 4, "posWeight", r.n);
  for (const Span<float>* in : {&r.x, &r.t, &r.w, &r.pw}) RequireDisjoint(env, r.loss, *in, "loss");
  return r;
}

// bceLogitsBackward(dx|null, dt|null, dloss, x, t, weight|null, posWeight|null, dlossStride, scale)
struct BceBackward {
  int64_t n, stride;
  float scale;
  Span<float> dx, dt, dloss, x, t, w, pw;
};
template <class Arrays>
BceBackward ReadBceBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 9, "bceLogitsBackward");
  Napi::Env env = info.Env();
  BceBackward r;
  r.x = Arrays::template Get<float>(info, 3, "x");
  r.n = int64_t(r.x.length);
  r.stride = GetInt(info, 7, "dlossStride", 0, 1);
  r.scale = float(GetNumber(info, 8, "scale"));
  r.dx = GetOptionalFloats<Arrays>(info, 0, "dx", r.n);
  r.dt = GetOptionalFloats<Arrays>(info, 1, "dt", r.n);
  r.dloss = GetDloss<Arrays>(info, 2, r.stride, r.n);
  r.t = Arrays::template GetExact<float>(info, 4, "t", r.n);
  r.w = GetOptionalFloats<Arrays>(info, 5, "weight", r.n);
  r.pw = GetOptionalFloats<Arrays>(info, 6, "posWeight", r.n);
  if (Overlaps(r.dx, r.dt)) ThrowRange(env, "dx and dt must not overlap");
  for (const Span<float>* o : {&r.dx, &r.dt}) {
    for (const Span<float>* in : {&r.dloss, &r.x, &r.t, &r.w, &r.pw})
      RequireDisjoint(env, *o, *in, "gradients");
  }
  return r;
}

// nllLossForward(loss, logProbs, target, weight|null, N, C, S, ignoreIndex) -> denominator
struct NllForward {
  CeSizes s;
  int64_t ignore;
  Span<float> loss, x, weight;
  Span<int32_t> target;
};
template <class Arrays>
NllForward ReadNllForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 8, "nllLossForward");
  Napi::Env env = info.Env();
  NllForward r;
  r.s = GetCeSizes(info, 4);
  r.ignore = GetIgnoreIndex(info, 7);
  r.loss = Arrays::template GetExact<float>(info, 0, "loss", r.s.samples);
  r.x = Arrays::template GetExact<float>(info, 1, "logProbs", r.s.numel);
  r.target = Arrays::template GetExact<int32_t>(info, 2, "target", r.s.samples);
  r.weight = GetOptionalFloats<Arrays>(info, 3, "weight", r.s.C);
  RequireDisjoint(env, r.loss, r.x, "loss");
  RequireDisjoint(env, r.loss, r.target, "loss");
  RequireDisjoint(env, r.loss, r.weight, "loss");
  return r;
}

// nllLossBackward(dx, dloss, target, weight|null, N, C, S, ignoreIndex, dlossStride, scale)
struct NllBackward {
  CeSizes s;
  int64_t ignore, stride;
  double scale;
  Span<float> dx, dloss, weight;
  Span<int32_t> target;
};
template <class Arrays>
NllBackward ReadNllBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 10, "nllLossBackward");
  Napi::Env env = info.Env();
  NllBackward r;
  r.s = GetCeSizes(info, 4);
  r.ignore = GetIgnoreIndex(info, 7);
  r.stride = GetInt(info, 8, "dlossStride", 0, 1);
  r.scale = GetNumber(info, 9, "scale");
  r.dx = Arrays::template GetExact<float>(info, 0, "dx", r.s.numel);
  r.dloss = GetDloss<Arrays>(info, 1, r.stride, r.s.samples);
  r.target = Arrays::template GetExact<int32_t>(info, 2, "target", r.s.samples);
  r.weight = GetOptionalFloats<Arrays>(info, 3, "weight", r.s.C);
  RequireDisjoint(env, r.dx, r.dloss, "dx");
  RequireDisjoint(env, r.dx, r.target, "dx");
  RequireDisjoint(env, r.dx, r.weight, "dx");
  return r;
}

inline int32_t GetLossKind(const Napi::CallbackInfo& info, size_t i) {
  return int32_t(GetInt(info, i, "kind", 0, 4));
}

// pointwiseLossForward(kind, loss, x, t, beta): kind 0 mse, 1 l1, 2 smoothL1, 3 klDiv, 4 klDiv with
// log targets (math::PointwiseLossKind); beta is smoothL1's (>= 0; ignored by the others).
struct PointwiseForward {
  int32_t kind;
  int64_t n;
  double beta;
  Span<float> loss, x, t;
};
template <class Arrays>
PointwiseForward ReadPointwiseForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "pointwiseLossForward");
  Napi::Env env = info.Env();
  PointwiseForward r;
  r.kind = GetLossKind(info, 0);
  r.x = Arrays::template Get<float>(info, 2, "x");
  r.n = int64_t(r.x.length);
  r.loss = Arrays::template GetExact<float>(info, 1, "loss", r.n);
  r.t = Arrays::template GetExact<float>(info, 3, "t", r.n);
  r.beta = GetNumber(info, 4, "beta");
  if (!(r.beta >= 0)) ThrowRange(env, "beta must be >= 0, got " + std::to_string(r.beta));
  RequireDisjoint(env, r.loss, r.x, "loss");
  RequireDisjoint(env, r.loss, r.t, "loss");
  return r;
}

// pointwiseLossBackward(kind, dx|null, dt|null, dloss, x, t, beta, dlossStride, scale)
struct PointwiseBackward {
  int32_t kind;
  int64_t n, stride;
  double beta, scale;
  Span<float> dx, dt, dloss, x, t;
};
template <class Arrays>
PointwiseBackward ReadPointwiseBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 9, "pointwiseLossBackward");
  Napi::Env env = info.Env();
  PointwiseBackward r;
  r.kind = GetLossKind(info, 0);
  r.x = Arrays::template Get<float>(info, 4, "x");
  r.n = int64_t(r.x.length);
  r.dx = GetOptionalFloats<Arrays>(info, 1, "dx", r.n);
  r.dt = GetOptionalFloats<Arrays>(info, 2, "dt", r.n);
  r.stride = GetInt(info, 7, "dlossStride", 0, 1);
  r.dloss = GetDloss<Arrays>(info, 3, r.stride, r.n);
  r.t = Arrays::template GetExact<float>(info, 5, "t", r.n);
  r.beta = GetNumber(info, 6, "beta");
  if (!(r.beta >= 0)) ThrowRange(env, "beta must be >= 0, got " + std::to_string(r.beta));
  r.scale = GetNumber(info, 8, "scale");
  if (Overlaps(r.dx, r.dt)) ThrowRange(env, "dx and dt must not overlap");
  for (const Span<float>* o : {&r.dx, &r.dt}) {
    for (const Span<float>* in : {&r.dloss, &r.x, &r.t}) RequireDisjoint(env, *o, *in, "gradients");
  }
  return r;
}

}  // namespace tk::binding::loss_args

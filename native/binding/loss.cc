// Exports: crossEntropyForward, crossEntropyBackward, crossEntropyProbForward,
// crossEntropyProbBackward, bceLogitsForward, bceLogitsBackward.
#include "kernels/loss.h"

#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/registry.h"

namespace tk::binding {
namespace {

Span<float> GetOptionalFloats(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return Span<float>{};
  return GetArrayExact<float>(info, i, name, length);
}

struct CeSizes {
  int64_t N, C, S, samples, numel;
};

CeSizes GetCeSizes(const Napi::CallbackInfo& info, size_t at) {
  Napi::Env env = info.Env();
  CeSizes s;
  s.N = GetInt(info, at, "N");
  s.C = GetInt(info, at + 1, "C");
  s.S = GetInt(info, at + 2, "S");
  s.numel = Numel(env, {s.N, s.C, s.S}, "logits shape");
  s.samples = Numel(env, {s.N, s.S}, "target shape");
  return s;
}

float GetSmoothing(const Napi::CallbackInfo& info, size_t i) {
  double v = GetFiniteNumber(info, i, "labelSmoothing");
  if (v < 0 || v > 1) ThrowRange(info.Env(), "labelSmoothing must be in [0, 1], got " + std::to_string(v));
  return float(v);
}

void CheckTargets(Napi::Env env, const Span<int32_t>& t, int64_t C, int64_t ignore) {
  for (size_t k = 0; k < t.length; ++k) {
    int64_t y = t.data[k];
    if (y == ignore) continue;
    if (y < 0 || y >= C) {
      ThrowRange(env, "target[" + std::to_string(k) + "] = " + std::to_string(y) + " is out of range [0, " +
                          std::to_string(C) + ")");
    }
  }
}

// The upstream gradient: stride 1 over `samples` values or stride 0 over one value.
Span<float> GetDloss(const Napi::CallbackInfo& info, size_t i, int64_t stride, int64_t samples) {
  if (stride == 1) return GetArrayExact<float>(info, i, "dloss", samples);
  return GetArray<float>(info, i, "dloss", 1);
}

template <typename A, typename B>
void RequireDisjoint(Napi::Env env, const Span<A>& out, const Span<B>& in, const char* out_name) {
  if (Overlaps(out, in)) ThrowRange(env, std::string(out_name) + " must not share memory with an input");
}

// crossEntropyForward(loss, lse, logits, target, weight|null, N, C, S, ignoreIndex, labelSmoothing) ->
// denominator
Napi::Value JS_crossEntropyForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 10, "crossEntropyForward");
  Napi::Env env = info.Env();
  CeSizes s = GetCeSizes(info, 5);
  int64_t ignore = GetInt(info, 8, "ignoreIndex", -(int64_t(1) << 31), (int64_t(1) << 31) - 1);
  float eps = GetSmoothing(info, 9);
  auto loss = GetArrayExact<float>(info, 0, "loss", s.samples);
  auto lse = GetArrayExact<float>(info, 1, "lse", s.samples);
  auto logits = GetArrayExact<float>(info, 2, "logits", s.numel);
  auto target = GetArrayExact<int32_t>(info, 3, "target", s.samples);
  auto weight = GetOptionalFloats(info, 4, "weight", s.C);
  if (s.samples > 0 && s.C == 0) ThrowRange(env, "logits must have at least one class");
  CheckTargets(env, target, s.C, ignore);
  if (Overlaps(loss, lse)) ThrowRange(env, "loss and lse must not overlap");
  for (const Span<float>* o : {&loss, &lse}) {
    RequireDisjoint(env, *o, logits, "loss");
    RequireDisjoint(env, *o, target, "loss");
    RequireDisjoint(env, *o, weight, "loss");
  }
  double denom = cross_entropy_forward_cpu(loss.data, lse.data, logits.data, target.data, weight.data, s.N,
                                           s.C, s.S, ignore, eps);
  return Napi::Number::New(env, denom);
}

// crossEntropyBackward(dlogits, dloss, logits, lse, target, weight|null, N, C, S, ignoreIndex,
//                      labelSmoothing, dlossStride, scale)
Napi::Value JS_crossEntropyBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 13, "crossEntropyBackward");
  Napi::Env env = info.Env();
  CeSizes s = GetCeSizes(info, 6);
  int64_t ignore = GetInt(info, 9, "ignoreIndex", -(int64_t(1) << 31), (int64_t(1) << 31) - 1);
  float eps = GetSmoothing(info, 10);
  int64_t stride = GetInt(info, 11, "dlossStride", 0, 1);
  double scale = GetNumber(info, 12, "scale");
  auto dlogits = GetArrayExact<float>(info, 0, "dlogits", s.numel);
  auto dloss = GetDloss(info, 1, stride, s.samples);
  auto logits = GetArrayExact<float>(info, 2, "logits", s.numel);
  auto lse = GetArrayExact<float>(info, 3, "lse", s.samples);
  auto target = GetArrayExact<int32_t>(info, 4, "target", s.samples);
  auto weight = GetOptionalFloats(info, 5, "weight", s.C);
  CheckTargets(env, target, s.C, ignore);
  RequireDisjoint(env, dlogits, dloss, "dlogits");
  RequireDisjoint(env, dlogits, logits, "dlogits");
  RequireDisjoint(env, dlogits, lse, "dlogits");
  RequireDisjoint(env, dlogits, target, "dlogits");
  RequireDisjoint(env, dlogits, weight, "dlogits");
  cross_entropy_backward_cpu(dlogits.data, dloss.data, logits.data, lse.data, target.data, weight.data, s.N,
                             s.C, s.S, ignore, eps, stride, float(scale));
  return env.Undefined();
}

// crossEntropyProbForward(loss, lse, logits, target, weight|null, N, C, S, labelSmoothing)
Napi::Value JS_crossEntropyProbForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 9, "crossEntropyProbForward");
  Napi::Env env = info.Env();
  CeSizes s = GetCeSizes(info, 5);
  float eps = GetSmoothing(info, 8);
  auto loss = GetArrayExact<float>(info, 0, "loss", s.samples);
  auto lse = GetArrayExact<float>(info, 1, "lse", s.samples);
  auto logits = GetArrayExact<float>(info, 2, "logits", s.numel);
  auto target = GetArrayExact<float>(info, 3, "target", s.numel);
  auto weight = GetOptionalFloats(info, 4, "weight", s.C);
  if (Overlaps(loss, lse)) ThrowRange(env, "loss and lse must not overlap");
  for (const Span<float>* o : {&loss, &lse}) {
    RequireDisjoint(env, *o, logits, "loss");
    RequireDisjoint(env, *o, target, "loss");
    RequireDisjoint(env, *o, weight, "loss");
  }
  cross_entropy_prob_forward_cpu(loss.data, lse.data, logits.data, target.data, weight.data, s.N, s.C, s.S,
                                 eps);
  return env.Undefined();
}

// crossEntropyProbBackward(dlogits|null, dtarget|null, dloss, logits, lse, target, weight|null, N, C, S,
//                          labelSmoothing, dlossStride, scale)
Napi::Value JS_crossEntropyProbBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 13, "crossEntropyProbBackward");
  Napi::Env env = info.Env();
  CeSizes s = GetCeSizes(info, 7);
  float eps = GetSmoothing(info, 10);
  int64_t stride = GetInt(info, 11, "dlossStride", 0, 1);
  double scale = GetNumber(info, 12, "scale");
  auto dlogits = GetOptionalFloats(info, 0, "dlogits", s.numel);
  auto dtarget = GetOptionalFloats(info, 1, "dtarget", s.numel);
  auto dloss = GetDloss(info, 2, stride, s.samples);
  auto logits = GetArrayExact<float>(info, 3, "logits", s.numel);
  auto lse = GetArrayExact<float>(info, 4, "lse", s.samples);
  auto target = GetArrayExact<float>(info, 5, "target", s.numel);
  auto weight = GetOptionalFloats(info, 6, "weight", s.C);
  if (Overlaps(dlogits, dtarget)) ThrowRange(env, "dlogits and dtarget must not overlap");
  for (const Span<float>* o : {&dlogits, &dtarget}) {
    for (const Span<float>* in : {&dloss, &logits, &lse, &target, &weight})
      RequireDisjoint(env, *o, *in, "gradients");
  }
  cross_entropy_prob_backward_cpu(dlogits.data, dtarget.data, dloss.data, logits.data, lse.data, target.data,
                                  weight.data, s.N, s.C, s.S, eps, stride, float(scale));
  return env.Undefined();
}

// bceLogitsForward(loss, x, t, weight|null, posWeight|null)
Napi::Value JS_bceLogitsForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 3, "bceLogitsForward");
  Napi::Env env = info.Env();
  auto x = GetArray<float>(info, 1, "x");
  int64_t n = int64_t(x.length);
  auto loss = GetArrayExact<float>(info, 0, "loss", n);
  auto t = GetArrayExact<float>(info, 2, "t", n);
  auto w = GetOptionalFloats(info, 3, "weight", n);
  auto pw = GetOptionalFloats(info, 4, "posWeight", n);
  for (const Span<float>* in : {&x, &t, &w, &pw}) RequireDisjoint(env, loss, *in, "loss");
  bce_logits_forward_cpu(loss.data, x.data, t.data, w.data, pw.data, n);
  return env.Undefined();
}

// bceLogitsBackward(dx|null, dt|null, dloss, x, t, weight|null, posWeight|null, dlossStride, scale)
Napi::Value JS_bceLogitsBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 9, "bceLogitsBackward");
  Napi::Env env = info.Env();
  auto x = GetArray<float>(info, 3, "x");
  int64_t n = int64_t(x.length);
  int64_t stride = GetInt(info, 7, "dlossStride", 0, 1);
  double scale = GetNumber(info, 8, "scale");
  auto dx = GetOptionalFloats(info, 0, "dx", n);
  auto dt = GetOptionalFloats(info, 1, "dt", n);
  auto dloss = GetDloss(info, 2, stride, n);
  auto t = GetArrayExact<float>(info, 4, "t", n);
  auto w = GetOptionalFloats(info, 5, "weight", n);
  auto pw = GetOptionalFloats(info, 6, "posWeight", n);
  if (Overlaps(dx, dt)) ThrowRange(env, "dx and dt must not overlap");
  for (const Span<float>* o : {&dx, &dt}) {
    for (const Span<float>* in : {&dloss, &x, &t, &w, &pw}) RequireDisjoint(env, *o, *in, "gradients");
  }
  bce_logits_backward_cpu(dx.data, dt.data, dloss.data, x.data, t.data, w.data, pw.data, n, stride,
                          float(scale));
  return env.Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("crossEntropyForward", Napi::Function::New(env, JS_crossEntropyForward, "crossEntropyForward"));
  exports.Set("crossEntropyBackward",
              Napi::Function::New(env, JS_crossEntropyBackward, "crossEntropyBackward"));
  exports.Set("crossEntropyProbForward",
              Napi::Function::New(env, JS_crossEntropyProbForward, "crossEntropyProbForward"));
  exports.Set("crossEntropyProbBackward",
              Napi::Function::New(env, JS_crossEntropyProbBackward, "crossEntropyProbBackward"));
  exports.Set("bceLogitsForward", Napi::Function::New(env, JS_bceLogitsForward, "bceLogitsForward"));
  exports.Set("bceLogitsBackward", Napi::Function::New(env, JS_bceLogitsBackward, "bceLogitsBackward"));
}

}  // namespace

TK_REGISTER_BINDING(loss, Init);

}  // namespace tk::binding

// Exports: crossEntropyForward, crossEntropyBackward, crossEntropyProbForward,
// crossEntropyProbBackward, bceLogitsForward, bceLogitsBackward, nllLossForward, nllLossBackward,
// pointwiseLossForward, pointwiseLossBackward. Arguments are checked in binding/loss_args.h, which
// the device exports (cuda/binding/loss.cc) share.
//
// nllLoss and the pointwise losses are short loops here, with the arithmetic the JavaScript loops of
// lib/ops/losses.ts had (double products, one rounding to float at the store), so their CPU results
// did not change when they moved; cuda/loss.cu computes the same.
#include "kernels/loss.h"

#include <cmath>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/loss_args.h"
#include "binding/registry.h"
#include "kernels/thread_pool.h"
#include "textkernels/math/loss.h"

namespace tk::binding {
namespace {

using namespace loss_args;

Napi::Value JS_crossEntropyForward(const Napi::CallbackInfo& info) {
  CeForward r = ReadCeForward<HostArrays>(info);
  CheckTargets(info.Env(), r.target, r.s.C, r.ignore);
  double denom = cross_entropy_forward_cpu(r.loss.data, r.lse.data, r.logits.data, r.target.data,
                                           r.weight.data, r.s.N, r.s.C, r.s.S, r.ignore, r.eps);
  return Napi::Number::New(info.Env(), denom);
}

Napi::Value JS_crossEntropyBackward(const Napi::CallbackInfo& info) {
  CeBackward r = ReadCeBackward<HostArrays>(info);
  CheckTargets(info.Env(), r.target, r.s.C, r.ignore);
  cross_entropy_backward_cpu(r.dlogits.data, r.dloss.data, r.logits.data, r.lse.data, r.target.data,
                             r.weight.data, r.s.N, r.s.C, r.s.S, r.ignore, r.eps, r.stride, r.scale);
  return info.Env().Undefined();
}

Napi::Value JS_crossEntropyProbForward(const Napi::CallbackInfo& info) {
  CeProbForward r = ReadCeProbForward<HostArrays>(info);
  cross_entropy_prob_forward_cpu(r.loss.data, r.lse.data, r.logits.data, r.target.data, r.weight.data, r.s.N,
                                 r.s.C, r.s.S, r.eps);
  return info.Env().Undefined();
}

Napi::Value JS_crossEntropyProbBackward(const Napi::CallbackInfo& info) {
  CeProbBackward r = ReadCeProbBackward<HostArrays>(info);
  cross_entropy_prob_backward_cpu(r.dlogits.data, r.dtarget.data, r.dloss.data, r.logits.data, r.lse.data,
                                  r.target.data, r.weight.data, r.s.N, r.s.C, r.s.S, r.eps, r.stride,
                                  r.scale);
  return info.Env().Undefined();
}

Napi::Value JS_bceLogitsForward(const Napi::CallbackInfo& info) {
  BceForward r = ReadBceForward<HostArrays>(info);
  bce_logits_forward_cpu(r.loss.data, r.x.data, r.t.data, r.w.data, r.pw.data, r.n);
  return info.Env().Undefined();
}

Napi::Value JS_bceLogitsBackward(const Napi::CallbackInfo& info) {
  BceBackward r = ReadBceBackward<HostArrays>(info);
  bce_logits_backward_cpu(r.dx.data, r.dt.data, r.dloss.data, r.x.data, r.t.data, r.w.data, r.pw.data, r.n,
                          r.stride, r.scale);
  return info.Env().Undefined();
}

Napi::Value JS_nllLossForward(const Napi::CallbackInfo& info) {
  NllForward r = ReadNllForward<HostArrays>(info);
  CheckTargets(info.Env(), r.target, r.s.C, r.ignore);
  const int64_t C = r.s.C, S = r.s.S;
  double denom = 0;
  for (int64_t i = 0; i < r.s.samples; ++i) {
    const int64_t n = i / S, s = i % S, y = r.target.data[i];
    if (y == r.ignore) {
      r.loss.data[i] = 0.0f;
      continue;
    }
    const double w = r.weight.data ? double(r.weight.data[y]) : 1.0;
    r.loss.data[i] = float(-double(r.x.data[(n * C + y) * S + s]) * w);
    denom += w;
  }
  return Napi::Number::New(info.Env(), denom);
}

Napi::Value JS_nllLossBackward(const Napi::CallbackInfo& info) {
  NllBackward r = ReadNllBackward<HostArrays>(info);
  CheckTargets(info.Env(), r.target, r.s.C, r.ignore);
  const int64_t C = r.s.C, S = r.s.S;
  std::fill(r.dx.data, r.dx.data + r.s.numel, 0.0f);
  for (int64_t i = 0; i < r.s.samples; ++i) {
    const int64_t n = i / S, s = i % S, y = r.target.data[i];
    if (y == r.ignore) continue;
    const double w = r.weight.data ? double(r.weight.data[y]) : 1.0;
    r.dx.data[(n * C + y) * S + s] = float(-w * double(r.dloss.data[i * r.stride]) * r.scale);
  }
  return info.Env().Undefined();
}

Napi::Value JS_pointwiseLossForward(const Napi::CallbackInfo& info) {
  PointwiseForward r = ReadPointwiseForward<HostArrays>(info);
  parallel_for(r.n, 16384, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      r.loss.data[i] = math::pointwise_loss(r.kind, r.x.data[i], r.t.data[i], r.beta);
  });
  return info.Env().Undefined();
}

Napi::Value JS_pointwiseLossBackward(const Napi::CallbackInfo& info) {
  PointwiseBackward r = ReadPointwiseBackward<HostArrays>(info);
  parallel_for(r.n, 16384, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const double g = double(r.dloss.data[i * r.stride]) * r.scale;
      double a, c;
      math::pointwise_loss_grad(r.kind, r.x.data[i], r.t.data[i], r.beta, &a, &c);
      if (r.dx.data) r.dx.data[i] = float(g * a);
      if (r.dt.data) r.dt.data[i] = float(g * c);
    }
  });
  return info.Env().Undefined();
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
  exports.Set("nllLossForward", Napi::Function::New(env, JS_nllLossForward, "nllLossForward"));
  exports.Set("nllLossBackward", Napi::Function::New(env, JS_nllLossBackward, "nllLossBackward"));
  exports.Set("pointwiseLossForward",
              Napi::Function::New(env, JS_pointwiseLossForward, "pointwiseLossForward"));
  exports.Set("pointwiseLossBackward",
              Napi::Function::New(env, JS_pointwiseLossBackward, "pointwiseLossBackward"));
}

}  // namespace

TK_REGISTER_BINDING(loss, Init);

}  // namespace tk::binding

// The argument checks of adamUpdate and sgdUpdate, shared by the CPU exports (native/binding/optim.cc,
// Arrays = HostArrays: typed arrays) and the device exports (cuda/binding/optim.cc, Arrays =
// cuda::DeviceArrays: device buffers), so that both refuse the same calls with the same messages.
//
// Every array has exactly param's length, and no array the update writes shares memory with another
// argument (compared by address, so two views of one buffer count; device buffers never overlap unless
// they are the same buffer). The scalars torch hands its float32 kernels are computed here too, once
// for both devices: in double as Python does (bias corrections with the C library's pow, as CPython),
// then rounded to float where torch converts them, so the two devices run one formula on the same floats.
#pragma once
#include <cmath>
#include <string>

#include "binding/args.h"
#include "textkernels/math/optim.h"

namespace tk::binding::optim_args {

template <typename A, typename B>
void RequireDisjoint(Napi::Env env, const Span<A>& a, const char* an, const Span<B>& b, const char* bn) {
  if (Overlaps(a, b)) ThrowRange(env, std::string(an) + " and " + bn + " must not share memory");
}

struct AdamArgs {
  Span<float> param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq;  // max_exp_avg_sq empty unless amsgrad
  int64_t n = 0;
  math::AdamScalars s;
};

// adamUpdate(param, grad, expAvg, expAvgSq, maxExpAvgSq | null, lr, beta1, beta2, eps, weightDecay,
//            step, amsgrad, maximize, decoupled)
template <class Arrays>
AdamArgs ReadAdamArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgs(info, 14, "adamUpdate");
  AdamArgs r;
  r.param = Arrays::template Get<float>(info, 0, "param");
  r.n = int64_t(r.param.length);
  r.grad = Arrays::template GetExact<float>(info, 1, "grad", r.n);
  r.exp_avg = Arrays::template GetExact<float>(info, 2, "expAvg", r.n);
  r.exp_avg_sq = Arrays::template GetExact<float>(info, 3, "expAvgSq", r.n);
  double lr = GetFiniteNumber(info, 5, "lr");
  double beta1 = GetFiniteNumber(info, 6, "beta1");
  double beta2 = GetFiniteNumber(info, 7, "beta2");
  double eps = GetFiniteNumber(info, 8, "eps");
  double wd = GetFiniteNumber(info, 9, "weightDecay");
  int64_t step = GetInt(info, 10, "step", 1, int64_t(1) << 53);
  bool amsgrad = GetBool(info, 11, "amsgrad");
  bool maximize = GetBool(info, 12, "maximize");
  bool decoupled = GetBool(info, 13, "decoupled");
  if (amsgrad) r.max_exp_avg_sq = Arrays::template GetExact<float>(info, 4, "maxExpAvgSq", r.n);
  RequireDisjoint(env, r.param, "param", r.grad, "grad");
  RequireDisjoint(env, r.param, "param", r.exp_avg, "expAvg");
  RequireDisjoint(env, r.param, "param", r.exp_avg_sq, "expAvgSq");
  RequireDisjoint(env, r.exp_avg, "expAvg", r.exp_avg_sq, "expAvgSq");
  RequireDisjoint(env, r.exp_avg, "expAvg", r.grad, "grad");
  RequireDisjoint(env, r.exp_avg_sq, "expAvgSq", r.grad, "grad");
  if (amsgrad) {
    RequireDisjoint(env, r.max_exp_avg_sq, "maxExpAvgSq", r.param, "param");
    RequireDisjoint(env, r.max_exp_avg_sq, "maxExpAvgSq", r.grad, "grad");
    RequireDisjoint(env, r.max_exp_avg_sq, "maxExpAvgSq", r.exp_avg, "expAvg");
    RequireDisjoint(env, r.max_exp_avg_sq, "maxExpAvgSq", r.exp_avg_sq, "expAvgSq");
  }

  double bias_correction1 = 1 - std::pow(beta1, double(step));
  double bias_correction2 = 1 - std::pow(beta2, double(step));
  double step_size = lr / bias_correction1;
  math::AdamScalars& s = r.s;
  s.weight_decay = float(wd);
  s.decay_factor = float(1 - lr * wd);
  s.one_minus_beta1 = float(1 - beta1);
  s.beta2 = float(beta2);
  s.one_minus_beta2 = float(1 - beta2);
  s.bias_corr2_sqrt = float(std::pow(bias_correction2, 0.5));
  s.eps = float(eps);
  s.neg_step_size = float(-step_size);
  s.l2 = wd != 0 && !decoupled;
  s.decoupled = wd != 0 && decoupled;
  s.amsgrad = amsgrad;
  s.maximize = maximize;
  return r;
}

struct SgdArgs {
  Span<float> param, grad, buf;  // buf empty without momentum
  int64_t n = 0;
  math::SgdScalars s;
};

// sgdUpdate(param, grad, buf | null, lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep)
template <class Arrays>
SgdArgs ReadSgdArgs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgs(info, 10, "sgdUpdate");
  SgdArgs r;
  r.param = Arrays::template Get<float>(info, 0, "param");
  r.n = int64_t(r.param.length);
  r.grad = Arrays::template GetExact<float>(info, 1, "grad", r.n);
  double lr = GetFiniteNumber(info, 3, "lr");
  double momentum = GetFiniteNumber(info, 4, "momentum");
  double dampening = GetFiniteNumber(info, 5, "dampening");
  double wd = GetFiniteNumber(info, 6, "weightDecay");
  bool nesterov = GetBool(info, 7, "nesterov");
  bool maximize = GetBool(info, 8, "maximize");
  bool first_step = GetBool(info, 9, "firstStep");
  if (momentum != 0) {
    r.buf = Arrays::template GetExact<float>(info, 2, "buf", r.n);
    RequireDisjoint(env, r.buf, "buf", r.param, "param");
    RequireDisjoint(env, r.buf, "buf", r.grad, "grad");
  }
  RequireDisjoint(env, r.param, "param", r.grad, "grad");
  math::SgdScalars& s = r.s;
  s.weight_decay = float(wd);
  s.momentum = float(momentum);
  s.one_minus_dampening = float(1 - dampening);
  s.neg_lr = float(-lr);
  s.has_weight_decay = wd != 0;
  s.has_momentum = momentum != 0;
  s.first_step = first_step;
  s.nesterov = nesterov;
  s.maximize = maximize;
  return r;
}

}  // namespace tk::binding::optim_args

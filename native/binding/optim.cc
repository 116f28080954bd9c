// Exports: adamUpdate, sgdUpdate, powSum, absMax.
//
// One call updates one parameter tensor. Scalars arrive as the doubles Python would hold and are
// combined here in double (bias corrections with the C library's pow, as CPython does), then
// rounded to float where torch converts them.
#include "kernels/optim.h"

#include <cmath>
#include <string>

#include "binding/args.h"
#include "binding/registry.h"

namespace tk::binding {
namespace {

template <typename A, typename B>
void RequireDisjoint(Napi::Env env, const Span<A>& a, const char* an, const Span<B>& b, const char* bn) {
  if (Overlaps(a, b)) ThrowRange(env, std::string(an) + " and " + bn + " must not share memory");
}

// adamUpdate(param, grad, expAvg, expAvgSq, maxExpAvgSq | null, lr, beta1, beta2, eps, weightDecay,
//            step, amsgrad, maximize, decoupled)
Napi::Value JS_adamUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgs(info, 14, "adamUpdate");
  auto param = GetArray<float>(info, 0, "param");
  int64_t n = int64_t(param.length);
  auto grad = GetArrayExact<float>(info, 1, "grad", n);
  auto exp_avg = GetArrayExact<float>(info, 2, "expAvg", n);
  auto exp_avg_sq = GetArrayExact<float>(info, 3, "expAvgSq", n);
  double lr = GetFiniteNumber(info, 5, "lr");
  double beta1 = GetFiniteNumber(info, 6, "beta1");
  double beta2 = GetFiniteNumber(info, 7, "beta2");
  double eps = GetFiniteNumber(info, 8, "eps");
  double wd = GetFiniteNumber(info, 9, "weightDecay");
  int64_t step = GetInt(info, 10, "step", 1, int64_t(1) << 53);
  bool amsgrad = GetBool(info, 11, "amsgrad");
  bool maximize = GetBool(info, 12, "maximize");
  bool decoupled = GetBool(info, 13, "decoupled");
  Span<float> max_sq;
  if (amsgrad) max_sq = GetArrayExact<float>(info, 4, "maxExpAvgSq", n);
  RequireDisjoint(env, param, "param", grad, "grad");
  RequireDisjoint(env, param, "param", exp_avg, "expAvg");
  RequireDisjoint(env, param, "param", exp_avg_sq, "expAvgSq");
  RequireDisjoint(env, exp_avg, "expAvg", exp_avg_sq, "expAvgSq");
  RequireDisjoint(env, exp_avg, "expAvg", grad, "grad");
  RequireDisjoint(env, exp_avg_sq, "expAvgSq", grad, "grad");
  if (amsgrad) {
    RequireDisjoint(env, max_sq, "maxExpAvgSq", param, "param");
    RequireDisjoint(env, max_sq, "maxExpAvgSq", grad, "grad");
    RequireDisjoint(env, max_sq, "maxExpAvgSq", exp_avg, "expAvg");
    RequireDisjoint(env, max_sq, "maxExpAvgSq", exp_avg_sq, "expAvgSq");
  }

  double bias_correction1 = 1 - std::pow(beta1, double(step));
  double bias_correction2 = 1 - std::pow(beta2, double(step));
  double step_size = lr / bias_correction1;
  math::AdamScalars s;
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
  adam_update_cpu(param.data, exp_avg.data, exp_avg_sq.data, amsgrad ? max_sq.data : nullptr, grad.data, s,
                  n);
  return env.Undefined();
}

// sgdUpdate(param, grad, buf | null, lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep)
Napi::Value JS_sgdUpdate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgs(info, 10, "sgdUpdate");
  auto param = GetArray<float>(info, 0, "param");
  int64_t n = int64_t(param.length);
  auto grad = GetArrayExact<float>(info, 1, "grad", n);
  double lr = GetFiniteNumber(info, 3, "lr");
  double momentum = GetFiniteNumber(info, 4, "momentum");
  double dampening = GetFiniteNumber(info, 5, "dampening");
  double wd = GetFiniteNumber(info, 6, "weightDecay");
  bool nesterov = GetBool(info, 7, "nesterov");
  bool maximize = GetBool(info, 8, "maximize");
  bool first_step = GetBool(info, 9, "firstStep");
  Span<float> buf;
  if (momentum != 0) {
    buf = GetArrayExact<float>(info, 2, "buf", n);
    RequireDisjoint(env, buf, "buf", param, "param");
    RequireDisjoint(env, buf, "buf", grad, "grad");
  }
  RequireDisjoint(env, param, "param", grad, "grad");
  math::SgdScalars s;
  s.weight_decay = float(wd);
  s.momentum = float(momentum);
  s.one_minus_dampening = float(1 - dampening);
  s.neg_lr = float(-lr);
  s.has_weight_decay = wd != 0;
  s.has_momentum = momentum != 0;
  s.first_step = first_step;
  s.nesterov = nesterov;
  s.maximize = maximize;
  sgd_update_cpu(param.data, s.has_momentum ? buf.data : nullptr, grad.data, s, n);
  return env.Undefined();
}

// powSum(x, p): sum |x|^p in double (p > 0, finite).
Napi::Value JS_powSum(const Napi::CallbackInfo& info) {
  RequireArgs(info, 2, "powSum");
  auto x = GetArray<float>(info, 0, "x");
  double p = GetFiniteNumber(info, 1, "p");
  if (!(p > 0)) ThrowRange(info.Env(), "p must be positive, got " + std::to_string(p));
  return Napi::Number::New(info.Env(), pow_sum_cpu(x.data, int64_t(x.length), p));
}

// absMax(x): max |x| (NaN if any element is NaN, 0 for an empty array).
Napi::Value JS_absMax(const Napi::CallbackInfo& info) {
  RequireArgs(info, 1, "absMax");
  auto x = GetArray<float>(info, 0, "x");
  return Napi::Number::New(info.Env(), abs_max_cpu(x.data, int64_t(x.length)));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("adamUpdate", Napi::Function::New(env, JS_adamUpdate, "adamUpdate"));
  exports.Set("sgdUpdate", Napi::Function::New(env, JS_sgdUpdate, "sgdUpdate"));
  exports.Set("powSum", Napi::Function::New(env, JS_powSum, "powSum"));
  exports.Set("absMax", Napi::Function::New(env, JS_absMax, "absMax"));
}

}  // namespace

TK_REGISTER_BINDING(optim, Init);

}  // namespace tk::binding

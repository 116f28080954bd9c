// Exports: adamUpdate, sgdUpdate, powSum, absMax.
//
// One call updates one parameter tensor. The arguments of adamUpdate and sgdUpdate, and the float
// scalars made from them, come from binding/optim_args.h, which the device exports
// (cuda/binding/optim.cc) share.
#include "kernels/optim.h"

#include <string>

#include "binding/args.h"
#include "binding/optim_args.h"
#include "binding/reduce_args.h"
#include "binding/registry.h"

namespace tk::binding {
namespace {

// adamUpdate(param, grad, expAvg, expAvgSq, maxExpAvgSq | null, lr, beta1, beta2, eps, weightDecay,
//            step, amsgrad, maximize, decoupled)
Napi::Value JS_adamUpdate(const Napi::CallbackInfo& info) {
  const optim_args::AdamArgs r = optim_args::ReadAdamArgs<HostArrays>(info);
  adam_update_cpu(r.param.data, r.exp_avg.data, r.exp_avg_sq.data,
                  r.s.amsgrad ? r.max_exp_avg_sq.data : nullptr, r.grad.data, r.s, r.n);
  return info.Env().Undefined();
}

// sgdUpdate(param, grad, buf | null, lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep)
Napi::Value JS_sgdUpdate(const Napi::CallbackInfo& info) {
  const optim_args::SgdArgs r = optim_args::ReadSgdArgs<HostArrays>(info);
  sgd_update_cpu(r.param.data, r.s.has_momentum ? r.buf.data : nullptr, r.grad.data, r.s, r.n);
  return info.Env().Undefined();
}

// powSum(x, p): sum |x|^p in double (p > 0, finite). Checks shared with the device export
// (binding/reduce_args.h).
Napi::Value JS_powSum(const Napi::CallbackInfo& info) {
  const reduce_args::PowSum r = reduce_args::ReadPowSum<HostArrays>(info);
  return Napi::Number::New(info.Env(), pow_sum_cpu(r.x.data, int64_t(r.x.length), r.p));
}

// absMax(x): max |x| (NaN if any element is NaN, 0 for an empty array).
Napi::Value JS_absMax(const Napi::CallbackInfo& info) {
  const Span<float> x = reduce_args::ReadOne<HostArrays>(info, "absMax");
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

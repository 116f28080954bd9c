// Exports: mmdForward, gaussianKlForward, gaussianKlBackward, gaussianMixtureKlForward,
// gaussianMixtureKlBackward, gammaSample, dirichletSample. Arguments are checked in
// binding/topic_losses_args.h, which the device exports (cuda/binding/topic_losses.cc) share.
#include "kernels/topic_losses.h"

#include "binding/args.h"
#include "binding/registry.h"
#include "binding/topic_losses_args.h"

namespace tk::binding {
namespace {

namespace ta = topic_losses_args;

Napi::Value JS_mmdForward(const Napi::CallbackInfo& info) {
  const ta::Mmd r = ta::ReadMmd<HostArrays>(info);
  const double loss =
      mmd_forward_cpu(r.gx.data, r.gy.data, r.x.data, r.y.data, r.n, r.m, r.d, int(r.kind), r.bandwidth);
  return Napi::Number::New(info.Env(), loss);
}

Napi::Value JS_gaussianKlForward(const Napi::CallbackInfo& info) {
  const ta::KlForward r = ta::ReadKlForward<HostArrays>(info);
  gaussian_kl_forward_cpu(r.loss.data, r.mu.data, r.lv.data, r.s.B, r.s.J);
  return info.Env().Undefined();
}

Napi::Value JS_gaussianKlBackward(const Napi::CallbackInfo& info) {
  const ta::KlBackward r = ta::ReadKlBackward<HostArrays>(info);
  gaussian_kl_backward_cpu(r.dmu.data, r.dlv.data, r.dloss.data, r.mu.data, r.lv.data, r.s.B, r.s.J, r.stride,
                           r.scale);
  return info.Env().Undefined();
}

Napi::Value JS_gaussianMixtureKlForward(const Napi::CallbackInfo& info) {
  const ta::GmForward r = ta::ReadGmForward<HostArrays>(info);
  gaussian_mixture_kl_forward_cpu(r.loss.data, r.log_eta.data, r.z.data, r.mu.data, r.lv.data, r.means.data,
                                  r.lvs.data, r.log_pi.data, r.s.B, r.s.J, r.s.K);
  return info.Env().Undefined();
}

Napi::Value JS_gaussianMixtureKlBackward(const Napi::CallbackInfo& info) {
  const ta::GmBackward r = ta::ReadGmBackward<HostArrays>(info);
  gaussian_mixture_kl_backward_cpu(r.dz.data, r.dmu.data, r.dlv.data, r.dmeans.data, r.dlvs.data,
                                   r.dlog_pi.data, r.dloss.data, r.z.data, r.mu.data, r.lv.data, r.means.data,
                                   r.lvs.data, r.log_pi.data, r.log_eta.data, r.s.B, r.s.J, r.s.K, r.stride,
                                   r.scale);
  return info.Env().Undefined();
}

Napi::Value JS_gammaSample(const Napi::CallbackInfo& info) {
  const ta::Gamma r = ta::ReadGamma<HostArrays>(info);
  gamma_sample_cpu(r.out.data, int64_t(r.out.length), r.alpha, r.seed, r.offset);
  return Napi::Number::New(info.Env(), 1);
}

Napi::Value JS_dirichletSample(const Napi::CallbackInfo& info) {
  const ta::Dirichlet r = ta::ReadDirichlet<HostArrays>(info);
  dirichlet_sample_cpu(r.out.data, r.conc.data, r.rows, r.K, r.seed, r.offset);
  return Napi::Number::New(info.Env(), 1);
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("mmdForward", Napi::Function::New(env, JS_mmdForward, "mmdForward"));
  exports.Set("gaussianKlForward", Napi::Function::New(env, JS_gaussianKlForward, "gaussianKlForward"));
  exports.Set("gaussianKlBackward", Napi::Function::New(env, JS_gaussianKlBackward, "gaussianKlBackward"));
  exports.Set("gaussianMixtureKlForward",
              Napi::Function::New(env, JS_gaussianMixtureKlForward, "gaussianMixtureKlForward"));
  exports.Set("gaussianMixtureKlBackward",
              Napi::Function::New(env, JS_gaussianMixtureKlBackward, "gaussianMixtureKlBackward"));
  exports.Set("gammaSample", Napi::Function::New(env, JS_gammaSample, "gammaSample"));
  exports.Set("dirichletSample", Napi::Function::New(env, JS_dirichletSample, "dirichletSample"));
}

}  // namespace

TK_REGISTER_BINDING(topic_losses, Init);

}  // namespace tk::binding

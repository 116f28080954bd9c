// Device exports of the topic-model losses and samplers: mmdForward, gaussianKlForward/Backward,
// gaussianMixtureKlForward/Backward, gammaSample, dirichletSample, with the CPU exports' arguments
// (binding/topic_losses_args.h checks them the same way) over device buffers, run by the kernels of
// cuda/topic_losses.cu. mmdForward returns the value as the CPU export does, so it waits for the
// stream (the gradients it writes stay on the device). dirichletSample's concentration stays a host
// Float32Array as on the CPU (checked there, copied to the device for the call). Workspaces come
// from the caching allocator.
#include "cuda/topic_losses.h"

#include "binding/topic_losses_args.h"
#include "cuda/binding/device_args.h"
#include "cuda/binding/scratch.h"

namespace tk::cuda {
namespace {

namespace ta = binding::topic_losses_args;

Napi::Value JS_MmdForward(const Napi::CallbackInfo& info) {
  const ta::Mmd r = ta::ReadMmd<DeviceArrays>(info);
  Scratch loss(sizeof(double)), ws(mmd_cuda_workspace_bytes(r.n, r.m, r.d));
  cudaStream_t stream = current_stream();
  mmd_forward_cuda(loss.as<double>(), r.gx.data, r.gy.data, r.x.data, r.y.data, r.n, r.m, r.d, int(r.kind),
                   r.bandwidth, ws.as<void>(), stream);
  double result = 0.0;
  check(cudaMemcpyAsync(&result, loss.as<void>(), sizeof(double), cudaMemcpyDeviceToHost, stream),
        "cudaMemcpyAsync (device to host)");
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  return Napi::Number::New(info.Env(), result);
}

Napi::Value JS_GaussianKlForward(const Napi::CallbackInfo& info) {
  const ta::KlForward r = ta::ReadKlForward<DeviceArrays>(info);
  gaussian_kl_forward_cuda(r.loss.data, r.mu.data, r.lv.data, r.s.B, r.s.J, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_GaussianKlBackward(const Napi::CallbackInfo& info) {
  const ta::KlBackward r = ta::ReadKlBackward<DeviceArrays>(info);
  gaussian_kl_backward_cuda(r.dmu.data, r.dlv.data, r.dloss.data, r.mu.data, r.lv.data, r.s.B, r.s.J,
                            r.stride, r.scale, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_GaussianMixtureKlForward(const Napi::CallbackInfo& info) {
  const ta::GmForward r = ta::ReadGmForward<DeviceArrays>(info);
  gaussian_mixture_kl_forward_cuda(r.loss.data, r.log_eta.data, r.z.data, r.mu.data, r.lv.data, r.means.data,
                                   r.lvs.data, r.log_pi.data, r.s.B, r.s.J, r.s.K, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_GaussianMixtureKlBackward(const Napi::CallbackInfo& info) {
  const ta::GmBackward r = ta::ReadGmBackward<DeviceArrays>(info);
  Scratch ws(gaussian_mixture_kl_backward_cuda_workspace_bytes(r.s.B, r.s.K));
  gaussian_mixture_kl_backward_cuda(r.dz.data, r.dmu.data, r.dlv.data, r.dmeans.data, r.dlvs.data,
                                    r.dlog_pi.data, r.dloss.data, r.z.data, r.mu.data, r.lv.data,
                                    r.means.data, r.lvs.data, r.log_pi.data, r.log_eta.data, r.s.B, r.s.J,
                                    r.s.K, r.stride, r.scale, ws.as<void>(), current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_GammaSample(const Napi::CallbackInfo& info) {
  const ta::Gamma r = ta::ReadGamma<DeviceArrays>(info);
  gamma_sample_cuda(r.out.data, int64_t(r.out.length), r.alpha, r.seed, r.offset, current_stream());
  return Napi::Number::New(info.Env(), 1);
}

Napi::Value JS_DirichletSample(const Napi::CallbackInfo& info) {
  const ta::Dirichlet r = ta::ReadDirichlet<DeviceArrays>(info);
  Scratch conc(r.conc.data, r.conc.length * sizeof(float));
  dirichlet_sample_cuda(r.out.data, conc.as<float>(), r.rows, r.K, r.seed, r.offset, current_stream());
  return Napi::Number::New(info.Env(), 1);
}

void Init(Napi::Env env, Napi::Object cuda) {
  TK_CUDA_EXPORT(cuda, "mmdForward", JS_MmdForward);
  TK_CUDA_EXPORT(cuda, "gaussianKlForward", JS_GaussianKlForward);
  TK_CUDA_EXPORT(cuda, "gaussianKlBackward", JS_GaussianKlBackward);
  TK_CUDA_EXPORT(cuda, "gaussianMixtureKlForward", JS_GaussianMixtureKlForward);
  TK_CUDA_EXPORT(cuda, "gaussianMixtureKlBackward", JS_GaussianMixtureKlBackward);
  TK_CUDA_EXPORT(cuda, "gammaSample", JS_GammaSample);
  TK_CUDA_EXPORT(cuda, "dirichletSample", JS_DirichletSample);
}
TK_REGISTER_CUDA_BINDING(topic_losses, Init);

}  // namespace
}  // namespace tk::cuda

// Device exports of the losses: crossEntropyForward/Backward, crossEntropyProbForward/Backward,
// bceLogitsForward/Backward, nllLossForward/Backward, pointwiseLossForward/Backward. The CPU exports'
// arguments (binding/loss_args.h checks them the same way) over device buffers, run by cuda/loss.h.
// Class-index targets are range-checked on the device (first_bad_index_cuda) before any kernel
// writes, with the CPU's RangeError message; the forward exports return the 'mean' denominator, as
// the CPU's do, so they wait for the device.
#include "cuda/loss.h"

#include "binding/loss_args.h"
#include "cuda/binding/device_args.h"
#include "cuda/reduce.h"

namespace tk::cuda {
namespace {

using namespace binding::loss_args;

void CheckTargetsOnDevice(Napi::Env env, const binding::Span<int32_t>& t, int64_t C, int64_t ignore) {
  int32_t bad = 0;
  const int64_t k = first_bad_index_cuda(t.data, int64_t(t.length), C, true, ignore, &bad, current_stream());
  if (k >= 0) binding::ThrowRange(env, TargetMessage(k, bad, C));
}

Napi::Value JS_CeForward(const Napi::CallbackInfo& info) {
  const CeForward r = ReadCeForward<DeviceArrays>(info);
  CheckTargetsOnDevice(info.Env(), r.target, r.s.C, r.ignore);
  const double denom =
      cross_entropy_forward_cuda(r.loss.data, r.lse.data, r.logits.data, r.target.data, r.weight.data, r.s.N,
                                 r.s.C, r.s.S, r.ignore, r.eps, current_stream());
  return Napi::Number::New(info.Env(), denom);
}

Napi::Value JS_CeBackward(const Napi::CallbackInfo& info) {
  const CeBackward r = ReadCeBackward<DeviceArrays>(info);
  CheckTargetsOnDevice(info.Env(), r.target, r.s.C, r.ignore);
  cross_entropy_backward_cuda(r.dlogits.data, r.dloss.data, r.logits.data, r.lse.data, r.target.data,
                              r.weight.data, r.s.N, r.s.C, r.s.S, r.ignore, r.eps, r.stride, r.scale,
                              current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_CeProbForward(const Napi::CallbackInfo& info) {
  const CeProbForward r = ReadCeProbForward<DeviceArrays>(info);
  cross_entropy_prob_forward_cuda(r.loss.data, r.lse.data, r.logits.data, r.target.data, r.weight.data, r.s.N,
                                  r.s.C, r.s.S, r.eps, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_CeProbBackward(const Napi::CallbackInfo& info) {
  const CeProbBackward r = ReadCeProbBackward<DeviceArrays>(info);
  cross_entropy_prob_backward_cuda(r.dlogits.data, r.dtarget.data, r.dloss.data, r.logits.data, r.lse.data,
                                   r.target.data, r.weight.data, r.s.N, r.s.C, r.s.S, r.eps, r.stride,
                                   r.scale, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_BceForward(const Napi::CallbackInfo& info) {
  const BceForward r = ReadBceForward<DeviceArrays>(info);
  bce_logits_forward_cuda(r.loss.data, r.x.data, r.t.data, r.w.data, r.pw.data, r.n, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_BceBackward(const Napi::CallbackInfo& info) {
  const BceBackward r = ReadBceBackward<DeviceArrays>(info);
  bce_logits_backward_cuda(r.dx.data, r.dt.data, r.dloss.data, r.x.data, r.t.data, r.w.data, r.pw.data, r.n,
                           r.stride, r.scale, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_NllForward(const Napi::CallbackInfo& info) {
  const NllForward r = ReadNllForward<DeviceArrays>(info);
  CheckTargetsOnDevice(info.Env(), r.target, r.s.C, r.ignore);
  const double denom = nll_loss_forward_cuda(r.loss.data, r.x.data, r.target.data, r.weight.data, r.s.N,
                                             r.s.C, r.s.S, r.ignore, current_stream());
  return Napi::Number::New(info.Env(), denom);
}

Napi::Value JS_NllBackward(const Napi::CallbackInfo& info) {
  const NllBackward r = ReadNllBackward<DeviceArrays>(info);
  CheckTargetsOnDevice(info.Env(), r.target, r.s.C, r.ignore);
  nll_loss_backward_cuda(r.dx.data, r.dloss.data, r.target.data, r.weight.data, r.s.N, r.s.C, r.s.S, r.ignore,
                         r.stride, r.scale, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_PointwiseForward(const Napi::CallbackInfo& info) {
  const PointwiseForward r = ReadPointwiseForward<DeviceArrays>(info);
  pointwise_loss_forward_cuda(r.kind, r.loss.data, r.x.data, r.t.data, r.n, r.beta, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_PointwiseBackward(const Napi::CallbackInfo& info) {
  const PointwiseBackward r = ReadPointwiseBackward<DeviceArrays>(info);
  pointwise_loss_backward_cuda(r.kind, r.dx.data, r.dt.data, r.dloss.data, r.x.data, r.t.data, r.n, r.beta,
                               r.stride, r.scale, current_stream());
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object cuda) {
  TK_CUDA_EXPORT(cuda, "crossEntropyForward", JS_CeForward);
  TK_CUDA_EXPORT(cuda, "crossEntropyBackward", JS_CeBackward);
  TK_CUDA_EXPORT(cuda, "crossEntropyProbForward", JS_CeProbForward);
  TK_CUDA_EXPORT(cuda, "crossEntropyProbBackward", JS_CeProbBackward);
  TK_CUDA_EXPORT(cuda, "bceLogitsForward", JS_BceForward);
  TK_CUDA_EXPORT(cuda, "bceLogitsBackward", JS_BceBackward);
  TK_CUDA_EXPORT(cuda, "nllLossForward", JS_NllForward);
  TK_CUDA_EXPORT(cuda, "nllLossBackward", JS_NllBackward);
  TK_CUDA_EXPORT(cuda, "pointwiseLossForward", JS_PointwiseForward);
  TK_CUDA_EXPORT(cuda, "pointwiseLossBackward", JS_PointwiseBackward);
}
TK_REGISTER_CUDA_BINDING(loss, Init);

}  // namespace
}  // namespace tk::cuda

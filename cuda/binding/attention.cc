// Device exports attentionForward and attentionBackward: the CPU exports' arguments
// (binding/attention_args.h checks them the same way) over device buffers, run by the fused kernels
// of cuda/attention.cu. keyPadding stays a host Uint8Array as on the CPU (there are no uint8 device
// buffers); it is copied to the device for the call. The backward's row-dot workspace
// (B * H * Tq floats) comes from the caching allocator.
#include "cuda/attention.h"

#include "binding/attention_args.h"
#include "cuda/binding/device_args.h"
#include "cuda/binding/scratch.h"

namespace tk::cuda {
namespace {

Napi::Value JS_AttentionForward(const Napi::CallbackInfo& info) {
  const binding::attention_args::ForwardArgs r = binding::attention_args::ReadForward<DeviceArrays>(info);
  const auto& s = r.s;
  const auto& kp = r.mask.key_padding;
  Scratch kp_dev(kp.data, kp.length);
  attention_forward_cuda(r.out.data, r.lse.data, r.q.data, r.k.data, r.v.data,
                         r.mask.Kernel(s.causal, kp.data ? kp_dev.as<uint8_t>() : nullptr), s.drop, s.B, s.H,
                         s.Tq, s.Tk, s.D, s.scale, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_AttentionBackward(const Napi::CallbackInfo& info) {
  const binding::attention_args::BackwardArgs r = binding::attention_args::ReadBackward<DeviceArrays>(info);
  const auto& s = r.s;
  const auto& kp = r.mask.key_padding;
  Scratch kp_dev(kp.data, kp.length);
  Scratch ws(size_t(s.B * s.H * s.Tq) * sizeof(float));
  attention_backward_cuda(r.dq.data, r.dk.data, r.dv.data, r.dout.data, r.q.data, r.k.data, r.v.data,
                          r.out.data, r.lse.data, ws.as<float>(),
                          r.mask.Kernel(s.causal, kp.data ? kp_dev.as<uint8_t>() : nullptr), s.drop, s.B, s.H,
                          s.Tq, s.Tk, s.D, s.scale, current_stream());
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object cuda) {
  TK_CUDA_EXPORT(cuda, "attentionForward", JS_AttentionForward);
  TK_CUDA_EXPORT(cuda, "attentionBackward", JS_AttentionBackward);
}
TK_REGISTER_CUDA_BINDING(attention, Init);

}  // namespace
}  // namespace tk::cuda

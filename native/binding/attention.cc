// Exports: attentionForward, attentionBackward. Arguments are checked in binding/attention_args.h,
// which the device exports (cuda/binding/attention.cc) share.
#include "kernels/attention.h"

#include "binding/args.h"
#include "binding/attention_args.h"
#include "binding/registry.h"

namespace tk::binding {
namespace {

Napi::Value JS_attentionForward(const Napi::CallbackInfo& info) {
  const attention_args::ForwardArgs r = attention_args::ReadForward<HostArrays>(info);
  const auto& s = r.s;
  attention_forward_cpu(r.out.data, r.lse.data, r.q.data, r.k.data, r.v.data,
                        r.mask.Kernel(s.causal, r.mask.key_padding.data), s.drop, s.B, s.H, s.Tq, s.Tk, s.D,
                        s.scale);
  return info.Env().Undefined();
}

Napi::Value JS_attentionBackward(const Napi::CallbackInfo& info) {
  const attention_args::BackwardArgs r = attention_args::ReadBackward<HostArrays>(info);
  const auto& s = r.s;
  attention_backward_cpu(r.dq.data, r.dk.data, r.dv.data, r.dout.data, r.q.data, r.k.data, r.v.data,
                         r.out.data, r.lse.data, r.mask.Kernel(s.causal, r.mask.key_padding.data), s.drop,
                         s.B, s.H, s.Tq, s.Tk, s.D, s.scale);
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("attentionForward", Napi::Function::New(env, JS_attentionForward));
  exports.Set("attentionBackward", Napi::Function::New(env, JS_attentionBackward));
}

}  // namespace

TK_REGISTER_BINDING(attention, Init);

}  // namespace tk::binding

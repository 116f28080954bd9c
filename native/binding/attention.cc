// Exports: attentionForward, attentionBackward, attentionWholeRowMaxTk. Arguments are checked in
// binding/attention_args.h, which the device exports (cuda/binding/attention.cc) share; the CPU
// exports take one more, optional, argument: `probs` (see kernels/attention.h), which the device
// kernels have no use for.
#include "kernels/attention.h"

#include "binding/args.h"
#include "binding/attention_args.h"
#include "binding/registry.h"

namespace tk::binding {
namespace {

// probs at argument i: null / absent, or a [B, H, Tq, Tk] Float32Array apart from every other array.
template <class Args>
Span<float> GetProbs(const Napi::CallbackInfo& info, size_t i, const Args& r,
                     std::initializer_list<const Span<float>*> others) {
  if (info.Length() <= i || info[i].IsNull() || info[i].IsUndefined()) return {};
  const auto& s = r.s;
  if (s.Tk > kAttentionWholeRowMaxTk)
    ThrowRange(info.Env(), "probs is kept only for Tk <= " + std::to_string(kAttentionWholeRowMaxTk) +
                               ", got Tk " + std::to_string(s.Tk));
  Span<float> p = GetArrayExact<float>(info, i, "probs", Numel(info.Env(), {s.B, s.H, s.Tq, s.Tk}, "probs"));
  for (const Span<float>* o : others)
    attention_args::RequireDisjoint(info.Env(), p, *o, "probs", "the other arrays");
  return p;
}

Napi::Value JS_attentionForward(const Napi::CallbackInfo& info) {
  const attention_args::ForwardArgs r = attention_args::ReadForward<HostArrays>(info);
  const auto& s = r.s;
  Span<float> probs = GetProbs(info, 18, r, {&r.out, &r.lse, &r.q, &r.k, &r.v, &r.mask.add});
  attention_forward_cpu(r.out.data, r.lse.data, probs.data, r.q.data, r.k.data, r.v.data,
                        r.mask.Kernel(s.causal, r.mask.key_padding.data), s.drop, s.B, s.H, s.Tq, s.Tk, s.D,
                        s.scale);
  return info.Env().Undefined();
}

Napi::Value JS_attentionBackward(const Napi::CallbackInfo& info) {
  const attention_args::BackwardArgs r = attention_args::ReadBackward<HostArrays>(info);
  const auto& s = r.s;
  Span<float> probs = GetProbs(info, 22, r, {&r.dq, &r.dk, &r.dv});
  attention_backward_cpu(r.dq.data, r.dk.data, r.dv.data, r.dout.data, r.q.data, r.k.data, r.v.data,
                         r.out.data, r.lse.data, probs.data, r.mask.Kernel(s.causal, r.mask.key_padding.data),
                         s.drop, s.B, s.H, s.Tq, s.Tk, s.D, s.scale);
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("attentionForward", Napi::Function::New(env, JS_attentionForward));
  exports.Set("attentionBackward", Napi::Function::New(env, JS_attentionBackward));
  exports.Set("attentionWholeRowMaxTk", Napi::Number::New(env, double(kAttentionWholeRowMaxTk)));
}

}  // namespace

TK_REGISTER_BINDING(attention, Init);

}  // namespace tk::binding

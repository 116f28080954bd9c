// The argument checks of attentionForward and attentionBackward, shared by the CPU exports
// (native/binding/attention.cc, Arrays = HostArrays: typed arrays) and the device exports
// (cuda/binding/attention.cc, Arrays = cuda::DeviceArrays: device buffers), so that both refuse the
// same calls with the same messages.
//
// keyPadding is a host Uint8Array for both: there are no uint8 device buffers, and the [B, Tk]
// mask is small, so the device export copies it to the device itself (cuda/binding/attention.cc).
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "binding/args.h"
#include "kernels/attention.h"

namespace tk::binding::attention_args {

struct Sizes {
  int64_t B, H, Tq, Tk, D;
  float scale;
  bool causal;
  AttentionDropout drop;
};

// The mask arguments: the additive mask (an array of the call's kind, or empty) with its broadcast
// shape, and the host key padding bytes (or empty).
struct Mask {
  Span<float> add;
  int64_t mb = 1, mh = 1, mq = 1, mk = 1;
  Span<uint8_t> key_padding;  // always host memory
  // The kernel's view; key_padding is the pointer given (the device export substitutes its copy).
  AttentionMask Kernel(bool causal, const uint8_t* key_padding_ptr) const {
    AttentionMask m;
    m.add = add.data;
    m.mb = mb;
    m.mh = mh;
    m.mq = mq;
    m.mk = mk;
    m.key_padding = key_padding_ptr;
    m.causal = causal;
    return m;
  }
};

// Reads B, H, Tq, Tk, D, scale, isCausal, dropoutP, seed, offset from [i, i + 10).
inline Sizes GetSizes(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  Sizes s;
  s.B = GetInt(info, i, "B");
  s.H = GetInt(info, i + 1, "H");
  s.Tq = GetInt(info, i + 2, "Tq");
  s.Tk = GetInt(info, i + 3, "Tk");
  s.D = GetInt(info, i + 4, "D");
  Numel(env, {s.B, s.H, s.Tq, s.Tk}, "attention size");
  Numel(env, {s.B, s.H, std::max(s.Tq, s.Tk), s.D}, "attention size");
  s.scale = float(GetFiniteNumber(info, i + 5, "scale"));
  s.causal = GetBool(info, i + 6, "isCausal");
  double p = GetFiniteNumber(info, i + 7, "dropoutP");
  if (p < 0 || p > 1) ThrowRange(env, "dropoutP must be in [0, 1], got " + std::to_string(p));
  s.drop.p = float(p);
  s.drop.seed = uint64_t(GetInt(info, i + 8, "seed", 0, int64_t(1) << 53));
  s.drop.offset = uint64_t(GetInt(info, i + 9, "offset", 0, int64_t(1) << 53));
  return s;
}

// Reads the mask arguments at [i, i + 3): mask|null, maskShape (4 dims, each 1 or full), keyPadding|null.
template <class Arrays>
Mask GetMask(const Napi::CallbackInfo& info, size_t i, const Sizes& s) {
  Napi::Env env = info.Env();
  Mask m;
  if (!info[i].IsNull() && !info[i].IsUndefined()) {
    std::vector<int64_t> ms = GetShape(info, i + 1, "maskShape", 4);
    if (ms.size() != 4) ThrowRange(env, "maskShape must have 4 dims, got " + ShapeToString(ms));
    const int64_t full[4] = {s.B, s.H, s.Tq, s.Tk};
    for (int d = 0; d < 4; ++d) {
      if (ms[d] != 1 && ms[d] != full[d])
        ThrowRange(env, "maskShape " + ShapeToString(ms) + " does not broadcast to " +
                            ShapeToString({s.B, s.H, s.Tq, s.Tk}));
    }
    m.add = Arrays::template GetExact<float>(info, i, "mask", Numel(env, ms, "maskShape"), &ms);
    m.mb = ms[0];
    m.mh = ms[1];
    m.mq = ms[2];
    m.mk = ms[3];
  }
  if (!info[i + 2].IsNull() && !info[i + 2].IsUndefined()) {
    m.key_padding = GetArrayExact<uint8_t>(info, i + 2, "keyPadding", Numel(env, {s.B, s.Tk}, "keyPadding"));
  }
  return m;
}

template <typename A, typename B>
void RequireDisjoint(Napi::Env env, const Span<A>& out, const Span<B>& in, const char* out_name,
                     const char* in_name) {
  if (Overlaps(out, in)) ThrowRange(env, std::string(out_name) + " must not share memory with " + in_name);
}

struct ForwardArgs {
  Sizes s;
  Span<float> out, lse, q, k, v;
  Mask mask;
};

// attentionForward(out, lse, q, k, v, mask|null, maskShape, keyPadding|null,
//                  B, H, Tq, Tk, D, scale, isCausal, dropoutP, seed, offset)
template <class Arrays>
ForwardArgs ReadForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 18, "attentionForward");
  Napi::Env env = info.Env();
  ForwardArgs r;
  r.s = GetSizes(info, 8);
  const Sizes& s = r.s;
  int64_t nq = Numel(env, {s.B, s.H, s.Tq, s.D}, "q"), nk = Numel(env, {s.B, s.H, s.Tk, s.D}, "k");
  r.out = Arrays::template GetExact<float>(info, 0, "out", nq);
  r.lse = Arrays::template GetExact<float>(info, 1, "lse", Numel(env, {s.B, s.H, s.Tq}, "lse"));
  r.q = Arrays::template GetExact<float>(info, 2, "q", nq);
  r.k = Arrays::template GetExact<float>(info, 3, "k", nk);
  r.v = Arrays::template GetExact<float>(info, 4, "v", nk);
  r.mask = GetMask<Arrays>(info, 5, s);
  for (auto o : {&r.out, &r.lse}) {
    for (auto in : {&r.q, &r.k, &r.v, &r.mask.add}) RequireDisjoint(env, *o, *in, "outputs", "the inputs");
    if (!Arrays::kDevice) RequireDisjoint(env, *o, r.mask.key_padding, "outputs", "keyPadding");
  }
  RequireDisjoint(env, r.out, r.lse, "out", "lse");
  return r;
}

struct BackwardArgs {
  Sizes s;
  Span<float> dq, dk, dv, dout, q, k, v, out, lse;
  Mask mask;
};

// attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, mask|null, maskShape, keyPadding|null,
//                   B, H, Tq, Tk, D, scale, isCausal, dropoutP, seed, offset)
template <class Arrays>
BackwardArgs ReadBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 22, "attentionBackward");
  Napi::Env env = info.Env();
  BackwardArgs r;
  r.s = GetSizes(info, 12);
  const Sizes& s = r.s;
  int64_t nq = Numel(env, {s.B, s.H, s.Tq, s.D}, "q"), nk = Numel(env, {s.B, s.H, s.Tk, s.D}, "k");
  r.dq = Arrays::template GetExact<float>(info, 0, "dq", nq);
  r.dk = Arrays::template GetExact<float>(info, 1, "dk", nk);
  r.dv = Arrays::template GetExact<float>(info, 2, "dv", nk);
  r.dout = Arrays::template GetExact<float>(info, 3, "dout", nq);
  r.q = Arrays::template GetExact<float>(info, 4, "q", nq);
  r.k = Arrays::template GetExact<float>(info, 5, "k", nk);
  r.v = Arrays::template GetExact<float>(info, 6, "v", nk);
  r.out = Arrays::template GetExact<float>(info, 7, "out", nq);
  r.lse = Arrays::template GetExact<float>(info, 8, "lse", Numel(env, {s.B, s.H, s.Tq}, "lse"));
  r.mask = GetMask<Arrays>(info, 9, s);
  for (auto o : {&r.dq, &r.dk, &r.dv}) {
    for (auto in : {&r.dout, &r.q, &r.k, &r.v, &r.out, &r.lse, &r.mask.add})
      RequireDisjoint(env, *o, *in, "gradients", "the inputs");
    if (!Arrays::kDevice) RequireDisjoint(env, *o, r.mask.key_padding, "gradients", "keyPadding");
  }
  if (Overlaps(r.dq, r.dk) || Overlaps(r.dq, r.dv) || Overlaps(r.dk, r.dv))
    ThrowRange(env, "dq, dk and dv must not overlap");
  return r;
}

}  // namespace tk::binding::attention_args

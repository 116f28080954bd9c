// Exports: attentionForward, attentionBackward.
#include "kernels/attention.h"

#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/registry.h"

namespace tk::binding {
namespace {

struct Sizes {
  int64_t B, H, Tq, Tk, D;
};

// Reads the mask arguments at [i, i + 3): mask|null, maskShape (4 dims, each 1 or full), keyPadding|null.
AttentionMask GetMask(const Napi::CallbackInfo& info, size_t i, const Sizes& s) {
  Napi::Env env = info.Env();
  AttentionMask m;
  if (!info[i].IsNull() && !info[i].IsUndefined()) {
    std::vector<int64_t> ms = GetShape(info, i + 1, "maskShape", 4);
    if (ms.size() != 4) ThrowRange(env, "maskShape must have 4 dims, got " + ShapeToString(ms));
    const int64_t full[4] = {s.B, s.H, s.Tq, s.Tk};
    for (int d = 0; d < 4; ++d) {
      if (ms[d] != 1 && ms[d] != full[d])
        ThrowRange(env, "maskShape " + ShapeToString(ms) + " does not broadcast to " +
                            ShapeToString({s.B, s.H, s.Tq, s.Tk}));
    }
    auto a = GetArrayExact<float>(info, i, "mask", Numel(env, ms, "maskShape"), &ms);
    m.add = a.data;
    m.mb = ms[0];
    m.mh = ms[1];
    m.mq = ms[2];
    m.mk = ms[3];
  }
  if (!info[i + 2].IsNull() && !info[i + 2].IsUndefined()) {
    auto kp = GetArrayExact<uint8_t>(info, i + 2, "keyPadding", Numel(env, {s.B, s.Tk}, "keyPadding"));
    m.key_padding = kp.data;
  }
  return m;
}

// Reads B, H, Tq, Tk, D, scale, isCausal, dropoutP, seed, offset from [i, i + 10).
Sizes GetSizes(const Napi::CallbackInfo& info, size_t i, float* scale, bool* causal, AttentionDropout* drop) {
  Napi::Env env = info.Env();
  Sizes s{GetInt(info, i, "B"), GetInt(info, i + 1, "H"), GetInt(info, i + 2, "Tq"),
          GetInt(info, i + 3, "Tk"), GetInt(info, i + 4, "D")};
  Numel(env, {s.B, s.H, s.Tq, s.Tk}, "attention size");
  Numel(env, {s.B, s.H, std::max(s.Tq, s.Tk), s.D}, "attention size");
  *scale = float(GetFiniteNumber(info, i + 5, "scale"));
  *causal = GetBool(info, i + 6, "isCausal");
  double p = GetFiniteNumber(info, i + 7, "dropoutP");
  if (p < 0 || p > 1) ThrowRange(env, "dropoutP must be in [0, 1], got " + std::to_string(p));
  drop->p = float(p);
  drop->seed = uint64_t(GetInt(info, i + 8, "seed", 0, int64_t(1) << 53));
  drop->offset = uint64_t(GetInt(info, i + 9, "offset", 0, int64_t(1) << 53));
  return s;
}

template <typename A, typename B>
void RequireDisjoint(Napi::Env env, const Span<A>& out, const Span<B>& in, const char* out_name,
                     const char* in_name) {
  if (Overlaps(out, in)) ThrowRange(env, std::string(out_name) + " must not share memory with " + in_name);
}

// attentionForward(out, lse, q, k, v, mask|null, maskShape, keyPadding|null,
//                  B, H, Tq, Tk, D, scale, isCausal, dropoutP, seed, offset)
Napi::Value JS_attentionForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 18, "attentionForward");
  Napi::Env env = info.Env();
  float scale;
  bool causal;
  AttentionDropout drop;
  Sizes s = GetSizes(info, 8, &scale, &causal, &drop);
  int64_t nq = Numel(env, {s.B, s.H, s.Tq, s.D}, "q"), nk = Numel(env, {s.B, s.H, s.Tk, s.D}, "k");
  auto out = GetArrayExact<float>(info, 0, "out", nq);
  auto lse = GetArrayExact<float>(info, 1, "lse", Numel(env, {s.B, s.H, s.Tq}, "lse"));
  auto q = GetArrayExact<float>(info, 2, "q", nq);
  auto k = GetArrayExact<float>(info, 3, "k", nk);
  auto v = GetArrayExact<float>(info, 4, "v", nk);
  AttentionMask m = GetMask(info, 5, s);
  m.causal = causal;
  Span<float> add{const_cast<float*>(m.add), size_t(m.add ? m.mb * m.mh * m.mq * m.mk : 0)};
  Span<uint8_t> kp{const_cast<uint8_t*>(m.key_padding), size_t(m.key_padding ? s.B * s.Tk : 0)};
  for (auto o : {&out, &lse}) {
    for (auto in : {&q, &k, &v, &add}) RequireDisjoint(env, *o, *in, "outputs", "the inputs");
    RequireDisjoint(env, *o, kp, "outputs", "keyPadding");
  }
  RequireDisjoint(env, out, lse, "out", "lse");
  attention_forward_cpu(out.data, lse.data, q.data, k.data, v.data, m, drop, s.B, s.H, s.Tq, s.Tk, s.D,
                        scale);
  return env.Undefined();
}

// attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, mask|null, maskShape, keyPadding|null,
//                   B, H, Tq, Tk, D, scale, isCausal, dropoutP, seed, offset)
Napi::Value JS_attentionBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 22, "attentionBackward");
  Napi::Env env = info.Env();
  float scale;
  bool causal;
  AttentionDropout drop;
  Sizes s = GetSizes(info, 12, &scale, &causal, &drop);
  int64_t nq = Numel(env, {s.B, s.H, s.Tq, s.D}, "q"), nk = Numel(env, {s.B, s.H, s.Tk, s.D}, "k");
  auto dq = GetArrayExact<float>(info, 0, "dq", nq);
  auto dk = GetArrayExact<float>(info, 1, "dk", nk);
  auto dv = GetArrayExact<float>(info, 2, "dv", nk);
  auto dout = GetArrayExact<float>(info, 3, "dout", nq);
  auto q = GetArrayExact<float>(info, 4, "q", nq);
  auto k = GetArrayExact<float>(info, 5, "k", nk);
  auto v = GetArrayExact<float>(info, 6, "v", nk);
  auto out = GetArrayExact<float>(info, 7, "out", nq);
  auto lse = GetArrayExact<float>(info, 8, "lse", Numel(env, {s.B, s.H, s.Tq}, "lse"));
  AttentionMask m = GetMask(info, 9, s);
  m.causal = causal;
  Span<float> add{const_cast<float*>(m.add), size_t(m.add ? m.mb * m.mh * m.mq * m.mk : 0)};
  Span<uint8_t> kp{const_cast<uint8_t*>(m.key_padding), size_t(m.key_padding ? s.B * s.Tk : 0)};
  for (auto o : {&dq, &dk, &dv}) {
    for (auto in : {&dout, &q, &k, &v, &out, &lse, &add})
      RequireDisjoint(env, *o, *in, "gradients", "the inputs");
    RequireDisjoint(env, *o, kp, "gradients", "keyPadding");
  }
  if (Overlaps(dq, dk) || Overlaps(dq, dv) || Overlaps(dk, dv))
    ThrowRange(env, "dq, dk and dv must not overlap");
  attention_backward_cpu(dq.data, dk.data, dv.data, dout.data, q.data, k.data, v.data, out.data, lse.data, m,
                         drop, s.B, s.H, s.Tq, s.Tk, s.D, scale);
  return env.Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("attentionForward", Napi::Function::New(env, JS_attentionForward));
  exports.Set("attentionBackward", Napi::Function::New(env, JS_attentionBackward));
}

}  // namespace

TK_REGISTER_BINDING(attention, Init);

}  // namespace tk::binding

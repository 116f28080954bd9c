// cuda/attention.cu. attentionForward and attentionBackward take the CPU exports' arguments
// (native/binding/attention.cc); the backward's workspace (B * H * Tq floats) is allocated here.
#include "cuda/attention.h"

#include "test/cuda-emu/emu_addon.h"

namespace tk_emu_addon {
namespace {

struct Common {
  int64_t B, H, Tq, Tk, D;
  float scale;
  tk::AttentionDropout drop;
  bool causal;
};

// B, H, Tq, Tk, D, scale, isCausal, dropoutP, seed, offset from [i, i + 10).
Common sizes(const Napi::CallbackInfo& info, size_t i) {
  Common c;
  c.B = Int(info, i);
  c.H = Int(info, i + 1);
  c.Tq = Int(info, i + 2);
  c.Tk = Int(info, i + 3);
  c.D = Int(info, i + 4);
  c.scale = float(Num(info, i + 5));
  c.causal = Bool(info, i + 6);
  c.drop.p = float(Num(info, i + 7));
  c.drop.seed = uint64_t(Int(info, i + 8));
  c.drop.offset = uint64_t(Int(info, i + 9));
  return c;
}

// mask|null, maskShape (4 numbers), keyPadding|null at [i, i + 3).
tk::AttentionMask mask(const Napi::CallbackInfo& info, size_t i, const Dev& add, const Dev& kp, bool causal) {
  tk::AttentionMask m;
  m.add = add.f();
  Napi::Array shape = info[i + 1].As<Napi::Array>();
  m.mb = int64_t(shape.Get(0u).As<Napi::Number>().DoubleValue());
  m.mh = int64_t(shape.Get(1u).As<Napi::Number>().DoubleValue());
  m.mq = int64_t(shape.Get(2u).As<Napi::Number>().DoubleValue());
  m.mk = int64_t(shape.Get(3u).As<Napi::Number>().DoubleValue());
  m.key_padding = kp.ptr<uint8_t>();
  m.causal = causal;
  return m;
}

// attentionForward(out, lse, q, k, v, mask|null, maskShape, keyPadding|null,
//                  B, H, Tq, Tk, D, scale, isCausal, dropoutP, seed, offset)
TK_EMU_LAUNCHER(attentionForward) {
  Common c = sizes(info, 8);
  Dev out(info, 0), lse(info, 1), q(info, 2), k(info, 3), v(info, 4), add(info, 5), kp(info, 7);
  tk::attention_forward_cuda(out.f(), lse.f(), q.f(), k.f(), v.f(), mask(info, 5, add, kp, c.causal), c.drop,
                             c.B, c.H, c.Tq, c.Tk, c.D, c.scale, nullptr);
  out.back();
  lse.back();
  return info.Env().Undefined();
}

// attentionBackward(dq, dk, dv, dout, q, k, v, out, lse, mask|null, maskShape, keyPadding|null,
//                   B, H, Tq, Tk, D, scale, isCausal, dropoutP, seed, offset)
TK_EMU_LAUNCHER(attentionBackward) {
  Common c = sizes(info, 12);
  Dev dq(info, 0), dk(info, 1), dv(info, 2), dout(info, 3), q(info, 4), k(info, 5), v(info, 6), out(info, 7),
      lse(info, 8), add(info, 9), kp(info, 11);
  float* ws = nullptr;
  check(cudaMalloc(&ws, size_t(c.B * c.H * c.Tq) * sizeof(float)), "cudaMalloc");
  try {
    tk::attention_backward_cuda(dq.f(), dk.f(), dv.f(), dout.f(), q.f(), k.f(), v.f(), out.f(), lse.f(), ws,
                                mask(info, 9, add, kp, c.causal), c.drop, c.B, c.H, c.Tq, c.Tk, c.D, c.scale,
                                nullptr);
  } catch (...) {
    cudaFree(ws);
    throw;
  }
  cudaFree(ws);
  dq.back();
  dk.back();
  dv.back();
  return info.Env().Undefined();
}

}  // namespace
}  // namespace tk_emu_addon

// cuda/topic_losses.cu. Each launcher takes the arguments of the CPU export of the same name
// (native/binding/topic_losses.cc) and returns what it returns; the workspaces the CUDA launchers
// need (sized by their *_workspace_bytes) and mmdForward's device-side loss are allocated here.
#include "cuda/topic_losses.h"

#include "test/cuda-emu/emu_addon.h"

namespace tk_emu_addon {
namespace {

// A device scratch buffer of exactly `bytes` (at least 1), guarded like every cudaMalloc buffer.
struct Scratch {
  void* p = nullptr;
  explicit Scratch(size_t bytes) { check(cudaMalloc(&p, bytes > 0 ? bytes : 1), "cudaMalloc"); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { cudaFree(p); }
};

// mmdForward(gx|null, gy|null, x, y, n, m, d, kernel, bandwidth) -> mmd
TK_EMU_LAUNCHER(mmdForward) {
  const int64_t n = Int(info, 4), m = Int(info, 5), d = Int(info, 6);
  const int kind = int(Int(info, 7));
  const float h = float(Num(info, 8));
  Dev gx(info, 0), gy(info, 1), x(info, 2), y(info, 3);
  Scratch loss(sizeof(double)), ws(tk::mmd_cuda_workspace_bytes(n, m, d));
  tk::mmd_forward_cuda(static_cast<double*>(loss.p), gx.f(), gy.f(), x.f(), y.f(), n, m, d, kind, h, ws.p,
                       nullptr);
  double result = 0.0;
  check(cudaMemcpy(&result, loss.p, sizeof(double), cudaMemcpyDeviceToHost), "cudaMemcpy");
  gx.back();
  gy.back();
  return Napi::Number::New(info.Env(), result);
}

// gaussianKlForward(loss, mu, logvar, B, J)
TK_EMU_LAUNCHER(gaussianKlForward) {
  Dev loss(info, 0), mu(info, 1), lv(info, 2);
  tk::gaussian_kl_forward_cuda(loss.f(), mu.f(), lv.f(), Int(info, 3), Int(info, 4), nullptr);
  loss.back();
  return info.Env().Undefined();
}

// gaussianKlBackward(dmu|null, dlogvar|null, dloss, mu, logvar, B, J, dlossStride, scale)
TK_EMU_LAUNCHER(gaussianKlBackward) {
  Dev dmu(info, 0), dlv(info, 1), dloss(info, 2), mu(info, 3), lv(info, 4);
  tk::gaussian_kl_backward_cuda(dmu.f(), dlv.f(), dloss.f(), mu.f(), lv.f(), Int(info, 5), Int(info, 6),
                                Int(info, 7), float(Num(info, 8)), nullptr);
  dmu.back();
  dlv.back();
  return info.Env().Undefined();
}

// gaussianMixtureKlForward(loss, logEta, z, mu, logvar, means, logvars, logPi, B, J, K)
TK_EMU_LAUNCHER(gaussianMixtureKlForward) {
  Dev loss(info, 0), log_eta(info, 1), z(info, 2), mu(info, 3), lv(info, 4), means(info, 5), lvs(info, 6),
      log_pi(info, 7);
  tk::gaussian_mixture_kl_forward_cuda(loss.f(), log_eta.f(), z.f(), mu.f(), lv.f(), means.f(), lvs.f(),
                                       log_pi.f(), Int(info, 8), Int(info, 9), Int(info, 10), nullptr);
  loss.back();
  log_eta.back();
  return info.Env().Undefined();
}

// gaussianMixtureKlBackward(dz|null, dmu|null, dlogvar|null, dmeans|null, dlogvars|null, dlogPi|null,
//                           dloss, z, mu, logvar, means, logvars, logPi, logEta, B, J, K, dlossStride, scale)
TK_EMU_LAUNCHER(gaussianMixtureKlBackward) {
  const int64_t B = Int(info, 14), J = Int(info, 15), K = Int(info, 16);
  Dev dz(info, 0), dmu(info, 1), dlv(info, 2), dmeans(info, 3), dlvs(info, 4), dlog_pi(info, 5);
  Dev dloss(info, 6), z(info, 7), mu(info, 8), lv(info, 9), means(info, 10), lvs(info, 11), log_pi(info, 12),
      log_eta(info, 13);
  Scratch ws(tk::gaussian_mixture_kl_backward_cuda_workspace_bytes(B, K));
  tk::gaussian_mixture_kl_backward_cuda(dz.f(), dmu.f(), dlv.f(), dmeans.f(), dlvs.f(), dlog_pi.f(),
                                        dloss.f(), z.f(), mu.f(), lv.f(), means.f(), lvs.f(), log_pi.f(),
                                        log_eta.f(), B, J, K, Int(info, 17), float(Num(info, 18)), ws.p,
                                        nullptr);
  for (const Dev* g : {&dz, &dmu, &dlv, &dmeans, &dlvs, &dlog_pi}) g->back();
  return info.Env().Undefined();
}

// gammaSample(out, alpha, seed, offset) -> blocks consumed (1)
TK_EMU_LAUNCHER(gammaSample) {
  Dev out(info, 0);
  const int64_t n = int64_t(info[0].As<Napi::TypedArray>().ElementLength());
  tk::gamma_sample_cuda(out.f(), n, float(Num(info, 1)), uint64_t(Int(info, 2)), uint64_t(Int(info, 3)),
                        nullptr);
  out.back();
  return Napi::Number::New(info.Env(), 1);
}

// dirichletSample(out, concentration, numSamples, K, seed, offset) -> blocks consumed (1)
TK_EMU_LAUNCHER(dirichletSample) {
  Dev out(info, 0), conc(info, 1);
  tk::dirichlet_sample_cuda(out.f(), conc.f(), Int(info, 2), Int(info, 3), uint64_t(Int(info, 4)),
                            uint64_t(Int(info, 5)), nullptr);
  out.back();
  return Napi::Number::New(info.Env(), 1);
}

}  // namespace
}  // namespace tk_emu_addon

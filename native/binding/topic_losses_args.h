// The argument checks of the topic-model loss and sampler exports (mmdForward, gaussianKl*,
// gaussianMixtureKl*, gammaSample, dirichletSample), shared by the CPU exports
// (native/binding/topic_losses.cc, Arrays = HostArrays: typed arrays) and the device exports
// (cuda/binding/topic_losses.cc, Arrays = cuda::DeviceArrays: device buffers), so that both refuse
// the same calls with the same messages.
//
// dirichletSample's concentration is a host Float32Array for both (its K values are checked here;
// the device export copies them to the device for the call).
#pragma once
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "binding/args.h"

namespace tk::binding::topic_losses_args {

template <class Arrays>
Span<float> GetOptionalFloats(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return Span<float>{};
  return Arrays::template GetExact<float>(info, i, name, length);
}

// Every output must be disjoint from every input and from the other outputs.
inline void RequireDisjoint(Napi::Env env, const std::vector<std::pair<const char*, Span<float>>>& outs,
                            const std::vector<Span<float>>& ins) {
  for (size_t a = 0; a < outs.size(); ++a) {
    for (const Span<float>& in : ins)
      if (Overlaps(outs[a].second, in))
        ThrowRange(env, std::string(outs[a].first) + " must not share memory with an input");
    for (size_t b = a + 1; b < outs.size(); ++b)
      if (Overlaps(outs[a].second, outs[b].second))
        ThrowRange(env, std::string(outs[a].first) + " must not share memory with " + outs[b].first);
  }
}

// The upstream gradient: stride 1 over `rows` values or stride 0 over one value.
template <class Arrays>
Span<float> GetDloss(const Napi::CallbackInfo& info, size_t i, int64_t stride, int64_t rows) {
  if (stride == 1) return Arrays::template GetExact<float>(info, i, "dloss", rows);
  return Arrays::template Get<float>(info, i, "dloss", 1);
}

// Seeds and offsets travel as doubles: integers up to 2^53 are exact.
inline uint64_t GetSeed(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return uint64_t(GetInt(info, i, name, 0, int64_t(1) << 53));
}

struct Mmd {
  int64_t n, m, d, kind;
  float bandwidth;
  Span<float> gx, gy, x, y;
};

// mmdForward(gx|null, gy|null, x, y, n, m, d, kernel, bandwidth) -> mmd. kernel: 0 diffusion, 1 rbf,
// 2 imq. gx/gy receive d mmd / d x and d mmd / d y.
template <class Arrays>
Mmd ReadMmd(const Napi::CallbackInfo& info) {
  RequireArgs(info, 9, "mmdForward");
  Napi::Env env = info.Env();
  Mmd r;
  r.n = GetInt(info, 4, "n", 2);
  r.m = GetInt(info, 5, "m", 2);
  r.d = GetInt(info, 6, "d", 1);
  r.kind = GetInt(info, 7, "kernel", 0, 2);
  const double h = GetFiniteNumber(info, 8, "bandwidth");
  if (!(h > 0) || float(h) <= 0.0f || !std::isfinite(float(h)))
    ThrowRange(env, "bandwidth must be positive and finite in float32, got " + std::to_string(h));
  r.bandwidth = float(h);
  const int64_t nx = Numel(env, {r.n, r.d}, "x shape"), ny = Numel(env, {r.m, r.d}, "y shape");
  r.gx = GetOptionalFloats<Arrays>(info, 0, "gx", nx);
  r.gy = GetOptionalFloats<Arrays>(info, 1, "gy", ny);
  r.x = Arrays::template GetExact<float>(info, 2, "x", nx);
  r.y = Arrays::template GetExact<float>(info, 3, "y", ny);
  RequireDisjoint(env, {{"gx", r.gx}, {"gy", r.gy}}, {r.x, r.y});
  return r;
}

struct Bj {
  int64_t B, J, numel;
};
inline Bj GetBj(const Napi::CallbackInfo& info, size_t at) {
  Bj s;
  s.B = GetInt(info, at, "B");
  s.J = GetInt(info, at + 1, "J");
  s.numel = Numel(info.Env(), {s.B, s.J}, "mu shape");
  return s;
}

struct KlForward {
  Bj s;
  Span<float> loss, mu, lv;
};

// gaussianKlForward(loss, mu, logvar, B, J)
template <class Arrays>
KlForward ReadKlForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "gaussianKlForward");
  KlForward r;
  r.s = GetBj(info, 3);
  r.loss = Arrays::template GetExact<float>(info, 0, "loss", r.s.B);
  r.mu = Arrays::template GetExact<float>(info, 1, "mu", r.s.numel);
  r.lv = Arrays::template GetExact<float>(info, 2, "logvar", r.s.numel);
  RequireDisjoint(info.Env(), {{"loss", r.loss}}, {r.mu, r.lv});
  return r;
}

struct KlBackward {
  Bj s;
  int64_t stride;
  float scale;
  Span<float> dmu, dlv, dloss, mu, lv;
};

// gaussianKlBackward(dmu|null, dlogvar|null, dloss, mu, logvar, B, J, dlossStride, scale)
template <class Arrays>
KlBackward ReadKlBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 9, "gaussianKlBackward");
  KlBackward r;
  r.s = GetBj(info, 5);
  r.stride = GetInt(info, 7, "dlossStride", 0, 1);
  r.scale = float(GetFiniteNumber(info, 8, "scale"));
  r.dmu = GetOptionalFloats<Arrays>(info, 0, "dmu", r.s.numel);
  r.dlv = GetOptionalFloats<Arrays>(info, 1, "dlogvar", r.s.numel);
  r.dloss = GetDloss<Arrays>(info, 2, r.stride, r.s.B);
  r.mu = Arrays::template GetExact<float>(info, 3, "mu", r.s.numel);
  r.lv = Arrays::template GetExact<float>(info, 4, "logvar", r.s.numel);
  RequireDisjoint(info.Env(), {{"dmu", r.dmu}, {"dlogvar", r.dlv}}, {r.dloss, r.mu, r.lv});
  return r;
}

struct Bjk {
  int64_t B, J, K, bj, kj;
};
inline Bjk GetBjk(const Napi::CallbackInfo& info, size_t at) {
  Napi::Env env = info.Env();
  Bjk s;
  s.B = GetInt(info, at, "B");
  s.J = GetInt(info, at + 1, "J");
  s.K = GetInt(info, at + 2, "K", 1);
  s.bj = Numel(env, {s.B, s.J}, "z shape");
  s.kj = Numel(env, {s.K, s.J}, "means shape");
  Numel(env, {s.B, s.K}, "logEta shape");
  return s;
}

struct GmForward {
  Bjk s;
  Span<float> loss, log_eta, z, mu, lv, means, lvs, log_pi;
};

// gaussianMixtureKlForward(loss, logEta, z, mu, logvar, means, logvars, logPi, B, J, K)
template <class Arrays>
GmForward ReadGmForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 11, "gaussianMixtureKlForward");
  GmForward r;
  r.s = GetBjk(info, 8);
  const Bjk& s = r.s;
  r.loss = Arrays::template GetExact<float>(info, 0, "loss", s.B);
  r.log_eta = Arrays::template GetExact<float>(info, 1, "logEta", s.B * s.K);
  r.z = Arrays::template GetExact<float>(info, 2, "z", s.bj);
  r.mu = Arrays::template GetExact<float>(info, 3, "mu", s.bj);
  r.lv = Arrays::template GetExact<float>(info, 4, "logvar", s.bj);
  r.means = Arrays::template GetExact<float>(info, 5, "means", s.kj);
  r.lvs = Arrays::template GetExact<float>(info, 6, "logvars", s.kj);
  r.log_pi = Arrays::template GetExact<float>(info, 7, "logPi", s.K);
  RequireDisjoint(info.Env(), {{"loss", r.loss}, {"logEta", r.log_eta}},
                  {r.z, r.mu, r.lv, r.means, r.lvs, r.log_pi});
  return r;
}

struct GmBackward {
  Bjk s;
  int64_t stride;
  float scale;
  Span<float> dz, dmu, dlv, dmeans, dlvs, dlog_pi, dloss, z, mu, lv, means, lvs, log_pi, log_eta;
};

// gaussianMixtureKlBackward(dz|null, dmu|null, dlogvar|null, dmeans|null, dlogvars|null, dlogPi|null,
//                           dloss, z, mu, logvar, means, logvars, logPi, logEta, B, J, K, dlossStride, scale)
template <class Arrays>
GmBackward ReadGmBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 19, "gaussianMixtureKlBackward");
  GmBackward r;
  r.s = GetBjk(info, 14);
  const Bjk& s = r.s;
  r.stride = GetInt(info, 17, "dlossStride", 0, 1);
  r.scale = float(GetFiniteNumber(info, 18, "scale"));
  r.dz = GetOptionalFloats<Arrays>(info, 0, "dz", s.bj);
  r.dmu = GetOptionalFloats<Arrays>(info, 1, "dmu", s.bj);
  r.dlv = GetOptionalFloats<Arrays>(info, 2, "dlogvar", s.bj);
  r.dmeans = GetOptionalFloats<Arrays>(info, 3, "dmeans", s.kj);
  r.dlvs = GetOptionalFloats<Arrays>(info, 4, "dlogvars", s.kj);
  r.dlog_pi = GetOptionalFloats<Arrays>(info, 5, "dlogPi", s.K);
  r.dloss = GetDloss<Arrays>(info, 6, r.stride, s.B);
  r.z = Arrays::template GetExact<float>(info, 7, "z", s.bj);
  r.mu = Arrays::template GetExact<float>(info, 8, "mu", s.bj);
  r.lv = Arrays::template GetExact<float>(info, 9, "logvar", s.bj);
  r.means = Arrays::template GetExact<float>(info, 10, "means", s.kj);
  r.lvs = Arrays::template GetExact<float>(info, 11, "logvars", s.kj);
  r.log_pi = Arrays::template GetExact<float>(info, 12, "logPi", s.K);
  r.log_eta = Arrays::template GetExact<float>(info, 13, "logEta", s.B * s.K);
  RequireDisjoint(info.Env(),
                  {{"dz", r.dz},
                   {"dmu", r.dmu},
                   {"dlogvar", r.dlv},
                   {"dmeans", r.dmeans},
                   {"dlogvars", r.dlvs},
                   {"dlogPi", r.dlog_pi}},
                  {r.dloss, r.z, r.mu, r.lv, r.means, r.lvs, r.log_pi, r.log_eta});
  return r;
}

// Sample indices must fit below the stream's top bit with the try counter (math/topics.h).
constexpr int64_t kMaxSamples = int64_t(1) << 50;

inline float GetConcentration(Napi::Env env, double a, const std::string& name) {
  if (!(a > 0) || !std::isfinite(a) || !(float(a) > 0.0f) || !std::isfinite(float(a)))
    ThrowRange(env, name + " must be positive and finite in float32, got " + std::to_string(a));
  return float(a);
}

struct Gamma {
  Span<float> out;
  float alpha;
  uint64_t seed, offset;
};

// gammaSample(out, alpha, seed, offset) -> blocks consumed (1)
template <class Arrays>
Gamma ReadGamma(const Napi::CallbackInfo& info) {
  RequireArgs(info, 4, "gammaSample");
  Napi::Env env = info.Env();
  Gamma r;
  r.out = Arrays::template Get<float>(info, 0, "out");
  if (int64_t(r.out.length) > kMaxSamples) ThrowRange(env, "out has too many elements");
  r.alpha = GetConcentration(env, GetNumber(info, 1, "concentration"), "concentration");
  r.seed = GetSeed(info, 2, "seed");
  r.offset = GetSeed(info, 3, "offset");
  return r;
}

struct Dirichlet {
  Span<float> out;
  Span<float> conc;  // host
  int64_t rows, K;
  uint64_t seed, offset;
};

// dirichletSample(out, concentration, numSamples, K, seed, offset) -> blocks consumed (1)
template <class Arrays>
Dirichlet ReadDirichlet(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "dirichletSample");
  Napi::Env env = info.Env();
  Dirichlet r;
  r.rows = GetInt(info, 2, "numSamples");
  r.K = GetInt(info, 3, "K", 1);
  const int64_t numel = Numel(env, {r.rows, r.K}, "out shape");
  if (numel > kMaxSamples) ThrowRange(env, "numSamples * K is too large");
  r.out = Arrays::template GetExact<float>(info, 0, "out", numel);
  r.conc = GetArrayExact<float>(info, 1, "concentration", r.K);
  r.seed = GetSeed(info, 4, "seed");
  r.offset = GetSeed(info, 5, "offset");
  if (!Arrays::kDevice && Overlaps(r.out, r.conc))
    ThrowRange(env, "out must not share memory with concentration");
  for (int64_t k = 0; k < r.K; ++k)
    GetConcentration(env, r.conc.data[k], "concentration[" + std::to_string(k) + "]");
  return r;
}

}  // namespace tk::binding::topic_losses_args

// Exports: mmdForward, gaussianKlForward, gaussianKlBackward, gaussianMixtureKlForward,
// gaussianMixtureKlBackward, gammaSample, dirichletSample.
#include "kernels/topic_losses.h"

#include <cmath>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/registry.h"
#include "textkernels/math/topics.h"

namespace tk::binding {
namespace {

Span<float> GetOptionalFloats(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return Span<float>{};
  return GetArrayExact<float>(info, i, name, length);
}

// Every output must be disjoint from every input and from the other outputs.
void RequireDisjoint(Napi::Env env, const std::vector<std::pair<const char*, Span<float>>>& outs,
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
Span<float> GetDloss(const Napi::CallbackInfo& info, size_t i, int64_t stride, int64_t rows) {
  if (stride == 1) return GetArrayExact<float>(info, i, "dloss", rows);
  return GetArray<float>(info, i, "dloss", 1);
}

// Seeds and offsets travel as doubles: integers up to 2^53 are exact.
uint64_t GetSeed(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return uint64_t(GetInt(info, i, name, 0, int64_t(1) << 53));
}

// mmdForward(gx|null, gy|null, x, y, n, m, d, kernel, bandwidth) -> mmd. kernel: 0 diffusion, 1 rbf,
// 2 imq. gx/gy receive d mmd / d x and d mmd / d y.
Napi::Value JS_mmdForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 9, "mmdForward");
  Napi::Env env = info.Env();
  const int64_t n = GetInt(info, 4, "n", 2), m = GetInt(info, 5, "m", 2), d = GetInt(info, 6, "d", 1);
  const int64_t kind = GetInt(info, 7, "kernel", 0, 2);
  const double h = GetFiniteNumber(info, 8, "bandwidth");
  if (!(h > 0) || float(h) <= 0.0f || !std::isfinite(float(h)))
    ThrowRange(env, "bandwidth must be positive and finite in float32, got " + std::to_string(h));
  const int64_t nx = Numel(env, {n, d}, "x shape"), ny = Numel(env, {m, d}, "y shape");
  auto gx = GetOptionalFloats(info, 0, "gx", nx);
  auto gy = GetOptionalFloats(info, 1, "gy", ny);
  auto x = GetArrayExact<float>(info, 2, "x", nx);
  auto y = GetArrayExact<float>(info, 3, "y", ny);
  RequireDisjoint(env, {{"gx", gx}, {"gy", gy}}, {x, y});
  const double loss = mmd_forward_cpu(gx.data, gy.data, x.data, y.data, n, m, d, int(kind), float(h));
  return Napi::Number::New(env, loss);
}

struct Bj {
  int64_t B, J, numel;
};
Bj GetBj(const Napi::CallbackInfo& info, size_t at) {
  Bj s;
  s.B = GetInt(info, at, "B");
  s.J = GetInt(info, at + 1, "J");
  s.numel = Numel(info.Env(), {s.B, s.J}, "mu shape");
  return s;
}

// gaussianKlForward(loss, mu, logvar, B, J)
Napi::Value JS_gaussianKlForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "gaussianKlForward");
  Napi::Env env = info.Env();
  Bj s = GetBj(info, 3);
  auto loss = GetArrayExact<float>(info, 0, "loss", s.B);
  auto mu = GetArrayExact<float>(info, 1, "mu", s.numel);
  auto lv = GetArrayExact<float>(info, 2, "logvar", s.numel);
  RequireDisjoint(env, {{"loss", loss}}, {mu, lv});
  gaussian_kl_forward_cpu(loss.data, mu.data, lv.data, s.B, s.J);
  return env.Undefined();
}

// gaussianKlBackward(dmu|null, dlogvar|null, dloss, mu, logvar, B, J, dlossStride, scale)
Napi::Value JS_gaussianKlBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 9, "gaussianKlBackward");
  Napi::Env env = info.Env();
  Bj s = GetBj(info, 5);
  const int64_t stride = GetInt(info, 7, "dlossStride", 0, 1);
  const double scale = GetFiniteNumber(info, 8, "scale");
  auto dmu = GetOptionalFloats(info, 0, "dmu", s.numel);
  auto dlv = GetOptionalFloats(info, 1, "dlogvar", s.numel);
  auto dloss = GetDloss(info, 2, stride, s.B);
  auto mu = GetArrayExact<float>(info, 3, "mu", s.numel);
  auto lv = GetArrayExact<float>(info, 4, "logvar", s.numel);
  RequireDisjoint(env, {{"dmu", dmu}, {"dlogvar", dlv}}, {dloss, mu, lv});
  gaussian_kl_backward_cpu(dmu.data, dlv.data, dloss.data, mu.data, lv.data, s.B, s.J, stride, float(scale));
  return env.Undefined();
}

struct Bjk {
  int64_t B, J, K, bj, kj;
};
Bjk GetBjk(const Napi::CallbackInfo& info, size_t at) {
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

// gaussianMixtureKlForward(loss, logEta, z, mu, logvar, means, logvars, logPi, B, J, K)
Napi::Value JS_gaussianMixtureKlForward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 11, "gaussianMixtureKlForward");
  Napi::Env env = info.Env();
  Bjk s = GetBjk(info, 8);
  auto loss = GetArrayExact<float>(info, 0, "loss", s.B);
  auto log_eta = GetArrayExact<float>(info, 1, "logEta", s.B * s.K);
  auto z = GetArrayExact<float>(info, 2, "z", s.bj);
  auto mu = GetArrayExact<float>(info, 3, "mu", s.bj);
  auto lv = GetArrayExact<float>(info, 4, "logvar", s.bj);
  auto means = GetArrayExact<float>(info, 5, "means", s.kj);
  auto lvs = GetArrayExact<float>(info, 6, "logvars", s.kj);
  auto log_pi = GetArrayExact<float>(info, 7, "logPi", s.K);
  RequireDisjoint(env, {{"loss", loss}, {"logEta", log_eta}}, {z, mu, lv, means, lvs, log_pi});
  gaussian_mixture_kl_forward_cpu(loss.data, log_eta.data, z.data, mu.data, lv.data, means.data, lvs.data,
                                  log_pi.data, s.B, s.J, s.K);
  return env.Undefined();
}

// gaussianMixtureKlBackward(dz|null, dmu|null, dlogvar|null, dmeans|null, dlogvars|null, dlogPi|null,
//                           dloss, z, mu, logvar, means, logvars, logPi, logEta, B, J, K, dlossStride, scale)
Napi::Value JS_gaussianMixtureKlBackward(const Napi::CallbackInfo& info) {
  RequireArgs(info, 19, "gaussianMixtureKlBackward");
  Napi::Env env = info.Env();
  Bjk s = GetBjk(info, 14);
  const int64_t stride = GetInt(info, 17, "dlossStride", 0, 1);
  const double scale = GetFiniteNumber(info, 18, "scale");
  auto dz = GetOptionalFloats(info, 0, "dz", s.bj);
  auto dmu = GetOptionalFloats(info, 1, "dmu", s.bj);
  auto dlv = GetOptionalFloats(info, 2, "dlogvar", s.bj);
  auto dmeans = GetOptionalFloats(info, 3, "dmeans", s.kj);
  auto dlvs = GetOptionalFloats(info, 4, "dlogvars", s.kj);
  auto dlog_pi = GetOptionalFloats(info, 5, "dlogPi", s.K);
  auto dloss = GetDloss(info, 6, stride, s.B);
  auto z = GetArrayExact<float>(info, 7, "z", s.bj);
  auto mu = GetArrayExact<float>(info, 8, "mu", s.bj);
  auto lv = GetArrayExact<float>(info, 9, "logvar", s.bj);
  auto means = GetArrayExact<float>(info, 10, "means", s.kj);
  auto lvs = GetArrayExact<float>(info, 11, "logvars", s.kj);
  auto log_pi = GetArrayExact<float>(info, 12, "logPi", s.K);
  auto log_eta = GetArrayExact<float>(info, 13, "logEta", s.B * s.K);
  RequireDisjoint(env,
                  {{"dz", dz},
                   {"dmu", dmu},
                   {"dlogvar", dlv},
                   {"dmeans", dmeans},
                   {"dlogvars", dlvs},
                   {"dlogPi", dlog_pi}},
                  {dloss, z, mu, lv, means, lvs, log_pi, log_eta});
  gaussian_mixture_kl_backward_cpu(dz.data, dmu.data, dlv.data, dmeans.data, dlvs.data, dlog_pi.data,
                                   dloss.data, z.data, mu.data, lv.data, means.data, lvs.data, log_pi.data,
                                   log_eta.data, s.B, s.J, s.K, stride, float(scale));
  return env.Undefined();
}

// Sample indices must fit below the stream's top bit with the try counter (math/topics.h).
constexpr int64_t kMaxSamples = int64_t(1) << 50;

float GetConcentration(Napi::Env env, double a, const std::string& name) {
  if (!(a > 0) || !std::isfinite(a) || !(float(a) > 0.0f) || !std::isfinite(float(a)))
    ThrowRange(env, name + " must be positive and finite in float32, got " + std::to_string(a));
  return float(a);
}

// gammaSample(out, alpha, seed, offset) -> blocks consumed (1)
Napi::Value JS_gammaSample(const Napi::CallbackInfo& info) {
  RequireArgs(info, 4, "gammaSample");
  Napi::Env env = info.Env();
  auto out = GetArray<float>(info, 0, "out");
  if (int64_t(out.length) > kMaxSamples) ThrowRange(env, "out has too many elements");
  const float alpha = GetConcentration(env, GetNumber(info, 1, "concentration"), "concentration");
  const uint64_t seed = GetSeed(info, 2, "seed"), offset = GetSeed(info, 3, "offset");
  gamma_sample_cpu(out.data, int64_t(out.length), alpha, seed, offset);
  return Napi::Number::New(env, 1);
}

// dirichletSample(out, concentration, numSamples, K, seed, offset) -> blocks consumed (1)
Napi::Value JS_dirichletSample(const Napi::CallbackInfo& info) {
  RequireArgs(info, 6, "dirichletSample");
  Napi::Env env = info.Env();
  const int64_t rows = GetInt(info, 2, "numSamples"), K = GetInt(info, 3, "K", 1);
  const int64_t numel = Numel(env, {rows, K}, "out shape");
  if (numel > kMaxSamples) ThrowRange(env, "numSamples * K is too large");
  auto out = GetArrayExact<float>(info, 0, "out", numel);
  auto conc = GetArrayExact<float>(info, 1, "concentration", K);
  const uint64_t seed = GetSeed(info, 4, "seed"), offset = GetSeed(info, 5, "offset");
  if (Overlaps(out, conc)) ThrowRange(env, "out must not share memory with concentration");
  for (int64_t k = 0; k < K; ++k)
    GetConcentration(env, conc.data[k], "concentration[" + std::to_string(k) + "]");
  dirichlet_sample_cpu(out.data, conc.data, rows, K, seed, offset);
  return Napi::Number::New(env, 1);
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("mmdForward", Napi::Function::New(env, JS_mmdForward, "mmdForward"));
  exports.Set("gaussianKlForward", Napi::Function::New(env, JS_gaussianKlForward, "gaussianKlForward"));
  exports.Set("gaussianKlBackward", Napi::Function::New(env, JS_gaussianKlBackward, "gaussianKlBackward"));
  exports.Set("gaussianMixtureKlForward",
              Napi::Function::New(env, JS_gaussianMixtureKlForward, "gaussianMixtureKlForward"));
  exports.Set("gaussianMixtureKlBackward",
              Napi::Function::New(env, JS_gaussianMixtureKlBackward, "gaussianMixtureKlBackward"));
  exports.Set("gammaSample", Napi::Function::New(env, JS_gammaSample, "gammaSample"));
  exports.Set("dirichletSample", Napi::Function::New(env, JS_dirichletSample, "dirichletSample"));
}

}  // namespace

TK_REGISTER_BINDING(topic_losses, Init);

}  // namespace tk::binding

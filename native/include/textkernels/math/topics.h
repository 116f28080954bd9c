// Per-element math of the topic-model losses and samplers (issue 6), shared by the CPU kernels
// (native/kernels/topic_losses.cc) and their CUDA twins (cuda/topic_losses.cu, cuda/topic_losses.cuh).
//
//  - MMD kernels k(a, b) as functions of one pair statistic q and their derivative dk/dq:
//      diffusion: q = <sqrt(clamp(a, 1e-6, 1)), sqrt(clamp(b, 1e-6, 1))> (W-LDA's clipping),
//                 k = exp(-arccos(clamp(q, 0, 1))^2 / t)
//      rbf:       q = ||a - b||^2, k = exp(-q / (2 h^2))
//      imq:       q = ||a - b||^2, k = C / (C + q), C = bandwidth
//    Gradients at the clamps are PyTorch's: clamp passes the gradient where lo <= x <= hi
//    (boundaries included) and gives 0 outside (and for NaN).
//  - d/dq arccos(q)^2 = -2 arccos(q) / sqrt(1 - q^2) is 0/0 at q = 1 (identical rows). With
//    a = arccos(q) the ratio is a / sin(a), which tends to 1; below a = 0.05 it is taken from its
//    series 1 + a^2/6 + 7 a^4/360 (next term 31 a^6/15120 < 3e-11), so identical inputs get the
//    finite limit where a composite PyTorch expression gives NaN.
//  - Gamma(alpha, 1) by Marsaglia and Tsang (2000), with Gamma(alpha) = Gamma(alpha + 1) U^(1/alpha)
//    for alpha < 1. Sample i of a call draws from its own Philox streams, so the rejection loop's
//    variable consumption never shifts another sample: try `it` of sample i uses block `offset` of
//    stream 2^63 | (i << 11) | it. Fills (uniform/normal/...) use stream 0, so the two never overlap,
//    and a gamma/dirichlet call advances the generator's offset by exactly one block.
#pragma once
#include "textkernels/math/common.h"
#include "textkernels/math/philox.h"

namespace tk::math {

enum MmdKernelKind : int { kMmdDiffusion = 0, kMmdRbf = 1, kMmdImq = 2 };

constexpr float kDiffusionClipLow = 1e-6f;

// clamp that propagates NaN (as torch.clamp): comparisons with NaN are false.
TK_HD float clamp_nan(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
// torch.clamp's backward mask: 1 where lo <= x <= hi, else 0 (NaN -> 0).
TK_HD float clamp_mask(float x, float lo, float hi) { return (x >= lo && x <= hi) ? 1.0f : 0.0f; }

// The diffusion kernel's per-coordinate feature sqrt(clamp(x, 1e-6, 1)) ...
TK_HD float diffusion_feature(float x) { return sqrtf(clamp_nan(x, kDiffusionClipLow, 1.0f)); }
// ... and its derivative d feature / d x, given the feature f.
TK_HD float diffusion_feature_grad(float x, float f) {
  return clamp_mask(x, kDiffusionClipLow, 1.0f) * (0.5f / f);
}

// arccos(c) / sqrt(1 - c^2) for c in [0, 1] with a = arccos(c): a / sin(a), from its series below
// a = 0.05; above, sqrt((1 - c)(1 + c)) is sin(a) to a few ulp (1 - c is exact for c >= 0.5) and
// costs less than sinf.
TK_HD float acos_ratio(float a, float c) {
  if (a < 0.05f) {
    const float a2 = a * a;
    return 1.0f + a2 * (1.0f / 6.0f + a2 * (7.0f / 360.0f));
  }
  return a / sqrtf((1.0f - c) * (1.0f + c));
}

// k(q) and dk/dq for the kernel `kind` with bandwidth h (diffusion: t = h).
TK_HD float mmd_kernel(int kind, float q, float h, float* dk_dq) {
  if (kind == kMmdDiffusion) {
    const float c = clamp_nan(q, 0.0f, 1.0f);
    const float a = acosf(c);
    const float k = expf(-(a * a) / h);
    // d/dq exp(-a^2 / t) = k * (2 / t) * a / sqrt(1 - q^2)
    *dk_dq = clamp_mask(q, 0.0f, 1.0f) * (k * (2.0f * acos_ratio(a, c) / h));
    return k;
  }
  const float d2 =
      q > 0.0f ? q : (q == q ? 0.0f : q);  // q is ||a||^2 + ||b||^2 - 2ab: rounding can dip below 0
  if (kind == kMmdRbf) {
    const float two_h2 = 2.0f * h * h;
    const float k = expf(-d2 / two_h2);
    *dk_dq = -k / two_h2;
    return k;
  }
  const float k = h / (h + d2);
  *dk_dq = -(k * k) / h;
  return k;
}

// ---- Gaussian KL terms ----------------------------------------------------------------------------

// One coordinate of KL(N(mu, exp(lv)) || N(0, 1)) without the -0.5 factor, in PyTorch's order:
// 1 + lv - mu^2 - exp(lv).
TK_HD float gaussian_kl_term(float mu, float lv) { return ((1.0f + lv) - mu * mu) - expf(lv); }

// log N(z; m, exp(lv)) for one coordinate, without -0.5 log(2 pi): -0.5 (lv + (z - m)^2 / exp(lv)),
// with inv_var = exp(-lv) precomputed per component.
TK_HD float gaussian_log_density_term(float z, float m, float lv, float inv_var) {
  const float d = z - m;
  return -0.5f * (lv + d * d * inv_var);
}
constexpr double kHalfLog2Pi = 0.91893853320467274178;

// The cross-entropy term of coordinate j of component c (seed eq. 17):
// lv_c + exp(lv - lv_c) + (mu - m_c)^2 / exp(lv_c).
TK_HD float mixture_kl_term(float mu, float lv, float m, float lvc, float inv_var) {
  const float d = mu - m;
  return (lvc + expf(lv - lvc)) + d * d * inv_var;
}

// ---- Gamma sampling ---------------------------------------------------------------------------------

constexpr uint64_t kGammaStreamBit = uint64_t(1) << 63;
constexpr uint32_t kGammaTryBits = 11;
// Tries per sample before giving up (the acceptance rate is above 0.95 for shape >= 1, so 2048
// rejections in a row has probability below 1e-2600); the give-up value is the mode, d.
constexpr uint32_t kGammaMaxTries = 1u << kGammaTryBits;

TK_HD uint64_t gamma_stream(uint64_t sample, uint32_t attempt) {
  return kGammaStreamBit | (sample << kGammaTryBits) | uint64_t(attempt);
}

struct GammaDraw {
  float value;       // the sample (0 where it underflows float for tiny alpha)
  double log_value;  // its logarithm, finite even where value underflows (Dirichlet normalises in logs)
};

// Sample `index` of a call at (seed, offset) from Gamma(alpha, 1); alpha > 0 finite.
TK_HD GammaDraw gamma_sample(float alpha, uint64_t seed, uint64_t offset, uint64_t index) {
  const bool boost = alpha < 1.0f;
  const float a = boost ? alpha + 1.0f : alpha;
  const float d = a - 1.0f / 3.0f;
  const float c = 1.0f / sqrtf(9.0f * d);
  float boost_u = 1.0f;
  float g = d;
  for (uint32_t attempt = 0; attempt < kGammaMaxTries; ++attempt) {
    const Philox4 r = philox4x32_10(seed, offset, gamma_stream(index, attempt));
    if (attempt == 0) boost_u = 1.0f - uint_to_unit_float(r.v[3]);  // (0, 1]: log is finite
    float x, unused;
    box_muller(r.v[0], r.v[1], &x, &unused);
    const float t = 1.0f + c * x;
    if (t <= 0.0f) continue;
    const float v = t * t * t;
    const float u = uint_to_unit_float(r.v[2]);
    const float x2 = x * x;
    if (u < 1.0f - 0.0331f * (x2 * x2) || logf(u) < 0.5f * x2 + d * ((1.0f - v) + logf(v))) {
      g = d * v;
      break;
    }
  }
  GammaDraw out;
  if (!boost) {
    out.value = g;
    out.log_value = double(logf(g));
    return out;
  }
  out.log_value = double(logf(g)) + double(logf(boost_u)) / double(alpha);
  out.value = float(exp(out.log_value));
  return out;
}

// One step of an online log-sum-exp: after every l so far, sum_k exp(l_k) = exp(*mx) * *s.
TK_HD void log_sum_exp_step(double l, double* mx, double* s) {
  if (l > *mx) {
    *s = *s * exp(*mx - l) + 1.0;
    *mx = l;
  } else {
    *s += exp(l - *mx);
  }
}

// Row `row` of a Dirichlet(conc[0..K)) draw, as dirichlet_row below, keeping the K log-gammas in
// `logs` instead of drawing them twice (the CPU has the scratch; a GPU thread would spill it).
TK_HD void dirichlet_row_scratch(float* out, const float* conc, int64_t K, uint64_t seed, uint64_t offset,
                                 uint64_t row, double* logs) {
  double mx = -INFINITY, s = 0.0;
  for (int64_t k = 0; k < K; ++k) {
    const double l = gamma_sample(conc[k], seed, offset, row * uint64_t(K) + uint64_t(k)).log_value;
    logs[k] = l;
    log_sum_exp_step(l, &mx, &s);
  }
  for (int64_t k = 0; k < K; ++k) out[k] = float(exp(logs[k] - mx) / s);
}

// Row `row` of a Dirichlet(conc[0..K)) draw: gammas r K + k, normalised in log space (online max
// and rescaled sum, then a second pass that redraws the same gammas), so a row stays finite and sums
// to 1 when every gamma underflows float.
TK_HD void dirichlet_row(float* out, const float* conc, int64_t K, uint64_t seed, uint64_t offset,
                         uint64_t row) {
  double mx = -INFINITY, s = 0.0;
  for (int64_t k = 0; k < K; ++k) {
    log_sum_exp_step(gamma_sample(conc[k], seed, offset, row * uint64_t(K) + uint64_t(k)).log_value, &mx, &s);
  }
  for (int64_t k = 0; k < K; ++k) {
    const double l = gamma_sample(conc[k], seed, offset, row * uint64_t(K) + uint64_t(k)).log_value;
    out[k] = float(exp(l - mx) / s);
  }
}

}  // namespace tk::math

// Per-thread work of cuda/topic_losses.cu as __host__ __device__ functions, so that
// cuda/dev/topic_losses.cu (version 0) runs the kernels' own code on the CPU, thread by thread
// between the barriers. Per-element math: native/include/textkernels/math/topics.h.
//
// MMD: one block of kMmdThreads threads per query row (the x rows, then the y rows). The block
// walks the key rows in chunks of kMmdThreads: in phase A thread t turns key c0 + t into a kernel
// value and a gradient coefficient (stored in shared memory); in phase B thread t accumulates
// features l = t, t + kMmdThreads, ... of sum_j coef_j * key_j. Thread 0 adds the threads' loss and
// coefficient partial sums in thread order, so the result does not depend on scheduling.
//
// defines: kMmdThreads, MmdSide, MmdArgs, MmdPass, mmd_feature_elem, mmd_norm_row, mmd_passes,
// mmd_pair_phase, mmd_accumulate_phase, mmd_grad_elem, gaussian_kl_row, gaussian_kl_backward_elem,
// GmmArgs, gmm_forward_row, gmm_backward_row, gmm_backward_component_elem, gmm_backward_log_pi
#pragma once
#include <cstdint>

#include "cuda/common.cuh"
#include "textkernels/math/topics.h"

namespace tk::cuda {

constexpr int kMmdThreads = 128;

struct MmdSide {
  const float* raw;    // [rows, d] inputs
  const float* feat;   // [rows, d] diffusion features, or raw for rbf/imq
  const float* norms;  // [rows] squared norms (rbf/imq) or null
  float* grad;         // [rows, d] or null
  int64_t rows;
};

struct MmdArgs {
  MmdSide x, y;
  int64_t d;
  int kind;
  float h;
  float wxx, wyy, wxy;  // 1/(n(n-1)), 1/(m(m-1)), -2/(nm)
  double* row_loss;     // [n + m] each query row's share of the loss
};

// Feature of element i of a set: sqrt(clamp(x, 1e-6, 1)) for the diffusion kernel.
__host__ __device__ inline void mmd_feature_elem(float* feat, const float* raw, int64_t i) {
  feat[i] = math::diffusion_feature(raw[i]);
}

__host__ __device__ inline void mmd_norm_row(float* norms, const float* raw, int64_t r, int64_t d) {
  double s = 0.0;
  for (int64_t l = 0; l < d; ++l) s += double(raw[r * d + l]) * raw[r * d + l];
  norms[r] = float(s);
}

// One pass of a query row over one key set.
struct MmdPass {
  const MmdSide* keys;
  int64_t self;       // index of the query row in `keys` (left out), or -1
  float loss_weight;  // 0: the pass only feeds the gradient
  float grad_weight;
};

// The query row's side and its (at most two) passes: its own set (diagonal left out; gradient
// weight doubled because k is symmetric), then the other set (loss counted by x rows only; y rows
// visit x only when they need a gradient). Returns the number of passes.
__host__ __device__ inline int mmd_passes(const MmdArgs& a, int64_t row, const MmdSide** side, int64_t* r,
                                          MmdPass* passes) {
  const bool is_x = row < a.x.rows;
  *side = is_x ? &a.x : &a.y;
  *r = is_x ? row : row - a.x.rows;
  const float w_same = is_x ? a.wxx : a.wyy;
  passes[0] = MmdPass{*side, *r, w_same, 2.0f * w_same};
  if (is_x) {
    passes[1] = MmdPass{&a.y, -1, a.wxy, a.wxy};
    return 2;
  }
  if (a.y.grad) {
    passes[1] = MmdPass{&a.x, -1, 0.0f, a.wxy};
    return 2;
  }
  return 1;
}

// Phase A, thread t: key j = c0 + t against the query features qf (shared) with squared norm qn.
// Writes coef[t] (0 past the end or on the diagonal) and returns k (0 there too).
__host__ __device__ inline float mmd_pair_phase(const MmdArgs& a, const MmdPass& p, const float* qf, float qn,
                                                int64_t c0, int t, float* coef) {
  const int64_t j = c0 + t;
  if (j >= p.keys->rows || j == p.self) {
    coef[t] = 0.0f;
    return 0.0f;
  }
  const float* kf = p.keys->feat + j * a.d;
  float dot = 0.0f;
  for (int64_t l = 0; l < a.d; ++l) dot += qf[l] * kf[l];
  const float stat = a.kind == math::kMmdDiffusion ? dot : (qn + p.keys->norms[j]) - 2.0f * dot;
  float dk;
  const float k = math::mmd_kernel(a.kind, stat, a.h, &dk);
  coef[t] = p.grad_weight * dk;
  return k;
}

// Phase B, feature l: sum over the chunk's cnt keys of coef[jj] * key_{c0 + jj}[l].
__host__ __device__ inline float mmd_accumulate_phase(const MmdArgs& a, const MmdPass& p, int64_t c0, int cnt,
                                                      const float* coef, int64_t l) {
  float s = 0.0f;
  for (int jj = 0; jj < cnt; ++jj) s += coef[jj] * p.keys->feat[(c0 + jj) * a.d + l];
  return s;
}

// The gradient of feature l of query row r from acc[l] and the coefficient sum csum.
__host__ __device__ inline float mmd_grad_elem(const MmdArgs& a, const MmdSide& side, int64_t r, int64_t l,
                                               float acc, float csum) {
  const float raw = side.raw[r * a.d + l];
  if (a.kind == math::kMmdDiffusion) return acc * math::diffusion_feature_grad(raw, side.feat[r * a.d + l]);
  return 2.0f * (csum * raw - acc);
}

// ---- Gaussian KL ----------------------------------------------------------------------------------

__host__ __device__ inline void gaussian_kl_row(float* loss, const float* mu, const float* lv, int64_t b,
                                                int64_t J) {
  double s = 0.0;
  for (int64_t j = 0; j < J; ++j) s += math::gaussian_kl_term(mu[b * J + j], lv[b * J + j]);
  loss[b] = float(-0.5 * s);
}

__host__ __device__ inline void gaussian_kl_backward_elem(float* dmu, float* dlv, const float* dloss,
                                                          const float* mu, const float* lv, int64_t i,
                                                          int64_t J, int64_t stride, float scale) {
  const float g = dloss[(i / J) * stride] * scale;
  if (dmu) dmu[i] = g * mu[i];
  if (dlv) dlv[i] = g * (0.5f * (expf(lv[i]) - 1.0f));
}

// ---- Gaussian-mixture KL --------------------------------------------------------------------------

struct GmmArgs {
  const float *z, *mu, *lv, *means, *lvs, *log_pi;
  int64_t B, J, K;
};

// l_c = logPi_c + log N(z_b; means_c, exp(logvars_c)) in double.
__host__ __device__ inline double gmm_logit(const GmmArgs& a, int64_t b, int64_t c) {
  double s = 0.0;
  for (int64_t j = 0; j < a.J; ++j) {
    const float lvc = a.lvs[c * a.J + j];
    s += math::gaussian_log_density_term(a.z[b * a.J + j], a.means[c * a.J + j], lvc, expf(-lvc));
  }
  return double(a.log_pi[c]) + (s - double(a.J) * math::kHalfLog2Pi);
}

// A_c = 0.5 sum_j (lv_c + exp(lv - lv_c) + (mu - m_c)^2 / exp(lv_c)).
__host__ __device__ inline double gmm_cross(const GmmArgs& a, int64_t b, int64_t c) {
  double s = 0.0;
  for (int64_t j = 0; j < a.J; ++j) {
    const float lvc = a.lvs[c * a.J + j];
    s += math::mixture_kl_term(a.mu[b * a.J + j], a.lv[b * a.J + j], a.means[c * a.J + j], lvc, expf(-lvc));
  }
  return 0.5 * s;
}

// Row b: loss[b] and log_eta[b, :] (logits recomputed per pass instead of stored: no scratch).
__host__ __device__ inline void gmm_forward_row(const GmmArgs& a, float* loss, float* log_eta, int64_t b) {
  double mx = -INFINITY;
  for (int64_t c = 0; c < a.K; ++c) {
    const double l = gmm_logit(a, b, c);
    mx = l > mx ? l : mx;
  }
  double se = 0.0;
  for (int64_t c = 0; c < a.K; ++c) se += exp(gmm_logit(a, b, c) - mx);
  const double lse = mx + log(se);
  double s = 0.0, ent = 0.0;
  for (int64_t c = 0; c < a.K; ++c) {
    const double le = gmm_logit(a, b, c) - lse;
    log_eta[b * a.K + c] = float(le);
    s += exp(le) * (gmm_cross(a, b, c) - a.log_pi[c] + le);
  }
  for (int64_t j = 0; j < a.J; ++j) ent += 1.0f + a.lv[b * a.J + j];
  loss[b] = float(s - 0.5 * ent);
}

// Row b of the backward pass: dl[b, c] = g eta_c (F_c - sum eta F), ge[b, c] = g eta_c (double
// workspace), and the row's dz, dmu, dlogvar.
__host__ __device__ inline void gmm_backward_row(const GmmArgs& a, const float* log_eta, double g, double* dl,
                                                 double* ge, float* dz, float* dmu, float* dlv, int64_t b) {
  double fbar = 0.0;
  for (int64_t c = 0; c < a.K; ++c) {
    const double le = log_eta[b * a.K + c];
    const double f = gmm_cross(a, b, c) - a.log_pi[c] + le;
    dl[b * a.K + c] = f;  // F_c for now
    fbar += exp(le) * f;
  }
  for (int64_t c = 0; c < a.K; ++c) {
    const double eta = exp(double(log_eta[b * a.K + c]));
    dl[b * a.K + c] = g * eta * (dl[b * a.K + c] - fbar);
    ge[b * a.K + c] = g * eta;
  }
  for (int64_t j = 0; j < a.J; ++j) {
    const float zj = a.z[b * a.J + j], mj = a.mu[b * a.J + j], lj = a.lv[b * a.J + j];
    double sz = 0.0, sm = 0.0, sl = 0.0;
    for (int64_t c = 0; c < a.K; ++c) {
      const float lvc = a.lvs[c * a.J + j], ivc = expf(-lvc), mc = a.means[c * a.J + j];
      sz -= dl[b * a.K + c] * double((zj - mc) * ivc);
      sm += ge[b * a.K + c] * double((mj - mc) * ivc);
      sl += ge[b * a.K + c] * double(0.5f * expf(lj - lvc));
    }
    if (dz) dz[b * a.J + j] = float(sz);
    if (dmu) dmu[b * a.J + j] = float(sm);
    if (dlv) dlv[b * a.J + j] = float(sl - 0.5 * g);
  }
}

// Element i = (c, j) of dmeans / dlogvars: a sum over the batch in row order.
__host__ __device__ inline void gmm_backward_component_elem(const GmmArgs& a, const double* dl,
                                                            const double* ge, float* dmeans, float* dlvs,
                                                            int64_t i) {
  const int64_t c = i / a.J, j = i % a.J;
  const float mc = a.means[i], lc = a.lvs[i], ivc = expf(-lc);
  double sm = 0.0, sl = 0.0;
  for (int64_t b = 0; b < a.B; ++b) {
    const double dlc = dl[b * a.K + c], gec = ge[b * a.K + c];
    const float dzv = a.z[b * a.J + j] - mc, dmv = a.mu[b * a.J + j] - mc;
    sm += dlc * double(dzv * ivc) - gec * double(dmv * ivc);
    sl += -0.5 * dlc * double(1.0f - dzv * dzv * ivc) +
          0.5 * gec * double((1.0f - expf(a.lv[b * a.J + j] - lc)) - dmv * dmv * ivc);
  }
  if (dmeans) dmeans[i] = float(sm);
  if (dlvs) dlvs[i] = float(sl);
}

__host__ __device__ inline void gmm_backward_log_pi(const GmmArgs& a, const double* dl, const double* ge,
                                                    float* dlog_pi, int64_t c) {
  double s = 0.0;
  for (int64_t b = 0; b < a.B; ++b) s += dl[b * a.K + c] - ge[b * a.K + c];
  dlog_pi[c] = float(s);
}

}  // namespace tk::cuda

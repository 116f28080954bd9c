#include "kernels/topic_losses.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/gemm.h"
#include "kernels/thread_pool.h"
#include "textkernels/math/topics.h"

namespace tk {
namespace {

// A block of query rows against blocks of key rows: 64 x 512 floats (128 KB) of kernel values per
// thread, reused for the gradient coefficients.
constexpr int64_t kQueryRows = 64;
constexpr int64_t kKeyCols = 512;

struct MmdKeys {
  const float* feat;   // [rows, d] features (diffusion: sqrt of clipped inputs; otherwise raw)
  const float* norms;  // [rows] squared norms (rbf/imq) or null
  int64_t rows;
  int64_t self_first;  // global index of query row 0 within this set, or -1 if another set
  float loss_weight;   // multiplies sum_j k into the row's loss share
  float grad_weight;   // multiplies dk/dq into the gradient coefficient
};

struct MmdQuery {
  const float* feat;   // [rows, d]
  const float* norms;  // [rows] or null
  int64_t rows, d;
  int kind;
  float h;
  bool want_grad;
  float* tile;   // [kQueryRows, kKeyCols]
  float* acc;    // [rows, d] sum_j coef_j * key_j
  double* csum;  // [rows] sum_j coef_j
  double* loss;  // [rows] each row's share of the loss
};

// One row of a tile, scalar: the same contract as isa::mmd_row_avx2 (topic_losses.h).
template <int kKind>
double mmd_row_scalar(float* t, int64_t nc, float h, float grad_weight, int64_t self, float qn,
                      const float* kn, double* csum) {
  double ksum = 0.0, cs = 0.0;
  for (int64_t j = 0; j < nc; ++j) {
    float stat = t[j];
    if (kKind != math::kMmdDiffusion) stat = (qn + kn[j]) - 2.0f * stat;
    float dk;
    const float kv = math::mmd_kernel(kKind, stat, h, &dk);
    if (j == self) {
      t[j] = 0.0f;
      continue;
    }
    ksum += kv;
    t[j] = grad_weight * dk;
    cs += t[j];
  }
  *csum += cs;
  return ksum;
}

template <int kKind>
void mmd_against_kind(const MmdQuery& q, const MmdKeys& k) {
  const int64_t d = q.d;
  const bool avx2 = simd_level() >= SimdLevel::kAvx2;
  for (int64_t c0 = 0; c0 < k.rows; c0 += kKeyCols) {
    const int64_t nc = std::min(kKeyCols, k.rows - c0);
    const float* kf = k.feat + c0 * d;
    sgemm_cpu(false, true, q.rows, nc, d, 1.0f, q.feat, d, kf, d, 0.0f, q.tile, nc);
    for (int64_t r = 0; r < q.rows; ++r) {
      float* t = q.tile + r * nc;
      const int64_t self = k.self_first >= 0 ? k.self_first + r - c0 : -1;  // column of the diagonal
      const float qn = q.norms ? q.norms[r] : 0.0f;
      const float* kn = k.norms ? k.norms + c0 : nullptr;
      const double ksum = avx2 ? isa::mmd_row_avx2(t, nc, kKind, q.h, k.grad_weight, self, qn, kn, &q.csum[r])
                               : mmd_row_scalar<kKind>(t, nc, q.h, k.grad_weight, self, qn, kn, &q.csum[r]);
      q.loss[r] += double(k.loss_weight) * ksum;
    }
    if (q.want_grad) sgemm_cpu(false, false, q.rows, d, nc, 1.0f, q.tile, nc, kf, d, 1.0f, q.acc, d);
  }
}

// The kernel is a template argument so that the per-pair loop has no branch on it.
void mmd_against(const MmdQuery& q, const MmdKeys& k) {
  if (q.kind == math::kMmdDiffusion) return mmd_against_kind<math::kMmdDiffusion>(q, k);
  if (q.kind == math::kMmdRbf) return mmd_against_kind<math::kMmdRbf>(q, k);
  return mmd_against_kind<math::kMmdImq>(q, k);
}

void row_sq_norms(float* out, const float* a, int64_t rows, int64_t d) {
  parallel_for(rows, std::max<int64_t>(1, 65536 / std::max<int64_t>(d, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      double s = 0.0;
      for (int64_t l = 0; l < d; ++l) s += double(a[r * d + l]) * a[r * d + l];
      out[r] = float(s);
    }
  });
}

}  // namespace

double mmd_forward_cpu(float* gx, float* gy, const float* x, const float* y, int64_t n, int64_t m, int64_t d,
                       int kind, float bandwidth) {
  const bool diffusion = kind == math::kMmdDiffusion;
  std::vector<float> fx_buf, fy_buf, nx, ny;
  const float* fx = x;
  const float* fy = y;
  if (diffusion) {
    fx_buf.resize(static_cast<size_t>(n * d));
    fy_buf.resize(static_cast<size_t>(m * d));
    parallel_for(n * d, 1 << 15, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) fx_buf[size_t(i)] = math::diffusion_feature(x[i]);
    });
    parallel_for(m * d, 1 << 15, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) fy_buf[size_t(i)] = math::diffusion_feature(y[i]);
    });
    fx = fx_buf.data();
    fy = fy_buf.data();
  } else {
    nx.resize(static_cast<size_t>(n));
    ny.resize(static_cast<size_t>(m));
    row_sq_norms(nx.data(), x, n, d);
    row_sq_norms(ny.data(), y, m, d);
  }
  const float* nxp = diffusion ? nullptr : nx.data();
  const float* nyp = diffusion ? nullptr : ny.data();
  const double dn = double(n), dm = double(m);
  const float wxx = float(1.0 / (dn * (dn - 1.0))), wyy = float(1.0 / (dm * (dm - 1.0)));
  const float wxy = float(-2.0 / (dn * dm));
  std::vector<double> row_loss(size_t(n + m), 0.0);
  const int64_t nbx = (n + kQueryRows - 1) / kQueryRows, nby = (m + kQueryRows - 1) / kQueryRows;

  parallel_for(nbx + nby, 1, [&](int64_t b0, int64_t b1) {
    std::vector<float> tile(static_cast<size_t>(kQueryRows * kKeyCols)),
        acc(static_cast<size_t>(kQueryRows * d));
    std::vector<double> csum(static_cast<size_t>(kQueryRows));
    for (int64_t b = b0; b < b1; ++b) {
      const bool is_x = b < nbx;
      const int64_t r0 = (is_x ? b : b - nbx) * kQueryRows;
      const int64_t total = is_x ? n : m;
      const int64_t rows = std::min(kQueryRows, total - r0);
      float* g = is_x ? gx : gy;
      const float* self_feat = is_x ? fx : fy;
      const float* self_norms = is_x ? nxp : nyp;
      MmdQuery q;
      q.feat = self_feat + r0 * d;
      q.norms = self_norms ? self_norms + r0 : nullptr;
      q.rows = rows;
      q.d = d;
      q.kind = kind;
      q.h = bandwidth;
      q.want_grad = g != nullptr;
      q.tile = tile.data();
      q.acc = acc.data();
      q.csum = csum.data();
      q.loss = row_loss.data() + (is_x ? 0 : n) + r0;
      std::fill(acc.begin(), acc.end(), 0.0f);
      std::fill(csum.begin(), csum.end(), 0.0);
      // Same set: the diagonal is left out; the factor 2 in the gradient weight is k(a, b) = k(b, a)
      // (row i appears as both arguments of the sum over i != j).
      const float w_same = is_x ? wxx : wyy;
      mmd_against(q, MmdKeys{self_feat, self_norms, total, r0, w_same, 2.0f * w_same});
      // Cross term: its loss is counted once, by the x rows; y rows visit x only for their gradient.
      if (is_x) {
        mmd_against(q, MmdKeys{fy, nyp, m, -1, wxy, wxy});
      } else if (q.want_grad) {
        mmd_against(q, MmdKeys{fx, nxp, n, -1, 0.0f, wxy});
      }
      if (!q.want_grad) continue;
      const float* raw = (is_x ? x : y) + r0 * d;
      float* gr = g + r0 * d;
      for (int64_t r = 0; r < rows; ++r) {
        if (diffusion) {
          for (int64_t l = 0; l < d; ++l)
            gr[r * d + l] =
                acc[size_t(r * d + l)] * math::diffusion_feature_grad(raw[r * d + l], q.feat[r * d + l]);
        } else {
          // d q / d a = 2 (a - b): sum_j coef_j * 2 (a - b_j) = 2 (csum * a - acc)
          const float cs = float(csum[size_t(r)]);
          for (int64_t l = 0; l < d; ++l)
            gr[r * d + l] = 2.0f * (cs * raw[r * d + l] - acc[size_t(r * d + l)]);
        }
      }
    }
  });
  double loss = 0.0;
  for (double v : row_loss) loss += v;
  return loss;
}

// ---- Gaussian KL --------------------------------------------------------------------------------------

void gaussian_kl_forward_cpu(float* loss, const float* mu, const float* logvar, int64_t B, int64_t J) {
  parallel_for(B, std::max<int64_t>(1, 16384 / std::max<int64_t>(J, 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      double s = 0.0;
      for (int64_t j = 0; j < J; ++j) s += math::gaussian_kl_term(mu[b * J + j], logvar[b * J + j]);
      loss[b] = float(-0.5 * s);
    }
  });
}

void gaussian_kl_backward_cpu(float* dmu, float* dlogvar, const float* dloss, const float* mu,
                              const float* logvar, int64_t B, int64_t J, int64_t dloss_stride, float scale) {
  parallel_for(B, std::max<int64_t>(1, 16384 / std::max<int64_t>(J, 1)), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const float g = dloss[b * dloss_stride] * scale;
      for (int64_t j = 0; j < J; ++j) {
        const int64_t i = b * J + j;
        // d/dmu -0.5 (.. - mu^2 ..) = mu; d/dlv -0.5 (1 + lv - .. - exp(lv)) = 0.5 (exp(lv) - 1)
        if (dmu) dmu[i] = g * mu[i];
        if (dlogvar) dlogvar[i] = g * (0.5f * (expf(logvar[i]) - 1.0f));
      }
    }
  });
}

// ---- Gaussian-mixture KL ------------------------------------------------------------------------------

namespace {

// Per-row pieces shared by the forward and backward passes.
struct MixtureRow {
  const float* z;
  const float* mu;
  const float* lv;
  const float* means;
  const float* logvars;
  const float* inv_var;  // [K, J] exp(-logvars)
  int64_t J, K;

  // log N(z; means_c, exp(logvars_c)) for every c into out[K] (double).
  void log_density(double* out) const {
    for (int64_t c = 0; c < K; ++c) {
      double s = 0.0;
      for (int64_t j = 0; j < J; ++j)
        s += math::gaussian_log_density_term(z[j], means[c * J + j], logvars[c * J + j], inv_var[c * J + j]);
      out[c] = s - double(J) * math::kHalfLog2Pi;
    }
  }
  // A_c = 0.5 sum_j mixture_kl_term for every c into out[K].
  void cross_terms(double* out) const {
    for (int64_t c = 0; c < K; ++c) {
      double s = 0.0;
      for (int64_t j = 0; j < J; ++j)
        s += math::mixture_kl_term(mu[j], lv[j], means[c * J + j], logvars[c * J + j], inv_var[c * J + j]);
      out[c] = 0.5 * s;
    }
  }
  double entropy_term() const {  // 0.5 sum_j (1 + lv_j)
    double s = 0.0;
    for (int64_t j = 0; j < J; ++j) s += 1.0f + lv[j];
    return 0.5 * s;
  }
};

std::vector<float> inverse_variances(const float* logvars, int64_t n) {
  std::vector<float> iv(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) iv[size_t(i)] = expf(-logvars[i]);
  return iv;
}

int64_t row_grain(int64_t J, int64_t K) { return std::max<int64_t>(1, 8192 / std::max<int64_t>(J * K, 1)); }

}  // namespace

void gaussian_mixture_kl_forward_cpu(float* loss, float* log_eta, const float* z, const float* mu,
                                     const float* logvar, const float* means, const float* logvars,
                                     const float* log_pi, int64_t B, int64_t J, int64_t K) {
  const std::vector<float> iv = inverse_variances(logvars, K * J);
  parallel_for(B, row_grain(J, K), [&](int64_t b0, int64_t b1) {
    std::vector<double> l(static_cast<size_t>(K)), A(static_cast<size_t>(K));
    for (int64_t b = b0; b < b1; ++b) {
      MixtureRow row{z + b * J, mu + b * J, logvar + b * J, means, logvars, iv.data(), J, K};
      row.log_density(l.data());
      double mx = -INFINITY;
      for (int64_t c = 0; c < K; ++c) {
        l[size_t(c)] += log_pi[c];
        mx = std::max(mx, l[size_t(c)]);
      }
      double se = 0.0;
      for (int64_t c = 0; c < K; ++c) se += std::exp(l[size_t(c)] - mx);
      const double lse = mx + std::log(se);
      row.cross_terms(A.data());
      double s = 0.0;
      for (int64_t c = 0; c < K; ++c) {
        const double le = l[size_t(c)] - lse;
        log_eta[b * K + c] = float(le);
        s += std::exp(le) * (A[size_t(c)] - log_pi[c] + le);
      }
      loss[b] = float(s - row.entropy_term());
    }
  });
}

void gaussian_mixture_kl_backward_cpu(float* dz, float* dmu, float* dlogvar, float* dmeans, float* dlogvars,
                                      float* dlog_pi, const float* dloss, const float* z, const float* mu,
                                      const float* logvar, const float* means, const float* logvars,
                                      const float* log_pi, const float* log_eta, int64_t B, int64_t J,
                                      int64_t K, int64_t dloss_stride, float scale) {
  const std::vector<float> iv = inverse_variances(logvars, K * J);
  // Per row: dl[c] = g eta_c (F_c - sum_c' eta_c' F_c') with F_c = A_c - logPi_c + log eta_c (the
  // gradient of the responsibilities' logits), and ge[c] = g eta_c.
  std::vector<double> dl(static_cast<size_t>(B * K)), ge(static_cast<size_t>(B * K));
  parallel_for(B, row_grain(J, K), [&](int64_t b0, int64_t b1) {
    std::vector<double> A(static_cast<size_t>(K));
    for (int64_t b = b0; b < b1; ++b) {
      const double g = double(dloss[b * dloss_stride]) * scale;
      MixtureRow row{z + b * J, mu + b * J, logvar + b * J, means, logvars, iv.data(), J, K};
      row.cross_terms(A.data());
      double fbar = 0.0;
      for (int64_t c = 0; c < K; ++c) {
        const double eta = std::exp(double(log_eta[b * K + c]));
        A[size_t(c)] = A[size_t(c)] - log_pi[c] + log_eta[b * K + c];  // F_c
        fbar += eta * A[size_t(c)];
      }
      for (int64_t c = 0; c < K; ++c) {
        const double eta = std::exp(double(log_eta[b * K + c]));
        dl[size_t(b * K + c)] = g * eta * (A[size_t(c)] - fbar);
        ge[size_t(b * K + c)] = g * eta;
      }
      const double* dlr = dl.data() + b * K;
      const double* ger = ge.data() + b * K;
      for (int64_t j = 0; j < J; ++j) {
        const float zj = z[b * J + j], mj = mu[b * J + j], lj = logvar[b * J + j];
        double sz = 0.0, sm = 0.0, sl = 0.0;
        for (int64_t c = 0; c < K; ++c) {
          const float ivc = iv[size_t(c * J + j)], mc = means[c * J + j];
          sz -= dlr[c] * double((zj - mc) * ivc);
          sm += ger[c] * double((mj - mc) * ivc);
          sl += ger[c] * double(0.5f * expf(lj - logvars[c * J + j]));
        }
        if (dz) dz[b * J + j] = float(sz);
        if (dmu) dmu[b * J + j] = float(sm);
        if (dlogvar) dlogvar[b * J + j] = float(sl - 0.5 * g);
      }
    }
  });
  // Component parameters: sums over the batch in row order, one (c, j) per work item.
  if (dmeans || dlogvars) {
    parallel_for(K * J, std::max<int64_t>(1, 4096 / std::max<int64_t>(B, 1)), [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t c = i / J, j = i % J;
        const float mc = means[i], lc = logvars[i], ivc = iv[size_t(i)];
        double sm = 0.0, sl = 0.0;
        for (int64_t b = 0; b < B; ++b) {
          const double dlc = dl[size_t(b * K + c)], gec = ge[size_t(b * K + c)];
          const float dzv = z[b * J + j] - mc, dmv = mu[b * J + j] - mc;
          sm += dlc * double(dzv * ivc) - gec * double(dmv * ivc);
          sl += -0.5 * dlc * double(1.0f - dzv * dzv * ivc) +
                0.5 * gec * double((1.0f - expf(logvar[b * J + j] - lc)) - dmv * dmv * ivc);
        }
        if (dmeans) dmeans[i] = float(sm);
        if (dlogvars) dlogvars[i] = float(sl);
      }
    });
  }
  if (dlog_pi) {
    for (int64_t c = 0; c < K; ++c) {
      double s = 0.0;
      for (int64_t b = 0; b < B; ++b) s += dl[size_t(b * K + c)] - ge[size_t(b * K + c)];
      dlog_pi[c] = float(s);
    }
  }
}

// ---- sampling -----------------------------------------------------------------------------------------

void gamma_sample_cpu(float* out, int64_t n, float alpha, uint64_t seed, uint64_t offset) {
  parallel_for(n, 1024, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) out[i] = math::gamma_sample(alpha, seed, offset, uint64_t(i)).value;
  });
}

void dirichlet_sample_cpu(float* out, const float* concentration, int64_t num_samples, int64_t K,
                          uint64_t seed, uint64_t offset) {
  parallel_for(num_samples, std::max<int64_t>(1, 512 / std::max<int64_t>(K, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      math::dirichlet_row(out + r * K, concentration, K, seed, offset, uint64_t(r));
  });
}

}  // namespace tk

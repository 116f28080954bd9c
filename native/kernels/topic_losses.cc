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

// Rows of x and y together are cut into blocks of kBlockRows (x blocks first). Every unordered pair
// of blocks {A, B} (A <= B) is one tile: its kernel values are computed once (128 x 128 floats per
// thread) and feed both blocks' gradients, which halves the work of visiting every (row, key) pair
// from both sides. Tiles run in waves in which no block appears twice (first every diagonal tile,
// then the rounds of a round-robin tournament), so the tiles of a wave can run in parallel without
// sharing an output row, and each row's sums are accumulated in wave order whatever the thread
// count.
constexpr int64_t kBlockRows = 128;

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

double mmd_row(float* t, int64_t nc, int kind, float h, float grad_weight, int64_t self, float qn,
               const float* kn, double* csum) {
  if (simd_level() >= SimdLevel::kAvx2)
    return isa::mmd_row_avx2(t, nc, kind, h, grad_weight, self, qn, kn, csum);
  if (kind == math::kMmdDiffusion)
    return mmd_row_scalar<math::kMmdDiffusion>(t, nc, h, grad_weight, self, qn, kn, csum);
  if (kind == math::kMmdRbf) return mmd_row_scalar<math::kMmdRbf>(t, nc, h, grad_weight, self, qn, kn, csum);
  return mmd_row_scalar<math::kMmdImq>(t, nc, h, grad_weight, self, qn, kn, csum);
}

struct MmdBlock {
  bool is_x;
  int64_t r0;     // first row within its set
  int64_t rows;   // <= kBlockRows
  int64_t first;  // first row in the union (x rows, then y rows)
};

struct MmdPlan {
  const float* feat[2];   // x, y features (diffusion: sqrt of clipped inputs; otherwise raw)
  const float* norms[2];  // squared norms (rbf/imq) or null
  bool grad[2];           // whether that set's gradient is wanted
  int64_t d;
  int kind;
  float h, wxx, wyy, wxy;
  std::vector<MmdBlock> blocks;
  float* acc;          // [n + m, d] sum_j coef_j * key_j, or null without gradients
  double* csum;        // [n + m] sum_j coef_j
  double* block_loss;  // [blocks] each block's share of the loss
};

void row_sq_norms(float* out, const float* a, int64_t rows, int64_t d) {
  parallel_for(rows, std::max<int64_t>(1, 65536 / std::max<int64_t>(d, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      double s = 0.0;
      for (int64_t l = 0; l < d; ++l) s += double(a[r * d + l]) * a[r * d + l];
      out[r] = float(s);
    }
  });
}

// Tile {A, B} (A <= B, so a cross tile has A in x and B in y). t: kBlockRows^2 floats.
void mmd_tile(const MmdPlan& p, int64_t ia, int64_t ib, float* t) {
  const MmdBlock& a = p.blocks[size_t(ia)];
  const MmdBlock& b = p.blocks[size_t(ib)];
  const int sa = a.is_x ? 0 : 1, sb = b.is_x ? 0 : 1;
  const int64_t d = p.d;
  const float* fa = p.feat[sa] + a.r0 * d;
  const float* fb = p.feat[sb] + b.r0 * d;
  const bool same = sa == sb, diag = ia == ib;
  const float w = same ? (a.is_x ? p.wxx : p.wyy) : p.wxy;
  // Within a set, the sum over i != j has both (i, j) and (j, i): the gradient weight doubles, and an
  // off-diagonal tile, which holds only one of each pair, counts twice in the loss.
  const float grad_w = same ? 2.0f * w : w;
  const double loss_w = (same && !diag) ? 2.0 * double(w) : double(w);
  const bool want_a = p.grad[sa], want_b = !diag && p.grad[sb];
  sgemm_cpu(false, true, a.rows, b.rows, d, 1.0f, fa, d, fb, d, 0.0f, t, b.rows);
  double ksum = 0.0;
  const float* kn = p.norms[sb] ? p.norms[sb] + b.r0 : nullptr;
  for (int64_t r = 0; r < a.rows; ++r) {
    const float qn = p.norms[sa] ? p.norms[sa][a.r0 + r] : 0.0f;
    ksum += mmd_row(t + r * b.rows, b.rows, p.kind, p.h, grad_w, diag ? r : -1, qn, kn, &p.csum[a.first + r]);
  }
  p.block_loss[ia] += loss_w * ksum;
  if (!p.acc) return;
  if (want_b && p.kind != math::kMmdDiffusion) {
    for (int64_t j = 0; j < b.rows; ++j) {
      double s = 0.0;
      for (int64_t r = 0; r < a.rows; ++r) s += t[r * b.rows + j];
      p.csum[b.first + j] += s;
    }
  }
  if (want_a)
    sgemm_cpu(false, false, a.rows, d, b.rows, 1.0f, t, b.rows, fb, d, 1.0f, p.acc + a.first * d, d);
  if (want_b) sgemm_cpu(true, false, b.rows, d, a.rows, 1.0f, t, b.rows, fa, d, 1.0f, p.acc + b.first * d, d);
}

}  // namespace

double mmd_forward_cpu(float* gx, float* gy, const float* x, const float* y, int64_t n, int64_t m, int64_t d,
                       int kind, float bandwidth) {
  const bool diffusion = kind == math::kMmdDiffusion;
  std::vector<float> fx_buf, fy_buf, nx, ny;
  MmdPlan p;
  p.feat[0] = x;
  p.feat[1] = y;
  p.norms[0] = p.norms[1] = nullptr;
  if (diffusion) {
    fx_buf.resize(static_cast<size_t>(n * d));
    fy_buf.resize(static_cast<size_t>(m * d));
    parallel_for(n * d, 1 << 15, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) fx_buf[size_t(i)] = math::diffusion_feature(x[i]);
    });
    parallel_for(m * d, 1 << 15, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) fy_buf[size_t(i)] = math::diffusion_feature(y[i]);
    });
    p.feat[0] = fx_buf.data();
    p.feat[1] = fy_buf.data();
  } else {
    nx.resize(static_cast<size_t>(n));
    ny.resize(static_cast<size_t>(m));
    row_sq_norms(nx.data(), x, n, d);
    row_sq_norms(ny.data(), y, m, d);
    p.norms[0] = nx.data();
    p.norms[1] = ny.data();
  }
  p.grad[0] = gx != nullptr;
  p.grad[1] = gy != nullptr;
  p.d = d;
  p.kind = kind;
  p.h = bandwidth;
  const double dn = double(n), dm = double(m);
  p.wxx = float(1.0 / (dn * (dn - 1.0)));
  p.wyy = float(1.0 / (dm * (dm - 1.0)));
  p.wxy = float(-2.0 / (dn * dm));
  for (int set = 0; set < 2; ++set) {
    const int64_t total = set == 0 ? n : m;
    for (int64_t r0 = 0; r0 < total; r0 += kBlockRows)
      p.blocks.push_back(MmdBlock{set == 0, r0, std::min(kBlockRows, total - r0), (set == 0 ? 0 : n) + r0});
  }
  const int64_t nb = int64_t(p.blocks.size());
  std::vector<float> acc;
  std::vector<double> csum(static_cast<size_t>(n + m), 0.0), block_loss(static_cast<size_t>(nb), 0.0);
  if (gx || gy) acc.assign(static_cast<size_t>((n + m) * d), 0.0f);
  p.acc = acc.empty() ? nullptr : acc.data();
  p.csum = csum.data();
  p.block_loss = block_loss.data();

  // Wave 0: the diagonal tiles. Then round r of the circle method over N (even) players: N - 1 is
  // fixed and meets r; the others pair as (r + k, r - k) mod N - 1. A player numbered nb (when nb
  // is odd) is a bye.
  parallel_for(nb, 1, [&](int64_t b0, int64_t b1) {
    std::vector<float> t(static_cast<size_t>(kBlockRows * kBlockRows));
    for (int64_t b = b0; b < b1; ++b) mmd_tile(p, b, b, t.data());
  });
  const int64_t N = nb + (nb & 1);
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t r = 0; r + 1 < N; ++r) {
    pairs.clear();
    for (int64_t k = 0; k < N / 2; ++k) {
      const int64_t u = k == 0 ? N - 1 : (r + k) % (N - 1);
      const int64_t v = k == 0 ? r : (r - k + (N - 1)) % (N - 1);
      if (u < nb && v < nb) pairs.emplace_back(std::min(u, v), std::max(u, v));
    }
    parallel_for(int64_t(pairs.size()), 1, [&](int64_t i0, int64_t i1) {
      std::vector<float> t(static_cast<size_t>(kBlockRows * kBlockRows));
      for (int64_t i = i0; i < i1; ++i)
        mmd_tile(p, pairs[size_t(i)].first, pairs[size_t(i)].second, t.data());
    });
  }

  for (int set = 0; set < 2; ++set) {
    float* g = set == 0 ? gx : gy;
    if (!g) continue;
    const int64_t rows = set == 0 ? n : m, first = set == 0 ? 0 : n;
    const float* raw = set == 0 ? x : y;
    const float* feat = p.feat[set];
    parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(d, 1)), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float* a = acc.data() + (first + r) * d;
        if (diffusion) {
          for (int64_t l = 0; l < d; ++l)
            g[r * d + l] = a[l] * math::diffusion_feature_grad(raw[r * d + l], feat[r * d + l]);
        } else {
          // d q / d a = 2 (a - b): sum_j coef_j * 2 (a - b_j) = 2 (csum * a - acc)
          const float cs = float(csum[size_t(first + r)]);
          for (int64_t l = 0; l < d; ++l) g[r * d + l] = 2.0f * (cs * raw[r * d + l] - a[l]);
        }
      }
    });
  }
  double loss = 0.0;
  for (double v : block_loss) loss += v;
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
    std::vector<double> logs(size_t(std::max<int64_t>(K, 1)));
    for (int64_t r = r0; r < r1; ++r)
      math::dirichlet_row_scratch(out + r * K, concentration, K, seed, offset, uint64_t(r), logs.data());
  });
}

}  // namespace tk

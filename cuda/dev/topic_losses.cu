/*
Topic-model losses and samplers (cuda/topic_losses.h): MMD (diffusion, rbf, imq) with gradients,
the Gaussian KL and the Gaussian-mixture KL forward and backward, Gamma and Dirichlet sampling.

Compile (scripts/compile-cuda.sh builds every harness into build-cuda/compile-check/):
nvcc -O3 --fmad=false -std=c++17 -I. -Inative/include -Inative -arch=sm_80 \
    cuda/dev/topic_losses.cu cuda/topic_losses.cu -o dev_topic_losses

version 0 runs the kernels' per-thread code (cuda/topic_losses.cuh, math/topics.h) on the CPU,
thread by thread between the barriers, and checks it against references written here
independently in double precision: a pairwise MMD with its analytic gradient, the Gaussian KL
formula, the mixture KL (whose gradients are checked against central differences of the double
forward), and for the samplers the moments of Gamma and Dirichlet draws and the per-sample stream
layout (a shorter draw is a prefix of a longer one). No GPU needed.
./dev_topic_losses 0
version 1 runs the launchers on the GPU and checks them against version 0's outputs, then times
the MMD forward + gradient at n = m = 1000, d = 50.
./dev_topic_losses 1
*/
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cuda/dev/dev_common.cuh"
#include "cuda/topic_losses.cuh"
#include "cuda/topic_losses.h"

using namespace tk;

// ---- independent references (double) -----------------------------------------------------------------

struct MmdResult {
  double loss;
  std::vector<float> gx, gy;
};

MmdResult mmd_reference(const std::vector<float>& x, const std::vector<float>& y, int64_t n, int64_t m,
                        int64_t d, int kind, double h) {
  auto feat = [&](float v) {
    return kind == 0 ? std::sqrt(std::fmin(std::fmax(double(v), double(1e-6f)), 1.0)) : double(v);
  };
  auto dfeat = [&](float v) { return (v >= 1e-6f && v <= 1.0f) ? 0.5 / feat(v) : 0.0; };
  std::vector<double> gx(static_cast<size_t>(n * d)), gy(static_cast<size_t>(m * d));
  double loss = 0.0;
  auto pair = [&](const std::vector<float>& A, int64_t i, std::vector<double>& ga,
                  const std::vector<float>& B, int64_t j, std::vector<double>& gb, double w) {
    double q = 0.0;
    for (int64_t l = 0; l < d; ++l) {
      const double u = feat(A[size_t(i * d + l)]), v = feat(B[size_t(j * d + l)]);
      q += kind == 0 ? u * v : (u - v) * (u - v);
    }
    double k, dk;
    if (kind == 0) {
      const double c = std::fmin(std::fmax(q, 0.0), 1.0), a = std::acos(c);
      k = std::exp(-a * a / h);
      dk = (q >= 0 && q <= 1) ? k * 2.0 * (a < 1e-6 ? 1.0 : a / std::sin(a)) / h : 0.0;
    } else if (kind == 1) {
      k = std::exp(-q / (2 * h * h));
      dk = -k / (2 * h * h);
    } else {
      k = h / (h + q);
      dk = -h / ((h + q) * (h + q));
    }
    loss += w * k;
    for (int64_t l = 0; l < d; ++l) {
      const float a = A[size_t(i * d + l)], b = B[size_t(j * d + l)];
      if (kind == 0) {
        ga[size_t(i * d + l)] += w * dk * feat(b) * dfeat(a);
        gb[size_t(j * d + l)] += w * dk * feat(a) * dfeat(b);
      } else {
        ga[size_t(i * d + l)] += w * dk * 2.0 * (double(a) - b);
        gb[size_t(j * d + l)] -= w * dk * 2.0 * (double(a) - b);
      }
    }
  };
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      if (i != j) pair(x, i, gx, x, j, gx, 1.0 / double(n * (n - 1)));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < m; ++j)
      if (i != j) pair(y, i, gy, y, j, gy, 1.0 / double(m * (m - 1)));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) pair(x, i, gx, y, j, gy, -2.0 / double(n * m));
  return {loss, std::vector<float>(gx.begin(), gx.end()), std::vector<float>(gy.begin(), gy.end())};
}

double gmm_reference_row(const float* z, const float* mu, const float* lv, const std::vector<double>& means,
                         const std::vector<double>& lvs, const std::vector<double>& lp, int64_t J,
                         int64_t K) {
  std::vector<double> l(static_cast<size_t>(K));
  double mx = -INFINITY;
  for (int64_t c = 0; c < K; ++c) {
    double s = 0;
    for (int64_t j = 0; j < J; ++j) {
      const double dz = z[j] - means[size_t(c * J + j)];
      s += -0.5 * (std::log(2 * M_PI) + lvs[size_t(c * J + j)] + dz * dz / std::exp(lvs[size_t(c * J + j)]));
    }
    l[size_t(c)] = lp[size_t(c)] + s;
    mx = std::fmax(mx, l[size_t(c)]);
  }
  double se = 0;
  for (double v : l) se += std::exp(v - mx);
  double loss = 0, ent = 0;
  for (int64_t c = 0; c < K; ++c) {
    const double le = l[size_t(c)] - mx - std::log(se);
    double a = 0;
    for (int64_t j = 0; j < J; ++j) {
      const double lc = lvs[size_t(c * J + j)], dm = mu[j] - means[size_t(c * J + j)];
      a += lc + std::exp(lv[j] - lc) + dm * dm / std::exp(lc);
    }
    loss += std::exp(le) * (0.5 * a - lp[size_t(c)] + le);
  }
  for (int64_t j = 0; j < J; ++j) ent += 1 + lv[j];
  return loss - 0.5 * ent;
}

// ---- version 0: the kernels' per-thread code on the host ---------------------------------------------

// mmd_rows_kernel for one row, threads in turn between the barriers.
void mmd_row_emulated(const cuda::MmdArgs& a, int64_t row) {
  using cuda::kMmdThreads;
  const cuda::MmdSide* side;
  int64_t r;
  cuda::MmdPass passes[2];
  const int npass = cuda::mmd_passes(a, row, &side, &r, passes);
  std::vector<float> qf(static_cast<size_t>(a.d)), acc(size_t(a.d), 0.0f), coef(kMmdThreads);
  for (int64_t l = 0; l < a.d; ++l) qf[size_t(l)] = side->feat[r * a.d + l];
  const float qn = side->norms ? side->norms[r] : 0.0f;
  std::vector<double> loss(kMmdThreads, 0.0), csum(kMmdThreads, 0.0);
  for (int p = 0; p < npass; ++p) {
    std::vector<double> ksum(kMmdThreads, 0.0);
    for (int64_t c0 = 0; c0 < passes[p].keys->rows; c0 += kMmdThreads) {
      for (int t = 0; t < kMmdThreads; ++t) {
        ksum[size_t(t)] += cuda::mmd_pair_phase(a, passes[p], qf.data(), qn, c0, t, coef.data());
        csum[size_t(t)] += coef[size_t(t)];
      }
      if (side->grad) {
        const int64_t left = passes[p].keys->rows - c0;
        const int cnt = int(left < kMmdThreads ? left : kMmdThreads);
        for (int64_t l = 0; l < a.d; ++l)
          acc[size_t(l)] += cuda::mmd_accumulate_phase(a, passes[p], c0, cnt, coef.data(), l);
      }
    }
    for (int t = 0; t < kMmdThreads; ++t) loss[size_t(t)] += double(passes[p].loss_weight) * ksum[size_t(t)];
  }
  double sk = 0.0, sc = 0.0;
  for (int t = 0; t < kMmdThreads; ++t) {
    sk += loss[size_t(t)];
    sc += csum[size_t(t)];
  }
  a.row_loss[row] = sk;
  if (side->grad)
    for (int64_t l = 0; l < a.d; ++l)
      side->grad[r * a.d + l] = cuda::mmd_grad_elem(a, *side, r, l, acc[size_t(l)], float(sc));
}

MmdResult mmd_run(int version, const std::vector<float>& x, const std::vector<float>& y, int64_t n, int64_t m,
                  int64_t d, int kind, float h, bool want_gx, bool want_gy) {
  MmdResult res{0.0, std::vector<float>(size_t(n * d)), std::vector<float>(size_t(m * d))};
  if (version == 0) {
    std::vector<float> feat(static_cast<size_t>((n + m) * d)), norms(static_cast<size_t>(n + m));
    std::vector<double> row_loss(static_cast<size_t>(n + m));
    cuda::MmdArgs a;
    a.d = d;
    a.kind = kind;
    a.h = h;
    a.wxx = float(1.0 / (double(n) * (n - 1)));
    a.wyy = float(1.0 / (double(m) * (m - 1)));
    a.wxy = float(-2.0 / (double(n) * m));
    a.row_loss = row_loss.data();
    a.x = cuda::MmdSide{x.data(), x.data(), nullptr, want_gx ? res.gx.data() : nullptr, n};
    a.y = cuda::MmdSide{y.data(), y.data(), nullptr, want_gy ? res.gy.data() : nullptr, m};
    if (kind == 0) {
      for (int64_t i = 0; i < n * d; ++i) cuda::mmd_feature_elem(feat.data(), x.data(), i);
      for (int64_t i = 0; i < m * d; ++i) cuda::mmd_feature_elem(feat.data() + n * d, y.data(), i);
      a.x.feat = feat.data();
      a.y.feat = feat.data() + n * d;
    } else {
      for (int64_t r = 0; r < n; ++r) cuda::mmd_norm_row(norms.data(), x.data(), r, d);
      for (int64_t r = 0; r < m; ++r) cuda::mmd_norm_row(norms.data() + n, y.data(), r, d);
      a.x.norms = norms.data();
      a.y.norms = norms.data() + n;
    }
    for (int64_t row = 0; row < n + m; ++row) mmd_row_emulated(a, row);
    for (double v : row_loss) res.loss += v;
    return res;
  }
  float* dx = dev::to_device(x);
  float* dy = dev::to_device(y);
  float* dgx = nullptr;
  float* dgy = nullptr;
  if (want_gx) cudaCheck(cudaMalloc(&dgx, res.gx.size() * sizeof(float)));
  if (want_gy) cudaCheck(cudaMalloc(&dgy, res.gy.size() * sizeof(float)));
  double* dloss = nullptr;
  void* ws = nullptr;
  cudaCheck(cudaMalloc(&dloss, sizeof(double)));
  cudaCheck(cudaMalloc(&ws, mmd_cuda_workspace_bytes(n, m, d)));
  mmd_forward_cuda(dloss, dgx, dgy, dx, dy, n, m, d, kind, h, ws, nullptr);
  cudaCheck(cudaDeviceSynchronize());
  cudaCheck(cudaMemcpy(&res.loss, dloss, sizeof(double), cudaMemcpyDeviceToHost));
  if (want_gx) res.gx = dev::to_host(dgx, res.gx.size());
  if (want_gy) res.gy = dev::to_host(dgy, res.gy.size());
  for (void* p : {(void*)dx, (void*)dy, (void*)dgx, (void*)dgy, (void*)dloss, ws}) cudaCheck(cudaFree(p));
  return res;
}

// Rows on the simplex from xorshift values; `edge` adds one-hot, duplicated and shared rows.
std::vector<float> simplex_rows(int64_t rows, int64_t d, uint32_t seed, bool edge) {
  std::vector<float> v = dev::make_random_float(size_t(rows * d), seed);
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t l = 0; l < d; ++l) s += std::exp(2.0 * v[size_t(r * d + l)]);
    for (int64_t l = 0; l < d; ++l) v[size_t(r * d + l)] = float(std::exp(2.0 * v[size_t(r * d + l)]) / s);
  }
  if (edge && rows >= 3) {
    for (int64_t l = 0; l < d; ++l) v[size_t(l)] = l == 1 ? 1.0f : 0.0f;  // one-hot
    std::memcpy(&v[size_t(d)], &v[0], sizeof(float) * size_t(d));         // duplicated
  }
  return v;
}

size_t check_mmd(int version, int64_t n, int64_t m, int64_t d, int kind, float h, bool edge) {
  const char* names[3] = {"diffusion", "rbf", "imq"};
  std::vector<float> x = simplex_rows(n, d, 11u + uint32_t(n), edge),
                     y = simplex_rows(m, d, 97u + uint32_t(m), edge);
  if (edge) {
    // A row of x in y. Identical rows on the simplex sit at s = 1, where the clamp's one-sided
    // derivative depends on rounding (float here, double in the reference); a zero coordinate puts s
    // clearly above 1 (clamped: no gradient through the pair) in any precision.
    float* row = &x[size_t(2 * d)];
    double s = 0;
    row[0] = 0.0f;
    for (int64_t l = 0; l < d; ++l) s += row[l];
    for (int64_t l = 0; l < d; ++l) row[l] = float(row[l] / s);
    std::memcpy(&y[size_t(2 * d)], row, sizeof(float) * size_t(d));
  }
  char label[128];
  std::snprintf(label, sizeof label, "v%d mmd %s n=%lld m=%lld d=%lld%s", version, names[kind], (long long)n,
                (long long)m, (long long)d, edge ? " edges" : "");
  MmdResult got = mmd_run(version, x, y, n, m, d, kind, h, true, true);
  size_t bad = 0;
  for (float v : got.gx) bad += !std::isfinite(v);
  for (float v : got.gy) bad += !std::isfinite(v);
  if (version == 0) {
    const MmdResult want = mmd_reference(x, y, n, m, d, kind, h);
    std::vector<float> gl{float(got.loss)}, wl{float(want.loss)};
    std::string base(label);
    bad += dev::validate_result(gl, wl, (base + " loss").c_str(), 1e-6f, 1e-5f);
    float sx = 0, sy = 0;
    for (float v : want.gx) sx = std::fmax(sx, std::fabs(v));
    for (float v : want.gy) sy = std::fmax(sy, std::fabs(v));
    bad += dev::validate_result(got.gx, want.gx, (base + " gx").c_str(), 1e-4f * sx, 1e-3f);
    bad += dev::validate_result(got.gy, want.gy, (base + " gy").c_str(), 1e-4f * sy, 1e-3f);
    // Only one side's gradient: the other is untouched and the loss is the same.
    MmdResult only_x = mmd_run(version, x, y, n, m, d, kind, h, true, false);
    bad += dev::validate_result(only_x.gx, got.gx, (base + " gx alone").c_str(), 0.0f, 0.0f);
    bad += only_x.loss != got.loss;
  } else {
    const MmdResult want = mmd_run(0, x, y, n, m, d, kind, h, true, true);
    std::vector<float> gl{float(got.loss)}, wl{float(want.loss)};
    std::string base(label);
    bad += dev::validate_result(gl, wl, (base + " loss").c_str(), 1e-6f, 1e-5f);
    bad += dev::validate_result(got.gx, want.gx, (base + " gx").c_str(), 1e-6f, 1e-4f);
    bad += dev::validate_result(got.gy, want.gy, (base + " gy").c_str(), 1e-6f, 1e-4f);
  }
  return bad;
}

// ---- Gaussian KLs ----------------------------------------------------------------------------------------

struct GmmData {
  int64_t B, J, K;
  std::vector<float> z, mu, lv, means, lvs, lp, dloss;
};

GmmData make_gmm(int64_t B, int64_t J, int64_t K, float spread) {
  GmmData g{B, J, K, {}, {}, {}, {}, {}, {}, {}};
  g.z = dev::make_random_float(size_t(B * J), 3);
  g.mu = dev::make_random_float(size_t(B * J), 5);
  g.lv = dev::make_random_float(size_t(B * J), 7);
  g.means = dev::make_random_float(size_t(K * J), 9);
  g.lvs = dev::make_random_float(size_t(K * J), 13);
  std::vector<float> logits = dev::make_random_float(size_t(K), 17);
  for (auto& v : g.z) v *= 2 * spread;
  for (auto& v : g.means) v *= 2 * spread;
  for (size_t i = 0; i < g.mu.size(); ++i) g.mu[i] = g.z[i] + 0.3f * g.mu[i];
  double se = 0;
  for (float v : logits) se += std::exp(double(v));
  for (float v : logits) g.lp.push_back(float(double(v) - std::log(se)));
  g.dloss = dev::make_random_float(size_t(B), 19);
  return g;
}

struct GmmOut {
  std::vector<float> loss, log_eta, grads[6];
};

GmmOut gmm_run(int version, const GmmData& g) {
  GmmOut o;
  o.loss.resize(static_cast<size_t>(g.B));
  o.log_eta.resize(static_cast<size_t>(g.B * g.K));
  const size_t sizes[6] = {size_t(g.B * g.J), size_t(g.B * g.J), size_t(g.B * g.J),
                           size_t(g.K * g.J), size_t(g.K * g.J), size_t(g.K)};
  for (int i = 0; i < 6; ++i) o.grads[i].resize(sizes[i]);
  if (version == 0) {
    cuda::GmmArgs a{g.z.data(), g.mu.data(), g.lv.data(), g.means.data(), g.lvs.data(), g.lp.data(),
                    g.B,        g.J,         g.K};
    for (int64_t b = 0; b < g.B; ++b) cuda::gmm_forward_row(a, o.loss.data(), o.log_eta.data(), b);
    std::vector<double> dl(static_cast<size_t>(g.B * g.K)), ge(static_cast<size_t>(g.B * g.K));
    for (int64_t b = 0; b < g.B; ++b)
      cuda::gmm_backward_row(a, o.log_eta.data(), double(g.dloss[size_t(b)]), dl.data(), ge.data(),
                             o.grads[0].data(), o.grads[1].data(), o.grads[2].data(), b);
    for (int64_t i = 0; i < g.K * g.J; ++i)
      cuda::gmm_backward_component_elem(a, dl.data(), ge.data(), o.grads[3].data(), o.grads[4].data(), i);
    for (int64_t c = 0; c < g.K; ++c)
      cuda::gmm_backward_log_pi(a, dl.data(), ge.data(), o.grads[5].data(), c);
    return o;
  }
  std::vector<float*> in;
  for (const auto* v : {&g.z, &g.mu, &g.lv, &g.means, &g.lvs, &g.lp, &g.dloss})
    in.push_back(dev::to_device(*v));
  float *dloss_out, *dlog_eta;
  cudaCheck(cudaMalloc(&dloss_out, o.loss.size() * sizeof(float) + 4));
  cudaCheck(cudaMalloc(&dlog_eta, o.log_eta.size() * sizeof(float) + 4));
  float* dg[6];
  for (int i = 0; i < 6; ++i) cudaCheck(cudaMalloc(&dg[i], sizes[i] * sizeof(float) + 4));
  void* ws = nullptr;
  cudaCheck(cudaMalloc(&ws, gaussian_mixture_kl_backward_cuda_workspace_bytes(g.B, g.K)));
  gaussian_mixture_kl_forward_cuda(dloss_out, dlog_eta, in[0], in[1], in[2], in[3], in[4], in[5], g.B, g.J,
                                   g.K, nullptr);
  gaussian_mixture_kl_backward_cuda(dg[0], dg[1], dg[2], dg[3], dg[4], dg[5], in[6], in[0], in[1], in[2],
                                    in[3], in[4], in[5], dlog_eta, g.B, g.J, g.K, 1, 1.0f, ws, nullptr);
  cudaCheck(cudaDeviceSynchronize());
  o.loss = dev::to_host(dloss_out, o.loss.size());
  o.log_eta = dev::to_host(dlog_eta, o.log_eta.size());
  for (int i = 0; i < 6; ++i) o.grads[i] = dev::to_host(dg[i], sizes[i]);
  for (float* p : in) cudaCheck(cudaFree(p));
  for (float* p : dg) cudaCheck(cudaFree(p));
  cudaCheck(cudaFree(dloss_out));
  cudaCheck(cudaFree(dlog_eta));
  cudaCheck(cudaFree(ws));
  return o;
}

size_t check_gmm(int version, int64_t B, int64_t J, int64_t K, float spread) {
  GmmData g = make_gmm(B, J, K, spread);
  GmmOut got = gmm_run(version, g);
  char label[96];
  std::snprintf(label, sizeof label, "v%d mixture KL B=%lld J=%lld K=%lld spread=%g", version, (long long)B,
                (long long)J, (long long)K, spread);
  const std::string base(label);
  const char* names[6] = {"dz", "dmu", "dlogvar", "dmeans", "dlogvars", "dlogPi"};
  size_t bad = 0;
  if (version != 0) {
    GmmOut want = gmm_run(0, g);
    bad += dev::validate_result(got.loss, want.loss, (base + " loss").c_str(), 1e-5f, 1e-5f);
    for (int i = 0; i < 6; ++i)
      bad += dev::validate_result(got.grads[i], want.grads[i], (base + " " + names[i]).c_str(), 1e-5f, 1e-4f);
    return bad;
  }
  // Forward against the double reference; gradients of sum_b dloss_b loss_b against central
  // differences of it.
  std::vector<double> means(g.means.begin(), g.means.end()), lvs(g.lvs.begin(), g.lvs.end()),
      lp(g.lp.begin(), g.lp.end());
  std::vector<double> zd(g.z.begin(), g.z.end()), mud(g.mu.begin(), g.mu.end()),
      lvd(g.lv.begin(), g.lv.end());
  auto objective = [&]() {
    double s = 0;
    for (int64_t b = 0; b < B; ++b) {
      double row;
      {
        std::vector<double> zz(zd.begin() + b * J, zd.begin() + (b + 1) * J);
        std::vector<double> mm(mud.begin() + b * J, mud.begin() + (b + 1) * J);
        std::vector<double> ll(lvd.begin() + b * J, lvd.begin() + (b + 1) * J);
        std::vector<double> l(static_cast<size_t>(K));
        double mx = -INFINITY;
        for (int64_t c = 0; c < K; ++c) {
          double q = 0;
          for (int64_t j = 0; j < J; ++j) {
            const double dz = zz[size_t(j)] - means[size_t(c * J + j)];
            q += -0.5 *
                 (std::log(2 * M_PI) + lvs[size_t(c * J + j)] + dz * dz / std::exp(lvs[size_t(c * J + j)]));
          }
          l[size_t(c)] = lp[size_t(c)] + q;
          mx = std::fmax(mx, l[size_t(c)]);
        }
        double se = 0;
        for (double v : l) se += std::exp(v - mx);
        row = 0;
        for (int64_t c = 0; c < K; ++c) {
          const double le = l[size_t(c)] - mx - std::log(se);
          double a = 0;
          for (int64_t j = 0; j < J; ++j) {
            const double lc = lvs[size_t(c * J + j)], dm = mm[size_t(j)] - means[size_t(c * J + j)];
            a += lc + std::exp(ll[size_t(j)] - lc) + dm * dm / std::exp(lc);
          }
          row += std::exp(le) * (0.5 * a - lp[size_t(c)] + le);
        }
        double ent = 0;
        for (int64_t j = 0; j < J; ++j) ent += 1 + ll[size_t(j)];
        row -= 0.5 * ent;
      }
      s += double(g.dloss[size_t(b)]) * row;
    }
    return s;
  };
  std::vector<float> want_loss(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b)
    want_loss[size_t(b)] = float(gmm_reference_row(&g.z[size_t(b * J)], &g.mu[size_t(b * J)],
                                                   &g.lv[size_t(b * J)], means, lvs, lp, J, K));
  bad += dev::validate_result(got.loss, want_loss, (base + " loss").c_str(), 1e-5f, 1e-5f);
  std::vector<double>* params[6] = {&zd, &mud, &lvd, &means, &lvs, &lp};
  for (int i = 0; i < 6; ++i) {
    std::vector<float> num(params[i]->size());
    for (size_t k = 0; k < num.size(); ++k) {
      const double orig = (*params[i])[k], eps = 1e-5;
      (*params[i])[k] = orig + eps;
      const double up = objective();
      (*params[i])[k] = orig - eps;
      const double down = objective();
      (*params[i])[k] = orig;
      num[k] = float((up - down) / (2 * eps));
    }
    bad += dev::validate_result(got.grads[i], num, (base + " " + names[i] + " vs finite differences").c_str(),
                                2e-4f, 1e-3f);
  }
  return bad;
}

size_t check_gaussian_kl(int version) {
  const int64_t B = 37, J = 11;
  std::vector<float> mu = dev::make_random_float(size_t(B * J), 21),
                     lv = dev::make_random_float(size_t(B * J), 23);
  std::vector<float> dloss = dev::make_random_float(size_t(B), 29);
  std::vector<float> loss(static_cast<size_t>(B)), dmu(static_cast<size_t>(B * J)),
      dlv(static_cast<size_t>(B * J));
  if (version == 0) {
    for (int64_t b = 0; b < B; ++b) cuda::gaussian_kl_row(loss.data(), mu.data(), lv.data(), b, J);
    for (int64_t i = 0; i < B * J; ++i)
      cuda::gaussian_kl_backward_elem(dmu.data(), dlv.data(), dloss.data(), mu.data(), lv.data(), i, J, 1,
                                      0.5f);
  } else {
    float *dm = dev::to_device(mu), *dl = dev::to_device(lv), *dd = dev::to_device(dloss);
    float *dout, *gm, *gl;
    cudaCheck(cudaMalloc(&dout, loss.size() * 4));
    cudaCheck(cudaMalloc(&gm, dmu.size() * 4));
    cudaCheck(cudaMalloc(&gl, dlv.size() * 4));
    gaussian_kl_forward_cuda(dout, dm, dl, B, J, nullptr);
    gaussian_kl_backward_cuda(gm, gl, dd, dm, dl, B, J, 1, 0.5f, nullptr);
    cudaCheck(cudaDeviceSynchronize());
    loss = dev::to_host(dout, loss.size());
    dmu = dev::to_host(gm, dmu.size());
    dlv = dev::to_host(gl, dlv.size());
    for (float* p : {dm, dl, dd, dout, gm, gl}) cudaCheck(cudaFree(p));
  }
  std::vector<float> wl(static_cast<size_t>(B)), wm(static_cast<size_t>(B * J)),
      wv(static_cast<size_t>(B * J));
  for (int64_t b = 0; b < B; ++b) {
    double s = 0;
    for (int64_t j = 0; j < J; ++j) {
      const double m = mu[size_t(b * J + j)], l = lv[size_t(b * J + j)];
      s += 1 + l - m * m - std::exp(l);
      wm[size_t(b * J + j)] = float(0.5 * dloss[size_t(b)] * m);
      wv[size_t(b * J + j)] = float(0.5 * dloss[size_t(b)] * 0.5 * (std::exp(l) - 1));
    }
    wl[size_t(b)] = float(-0.5 * s);
  }
  const std::string base = "v" + std::to_string(version) + " gaussian KL";
  return dev::validate_result(loss, wl, (base + " loss").c_str(), 1e-6f, 1e-5f) +
         dev::validate_result(dmu, wm, (base + " dmu").c_str(), 1e-6f, 1e-5f) +
         dev::validate_result(dlv, wv, (base + " dlogvar").c_str(), 1e-6f, 1e-5f);
}

// ---- sampling --------------------------------------------------------------------------------------------

std::vector<float> gamma_run(int version, int64_t n, float alpha, uint64_t seed, uint64_t offset) {
  std::vector<float> out(static_cast<size_t>(n));
  if (version == 0) {
    for (int64_t i = 0; i < n; ++i)
      out[size_t(i)] = math::gamma_sample(alpha, seed, offset, uint64_t(i)).value;
    return out;
  }
  float* d = nullptr;
  cudaCheck(cudaMalloc(&d, size_t(n) * 4 + 4));
  gamma_sample_cuda(d, n, alpha, seed, offset, nullptr);
  cudaCheck(cudaDeviceSynchronize());
  out = dev::to_host(d, size_t(n));
  cudaCheck(cudaFree(d));
  return out;
}

std::vector<float> dirichlet_run(int version, const std::vector<float>& conc, int64_t rows, uint64_t seed,
                                 uint64_t offset) {
  const int64_t K = int64_t(conc.size());
  std::vector<float> out(static_cast<size_t>(rows * K));
  if (version == 0) {
    for (int64_t r = 0; r < rows; ++r)
      math::dirichlet_row(out.data() + r * K, conc.data(), K, seed, offset, uint64_t(r));
    return out;
  }
  float* dc = dev::to_device(conc);
  float* d = nullptr;
  cudaCheck(cudaMalloc(&d, out.size() * 4 + 4));
  dirichlet_sample_cuda(d, dc, rows, K, seed, offset, nullptr);
  cudaCheck(cudaDeviceSynchronize());
  out = dev::to_host(d, out.size());
  cudaCheck(cudaFree(d));
  cudaCheck(cudaFree(dc));
  return out;
}

size_t check_sampling(int version) {
  size_t bad = 0;
  const int64_t n = 200000;
  for (float alpha : {0.1f, 0.5f, 1.0f, 4.0f}) {
    std::vector<float> g = gamma_run(version, n, alpha, 42, 3);
    double s = 0, s2 = 0;
    for (float v : g) {
      s += v;
      s2 += double(v) * v;
      bad += !(v >= 0.0f && std::isfinite(v));
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    const bool ok = std::fabs(mean - alpha) < 5 * std::sqrt(alpha / n) &&
                    std::fabs(var - alpha) < 5 * std::sqrt((2.0 * alpha * alpha + 6.0 * alpha) / n);
    std::printf("v%d gamma(%g): mean %.5f var %.5f: %s\n", version, alpha, mean, var, ok ? "OK" : "FAIL");
    bad += !ok;
    std::vector<float> prefix = gamma_run(version, 1000, alpha, 42, 3);
    bad += dev::validate_result(prefix, std::vector<float>(g.begin(), g.begin() + 1000),
                                "  prefix of the longer draw", 0.0f, 0.0f);
    if (version != 0)
      bad += dev::validate_result(g, gamma_run(0, n, alpha, 42, 3), "  against version 0", 1e-6f, 1e-5f);
  }
  const std::vector<float> conc = {0.1f, 0.5f, 2.0f, 1e-3f, 1.0f};
  const int64_t rows = 50000, K = int64_t(conc.size());
  std::vector<float> dr = dirichlet_run(version, conc, rows, 7, 0);
  double a0 = 0;
  for (float c : conc) a0 += c;
  for (int64_t r = 0; r < rows; ++r) {
    double s = 0;
    for (int64_t k = 0; k < K; ++k) s += dr[size_t(r * K + k)];
    bad += !(std::fabs(s - 1) < 1e-5);
  }
  for (int64_t k = 0; k < K; ++k) {
    double s = 0;
    for (int64_t r = 0; r < rows; ++r) s += dr[size_t(r * K + k)];
    const double p = conc[size_t(k)] / a0, v = p * (1 - p) / (a0 + 1);
    const bool ok = std::fabs(s / rows - p) < 5 * std::sqrt(v / rows);
    std::printf("v%d dirichlet mean[%lld] %.5f (want %.5f): %s\n", version, (long long)k, s / rows, p,
                ok ? "OK" : "FAIL");
    bad += !ok;
  }
  if (version != 0)
    bad +=
        dev::validate_result(dr, dirichlet_run(0, conc, rows, 7, 0), "dirichlet vs version 0", 1e-6f, 1e-5f);
  return bad;
}

int main(int argc, char** argv) {
  const int version = argc > 1 ? std::atoi(argv[1]) : 1;
  if (version != 0 && version != 1) {
    std::printf("usage: %s [0|1]\n", argv[0]);
    return 2;
  }
  if (version != 0 && !dev::require_device()) return 0;
  size_t bad = 0;
  const float bw[3] = {1.0f, 0.4f, 1.5f};
  for (int kind = 0; kind < 3; ++kind) {
    bad += check_mmd(version, 7, 5, 6, kind, bw[kind], false);
    bad += check_mmd(version, 9, 6, 5, kind, bw[kind], true);
    bad += check_mmd(version, 130, 257, 9, kind, bw[kind], false);  // several chunks, n != m
  }
  bad += check_gaussian_kl(version);
  bad += check_gmm(version, 6, 4, 3, 1.0f);
  bad += check_gmm(version, 5, 3, 4, 4.0f);  // responsibilities near 0 and 1
  bad += check_gmm(version, 3, 2, 1, 1.0f);
  bad += check_sampling(version);
  if (bad) {
    std::printf("validation FAILED (%zu)\n", bad);
    return 1;
  }
  if (version == 0) {
    std::printf("version 0 (CPU emulation of the topic-loss kernels): all cases OK\n");
    return 0;
  }
  const int64_t n = 1000, d = 50;
  std::vector<float> x = simplex_rows(n, d, 1, false), y = simplex_rows(n, d, 2, false);
  float *dx = dev::to_device(x), *dy = dev::to_device(y), *gx, *gy;
  double* loss;
  void* ws;
  cudaCheck(cudaMalloc(&gx, x.size() * 4));
  cudaCheck(cudaMalloc(&gy, y.size() * 4));
  cudaCheck(cudaMalloc(&loss, 8));
  cudaCheck(cudaMalloc(&ws, mmd_cuda_workspace_bytes(n, n, d)));
  for (int kind = 0; kind < 3; ++kind) {
    const float ms = dev::benchmark_kernel(
        20, [&] { mmd_forward_cuda(loss, gx, gy, dx, dy, n, n, d, kind, 1.0f, ws, nullptr); });
    std::printf("mmd kind %d n=m=%lld d=%lld forward + gradients: %.3f ms\n", kind, (long long)n,
                (long long)d, ms);
  }
  for (void* p : {(void*)dx, (void*)dy, (void*)gx, (void*)gy, (void*)loss, ws}) cudaCheck(cudaFree(p));
  return 0;
}

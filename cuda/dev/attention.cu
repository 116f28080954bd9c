/*
Fused attention (cuda/attention.h) against a direct CPU reference (scores, softmax, products in
double), forward and backward, with causal, key-padding, broadcast float masks, a fully masked row
and dropout (the same Philox draw as the CPU kernel, math/attention.h).

Compile (scripts/compile-cuda.sh builds every harness into build-cuda/compile-check/):
nvcc -O3 --fmad=false -std=c++17 -I. -Inative/include -Inative -arch=sm_80 \
    cuda/dev/attention.cu cuda/attention.cu -o dev_attention

version 0: the kernels are built on warp shuffles, which have no CPU emulation here; it checks the
CPU reference's own invariants only (rows of P sum to 1 or 0) and exits 0.
version 1: the library's kernels on the GPU, validated, then timed at (B, H, T, D) = (8, 8, 1024, 64).
./dev_attention 1
*/
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda/attention.h"
#include "cuda/dev/dev_common.cuh"
#include "textkernels/math/attention.h"

using namespace tk;

struct Case {
  int64_t B, H, Tq, Tk, D;
  bool causal, padding, add_mask;
  float p;
};

struct Host {
  std::vector<float> q, k, v, dout, add;
  std::vector<uint8_t> kp;
};

// The probability row i of head bh after masks (zeros for a fully masked row) and its dropout factors.
static void reference_row(const Case& c, const Host& h, int64_t bh, int64_t i, float scale,
                          std::vector<double>& p, std::vector<double>& f) {
  const int64_t b = bh / c.H, hh = bh % c.H;
  double mx = -INFINITY;
  std::vector<double> s(size_t(c.Tk));
  for (int64_t j = 0; j < c.Tk; ++j) {
    double dot = 0;
    for (int64_t d = 0; d < c.D; ++d)
      dot += double(h.q[(bh * c.Tq + i) * c.D + d]) * h.k[(bh * c.Tk + j) * c.D + d];
    double x = scale * dot;
    if (c.add_mask) x += h.add[hh * c.Tk + j];  // mask shape [1, H, 1, Tk]
    if ((c.causal && j > i) || (c.padding && h.kp[b * c.Tk + j])) x = -INFINITY;
    s[size_t(j)] = x;
    mx = std::max(mx, x);
  }
  double sum = 0;
  for (int64_t j = 0; j < c.Tk; ++j) sum += mx == -INFINITY ? 0.0 : std::exp(s[size_t(j)] - mx);
  const float keep = c.p < 1.0f ? 1.0f / (1.0f - c.p) : 0.0f;
  for (int64_t j = 0; j < c.Tk; ++j) {
    p[size_t(j)] = sum > 0 ? std::exp(s[size_t(j)] - mx) / sum : 0.0;
    f[size_t(j)] =
        c.p > 0 ? math::attention_dropout_factor(7, 11, uint64_t((bh * c.Tq + i) * c.Tk + j), c.p, keep)
                : 1.0;
  }
}

static void reference(const Case& c, const Host& h, float scale, std::vector<float>& out,
                      std::vector<float>& dq, std::vector<float>& dk, std::vector<float>& dv) {
  const int64_t D = c.D;
  out.assign(size_t(c.B * c.H * c.Tq * D), 0.0f);
  dq.assign(out.size(), 0.0f);
  dk.assign(size_t(c.B * c.H * c.Tk * D), 0.0f);
  dv.assign(dk.size(), 0.0f);
  std::vector<double> p(size_t(c.Tk)), f(size_t(c.Tk)), dp(size_t(c.Tk));
  for (int64_t bh = 0; bh < c.B * c.H; ++bh) {
    for (int64_t i = 0; i < c.Tq; ++i) {
      reference_row(c, h, bh, i, scale, p, f);
      const float* doi = &h.dout[size_t((bh * c.Tq + i) * D)];
      double rowdot = 0;
      for (int64_t j = 0; j < c.Tk; ++j) {
        double dpj = 0;
        for (int64_t d = 0; d < D; ++d) {
          out[size_t((bh * c.Tq + i) * D + d)] +=
              float(p[size_t(j)] * f[size_t(j)] * h.v[size_t((bh * c.Tk + j) * D + d)]);
          dpj += double(doi[d]) * h.v[size_t((bh * c.Tk + j) * D + d)];
        }
        dp[size_t(j)] = dpj * f[size_t(j)];
        rowdot += p[size_t(j)] * dp[size_t(j)];
      }
      for (int64_t j = 0; j < c.Tk; ++j) {
        double ds = p[size_t(j)] * (dp[size_t(j)] - rowdot);
        for (int64_t d = 0; d < D; ++d) {
          dv[size_t((bh * c.Tk + j) * D + d)] += float(p[size_t(j)] * f[size_t(j)] * doi[d]);
          dk[size_t((bh * c.Tk + j) * D + d)] += float(scale * ds * h.q[size_t((bh * c.Tq + i) * D + d)]);
          dq[size_t((bh * c.Tq + i) * D + d)] += float(scale * ds * h.k[size_t((bh * c.Tk + j) * D + d)]);
        }
      }
    }
  }
}

static Host make_host(const Case& c) {
  Host h;
  h.q = dev::make_random_float(size_t(c.B * c.H * c.Tq * c.D), 1);
  h.k = dev::make_random_float(size_t(c.B * c.H * c.Tk * c.D), 2);
  h.v = dev::make_random_float(size_t(c.B * c.H * c.Tk * c.D), 3);
  h.dout = dev::make_random_float(size_t(c.B * c.H * c.Tq * c.D), 4);
  h.add = dev::make_random_float(size_t(c.H * c.Tk), 5);
  h.kp.assign(size_t(c.B * c.Tk), 0);
  for (int64_t b = 0; b < c.B; ++b)
    for (int64_t j = 0; j < c.Tk; ++j)
      h.kp[size_t(b * c.Tk + j)] = (b == c.B - 1) || (j % 5 == 3);  // last batch: all padded
  return h;
}

static size_t run_case(const Case& c) {
  Host h = make_host(c);
  const float scale = 1.0f / std::sqrt(float(c.D));
  std::vector<float> out, dq, dk, dv;
  reference(c, h, scale, out, dq, dk, dv);
  float *q = dev::to_device(h.q), *k = dev::to_device(h.k), *v = dev::to_device(h.v),
        *dout = dev::to_device(h.dout);
  float* add = dev::to_device(h.add);
  uint8_t* kp = dev::to_device(h.kp);
  float *o, *lse, *gq, *gk, *gv, *ws;
  const size_t nq = h.q.size(), nk = h.k.size(), rows = size_t(c.B * c.H * c.Tq);
  cudaCheck(cudaMalloc(&o, nq * 4));
  cudaCheck(cudaMalloc(&gq, nq * 4));
  cudaCheck(cudaMalloc(&gk, nk * 4));
  cudaCheck(cudaMalloc(&gv, nk * 4));
  cudaCheck(cudaMalloc(&lse, rows * 4));
  cudaCheck(cudaMalloc(&ws, rows * 4));
  AttentionMask m;
  m.causal = c.causal;
  if (c.add_mask) {
    m.add = add;
    m.mh = c.H;
    m.mk = c.Tk;
  }
  if (c.padding) m.key_padding = kp;
  AttentionDropout drop;
  drop.p = c.p;
  drop.seed = 7;
  drop.offset = 11;
  attention_forward_cuda(o, lse, q, k, v, m, drop, c.B, c.H, c.Tq, c.Tk, c.D, scale, 0);
  attention_backward_cuda(gq, gk, gv, dout, q, k, v, o, lse, ws, m, drop, c.B, c.H, c.Tq, c.Tk, c.D, scale,
                          0);
  cudaCheck(cudaDeviceSynchronize());
  std::printf("case B%ld H%ld Tq%ld Tk%ld D%ld causal %d padding %d mask %d p %.2f\n", long(c.B), long(c.H),
              long(c.Tq), long(c.Tk), long(c.D), c.causal, c.padding, c.add_mask, double(c.p));
  size_t bad = dev::validate_result(dev::to_host(o, nq), out, "out", 1e-5f, 1e-4f);
  bad += dev::validate_result(dev::to_host(gq, nq), dq, "dq", 1e-4f, 1e-3f);
  bad += dev::validate_result(dev::to_host(gk, nk), dk, "dk", 1e-4f, 1e-3f);
  bad += dev::validate_result(dev::to_host(gv, nk), dv, "dv", 1e-4f, 1e-3f);
  for (void* ptr : {(void*)q, (void*)k, (void*)v, (void*)dout, (void*)add, (void*)kp, (void*)o, (void*)lse,
                    (void*)gq, (void*)gk, (void*)gv, (void*)ws})
    cudaCheck(cudaFree(ptr));
  return bad;
}

int main(int argc, char** argv) {
  const int version = argc > 1 ? std::atoi(argv[1]) : 1;
  const Case cases[] = {
      {2, 3, 70, 45, 64, false, true, true, 0.0f},
      {1, 2, 65, 65, 16, true, false, false, 0.0f},
      {2, 1, 33, 97, 128, false, true, false, 0.0f},
      {1, 2, 40, 40, 32, true, true, true, 0.3f},
  };
  if (version == 0) {
    // No emulation of the warp-level kernels; check the reference's probabilities instead.
    const Case& c = cases[0];
    Host h = make_host(c);
    std::vector<double> p(size_t(c.Tk)), f(size_t(c.Tk));
    size_t bad = 0;
    for (int64_t bh = 0; bh < c.B * c.H; ++bh)
      for (int64_t i = 0; i < c.Tq; ++i) {
        reference_row(c, h, bh, i, 0.125f, p, f);
        double s = 0;
        for (double x : p) s += x;
        const bool masked_batch = bh / c.H == c.B - 1;
        if (std::fabs(s - (masked_batch ? 0.0 : 1.0)) > 1e-9) ++bad;
      }
    std::printf("version 0: reference rows %s (warp-shuffle kernels are not emulated on the CPU)\n",
                bad ? "FAIL" : "OK");
    return bad ? 1 : 0;
  }
  if (!dev::require_device()) return 0;
  size_t bad = 0;
  for (const Case& c : cases) bad += run_case(c);
  if (bad) return 1;
  // Timing: forward and backward at (8, 8, 1024, 64), causal and not.
  for (bool causal : {true, false}) {
    const int64_t B = 8, H = 8, T = 1024, D = 64, n = B * H * T * D;
    std::vector<float> host = dev::make_random_float(size_t(n), 9);
    float *q = dev::to_device(host), *o, *lse, *g, *ws;
    cudaCheck(cudaMalloc(&o, n * 4));
    cudaCheck(cudaMalloc(&g, 3 * n * 4));
    cudaCheck(cudaMalloc(&lse, B * H * T * 4));
    cudaCheck(cudaMalloc(&ws, B * H * T * 4));
    AttentionMask m;
    m.causal = causal;
    AttentionDropout drop;
    float fwd = dev::benchmark_kernel(
        10, [&] { attention_forward_cuda(o, lse, q, q, q, m, drop, B, H, T, T, D, 0.125f, 0); });
    float bwd = dev::benchmark_kernel(10, [&] {
      attention_backward_cuda(g, g + n, g + 2 * n, q, q, q, q, o, lse, ws, m, drop, B, H, T, T, D, 0.125f, 0);
    });
    std::printf("(8, 8, 1024, 64)%s: forward %.3f ms, backward %.3f ms\n", causal ? " causal" : "",
                double(fwd), double(bwd));
    for (float* ptr : {q, o, g, lse, ws}) cudaCheck(cudaFree(ptr));
  }
  return 0;
}

/*
Recurrent layers (cuda/rnn.h): one layer, one direction, forward and backward, for LSTM, GRU and
RNN tanh/relu, forward and reverse, with and without lengths and biases.

Compile (scripts/compile-cuda.sh builds every harness into build-cuda/compile-check/):
nvcc -O3 --fmad=false -std=c++17 -I. -Inative/include -Inative -arch=sm_80 \
    cuda/dev/rnn.cu cuda/rnn.cu cuda/gemm.cu cuda/cublas_dl.cc -ldl -o dev_rnn

version 0 runs the layer drivers and the step kernels' per-unit code (cuda/rnn.cuh) on the CPU with
a naive GEMM: no GPU needed. Its forward is checked against an independent reference written
here from the cell equations (not through math/rnn.h), and its backward against central
differences of that forward (in double), on small sizes.
./dev_rnn 0
version 1 is the library's launchers (rnn_forward_cuda / rnn_backward_cuda) on the GPU, checked
against version 0's outputs and gradients, then timed on (B, T, I, H) = (32, 64, 128, 256).
./dev_rnn 1
*/
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cuda/dev/dev_common.cuh"
#include "cuda/rnn.cuh"
#include "cuda/rnn.h"

using namespace tk;

// ---- version 0: the drivers and per-unit code on the host -----------------------------------------

struct HostOps {
  void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
            const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += double(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
        c[i * ldc + j] = float(alpha * s + (beta == 0.0f ? 0.0 : double(beta) * c[i * ldc + j]));
      }
  }
  void fill(float* p, float v, int64_t n) {
    for (int64_t i = 0; i < n; ++i) p[i] = v;
  }
  void copy(float* dst, const float* src, int64_t n) { std::memcpy(dst, src, sizeof(float) * size_t(n)); }
  void broadcast_rows(float* rows, int64_t ld, const float* v, int64_t nrows, int64_t n) {
    for (int64_t r = 0; r < nrows; ++r) std::memcpy(rows + r * ld, v, sizeof(float) * size_t(n));
  }
  void column_sum(float* out, const float* a, int64_t rows, int64_t cols, int64_t lda) {
    for (int64_t c = 0; c < cols; ++c) {
      double s = 0;
      for (int64_t r = 0; r < rows; ++r) s += a[r * lda + c];
      out[c] = float(s);
    }
  }
  template <RnnCell kCell>
  void step_forward(const cuda::RnnStepForward& a, int64_t units) {
    for (int64_t u = 0; u < units; ++u) cuda::rnn_step_forward_unit<kCell>(a, u);
  }
  template <RnnCell kCell>
  void step_backward(const cuda::RnnStepBackward& a, int64_t units) {
    for (int64_t u = 0; u < units; ++u) cuda::rnn_step_backward_unit<kCell>(a, u);
  }
};

struct Problem {
  RnnDims d;
  bool bias, lengths;
  std::vector<float> x, h0, c0, w_ih, w_hh, b_ih, b_hh, wy, wh, wc;
  std::vector<int32_t> len;
};

Problem make_problem(RnnCell cell, bool reverse, bool bias, bool lengths, bool residual) {
  Problem p;
  p.d = RnnDims{5, 3, 4, 6, cell, reverse, residual};
  p.bias = bias;
  p.lengths = lengths;
  const int64_t G = cuda::rnn_cuda_gates(cell), T = p.d.T, B = p.d.B, I = p.d.I, H = p.d.H;
  auto scaled = [](std::vector<float> v, float s) {
    for (float& e : v) e *= s;
    return v;
  };
  p.x = dev::make_random_float(T * B * I, 11);
  p.h0 = scaled(dev::make_random_float(B * H, 12), 0.5f);
  p.c0 = scaled(dev::make_random_float(B * H, 13), 0.5f);
  p.w_ih = scaled(dev::make_random_float(G * H * I, 14), 0.5f);
  p.w_hh = scaled(dev::make_random_float(G * H * H, 15), 0.5f);
  p.b_ih = scaled(dev::make_random_float(G * H, 16), 0.3f);
  p.b_hh = scaled(dev::make_random_float(G * H, 17), 0.3f);
  p.wy = dev::make_random_float(T * B * H, 18);
  p.wh = dev::make_random_float(B * H, 19);
  p.wc = dev::make_random_float(B * H, 20);
  p.len = {5, 2, 4};
  return p;
}

struct Outputs {
  std::vector<float> y, h_n, c_n, saved_gates, saved_h, saved_c;
};

Outputs forward_v0(const Problem& p) {
  const RnnDims& d = p.d;
  const int64_t BH = d.B * d.H, S = cuda::rnn_cuda_saved(d.cell);
  const bool lstm = d.cell == RnnCell::kLstm;
  Outputs o;
  o.y.assign(d.T * BH, 0.0f);
  o.h_n.assign(BH, 0.0f);
  o.c_n.assign(BH, 0.0f);
  o.saved_gates.assign(d.T * d.B * S * d.H, 0.0f);
  o.saved_h.assign((d.T + 1) * BH, 0.0f);
  o.saved_c.assign((d.T + 1) * BH, 0.0f);
  std::vector<float> ws(rnn_forward_cuda_workspace(d));
  HostOps ops;
  cuda::rnn_forward_driver(ops, o.y.data(), d.H, o.h_n.data(), lstm ? o.c_n.data() : nullptr,
                           o.saved_gates.data(), o.saved_h.data(), lstm ? o.saved_c.data() : nullptr,
                           p.x.data(), p.h0.data(), lstm ? p.c0.data() : nullptr, p.w_ih.data(),
                           p.w_hh.data(), p.bias ? p.b_ih.data() : nullptr, p.bias ? p.b_hh.data() : nullptr,
                           p.lengths ? p.len.data() : nullptr, d, ws.data());
  return o;
}

// The independent reference: the cell equations in double, straight from PyTorch's documentation.
double sig(double v) { return 1.0 / (1.0 + std::exp(-v)); }

void reference_forward(const Problem& p, const std::vector<double>& xin, std::vector<double>& y,
                       std::vector<double>& hn, std::vector<double>& cn) {
  const RnnDims& d = p.d;
  const int64_t T = d.T, B = d.B, I = d.I, H = d.H, G = cuda::rnn_cuda_gates(d.cell);
  y.assign(T * B * H, 0.0);
  hn.assign(B * H, 0.0);
  cn.assign(B * H, 0.0);
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> h(p.h0.begin() + b * H, p.h0.begin() + (b + 1) * H),
        c(p.c0.begin() + b * H, p.c0.begin() + (b + 1) * H);
    const int64_t L = p.lengths ? p.len[b] : T;
    for (int64_t s = 0; s < L; ++s) {
      const int64_t t = d.reverse ? L - 1 - s : s;
      std::vector<double> gi(G * H), gh(G * H);
      for (int64_t j = 0; j < G * H; ++j) {
        double a = p.bias ? p.b_ih[j] : 0.0, r = p.bias ? p.b_hh[j] : 0.0;
        for (int64_t q = 0; q < I; ++q) a += double(p.w_ih[j * I + q]) * xin[(t * B + b) * I + q];
        for (int64_t q = 0; q < H; ++q) r += double(p.w_hh[j * H + q]) * h[q];
        gi[j] = a;
        gh[j] = r;
      }
      std::vector<double> hnew(H);
      for (int64_t k = 0; k < H; ++k) {
        if (d.cell == RnnCell::kLstm) {
          double i = sig(gi[k] + gh[k]), f = sig(gi[H + k] + gh[H + k]),
                 g = std::tanh(gi[2 * H + k] + gh[2 * H + k]), o = sig(gi[3 * H + k] + gh[3 * H + k]);
          c[k] = f * c[k] + i * g;
          hnew[k] = o * std::tanh(c[k]);
        } else if (d.cell == RnnCell::kGru) {
          double r = sig(gi[k] + gh[k]), z = sig(gi[H + k] + gh[H + k]),
                 n = std::tanh(gi[2 * H + k] + r * gh[2 * H + k]);
          hnew[k] = (1 - z) * n + z * h[k];
        } else {
          double v = gi[k] + gh[k];
          v = d.cell == RnnCell::kRnnRelu ? (v > 0 ? v : 0) : std::tanh(v);
          hnew[k] = d.residual ? v + h[k] : v;
        }
      }
      h = hnew;
      for (int64_t k = 0; k < H; ++k) y[(t * B + b) * H + k] = h[k];
    }
    for (int64_t k = 0; k < H; ++k) {
      hn[b * H + k] = h[k];
      cn[b * H + k] = c[k];
    }
  }
}

// loss = sum(y * wy) + sum(h_n * wh) [+ sum(c_n * wc)], from the reference forward, for differences.
double reference_loss(const Problem& p, const std::vector<double>& xin) {
  std::vector<double> y, hn, cn;
  reference_forward(p, xin, y, hn, cn);
  double l = 0;
  for (size_t i = 0; i < y.size(); ++i) l += y[i] * p.wy[i];
  for (size_t i = 0; i < hn.size(); ++i) l += hn[i] * p.wh[i];
  if (p.d.cell == RnnCell::kLstm)
    for (size_t i = 0; i < cn.size(); ++i) l += cn[i] * p.wc[i];
  return l;
}

size_t check_v0(RnnCell cell, bool reverse, bool bias, bool lengths, bool residual) {
  Problem p = make_problem(cell, reverse, bias, lengths, residual);
  const RnnDims& d = p.d;
  const bool lstm = cell == RnnCell::kLstm;
  char name[160];
  std::snprintf(name, sizeof name, "v0 cell=%d reverse=%d bias=%d lengths=%d residual=%d", int(cell), reverse,
                bias, lengths, residual);
  Outputs o = forward_v0(p);
  std::vector<double> xd(p.x.begin(), p.x.end()), ry, rh, rc;
  reference_forward(p, xd, ry, rh, rc);
  size_t bad = 0;
  std::string n = std::string(name) + " y";
  bad += dev::validate_result(o.y, std::vector<float>(ry.begin(), ry.end()), n.c_str(), 1e-5f, 1e-4f);
  n = std::string(name) + " h_n";
  bad += dev::validate_result(o.h_n, std::vector<float>(rh.begin(), rh.end()), n.c_str(), 1e-5f, 1e-4f);
  // Backward of the driver; dx against central differences of the reference loss.
  const int64_t G = cuda::rnn_cuda_gates(cell), BH = d.B * d.H;
  std::vector<float> dx(d.T * d.B * d.I), dh0(BH), dc0(BH), dwih(G * d.H * d.I), dwhh(G * d.H * d.H),
      dbih(G * d.H), dbhh(G * d.H), ws(rnn_backward_cuda_workspace(d));
  HostOps ops;
  cuda::rnn_backward_driver(
      ops, dx.data(), false, dh0.data(), lstm ? dc0.data() : nullptr, dwih.data(), dwhh.data(),
      bias ? dbih.data() : nullptr, bias ? dbhh.data() : nullptr, o.saved_gates.data(), p.wy.data(), d.H,
      p.wh.data(), lstm ? p.wc.data() : nullptr, p.x.data(), p.w_ih.data(), p.w_hh.data(), o.saved_h.data(),
      lstm ? o.saved_c.data() : nullptr, lengths ? p.len.data() : nullptr, d, ws.data());
  std::vector<float> num(dx.size());
  const double eps = 1e-4;
  for (size_t i = 0; i < xd.size(); ++i) {
    std::vector<double> xp = xd, xm = xd;
    xp[i] += eps;
    xm[i] -= eps;
    num[i] = float((reference_loss(p, xp) - reference_loss(p, xm)) / (2 * eps));
  }
  n = std::string(name) + " dx";
  bad += dev::validate_result(dx, num, n.c_str(), 1e-4f, 1e-3f);
  return bad;
}

// ---- version 1: the library's launchers on the GPU ------------------------------------------------

size_t check_v1(RnnCell cell, bool reverse, bool bias, bool lengths, bool residual) {
  Problem p = make_problem(cell, reverse, bias, lengths, residual);
  const RnnDims& d = p.d;
  const bool lstm = cell == RnnCell::kLstm;
  const int64_t BH = d.B * d.H, S = cuda::rnn_cuda_saved(cell), G = cuda::rnn_cuda_gates(cell);
  Outputs want = forward_v0(p);
  float *x = dev::to_device(p.x), *h0 = dev::to_device(p.h0), *c0 = dev::to_device(p.c0);
  float *wih = dev::to_device(p.w_ih), *whh = dev::to_device(p.w_hh), *bih = dev::to_device(p.b_ih),
        *bhh = dev::to_device(p.b_hh);
  int32_t* len = dev::to_device(p.len);
  float *y, *hn, *cn, *sg, *sh, *sc, *ws;
  cudaCheck(cudaMalloc(&y, sizeof(float) * d.T * BH));
  cudaCheck(cudaMalloc(&hn, sizeof(float) * BH));
  cudaCheck(cudaMalloc(&cn, sizeof(float) * BH));
  cudaCheck(cudaMalloc(&sg, sizeof(float) * d.T * d.B * S * d.H));
  cudaCheck(cudaMalloc(&sh, sizeof(float) * (d.T + 1) * BH));
  cudaCheck(cudaMalloc(&sc, sizeof(float) * (d.T + 1) * BH));
  cudaCheck(
      cudaMalloc(&ws, sizeof(float) * (rnn_backward_cuda_workspace(d) + rnn_forward_cuda_workspace(d))));
  rnn_forward_cuda(y, d.H, hn, lstm ? cn : nullptr, sg, sh, lstm ? sc : nullptr, x, h0, lstm ? c0 : nullptr,
                   wih, whh, bias ? bih : nullptr, bias ? bhh : nullptr, lengths ? len : nullptr, d, ws,
                   nullptr);
  cudaCheck(cudaDeviceSynchronize());
  char name[160];
  std::snprintf(name, sizeof name, "v1 cell=%d reverse=%d bias=%d lengths=%d", int(cell), reverse, bias,
                lengths);
  size_t bad = dev::validate_result(dev::to_host(y, d.T * BH), want.y, name, 1e-5f, 1e-4f);
  float *dy = dev::to_device(p.wy), *dhn = dev::to_device(p.wh), *dcn = dev::to_device(p.wc);
  float *dx, *dh0, *dc0, *dwih, *dwhh, *dbih, *dbhh;
  cudaCheck(cudaMalloc(&dx, sizeof(float) * d.T * d.B * d.I));
  cudaCheck(cudaMalloc(&dh0, sizeof(float) * BH));
  cudaCheck(cudaMalloc(&dc0, sizeof(float) * BH));
  cudaCheck(cudaMalloc(&dwih, sizeof(float) * G * d.H * d.I));
  cudaCheck(cudaMalloc(&dwhh, sizeof(float) * G * d.H * d.H));
  cudaCheck(cudaMalloc(&dbih, sizeof(float) * G * d.H));
  cudaCheck(cudaMalloc(&dbhh, sizeof(float) * G * d.H));
  rnn_backward_cuda(dx, false, dh0, lstm ? dc0 : nullptr, dwih, dwhh, bias ? dbih : nullptr,
                    bias ? dbhh : nullptr, sg, dy, d.H, dhn, lstm ? dcn : nullptr, x, wih, whh, sh,
                    lstm ? sc : nullptr, lengths ? len : nullptr, d, ws, nullptr);
  cudaCheck(cudaDeviceSynchronize());
  // The same backward on the host from the host's saved state (the device's was consumed; so is
  // this one).
  std::vector<float> hdx(d.T * d.B * d.I), hdh0(BH), hdc0(BH), hdwih(G * d.H * d.I), hdwhh(G * d.H * d.H),
      hdb1(G * d.H), hdb2(G * d.H), hws(rnn_backward_cuda_workspace(d));
  HostOps ops;
  cuda::rnn_backward_driver(ops, hdx.data(), false, hdh0.data(), lstm ? hdc0.data() : nullptr, hdwih.data(),
                            hdwhh.data(), bias ? hdb1.data() : nullptr, bias ? hdb2.data() : nullptr,
                            want.saved_gates.data(), p.wy.data(), d.H, p.wh.data(),
                            lstm ? p.wc.data() : nullptr, p.x.data(), p.w_ih.data(), p.w_hh.data(),
                            want.saved_h.data(), lstm ? want.saved_c.data() : nullptr,
                            lengths ? p.len.data() : nullptr, d, hws.data());
  bad += dev::validate_result(dev::to_host(dx, hdx.size()), hdx, "  dx", 1e-5f, 1e-4f);
  bad += dev::validate_result(dev::to_host(dwhh, hdwhh.size()), hdwhh, "  dW_hh", 1e-5f, 1e-4f);
  bad += dev::validate_result(dev::to_host(dwih, hdwih.size()), hdwih, "  dW_ih", 1e-5f, 1e-4f);
  bad += dev::validate_result(dev::to_host(dh0, BH), hdh0, "  dh0", 1e-5f, 1e-4f);
  for (void* q : {(void*)x,    (void*)h0,   (void*)c0,   (void*)wih, (void*)whh, (void*)bih, (void*)bhh,
                  (void*)len,  (void*)y,    (void*)hn,   (void*)cn,  (void*)sg,  (void*)sh,  (void*)sc,
                  (void*)ws,   (void*)dy,   (void*)dhn,  (void*)dcn, (void*)dx,  (void*)dh0, (void*)dc0,
                  (void*)dwih, (void*)dwhh, (void*)dbih, (void*)dbhh})
    cudaCheck(cudaFree(q));
  return bad;
}

int main(int argc, char** argv) {
  const int version = argc > 1 ? std::atoi(argv[1]) : 1;
  if (version < 0 || version > 1) {
    std::printf("usage: %s [0|1]\n", argv[0]);
    return 2;
  }
  if (version != 0 && !dev::require_device()) return 0;
  size_t bad = 0;
  for (RnnCell cell : {RnnCell::kLstm, RnnCell::kGru, RnnCell::kRnnTanh, RnnCell::kRnnRelu})
    for (bool reverse : {false, true})
      for (bool lengths : {false, true}) {
        const bool bias = !(reverse && !lengths);
        const bool residual = cell == RnnCell::kRnnTanh && reverse;
        bad += version == 0 ? check_v0(cell, reverse, bias, lengths, residual)
                            : check_v1(cell, reverse, bias, lengths, residual);
      }
  std::printf("%s\n", bad ? "FAILED" : "all OK");
  return bad ? 1 : 0;
}

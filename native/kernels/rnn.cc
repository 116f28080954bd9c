// Recurrent layers on the CPU; see rnn.h. The per-element math is textkernels/math/rnn.h, shared
// with cuda/rnn.cu.
#include "kernels/rnn.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/elementwise.h"
#include "kernels/gemm.h"
#include "kernels/thread_pool.h"
#include "textkernels/math/rnn.h"

namespace tk {

int rnn_gate_count(RnnCell cell) { return cell == RnnCell::kLstm ? 4 : cell == RnnCell::kGru ? 3 : 1; }
int rnn_saved_count(RnnCell cell) { return cell == RnnCell::kLstm || cell == RnnCell::kGru ? 4 : 1; }

namespace {

// A pointwise step costs some tens of ns per hidden unit (two or three exp/tanh); below a few
// thousand units a hand-off to the pool costs more than it saves.
constexpr int64_t kPointwiseGrain = 4096;

// fn(b, k0, k1) over the B*H units of one step, split across threads as contiguous unit ranges.
template <typename Fn>
void for_units(int64_t B, int64_t H, const Fn& fn) {
  parallel_for(B * H, kPointwiseGrain, [&](int64_t lo, int64_t hi) {
    int64_t b = lo / H, k = lo % H;
    while (lo < hi) {
      int64_t n = std::min(hi - lo, H - k);
      fn(b, k, k + n);
      lo += n;
      ++b;
      k = 0;
    }
  });
}

std::unique_ptr<float[]> scratch(int64_t n) {
  return std::unique_ptr<float[]>(new float[size_t(std::max<int64_t>(n, 1))]);
}

// out[c] = sum over rows of a[r, c], in double (a [rows, cols], rows lda apart).
void column_sum(float* out, const float* a, int64_t rows, int64_t cols, int64_t lda) {
  parallel_for(cols, 64, [&](int64_t c0, int64_t c1) {
    std::vector<double> acc(size_t(c1 - c0), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = a + r * lda;
      for (int64_t c = c0; c < c1; ++c) acc[size_t(c - c0)] += row[c];
    }
    for (int64_t c = c0; c < c1; ++c) out[c] = float(acc[size_t(c - c0)]);
  });
}

// Vectorised sigmoid / tanh over contiguous runs (elementwise_avx2.cc), or null for the scalar
// formulas of math/rnn.h. The vector path computes the same expressions in the same order, only
// the transcendental functions differ (within a few ulp of libm's).
using MapFn = void (*)(float*, const float*, int64_t);
struct Activations {
  MapFn sigmoid = nullptr, tanh = nullptr;
};
Activations pick_activations() {
  Activations a;
#if defined(TK_HAVE_X86_KERNELS)
  if (simd_level() >= SimdLevel::kAvx2) {
    a.sigmoid = isa::sigmoid_avx2;
    a.tanh = isa::tanh_avx2;
  }
#endif
  return a;
}

// The recurrent weight, packed once per call for the per-step products (rnn_avx2.cc): panels of
// 16 columns of op(W), each K x 16 floats, zero-padded past N. Empty where the SIMD level is below
// AVX2: those steps take sgemm_cpu.
struct PackedWeight {
  std::unique_ptr<float[]> data;
  int64_t N = 0, K = 0, panels = 0;
  bool ok() const { return data != nullptr; }
};

bool panel_path() {
#if defined(TK_HAVE_X86_KERNELS)
  return simd_level() >= SimdLevel::kAvx2;
#else
  return false;
#endif
}

// op(W) [K, N] with op(W)[k, n] = transposed ? w[n, k] : w[k, n] (w row-major, row stride ldw).
PackedWeight pack_weight(const float* w, int64_t ldw, int64_t K, int64_t N, bool transposed) {
  PackedWeight p;
  if (!panel_path()) return p;
  p.N = N;
  p.K = K;
  p.panels = (N + 15) / 16;
  p.data = scratch(p.panels * K * 16);
  float* dst = p.data.get();
  parallel_for(p.panels, 4, [&](int64_t q0, int64_t q1) {
    for (int64_t q = q0; q < q1; ++q) {
      float* pq = dst + q * K * 16;
      const int64_t n0 = q * 16, nc = std::min<int64_t>(16, N - n0);
      for (int64_t k = 0; k < K; ++k) {
        float* row = pq + k * 16;
        for (int64_t j = 0; j < nc; ++j) row[j] = transposed ? w[(n0 + j) * ldw + k] : w[k * ldw + n0 + j];
        for (int64_t j = nc; j < 16; ++j) row[j] = 0.0f;
      }
    }
  });
  return p;
}

// C[M, N] (+)= A[M, K] @ op(W): the packed panels where available, else sgemm_cpu.
void step_product(float* c, int64_t ldc, const float* a, int64_t lda, const PackedWeight& pw, const float* w,
                  int64_t ldw, bool transposed, int64_t M, int64_t N, int64_t K, bool accumulate) {
#if defined(TK_HAVE_X86_KERNELS)
  if (pw.ok()) {
    // Threads only for products of a quarter million multiply-adds or more.
    const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 18) / std::max<int64_t>(M * K * 16, 1));
    parallel_for(pw.panels, grain, [&](int64_t p0, int64_t p1) {
      isa::rnn_panel_gemm_avx2(c, ldc, a, lda, pw.data.get(), M, N, K, p0, p1, accumulate);
    });
    return;
  }
#endif
  sgemm_cpu(false, transposed, M, N, K, 1.0f, a, lda, w, ldw, accumulate ? 1.0f : 0.0f, c, ldc);
}

inline bool active(const int32_t* lengths, int64_t b, int64_t t) {
  return !lengths || t < int64_t(lengths[b]);
}

}  // namespace

void rnn_forward_cpu(float* y, int64_t ldy, float* h_n, float* c_n, float* saved_gates, float* saved_h,
                     float* saved_c, const float* x, const float* h0, const float* c0, const float* w_ih,
                     const float* w_hh, const float* b_ih, const float* b_hh, const int32_t* lengths,
                     const RnnDims& d) {
  const int64_t T = d.T, B = d.B, I = d.I, H = d.H;
  const int64_t G = rnn_gate_count(d.cell), S = rnn_saved_count(d.cell);
  const int64_t GH = G * H, SH = S * H, BH = B * H;
  const bool lstm = d.cell == RnnCell::kLstm;
  const bool relu = d.cell == RnnCell::kRnnRelu;
  const bool residual = d.residual && !lstm && d.cell != RnnCell::kGru;
  auto in_idx = [&](int64_t t) { return d.reverse ? t + 1 : t; };
  auto out_idx = [&](int64_t t) { return d.reverse ? t : t + 1; };

  float* h_init = saved_h + (d.reverse ? T : 0) * BH;
  if (h0)
    std::memcpy(h_init, h0, sizeof(float) * size_t(BH));
  else
    std::fill(h_init, h_init + BH, 0.0f);
  if (lstm) {
    float* c_init = saved_c + (d.reverse ? T : 0) * BH;
    if (c0)
      std::memcpy(c_init, c0, sizeof(float) * size_t(BH));
    else
      std::fill(c_init, c_init + BH, 0.0f);
  }

  if (T > 0 && B > 0) {
    // Input projection of every step at once, into the first G*H values of each saved row.
    float beta = 0.0f;
    if (b_ih) {
      for (int64_t r = 0; r < T * B; ++r) std::memcpy(saved_gates + r * SH, b_ih, sizeof(float) * size_t(GH));
      beta = 1.0f;
    }
    sgemm_cpu(false, true, T * B, GH, I, 1.0f, x, I, w_ih, I, beta, saved_gates, SH);

    auto rec = scratch(B * GH);
    const Activations act = pick_activations();
    // rec = h W_hh^T: op(W) = W_hh^T [H, GH]
    const PackedWeight pw = pack_weight(w_hh, H, H, GH, true);
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = d.reverse ? T - 1 - s : s;
      const float* hin = saved_h + in_idx(t) * BH;
      float* hout = saved_h + out_idx(t) * BH;
      const float* cin = lstm ? saved_c + in_idx(t) * BH : nullptr;
      float* cout = lstm ? saved_c + out_idx(t) * BH : nullptr;
      step_product(rec.get(), GH, hin, H, pw, w_hh, H, true, B, GH, H, false);
      float* gt = saved_gates + t * B * SH;
      float* yt = y + t * B * ldy;
      const float* rp = rec.get();
      for_units(B, H, [&](int64_t b, int64_t k0, int64_t k1) {
        const float* hi = hin + b * H;
        float* ho = hout + b * H;
        float* yr = yt + b * ldy;
        if (!active(lengths, b, t)) {
          for (int64_t k = k0; k < k1; ++k) {
            ho[k] = hi[k];
            yr[k] = 0.0f;
          }
          if (lstm)
            for (int64_t k = k0; k < k1; ++k) cout[b * H + k] = cin[b * H + k];
          return;
        }
        float* g = gt + b * SH;
        const float* r = rp + b * GH;
        auto bh = [&](int64_t j) { return b_hh ? b_hh[j] : 0.0f; };
        switch (d.cell) {
          case RnnCell::kLstm: {
            const float* ci = cin + b * H;
            float* co = cout + b * H;
            if (act.sigmoid) {
              const int64_t n = k1 - k0;
              for (int64_t j = 0; j < 4; ++j)
                for (int64_t k = k0; k < k1; ++k)
                  g[j * H + k] = math::rnn_preact(r[j * H + k], bh(j * H + k), g[j * H + k]);
              act.sigmoid(g + k0, g + k0, n);
              act.sigmoid(g + H + k0, g + H + k0, n);
              act.tanh(g + 2 * H + k0, g + 2 * H + k0, n);
              act.sigmoid(g + 3 * H + k0, g + 3 * H + k0, n);
              for (int64_t k = k0; k < k1; ++k) co[k] = g[H + k] * ci[k] + g[k] * g[2 * H + k];
              act.tanh(ho + k0, co + k0, n);
              for (int64_t k = k0; k < k1; ++k) {
                ho[k] = g[3 * H + k] * ho[k];
                yr[k] = ho[k];
              }
              break;
            }
            for (int64_t k = k0; k < k1; ++k) {
              float pi = math::rnn_preact(r[k], bh(k), g[k]);
              float pf = math::rnn_preact(r[H + k], bh(H + k), g[H + k]);
              float pg = math::rnn_preact(r[2 * H + k], bh(2 * H + k), g[2 * H + k]);
              float po = math::rnn_preact(r[3 * H + k], bh(3 * H + k), g[3 * H + k]);
              math::lstm_forward_elem(pi, pf, pg, po, ci[k], &g[k], &g[H + k], &g[2 * H + k], &g[3 * H + k],
                                      &co[k], &ho[k]);
              yr[k] = ho[k];
            }
            break;
          }
          case RnnCell::kGru: {
            if (act.sigmoid) {
              const int64_t n = k1 - k0;
              for (int64_t k = k0; k < k1; ++k) {
                g[k] = (r[k] + bh(k)) + g[k];
                g[H + k] = (r[H + k] + bh(H + k)) + g[H + k];
              }
              act.sigmoid(g + k0, g + k0, n);
              act.sigmoid(g + H + k0, g + H + k0, n);
              for (int64_t k = k0; k < k1; ++k) {
                float hn = r[2 * H + k] + bh(2 * H + k);
                g[3 * H + k] = hn;
                g[2 * H + k] = g[2 * H + k] + hn * g[k];
              }
              act.tanh(g + 2 * H + k0, g + 2 * H + k0, n);
              for (int64_t k = k0; k < k1; ++k) {
                float vn = g[2 * H + k];
                float h = (hi[k] - vn) * g[H + k] + vn;
                ho[k] = h;
                yr[k] = h;
              }
              break;
            }
            for (int64_t k = k0; k < k1; ++k) {
              float hn = r[2 * H + k] + bh(2 * H + k);
              float h =
                  math::gru_forward_elem(g[k], g[H + k], g[2 * H + k], r[k] + bh(k), r[H + k] + bh(H + k), hn,
                                         hi[k], &g[k], &g[H + k], &g[2 * H + k]);
              g[3 * H + k] = hn;
              ho[k] = h;
              yr[k] = h;
            }
            break;
          }
          default: {
            if (act.tanh && !relu) {
              for (int64_t k = k0; k < k1; ++k) g[k] = math::rnn_preact(r[k], bh(k), g[k]);
              act.tanh(g + k0, g + k0, k1 - k0);
              for (int64_t k = k0; k < k1; ++k) {
                float h = residual ? g[k] + hi[k] : g[k];
                ho[k] = h;
                yr[k] = h;
              }
              break;
            }
            for (int64_t k = k0; k < k1; ++k) {
              float v = math::rnn_act(math::rnn_preact(r[k], bh(k), g[k]), relu);
              g[k] = v;
              float h = residual ? v + hi[k] : v;
              ho[k] = h;
              yr[k] = h;
            }
          }
        }
      });
    }
  }
  const int64_t last = d.reverse ? 0 : T;
  std::memcpy(h_n, saved_h + last * BH, sizeof(float) * size_t(BH));
  if (lstm && c_n) std::memcpy(c_n, saved_c + last * BH, sizeof(float) * size_t(BH));
}

void rnn_backward_cpu(float* dx, bool accumulate_dx, float* dh0, float* dc0, float* dw_ih, float* dw_hh,
                      float* db_ih, float* db_hh, float* saved_gates, const float* dy, int64_t lddy,
                      const float* dh_n, const float* dc_n, const float* x, const float* w_ih,
                      const float* w_hh, const float* saved_h, const float* saved_c, const int32_t* lengths,
                      const RnnDims& d) {
  const int64_t T = d.T, B = d.B, I = d.I, H = d.H;
  const int64_t G = rnn_gate_count(d.cell), S = rnn_saved_count(d.cell);
  const int64_t GH = G * H, SH = S * H, BH = B * H, TB = T * B;
  const bool lstm = d.cell == RnnCell::kLstm;
  const bool gru = d.cell == RnnCell::kGru;
  const bool relu = d.cell == RnnCell::kRnnRelu;
  const bool residual = d.residual && !lstm && !gru;
  auto in_idx = [&](int64_t t) { return d.reverse ? t + 1 : t; };
  auto out_idx = [&](int64_t t) { return d.reverse ? t : t + 1; };

  auto dh = scratch(BH), dh_next = scratch(BH), dc = scratch(lstm ? BH : 0);
  if (dh_n)
    std::memcpy(dh.get(), dh_n, sizeof(float) * size_t(BH));
  else
    std::fill(dh.get(), dh.get() + BH, 0.0f);
  if (lstm) {
    if (dc_n)
      std::memcpy(dc.get(), dc_n, sizeof(float) * size_t(BH));
    else
      std::fill(dc.get(), dc.get() + BH, 0.0f);
  }

  if (TB == 0) {
    std::memcpy(dh0, dh.get(), sizeof(float) * size_t(BH));
    if (lstm && dc0) std::memcpy(dc0, dc.get(), sizeof(float) * size_t(BH));
    std::fill(dw_ih, dw_ih + GH * I, 0.0f);
    std::fill(dw_hh, dw_hh + GH * H, 0.0f);
    if (db_ih) std::fill(db_ih, db_ih + GH, 0.0f);
    if (db_hh) std::fill(db_hh, db_hh + GH, 0.0f);
    if (dx && !accumulate_dx) std::fill(dx, dx + TB * I, 0.0f);
    return;
  }

  // The gate gradients of step t replace the saved values of step t (row t of saved_gates, S*H
  // per batch row): each unit's backward takes all its saved values as arguments before it writes
  // a gradient (math/rnn.h takes them by value), and no later step reads row t again. Rows keep
  // their stride S*H, so the GEMMs after the loop read them with ld = S*H. Blocks: LSTM di df dg
  // do over i f g o; GRU dr dz dn (input side) over r z n, and dn * r (the recurrent n block) over
  // hn; RNN the one gradient. For the GRU each step also assembles its recurrent row dr dz dn*r
  // in a one-step scratch for the product with W_hh.
  float* dg_all = saved_gates;
  auto gstep = scratch(gru ? B * GH : 0);
  const Activations act = pick_activations();
  // dh += dgates W_hh: op(W) = W_hh [GH, H]
  const PackedWeight pw = pack_weight(w_hh, H, GH, H, false);

  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = d.reverse ? T - 1 - s : s;
    const float* hin = saved_h + in_idx(t) * BH;
    const float* cprev = lstm ? saved_c + in_idx(t) * BH : nullptr;
    const float* ccur = lstm ? saved_c + out_idx(t) * BH : nullptr;
    float* gt = saved_gates + t * B * SH;
    const float* dyt = dy + t * B * lddy;
    float* dght = gru ? gstep.get() : gt;
    const int64_t ldgh = gru ? GH : SH;
    float* dhp = dh.get();
    float* dhq = dh_next.get();
    float* dcp = dc.get();
    for_units(B, H, [&](int64_t b, int64_t k0, int64_t k1) {
      // g: this row's saved values, overwritten by its gradients unit by unit.
      float* g = gt + b * SH;
      float* gh = dght + b * ldgh;
      const float* dhr = dhp + b * H;
      float* dqr = dhq + b * H;
      if (!active(lengths, b, t)) {
        for (int64_t k = k0; k < k1; ++k) {
          dqr[k] = dhr[k];
          for (int64_t j = 0; j < S; ++j) g[j * H + k] = 0.0f;
          if (gru)
            for (int64_t j = 0; j < G; ++j) gh[j * H + k] = 0.0f;
        }
        return;
      }
      const float* dyr = dyt + b * lddy;
      switch (d.cell) {
        case RnnCell::kLstm: {
          float* dcr = dcp + b * H;
          const float* cc = ccur + b * H;
          const float* cp = cprev + b * H;
          constexpr int64_t kChunk = 64;
          float tc[kChunk];
          for (int64_t c0 = k0; c0 < k1; c0 += kChunk) {
            const int64_t c1 = std::min(k1, c0 + kChunk);
            // tanh(c_t) comes from saved_c, not from the gate rows being overwritten.
            if (act.tanh)
              act.tanh(tc, cc + c0, c1 - c0);
            else
              for (int64_t k = c0; k < c1; ++k) tc[k - c0] = math::tanh_fwd(cc[k]);
            for (int64_t k = c0; k < c1; ++k) {
              math::lstm_backward_elem(dhr[k] + dyr[k], dcr[k], g[k], g[H + k], g[2 * H + k], g[3 * H + k],
                                       tc[k - c0], cp[k], &g[k], &g[H + k], &g[2 * H + k], &g[3 * H + k],
                                       &dcr[k]);
              dqr[k] = 0.0f;
            }
          }
          break;
        }
        case RnnCell::kGru: {
          const float* hi = hin + b * H;
          for (int64_t k = k0; k < k1; ++k) {
            dqr[k] = math::gru_backward_elem(dhr[k] + dyr[k], g[k], g[H + k], g[2 * H + k], g[3 * H + k],
                                             hi[k], &g[k], &g[H + k], &g[2 * H + k], &g[3 * H + k]);
            gh[k] = g[k];
            gh[H + k] = g[H + k];
            gh[2 * H + k] = g[3 * H + k];
          }
          break;
        }
        default: {
          for (int64_t k = k0; k < k1; ++k) {
            float dht = dhr[k] + dyr[k];
            g[k] = dht * math::rnn_act_grad_from_y(g[k], relu);
            dqr[k] = residual ? dht : 0.0f;
          }
        }
      }
    });
    // dh_{t-1} = (direct part) + dgates_h W_hh
    step_product(dhq, H, dght, ldgh, pw, w_hh, H, false, B, H, GH, true);
    std::swap(dh, dh_next);
  }
  std::memcpy(dh0, dh.get(), sizeof(float) * size_t(BH));
  if (lstm && dc0) std::memcpy(dc0, dc.get(), sizeof(float) * size_t(BH));

  // The states entering steps 0..T-1 are contiguous rows aligned with the gate gradients.
  const float* hin_all = saved_h + (d.reverse ? BH : 0);
  if (gru) {
    sgemm_cpu(true, false, 2 * H, H, TB, 1.0f, dg_all, SH, hin_all, H, 0.0f, dw_hh, H);
    sgemm_cpu(true, false, H, H, TB, 1.0f, dg_all + 3 * H, SH, hin_all, H, 0.0f, dw_hh + 2 * H * H, H);
  } else {
    sgemm_cpu(true, false, GH, H, TB, 1.0f, dg_all, SH, hin_all, H, 0.0f, dw_hh, H);
  }
  sgemm_cpu(true, false, GH, I, TB, 1.0f, dg_all, SH, x, I, 0.0f, dw_ih, I);
  if (db_ih) column_sum(db_ih, dg_all, TB, GH, SH);
  if (db_hh) {
    column_sum(db_hh, dg_all, TB, gru ? 2 * H : GH, SH);
    if (gru) column_sum(db_hh + 2 * H, dg_all + 3 * H, TB, H, SH);
  }
  if (dx) sgemm_cpu(false, false, TB, I, GH, 1.0f, dg_all, SH, w_ih, I, accumulate_dx ? 1.0f : 0.0f, dx, I);
}

}  // namespace tk

// The recurrent layer's GPU code that does not depend on being on a GPU: the per-unit work of the
// step kernels (__host__ __device__, over textkernels/math/rnn.h) and the layer drivers (the order
// of GEMMs and step kernels), templated on an Ops backend. cuda/rnn.cu instantiates the drivers
// with CUDA launches; cuda/dev/rnn.cu instantiates them with host loops (version 0), so the same
// code is checked on machines without a GPU.
//
// defines: RnnStepForward, RnnStepBackward, rnn_step_forward_unit, rnn_step_backward_unit,
//          rnn_forward_driver, rnn_backward_driver, rnn_cuda_gates, rnn_cuda_saved, rnn_with_cell
#pragma once
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/rnn.h"
#include "textkernels/math/rnn.h"

namespace tk::cuda {

__host__ __device__ inline int rnn_cuda_gates(RnnCell c) {
  return c == RnnCell::kLstm ? 4 : c == RnnCell::kGru ? 3 : 1;
}
__host__ __device__ inline int rnn_cuda_saved(RnnCell c) {
  return c == RnnCell::kLstm || c == RnnCell::kGru ? 4 : 1;
}

// Arguments of one forward step (pointers at step t); see rnn_step_forward_unit.
struct RnnStepForward {
  float* g_t;  // [B, S*H] in: input projection, out: saved gates
  float* hout;
  float* cout;  // LSTM
  float* y_t;
  int64_t ldy;
  const float* rec;  // [B, G*H] = h_{t-1} W_hh^T
  const float* b_hh;
  const float* hin;
  const float* cin;  // LSTM
  const int32_t* lengths;
  int64_t t, B, H;
  bool residual;
};

// Arguments of one backward step; see rnn_step_backward_unit.
struct RnnStepBackward {
  float* g_t;      // [B, S*H] in: the saved gates of step t, out: their gradients (in place)
  float* gh;       // [B, G*H] GRU: this step's recurrent-side gate gradients dr dz dn*r; else null
  float* dh_next;  // [B, H] out: the part of dh_{t-1} not through W_hh
  float* dc;       // [B, H] LSTM, in place
  const float* dh;
  const float* dy_t;
  int64_t lddy;
  const float* hin;
  const float* cprev;
  const float* ccur;
  const int32_t* lengths;
  int64_t t, B, H;
  bool residual;
};

__host__ __device__ inline bool rnn_active(const int32_t* lengths, int64_t b, int64_t t) {
  return lengths == nullptr || t < int64_t(lengths[b]);
}

// Unit u = b * H + k of a forward step.
template <RnnCell kCell>
__host__ __device__ inline void rnn_step_forward_unit(const RnnStepForward& a, int64_t u) {
  constexpr int G = kCell == RnnCell::kLstm ? 4 : kCell == RnnCell::kGru ? 3 : 1;
  constexpr int S = kCell == RnnCell::kLstm || kCell == RnnCell::kGru ? 4 : 1;
  const int64_t H = a.H, b = u / H, k = u % H;
  float* yr = a.y_t + b * a.ldy;
  if (!rnn_active(a.lengths, b, a.t)) {
    a.hout[u] = a.hin[u];
    if (kCell == RnnCell::kLstm) a.cout[u] = a.cin[u];
    yr[k] = 0.0f;
    return;
  }
  float* g = a.g_t + b * S * H;
  const float* r = a.rec + b * G * H;
  const float* bh = a.b_hh;
  float h;
  if constexpr (kCell == RnnCell::kLstm) {
    float pi = math::rnn_preact(r[k], bh ? bh[k] : 0.0f, g[k]);
    float pf = math::rnn_preact(r[H + k], bh ? bh[H + k] : 0.0f, g[H + k]);
    float pg = math::rnn_preact(r[2 * H + k], bh ? bh[2 * H + k] : 0.0f, g[2 * H + k]);
    float po = math::rnn_preact(r[3 * H + k], bh ? bh[3 * H + k] : 0.0f, g[3 * H + k]);
    float c;
    math::lstm_forward_elem(pi, pf, pg, po, a.cin[u], &g[k], &g[H + k], &g[2 * H + k], &g[3 * H + k], &c, &h);
    a.cout[u] = c;
  } else if constexpr (kCell == RnnCell::kGru) {
    float hn = r[2 * H + k] + (bh ? bh[2 * H + k] : 0.0f);
    h = math::gru_forward_elem(g[k], g[H + k], g[2 * H + k], r[k] + (bh ? bh[k] : 0.0f),
                               r[H + k] + (bh ? bh[H + k] : 0.0f), hn, a.hin[u], &g[k], &g[H + k],
                               &g[2 * H + k]);
    g[3 * H + k] = hn;
  } else {
    float v = math::rnn_act(math::rnn_preact(r[k], bh ? bh[k] : 0.0f, g[k]), kCell == RnnCell::kRnnRelu);
    g[k] = v;
    h = a.residual ? v + a.hin[u] : v;
  }
  a.hout[u] = h;
  yr[k] = h;
}

// Unit u of a backward step. The unit's gradients overwrite its own saved values (g[j*H + k] for
// each block j), after all of them are read: the math functions take them by value, and no other
// unit touches element k of this row.
template <RnnCell kCell>
__host__ __device__ inline void rnn_step_backward_unit(const RnnStepBackward& a, int64_t u) {
  constexpr int G = kCell == RnnCell::kLstm ? 4 : kCell == RnnCell::kGru ? 3 : 1;
  constexpr int S = kCell == RnnCell::kLstm || kCell == RnnCell::kGru ? 4 : 1;
  const int64_t H = a.H, b = u / H, k = u % H;
  float* g = a.g_t + b * S * H;
  if (!rnn_active(a.lengths, b, a.t)) {
    a.dh_next[u] = a.dh[u];
    for (int j = 0; j < S; ++j) g[j * H + k] = 0.0f;
    if (kCell == RnnCell::kGru)
      for (int j = 0; j < G; ++j) a.gh[b * G * H + j * H + k] = 0.0f;
    return;
  }
  const float dht = a.dh[u] + a.dy_t[b * a.lddy + k];
  if constexpr (kCell == RnnCell::kLstm) {
    float dcp;
    math::lstm_backward_elem(dht, a.dc[u], g[k], g[H + k], g[2 * H + k], g[3 * H + k],
                             math::tanh_fwd(a.ccur[u]), a.cprev[u], &g[k], &g[H + k], &g[2 * H + k],
                             &g[3 * H + k], &dcp);
    a.dc[u] = dcp;
    a.dh_next[u] = 0.0f;
  } else if constexpr (kCell == RnnCell::kGru) {
    // Blocks after: dr, dz, dn (input side), dn * r (recurrent n block, over hn).
    float* ghr = a.gh + b * G * H;
    a.dh_next[u] = math::gru_backward_elem(dht, g[k], g[H + k], g[2 * H + k], g[3 * H + k], a.hin[u], &g[k],
                                           &g[H + k], &g[2 * H + k], &g[3 * H + k]);
    ghr[k] = g[k];
    ghr[H + k] = g[H + k];
    ghr[2 * H + k] = g[3 * H + k];
  } else {
    g[k] = dht * math::rnn_act_grad_from_y(g[k], kCell == RnnCell::kRnnRelu);
    a.dh_next[u] = a.residual ? dht : 0.0f;
  }
}

template <typename F>
void rnn_with_cell(RnnCell c, F&& f) {
  switch (c) {
    case RnnCell::kLstm:
      f(std::integral_constant<RnnCell, RnnCell::kLstm>());
      break;
    case RnnCell::kGru:
      f(std::integral_constant<RnnCell, RnnCell::kGru>());
      break;
    case RnnCell::kRnnTanh:
      f(std::integral_constant<RnnCell, RnnCell::kRnnTanh>());
      break;
    case RnnCell::kRnnRelu:
      f(std::integral_constant<RnnCell, RnnCell::kRnnRelu>());
      break;
    default:
      throw std::invalid_argument("rnn: unknown cell " + std::to_string(int(c)));
  }
}

// Ops: gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) (row-major, as sgemm_cpu),
// fill(p, v, n), copy(dst, src, n), broadcast_rows(rows, ld, v, nrows, n),
// column_sum(out, a, rows, cols, lda), step_forward<kCell>(RnnStepForward, units),
// step_backward<kCell>(RnnStepBackward, units). Workspace sizes: rnn_forward_cuda_workspace /
// rnn_backward_cuda_workspace (cuda/rnn.h).
template <typename Ops>
void rnn_forward_driver(Ops& ops, float* y, int64_t ldy, float* h_n, float* c_n, float* saved_gates,
                        float* saved_h, float* saved_c, const float* x, const float* h0, const float* c0,
                        const float* w_ih, const float* w_hh, const float* b_ih, const float* b_hh,
                        const int32_t* lengths, const RnnDims& d, float* workspace) {
  const int64_t T = d.T, B = d.B, I = d.I, H = d.H;
  const int64_t GH = rnn_cuda_gates(d.cell) * H, SH = rnn_cuda_saved(d.cell) * H, BH = B * H;
  const bool lstm = d.cell == RnnCell::kLstm;
  float* h_init = saved_h + (d.reverse ? T : 0) * BH;
  if (h0)
    ops.copy(h_init, h0, BH);
  else
    ops.fill(h_init, 0.0f, BH);
  if (lstm) {
    float* c_init = saved_c + (d.reverse ? T : 0) * BH;
    if (c0)
      ops.copy(c_init, c0, BH);
    else
      ops.fill(c_init, 0.0f, BH);
  }
  if (T > 0 && B > 0) {
    float beta = 0.0f;
    if (b_ih) {
      ops.broadcast_rows(saved_gates, SH, b_ih, T * B, GH);
      beta = 1.0f;
    }
    ops.gemm(false, true, T * B, GH, I, 1.0f, x, I, w_ih, I, beta, saved_gates, SH);
    float* rec = workspace;
    for (int64_t s = 0; s < T; ++s) {
      const int64_t t = d.reverse ? T - 1 - s : s;
      const int64_t in = d.reverse ? t + 1 : t, out = d.reverse ? t : t + 1;
      ops.gemm(false, true, B, GH, H, 1.0f, saved_h + in * BH, H, w_hh, H, 0.0f, rec, GH);
      RnnStepForward a{saved_gates + t * B * SH,
                       saved_h + out * BH,
                       lstm ? saved_c + out * BH : nullptr,
                       y + t * B * ldy,
                       ldy,
                       rec,
                       b_hh,
                       saved_h + in * BH,
                       lstm ? saved_c + in * BH : nullptr,
                       lengths,
                       t,
                       B,
                       H,
                       d.residual};
      rnn_with_cell(d.cell, [&](auto cell) { ops.template step_forward<decltype(cell)::value>(a, BH); });
    }
  }
  const int64_t last = d.reverse ? 0 : T;
  ops.copy(h_n, saved_h + last * BH, BH);
  if (lstm && c_n) ops.copy(c_n, saved_c + last * BH, BH);
}

// The gate gradients of step t overwrite row t of saved_gates (rows S*H apart, read so by the GEMMs
// after the loop): the backward consumes saved_gates, as rnn_backward_cpu.
template <typename Ops>
void rnn_backward_driver(Ops& ops, float* dx, bool accumulate_dx, float* dh0, float* dc0, float* dw_ih,
                         float* dw_hh, float* db_ih, float* db_hh, float* saved_gates, const float* dy,
                         int64_t lddy, const float* dh_n, const float* dc_n, const float* x,
                         const float* w_ih, const float* w_hh, const float* saved_h, const float* saved_c,
                         const int32_t* lengths, const RnnDims& d, float* workspace) {
  const int64_t T = d.T, B = d.B, I = d.I, H = d.H;
  const int64_t GH = rnn_cuda_gates(d.cell) * H, SH = rnn_cuda_saved(d.cell) * H, BH = B * H, TB = T * B;
  const bool lstm = d.cell == RnnCell::kLstm, gru = d.cell == RnnCell::kGru;
  float* dh = workspace;
  float* dh_next = dh + BH;
  float* dc = dh_next + BH;
  float* gstep = dc + BH;
  if (dh_n)
    ops.copy(dh, dh_n, BH);
  else
    ops.fill(dh, 0.0f, BH);
  if (lstm) {
    if (dc_n)
      ops.copy(dc, dc_n, BH);
    else
      ops.fill(dc, 0.0f, BH);
  }
  if (TB == 0) {
    ops.copy(dh0, dh, BH);
    if (lstm && dc0) ops.copy(dc0, dc, BH);
    ops.fill(dw_ih, 0.0f, GH * I);
    ops.fill(dw_hh, 0.0f, GH * H);
    if (db_ih) ops.fill(db_ih, 0.0f, GH);
    if (db_hh) ops.fill(db_hh, 0.0f, GH);
    return;
  }
  const float* dg = saved_gates;
  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = d.reverse ? T - 1 - s : s;
    const int64_t in = d.reverse ? t + 1 : t, out = d.reverse ? t : t + 1;
    float* gt = saved_gates + t * B * SH;
    RnnStepBackward a{gt,
                      gru ? gstep : nullptr,
                      dh_next,
                      dc,
                      dh,
                      dy + t * B * lddy,
                      lddy,
                      saved_h + in * BH,
                      lstm ? saved_c + in * BH : nullptr,
                      lstm ? saved_c + out * BH : nullptr,
                      lengths,
                      t,
                      B,
                      H,
                      d.residual};
    rnn_with_cell(d.cell, [&](auto cell) { ops.template step_backward<decltype(cell)::value>(a, BH); });
    if (gru)
      ops.gemm(false, false, B, H, GH, 1.0f, gstep, GH, w_hh, H, 1.0f, dh_next, H);
    else
      ops.gemm(false, false, B, H, GH, 1.0f, gt, SH, w_hh, H, 1.0f, dh_next, H);
    float* tmp = dh;
    dh = dh_next;
    dh_next = tmp;
  }
  ops.copy(dh0, dh, BH);
  if (lstm && dc0) ops.copy(dc0, dc, BH);
  const float* hin_all = saved_h + (d.reverse ? BH : 0);
  if (gru) {
    ops.gemm(true, false, 2 * H, H, TB, 1.0f, dg, SH, hin_all, H, 0.0f, dw_hh, H);
    ops.gemm(true, false, H, H, TB, 1.0f, dg + 3 * H, SH, hin_all, H, 0.0f, dw_hh + 2 * H * H, H);
  } else {
    ops.gemm(true, false, GH, H, TB, 1.0f, dg, SH, hin_all, H, 0.0f, dw_hh, H);
  }
  ops.gemm(true, false, GH, I, TB, 1.0f, dg, SH, x, I, 0.0f, dw_ih, I);
  if (db_ih) ops.column_sum(db_ih, dg, TB, GH, SH);
  if (db_hh) {
    ops.column_sum(db_hh, dg, TB, gru ? 2 * H : GH, SH);
    if (gru) ops.column_sum(db_hh + 2 * H, dg + 3 * H, TB, H, SH);
  }
  if (dx) ops.gemm(false, false, TB, I, GH, 1.0f, dg, SH, w_ih, I, accumulate_dx ? 1.0f : 0.0f, dx, I);
}

}  // namespace tk::cuda

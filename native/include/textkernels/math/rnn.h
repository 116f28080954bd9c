// Per-element math of the recurrent cells (LSTM, GRU, Elman RNN), forward and backward, shared by
// the CPU kernels (native/kernels/rnn.cc) and the CUDA kernels (cuda/rnn.cu).
//
// Notation per element k of a batch row: x* is the input projection (W_ih x + b_ih, computed for
// all steps at once), h* the recurrent projection W_hh h_{t-1} WITHOUT its bias, and b* the bias
// b_hh (0 when the layer has none). Pre-activations are summed as PyTorch's CPU cells do,
// (h* + b*) + x*, so values agree to float rounding when PyTorch takes its generic path.
//
// Gate orders are PyTorch's: LSTM i, f, g, o; GRU r, z, n with b_hn inside the reset product,
// n = tanh(x_n + r * (h_n + b_hn)). Derivatives are written in terms of the forward outputs that
// the forward pass saves (the gates after their activations), as haste's inline_ops.h does.
#pragma once
#include "textkernels/math/activations.h"
#include "textkernels/math/common.h"

namespace tk::math {

TK_HD float rnn_preact(float hproj, float bias_hh, float xproj) { return (hproj + bias_hh) + xproj; }

// ---- LSTM ----------------------------------------------------------------------------------
// c = f * c_prev + i * g, h = o * tanh(c). Writes the activated gates (saved for backward).
TK_HD void lstm_forward_elem(float pi, float pf, float pg, float po, float c_prev, float* i, float* f,
                             float* g, float* o, float* c, float* h) {
  float vi = sigmoid(pi), vf = sigmoid(pf), vg = tanh_fwd(pg), vo = sigmoid(po);
  float vc = vf * c_prev + vi * vg;
  *i = vi;
  *f = vf;
  *g = vg;
  *o = vo;
  *c = vc;
  *h = vo * tanh_fwd(vc);
}

// dh: gradient reaching h_t (from the output and from step t+1); dc: gradient reaching c_t from
// step t+1; tc = tanh(c_t), recomputed by the caller. Writes the pre-activation gate gradients and
// the gradient for c_{t-1}.
TK_HD void lstm_backward_elem(float dh, float dc, float i, float f, float g, float o, float tc, float c_prev,
                              float* di, float* df, float* dg, float* dout, float* dc_prev) {
  float dct = dc + dh * o * tanh_grad_from_y(tc);
  *dout = dh * tc * sigmoid_grad_from_y(o);
  *di = dct * g * sigmoid_grad_from_y(i);
  *df = dct * c_prev * sigmoid_grad_from_y(f);
  *dg = dct * i * tanh_grad_from_y(g);
  *dc_prev = dct * f;
}

// ---- GRU -----------------------------------------------------------------------------------
// r = s(x_r + h_r), z = s(x_z + h_z), n = tanh(x_n + r * hn), h = (h_prev - n) * z + n, where
// hn = h_n + b_hn is saved for the backward (it multiplies dr).
TK_HD float gru_forward_elem(float xr, float xz, float xn, float hr, float hz, float hn_full, float h_prev,
                             float* r, float* z, float* n) {
  float vr = sigmoid(hr + xr);
  float vz = sigmoid(hz + xz);
  float vn = tanh_fwd(xn + hn_full * vr);
  *r = vr;
  *z = vz;
  *n = vn;
  return (h_prev - vn) * vz + vn;
}

// Gradients of the pre-activations: dr and dz are shared by the input and the recurrent
// projections, the n gate splits into dxn (input side) and dhn (recurrent side, inside r *).
// Returns the part of dh_prev that does not go through W_hh (dh * z).
TK_HD float gru_backward_elem(float dh, float r, float z, float n, float hn_full, float h_prev, float* dr,
                              float* dz, float* dxn, float* dhn) {
  float dn = dh * (1.0f - z) * tanh_grad_from_y(n);
  *dz = dh * (h_prev - n) * sigmoid_grad_from_y(z);
  *dxn = dn;
  *dhn = dn * r;
  *dr = dn * hn_full * sigmoid_grad_from_y(r);
  return dh * z;
}

// ---- Elman RNN -----------------------------------------------------------------------------
// y = act(pre); h = y (+ h_prev with the residual connection of the seed document).
TK_HD float rnn_act(float pre, bool relu) { return relu ? math::relu(pre) : tanh_fwd(pre); }
TK_HD float rnn_act_grad_from_y(float y, bool relu) {
  return relu ? relu_grad_from_y(y) : tanh_grad_from_y(y);
}

}  // namespace tk::math

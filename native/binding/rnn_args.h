// The argument checks of rnnForward and rnnBackward, shared by the CPU exports (native/binding/
// rnn.cc, Arrays = HostArrays: typed arrays) and the device exports (cuda/binding/rnn.cc,
// Arrays = cuda::DeviceArrays: device buffers), so that both refuse the same calls with the same
// messages.
//
// cell: 0 LSTM, 1 GRU, 2 RNN tanh, 3 RNN relu. Sizes arrive first, then every buffer is checked
// against them; y and dy are strided views (offset, row stride) so the two directions of a
// bidirectional layer write into one [T, B, 2H] buffer. `lengths` is a host Int32Array for both
// (its values are checked here; the device export copies it to the device for the call).
#pragma once
#include <initializer_list>
#include <string>
#include <vector>

#include "binding/args.h"
#include "kernels/rnn.h"

namespace tk::binding::rnn_args {

struct Named {
  Span<float> s;
  const char* name;
};

// Outputs (the first n_out entries) must not share memory with any other buffer of the call.
inline void RequireDisjoint(Napi::Env env, const std::vector<Named>& all, size_t n_out) {
  for (size_t i = 0; i < n_out; ++i)
    for (size_t j = 0; j < all.size(); ++j)
      if (i != j && Overlaps(all[i].s, all[j].s))
        ThrowRange(env, std::string(all[i].name) + " and " + all[j].name + " must not share memory");
}

template <class Arrays>
Span<float> GetOptional(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t n, bool wanted) {
  if (!wanted) return {};
  if (i < info.Length() && (info[i].IsNull() || info[i].IsUndefined())) return {};
  return Arrays::template GetExact<float>(info, i, name, n);
}

template <class Arrays>
Span<float> GetRequired(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t n) {
  return Arrays::template GetExact<float>(info, i, name, n);
}

struct Common {
  RnnDims d;
  int64_t G, S;
};

inline Common ReadDims(const Napi::CallbackInfo& info) {
  Common c;
  int64_t cell = GetInt(info, 0, "cell", 0, 3);
  c.d.cell = RnnCell(int(cell));
  c.d.reverse = GetBool(info, 1, "reverse");
  c.d.residual = GetBool(info, 2, "residual");
  // Each of T*B*I, T*B*4H, 4H*I, 4H*H must stay far from int64 limits.
  const int64_t lim = int64_t(1) << 31;
  c.d.T = GetInt(info, 3, "T", 0, lim);
  c.d.B = GetInt(info, 4, "B", 0, lim);
  c.d.I = GetInt(info, 5, "I", 0, lim);
  c.d.H = GetInt(info, 6, "H", 1, lim);
  // rnn_gate_count / rnn_saved_count (kernels/rnn.cc), restated: the device exports are built without
  // the CPU kernels.
  const bool lstm = c.d.cell == RnnCell::kLstm, gru = c.d.cell == RnnCell::kGru;
  c.G = lstm ? 4 : gru ? 3 : 1;
  c.S = lstm || gru ? 4 : 1;
  Napi::Env env = info.Env();
  auto prod = [&](std::initializer_list<int64_t> xs) {
    int64_t p = 1;
    for (int64_t v : xs) {
      if (v != 0 && p > (int64_t(1) << 46) / v) ThrowRange(env, "rnn: sizes are too large");
      p *= v;
    }
    return p;
  };
  prod({c.d.T + 1, c.d.B, c.S, c.d.H});
  prod({c.d.T, c.d.B, c.d.I});
  prod({c.G, c.d.H, c.d.I});
  prod({c.G, c.d.H, c.d.H});
  return c;
}

// A strided [T, B, H] view: rows of H values ld apart starting at offset.
template <class Arrays>
Span<float> GetStrided(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t offset, int64_t ld,
                       int64_t rows, int64_t H) {
  Span<float> s = Arrays::template Get<float>(info, i, name);
  Napi::Env env = info.Env();
  if (ld < H) ThrowRange(env, std::string(name) + " row stride " + std::to_string(ld) + " is less than H");
  Span<float> v;
  if (rows == 0) return v;  // nothing is read or written
  // In double: rows * ld may exceed int64 for hostile sizes; any array length is exact in double.
  double need = double(offset) + double(rows - 1) * double(ld) + double(H);
  if (double(s.length) < need)
    ThrowRange(env, std::string(name) + " has " + std::to_string(s.length) + " elements, needs at least " +
                        std::to_string(int64_t(need)) + " (offset " + std::to_string(offset) +
                        ", row stride " + std::to_string(ld) + ")");
  v.data = s.data + offset;
  v.length = size_t((rows - 1) * ld + H);
  return v;
}

// Host memory on both backends (see the header comment).
inline Span<int32_t> GetLengths(const Napi::CallbackInfo& info, size_t i, int64_t B, int64_t T) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return {};
  auto l = GetArrayExact<int32_t>(info, i, "lengths", B);
  for (int64_t b = 0; b < B; ++b) {
    if (l.data[b] < 1 || l.data[b] > T)
      ThrowRange(info.Env(), "lengths[" + std::to_string(b) + "] must be in [1, " + std::to_string(T) +
                                 "], got " + std::to_string(l.data[b]));
  }
  return l;
}

struct ForwardArgs {
  RnnDims d;
  int64_t ldy;
  Span<float> y, h_n, c_n, saved_gates, saved_h, saved_c, x, h0, c0, w_ih, w_hh, b_ih, b_hh;
  Span<int32_t> lengths;  // host
};

// rnnForward(cell, reverse, residual, T, B, I, H, y, yOffset, ldy, hN, cN|null, savedGates, savedH,
//            savedC|null, x, h0|null, c0|null, wIh, wHh, bIh|null, bHh|null, lengths|null)
template <class Arrays>
ForwardArgs ReadForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgs(info, 23, "rnnForward");
  Common c = ReadDims(info);
  ForwardArgs r;
  r.d = c.d;
  const RnnDims& d = c.d;
  const bool lstm = d.cell == RnnCell::kLstm;
  const int64_t BH = d.B * d.H, GH = c.G * d.H;
  int64_t y_off = GetInt(info, 8, "yOffset");
  r.ldy = GetInt(info, 9, "ldy");
  r.y = GetStrided<Arrays>(info, 7, "y", y_off, r.ldy, d.T * d.B, d.H);
  r.h_n = GetRequired<Arrays>(info, 10, "hN", BH);
  r.c_n = GetOptional<Arrays>(info, 11, "cN", BH, lstm);
  r.saved_gates = GetRequired<Arrays>(info, 12, "savedGates", d.T * d.B * c.S * d.H);
  r.saved_h = GetRequired<Arrays>(info, 13, "savedH", (d.T + 1) * BH);
  if (lstm) r.saved_c = GetRequired<Arrays>(info, 14, "savedC", (d.T + 1) * BH);
  r.x = GetRequired<Arrays>(info, 15, "x", d.T * d.B * d.I);
  r.h0 = GetOptional<Arrays>(info, 16, "h0", BH, true);
  r.c0 = GetOptional<Arrays>(info, 17, "c0", BH, lstm);
  r.w_ih = GetRequired<Arrays>(info, 18, "wIh", GH * d.I);
  r.w_hh = GetRequired<Arrays>(info, 19, "wHh", GH * d.H);
  r.b_ih = GetOptional<Arrays>(info, 20, "bIh", GH, true);
  r.b_hh = GetOptional<Arrays>(info, 21, "bHh", GH, true);
  r.lengths = GetLengths(info, 22, d.B, d.T);
  std::vector<Named> all = {{r.y, "y"},
                            {r.h_n, "hN"},
                            {r.c_n, "cN"},
                            {r.saved_gates, "savedGates"},
                            {r.saved_h, "savedH"},
                            {r.saved_c, "savedC"}};
  const size_t n_out = all.size();
  for (Named n : {Named{r.x, "x"}, Named{r.h0, "h0"}, Named{r.c0, "c0"}, Named{r.w_ih, "wIh"},
                  Named{r.w_hh, "wHh"}, Named{r.b_ih, "bIh"}, Named{r.b_hh, "bHh"}})
    all.push_back(n);
  RequireDisjoint(env, all, n_out);
  return r;
}

struct BackwardArgs {
  RnnDims d;
  bool accumulate_dx;
  int64_t lddy;
  Span<float> dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dy, dh_n, dc_n, x, w_ih, w_hh, saved_gates, saved_h,
      saved_c;
  Span<int32_t> lengths;  // host
};

// rnnBackward(cell, reverse, residual, T, B, I, H, dx|null, accumulateDx, dh0, dc0|null, dwIh, dwHh,
//             dbIh|null, dbHh|null, dy, dyOffset, lddy, dhN|null, dcN|null, x, wIh, wHh,
//             savedGates, savedH, savedC|null, lengths|null)
// savedGates is consumed: the backward overwrites it with the gate gradients.
template <class Arrays>
BackwardArgs ReadBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgs(info, 27, "rnnBackward");
  Common c = ReadDims(info);
  BackwardArgs r;
  r.d = c.d;
  const RnnDims& d = c.d;
  const bool lstm = d.cell == RnnCell::kLstm;
  const int64_t BH = d.B * d.H, GH = c.G * d.H;
  r.dx = GetOptional<Arrays>(info, 7, "dx", d.T * d.B * d.I, true);
  r.accumulate_dx = GetBool(info, 8, "accumulateDx");
  r.dh0 = GetRequired<Arrays>(info, 9, "dh0", BH);
  r.dc0 = GetOptional<Arrays>(info, 10, "dc0", BH, lstm);
  r.dw_ih = GetRequired<Arrays>(info, 11, "dwIh", GH * d.I);
  r.dw_hh = GetRequired<Arrays>(info, 12, "dwHh", GH * d.H);
  r.db_ih = GetOptional<Arrays>(info, 13, "dbIh", GH, true);
  r.db_hh = GetOptional<Arrays>(info, 14, "dbHh", GH, true);
  int64_t dy_off = GetInt(info, 16, "dyOffset");
  r.lddy = GetInt(info, 17, "lddy");
  r.dy = GetStrided<Arrays>(info, 15, "dy", dy_off, r.lddy, d.T * d.B, d.H);
  r.dh_n = GetOptional<Arrays>(info, 18, "dhN", BH, true);
  r.dc_n = GetOptional<Arrays>(info, 19, "dcN", BH, lstm);
  r.x = GetRequired<Arrays>(info, 20, "x", d.T * d.B * d.I);
  r.w_ih = GetRequired<Arrays>(info, 21, "wIh", GH * d.I);
  r.w_hh = GetRequired<Arrays>(info, 22, "wHh", GH * d.H);
  r.saved_gates = GetRequired<Arrays>(info, 23, "savedGates", d.T * d.B * c.S * d.H);
  r.saved_h = GetRequired<Arrays>(info, 24, "savedH", (d.T + 1) * BH);
  if (lstm) r.saved_c = GetRequired<Arrays>(info, 25, "savedC", (d.T + 1) * BH);
  r.lengths = GetLengths(info, 26, d.B, d.T);
  // savedGates is written too (the backward keeps the gate gradients in it; kernels/rnn.h).
  std::vector<Named> all = {
      {r.dx, "dx"},      {r.dh0, "dh0"},    {r.dc0, "dc0"},    {r.dw_ih, "dwIh"},
      {r.dw_hh, "dwHh"}, {r.db_ih, "dbIh"}, {r.db_hh, "dbHh"}, {r.saved_gates, "savedGates"}};
  const size_t n_out = all.size();
  for (Named n :
       {Named{r.dy, "dy"}, Named{r.dh_n, "dhN"}, Named{r.dc_n, "dcN"}, Named{r.x, "x"}, Named{r.w_ih, "wIh"},
        Named{r.w_hh, "wHh"}, Named{r.saved_h, "savedH"}, Named{r.saved_c, "savedC"}})
    all.push_back(n);
  RequireDisjoint(env, all, n_out);
  return r;
}

}  // namespace tk::binding::rnn_args

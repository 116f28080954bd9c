// Exports: rnnForward, rnnBackward (one recurrent layer, one direction; kernels/rnn.h).
//
// cell: 0 LSTM, 1 GRU, 2 RNN tanh, 3 RNN relu. Sizes arrive first, then every buffer is checked
// against them; y and dy are strided views (offset, row stride) so the two directions of a
// bidirectional layer write into one [T, B, 2H] buffer.
#include "kernels/rnn.h"

#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/registry.h"

namespace tk::binding {
namespace {

struct Named {
  Span<float> s;
  const char* name;
};

// Outputs (the first n_out entries) must not share memory with any other buffer of the call.
void RequireDisjoint(Napi::Env env, const std::vector<Named>& all, size_t n_out) {
  for (size_t i = 0; i < n_out; ++i)
    for (size_t j = 0; j < all.size(); ++j)
      if (i != j && Overlaps(all[i].s, all[j].s))
        ThrowRange(env, std::string(all[i].name) + " and " + all[j].name + " must not share memory");
}

Span<float> GetOptional(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t n, bool wanted) {
  if (!wanted) return {};
  if (i < info.Length() && (info[i].IsNull() || info[i].IsUndefined())) return {};
  return GetArrayExact<float>(info, i, name, n);
}

Span<float> GetRequired(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t n) {
  return GetArrayExact<float>(info, i, name, n);
}

struct Common {
  RnnDims d;
  int64_t G, S;
};

Common ReadDims(const Napi::CallbackInfo& info) {
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
  c.G = rnn_gate_count(c.d.cell);
  c.S = rnn_saved_count(c.d.cell);
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
Span<float> GetStrided(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t offset, int64_t ld,
                       int64_t rows, int64_t H) {
  Span<float> s = GetArray<float>(info, i, name);
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

Span<int32_t> GetLengths(const Napi::CallbackInfo& info, size_t i, int64_t B, int64_t T) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return {};
  auto l = GetArrayExact<int32_t>(info, i, "lengths", B);
  for (int64_t b = 0; b < B; ++b) {
    if (l.data[b] < 1 || l.data[b] > T)
      ThrowRange(info.Env(), "lengths[" + std::to_string(b) + "] must be in [1, " + std::to_string(T) +
                                 "], got " + std::to_string(l.data[b]));
  }
  return l;
}

// rnnForward(cell, reverse, residual, T, B, I, H, y, yOffset, ldy, hN, cN|null, savedGates, savedH,
//            savedC|null, x, h0|null, c0|null, wIh, wHh, bIh|null, bHh|null, lengths|null)
Napi::Value JS_rnnForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgs(info, 23, "rnnForward");
  Common c = ReadDims(info);
  const RnnDims& d = c.d;
  const bool lstm = d.cell == RnnCell::kLstm;
  const int64_t BH = d.B * d.H, GH = c.G * d.H;
  int64_t y_off = GetInt(info, 8, "yOffset");
  int64_t ldy = GetInt(info, 9, "ldy");
  auto y = GetStrided(info, 7, "y", y_off, ldy, d.T * d.B, d.H);
  auto h_n = GetRequired(info, 10, "hN", BH);
  auto c_n = GetOptional(info, 11, "cN", BH, lstm);
  auto saved_gates = GetRequired(info, 12, "savedGates", d.T * d.B * c.S * d.H);
  auto saved_h = GetRequired(info, 13, "savedH", (d.T + 1) * BH);
  Span<float> saved_c;
  if (lstm) saved_c = GetRequired(info, 14, "savedC", (d.T + 1) * BH);
  auto x = GetRequired(info, 15, "x", d.T * d.B * d.I);
  auto h0 = GetOptional(info, 16, "h0", BH, true);
  auto c0 = GetOptional(info, 17, "c0", BH, lstm);
  auto w_ih = GetRequired(info, 18, "wIh", GH * d.I);
  auto w_hh = GetRequired(info, 19, "wHh", GH * d.H);
  auto b_ih = GetOptional(info, 20, "bIh", GH, true);
  auto b_hh = GetOptional(info, 21, "bHh", GH, true);
  auto lengths = GetLengths(info, 22, d.B, d.T);
  std::vector<Named> outs = {
      {y, "y"},           {h_n, "hN"}, {c_n, "cN"}, {saved_gates, "savedGates"}, {saved_h, "savedH"},
      {saved_c, "savedC"}};
  const size_t n_out = outs.size();
  std::vector<Named> all = outs;
  for (Named n : {Named{x, "x"}, Named{h0, "h0"}, Named{c0, "c0"}, Named{w_ih, "wIh"}, Named{w_hh, "wHh"},
                  Named{b_ih, "bIh"}, Named{b_hh, "bHh"}})
    all.push_back(n);
  RequireDisjoint(env, all, n_out);
  rnn_forward_cpu(y.data, ldy, h_n.data, c_n.data, saved_gates.data, saved_h.data, saved_c.data, x.data,
                  h0.data, c0.data, w_ih.data, w_hh.data, b_ih.data, b_hh.data, lengths.data, d);
  return env.Undefined();
}

// rnnBackward(cell, reverse, residual, T, B, I, H, dx|null, accumulateDx, dh0, dc0|null, dwIh, dwHh,
//             dbIh|null, dbHh|null, dy, dyOffset, lddy, dhN|null, dcN|null, x, wIh, wHh,
//             savedGates, savedH, savedC|null, lengths|null)
Napi::Value JS_rnnBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireArgs(info, 27, "rnnBackward");
  Common c = ReadDims(info);
  const RnnDims& d = c.d;
  const bool lstm = d.cell == RnnCell::kLstm;
  const int64_t BH = d.B * d.H, GH = c.G * d.H;
  auto dx = GetOptional(info, 7, "dx", d.T * d.B * d.I, true);
  bool acc = GetBool(info, 8, "accumulateDx");
  auto dh0 = GetRequired(info, 9, "dh0", BH);
  auto dc0 = GetOptional(info, 10, "dc0", BH, lstm);
  auto dw_ih = GetRequired(info, 11, "dwIh", GH * d.I);
  auto dw_hh = GetRequired(info, 12, "dwHh", GH * d.H);
  auto db_ih = GetOptional(info, 13, "dbIh", GH, true);
  auto db_hh = GetOptional(info, 14, "dbHh", GH, true);
  int64_t dy_off = GetInt(info, 16, "dyOffset");
  int64_t lddy = GetInt(info, 17, "lddy");
  auto dy = GetStrided(info, 15, "dy", dy_off, lddy, d.T * d.B, d.H);
  auto dh_n = GetOptional(info, 18, "dhN", BH, true);
  auto dc_n = GetOptional(info, 19, "dcN", BH, lstm);
  auto x = GetRequired(info, 20, "x", d.T * d.B * d.I);
  auto w_ih = GetRequired(info, 21, "wIh", GH * d.I);
  auto w_hh = GetRequired(info, 22, "wHh", GH * d.H);
  auto saved_gates = GetRequired(info, 23, "savedGates", d.T * d.B * c.S * d.H);
  auto saved_h = GetRequired(info, 24, "savedH", (d.T + 1) * BH);
  Span<float> saved_c;
  if (lstm) saved_c = GetRequired(info, 25, "savedC", (d.T + 1) * BH);
  auto lengths = GetLengths(info, 26, d.B, d.T);
  std::vector<Named> outs = {{dx, "dx"},      {dh0, "dh0"},    {dc0, "dc0"},   {dw_ih, "dwIh"},
                             {dw_hh, "dwHh"}, {db_ih, "dbIh"}, {db_hh, "dbHh"}};
  const size_t n_out = outs.size();
  std::vector<Named> all = outs;
  for (Named n : {Named{dy, "dy"}, Named{dh_n, "dhN"}, Named{dc_n, "dcN"}, Named{x, "x"}, Named{w_ih, "wIh"},
                  Named{w_hh, "wHh"}, Named{saved_gates, "savedGates"}, Named{saved_h, "savedH"},
                  Named{saved_c, "savedC"}})
    all.push_back(n);
  RequireDisjoint(env, all, n_out);
  rnn_backward_cpu(dx.data, acc, dh0.data, dc0.data, dw_ih.data, dw_hh.data, db_ih.data, db_hh.data, dy.data,
                   lddy, dh_n.data, dc_n.data, x.data, w_ih.data, w_hh.data, saved_gates.data, saved_h.data,
                   saved_c.data, lengths.data, d);
  return env.Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("rnnForward", Napi::Function::New(env, JS_rnnForward, "rnnForward"));
  exports.Set("rnnBackward", Napi::Function::New(env, JS_rnnBackward, "rnnBackward"));
}

}  // namespace

TK_REGISTER_BINDING(rnn, Init);

}  // namespace tk::binding

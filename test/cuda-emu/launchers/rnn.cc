// cuda/rnn.cu (its step kernels, and the tiled GEMM through sgemm_cuda). rnnForward and rnnBackward
// take the CPU exports' arguments (native/binding/rnn.cc); the workspace is allocated here.
#include "cuda/rnn.h"

#include "test/cuda-emu/emu_addon.h"

namespace tk_emu_addon {
namespace {

tk::RnnDims dims(const Napi::CallbackInfo& info) {
  tk::RnnDims d;
  d.cell = tk::RnnCell(int(Int(info, 0)));
  d.reverse = Bool(info, 1);
  d.residual = Bool(info, 2);
  d.T = Int(info, 3);
  d.B = Int(info, 4);
  d.I = Int(info, 5);
  d.H = Int(info, 6);
  return d;
}

struct Workspace {
  float* p = nullptr;
  explicit Workspace(int64_t floats) { check(cudaMalloc(&p, size_t(floats) * sizeof(float)), "cudaMalloc"); }
  ~Workspace() { cudaFree(p); }
};

// rnnForward(cell, reverse, residual, T, B, I, H, y, yOffset, ldy, hN, cN|null, savedGates, savedH,
//            savedC|null, x, h0|null, c0|null, wIh, wHh, bIh|null, bHh|null, lengths|null)
TK_EMU_LAUNCHER(rnnForward) {
  const tk::RnnDims d = dims(info);
  Dev y(info, 7), h_n(info, 10), c_n(info, 11), gates(info, 12), sh(info, 13), sc(info, 14), x(info, 15),
      h0(info, 16), c0(info, 17), w_ih(info, 18), w_hh(info, 19), b_ih(info, 20), b_hh(info, 21),
      lengths(info, 22);
  Workspace ws(tk::rnn_forward_cuda_workspace(d));
  tk::rnn_forward_cuda(y.f(Int(info, 8)), Int(info, 9), h_n.f(), c_n.f(), gates.f(), sh.f(), sc.f(), x.f(),
                       h0.f(), c0.f(), w_ih.f(), w_hh.f(), b_ih.f(), b_hh.f(), lengths.ptr<int32_t>(), d,
                       ws.p, nullptr);
  for (const Dev* o : {&y, &h_n, &c_n, &gates, &sh, &sc}) o->back();
  return info.Env().Undefined();
}

// rnnBackward(cell, reverse, residual, T, B, I, H, dx|null, accumulateDx, dh0, dc0|null, dwIh, dwHh,
//             dbIh|null, dbHh|null, dy, dyOffset, lddy, dhN|null, dcN|null, x, wIh, wHh,
//             savedGates, savedH, savedC|null, lengths|null)
TK_EMU_LAUNCHER(rnnBackward) {
  const tk::RnnDims d = dims(info);
  Dev dx(info, 7), dh0(info, 9), dc0(info, 10), dw_ih(info, 11), dw_hh(info, 12), db_ih(info, 13),
      db_hh(info, 14), dy(info, 15), dh_n(info, 18), dc_n(info, 19), x(info, 20), w_ih(info, 21),
      w_hh(info, 22), gates(info, 23), sh(info, 24), sc(info, 25), lengths(info, 26);
  Workspace ws(tk::rnn_backward_cuda_workspace(d));
  tk::rnn_backward_cuda(dx.f(), Bool(info, 8), dh0.f(), dc0.f(), dw_ih.f(), dw_hh.f(), db_ih.f(), db_hh.f(),
                        gates.f(), dy.f(Int(info, 16)), Int(info, 17), dh_n.f(), dc_n.f(), x.f(), w_ih.f(),
                        w_hh.f(), sh.f(), sc.f(), lengths.ptr<int32_t>(), d, ws.p, nullptr);
  // savedGates too: the backward consumes it (the gate gradients overwrite it), as the CPU export.
  for (const Dev* o : {&dx, &dh0, &dc0, &dw_ih, &dw_hh, &db_ih, &db_hh, &gates}) o->back();
  return info.Env().Undefined();
}

}  // namespace
}  // namespace tk_emu_addon

// Device exports rnnForward and rnnBackward: the CPU exports' arguments (binding/rnn_args.h checks
// them the same way) over device buffers, run by the layer drivers of cuda/rnn.cu (per step one
// GEMM through sgemm_cuda and one fused pointwise kernel). `lengths` stays a host Int32Array as on
// the CPU (checked there, copied to the device for the call); the drivers' workspaces come from the
// caching allocator.
#include "cuda/rnn.h"

#include "binding/rnn_args.h"
#include "cuda/binding/device_args.h"
#include "cuda/binding/scratch.h"

namespace tk::cuda {
namespace {

Napi::Value JS_RnnForward(const Napi::CallbackInfo& info) {
  const binding::rnn_args::ForwardArgs r = binding::rnn_args::ReadForward<DeviceArrays>(info);
  Scratch lengths(r.lengths.data, r.lengths.length * sizeof(int32_t));
  Scratch ws(size_t(rnn_forward_cuda_workspace(r.d)) * sizeof(float));
  rnn_forward_cuda(r.y.data, r.ldy, r.h_n.data, r.c_n.data, r.saved_gates.data, r.saved_h.data,
                   r.saved_c.data, r.x.data, r.h0.data, r.c0.data, r.w_ih.data, r.w_hh.data, r.b_ih.data,
                   r.b_hh.data, r.lengths.data ? lengths.as<int32_t>() : nullptr, r.d, ws.as<float>(),
                   current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_RnnBackward(const Napi::CallbackInfo& info) {
  const binding::rnn_args::BackwardArgs r = binding::rnn_args::ReadBackward<DeviceArrays>(info);
  Scratch lengths(r.lengths.data, r.lengths.length * sizeof(int32_t));
  Scratch ws(size_t(rnn_backward_cuda_workspace(r.d)) * sizeof(float));
  rnn_backward_cuda(r.dx.data, r.accumulate_dx, r.dh0.data, r.dc0.data, r.dw_ih.data, r.dw_hh.data,
                    r.db_ih.data, r.db_hh.data, r.saved_gates.data, r.dy.data, r.lddy, r.dh_n.data,
                    r.dc_n.data, r.x.data, r.w_ih.data, r.w_hh.data, r.saved_h.data, r.saved_c.data,
                    r.lengths.data ? lengths.as<int32_t>() : nullptr, r.d, ws.as<float>(), current_stream());
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object cuda) {
  TK_CUDA_EXPORT(cuda, "rnnForward", JS_RnnForward);
  TK_CUDA_EXPORT(cuda, "rnnBackward", JS_RnnBackward);
}
TK_REGISTER_CUDA_BINDING(rnn, Init);

}  // namespace
}  // namespace tk::cuda

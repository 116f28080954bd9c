// Exports: rnnForward, rnnBackward (one recurrent layer, one direction; kernels/rnn.h). Arguments
// are checked in binding/rnn_args.h, which the device exports (cuda/binding/rnn.cc) share.
#include "kernels/rnn.h"

#include "binding/args.h"
#include "binding/registry.h"
#include "binding/rnn_args.h"

namespace tk::binding {
namespace {

Napi::Value JS_rnnForward(const Napi::CallbackInfo& info) {
  const rnn_args::ForwardArgs r = rnn_args::ReadForward<HostArrays>(info);
  rnn_forward_cpu(r.y.data, r.ldy, r.h_n.data, r.c_n.data, r.saved_gates.data, r.saved_h.data, r.saved_c.data,
                  r.x.data, r.h0.data, r.c0.data, r.w_ih.data, r.w_hh.data, r.b_ih.data, r.b_hh.data,
                  r.lengths.data, r.d);
  return info.Env().Undefined();
}

Napi::Value JS_rnnBackward(const Napi::CallbackInfo& info) {
  const rnn_args::BackwardArgs r = rnn_args::ReadBackward<HostArrays>(info);
  rnn_backward_cpu(r.dx.data, r.accumulate_dx, r.dh0.data, r.dc0.data, r.dw_ih.data, r.dw_hh.data,
                   r.db_ih.data, r.db_hh.data, r.saved_gates.data, r.dy.data, r.lddy, r.dh_n.data,
                   r.dc_n.data, r.x.data, r.w_ih.data, r.w_hh.data, r.saved_h.data, r.saved_c.data,
                   r.lengths.data, r.d);
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("rnnForward", Napi::Function::New(env, JS_rnnForward, "rnnForward"));
  exports.Set("rnnBackward", Napi::Function::New(env, JS_rnnBackward, "rnnBackward"));
}

}  // namespace

TK_REGISTER_BINDING(rnn, Init);

}  // namespace tk::binding

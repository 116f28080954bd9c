// Device exports adamUpdate and sgdUpdate: the CPU exports' arguments (binding/optim_args.h checks
// them and makes the float scalars the same way) over device buffers, run by cuda/optim.h.
#include "cuda/optim.h"

#include "binding/optim_args.h"
#include "cuda/binding/device_args.h"

namespace tk::cuda {
namespace {

Napi::Value JS_AdamUpdate(const Napi::CallbackInfo& info) {
  const binding::optim_args::AdamArgs r = binding::optim_args::ReadAdamArgs<DeviceArrays>(info);
  adam_update_cuda(r.param.data, r.exp_avg.data, r.exp_avg_sq.data,
                   r.s.amsgrad ? r.max_exp_avg_sq.data : nullptr, r.grad.data, r.s, r.n, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_SgdUpdate(const Napi::CallbackInfo& info) {
  const binding::optim_args::SgdArgs r = binding::optim_args::ReadSgdArgs<DeviceArrays>(info);
  sgd_update_cuda(r.param.data, r.s.has_momentum ? r.buf.data : nullptr, r.grad.data, r.s, r.n,
                  current_stream());
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object cuda) {
  TK_CUDA_EXPORT(cuda, "adamUpdate", JS_AdamUpdate);
  TK_CUDA_EXPORT(cuda, "sgdUpdate", JS_SgdUpdate);
}
TK_REGISTER_CUDA_BINDING(optim, Init);

}  // namespace
}  // namespace tk::cuda

// cuda/activations.cu. activationForward(op, y, x) and activationBackward(op, dx, dy, x|null, y|null),
// op as tk::Activation (0 sigmoid, 1 tanh, 2 relu, 3 gelu, 4 gelu tanh, 5 softplus); y may be x and dx
// may be dy (the same typed array: the kernels run in place then).
#include "cuda/activations.h"

#include "test/cuda-emu/emu_addon.h"

namespace tk_emu_addon {
namespace {

bool same_array(const Napi::CallbackInfo& info, size_t i, size_t j) { return info[i].StrictEquals(info[j]); }

TK_EMU_LAUNCHER(activationForward) {
  const auto op = tk::Activation(Int(info, 0));
  const int64_t n = int64_t(info[2].As<Napi::TypedArray>().ElementLength());
  if (same_array(info, 1, 2)) {
    Dev x(info, 2);
    tk::activation_forward_cuda(op, x.f(), x.f(), n, nullptr);
    x.back();
  } else {
    Dev y(info, 1), x(info, 2);
    tk::activation_forward_cuda(op, y.f(), x.f(), n, nullptr);
    y.back();
  }
  return info.Env().Undefined();
}

TK_EMU_LAUNCHER(activationBackward) {
  const auto op = tk::Activation(Int(info, 0));
  const int64_t n = int64_t(info[2].As<Napi::TypedArray>().ElementLength());
  Dev dy(info, 2), x(info, 3), y(info, 4);
  if (same_array(info, 1, 2)) {
    tk::activation_backward_cuda(op, dy.f(), dy.f(), x.f(), y.f(), n, nullptr);
    dy.back();
  } else {
    Dev dx(info, 1);
    tk::activation_backward_cuda(op, dx.f(), dy.f(), x.f(), y.f(), n, nullptr);
    dx.back();
  }
  return info.Env().Undefined();
}

}  // namespace
}  // namespace tk_emu_addon

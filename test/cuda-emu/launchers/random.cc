// cuda/random.cu. randomFill(kind, out, seed, offset, a, b) as the CPU export (native/binding/core.cc):
// kind 0 uniform [a, b), 1 normal (mean a, std b), 2 Bernoulli mask (p a, scale b), 3 uint32 (out is a
// Uint32Array). Returns the Philox blocks consumed.
#include "cuda/random.h"

#include "test/cuda-emu/emu_addon.h"

namespace tk_emu_addon {
namespace {

TK_EMU_LAUNCHER(randomFill) {
  const int64_t kind = Int(info, 0);
  Dev out(info, 1);
  const int64_t n = int64_t(info[1].As<Napi::TypedArray>().ElementLength());
  const uint64_t seed = uint64_t(Int(info, 2)), offset = uint64_t(Int(info, 3));
  const float a = kind == 3 ? 0.0f : float(Num(info, 4)), b = kind == 3 ? 0.0f : float(Num(info, 5));
  switch (kind) {
    case 0:
      tk::random_uniform_cuda(out.f(), n, seed, offset, a, b, nullptr);
      break;
    case 1:
      tk::random_normal_cuda(out.f(), n, seed, offset, a, b, nullptr);
      break;
    case 2:
      tk::random_bernoulli_mask_cuda(out.f(), n, seed, offset, a, b, nullptr);
      break;
    case 3:
      tk::random_uint32_cuda(out.ptr<uint32_t>(), n, seed, offset, nullptr);
      break;
    default:
      throw std::invalid_argument("randomFill: unknown kind");
  }
  out.back();
  return Napi::Number::New(info.Env(), double((n + 3) / 4));
}

}  // namespace
}  // namespace tk_emu_addon

// Exports: backendInfo, setNumThreads, getNumThreads, setSimdLevel, randomFill.
#include <string>

#include "binding/args.h"
#include "binding/registry.h"
#include "kernels/cpu_features.h"
#include "kernels/device.h"
#include "kernels/random.h"
#include "kernels/thread_pool.h"

namespace tk::binding {
namespace {

Napi::Value JS_backendInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("simd", simd_level_name(simd_level()));
  out.Set("simdSupported", simd_level_name(simd_level_supported()));
  out.Set("threads", num_threads());
  CudaInfo ci = cuda_info();
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("compiled", ci.compiled);
  cuda.Set("devices", ci.devices);
  if (!ci.reason.empty()) cuda.Set("reason", ci.reason);
  if (!ci.gemm.empty()) cuda.Set("gemm", ci.gemm);
  out.Set("cuda", cuda);
#if defined(__x86_64__)
  out.Set("arch", "x64");
#elif defined(__aarch64__)
  out.Set("arch", "arm64");
#else
  out.Set("arch", "other");
#endif
  return out;
}

Napi::Value JS_setNumThreads(const Napi::CallbackInfo& info) {
  int64_t n = GetInt(info, 0, "threads", 0, 1024);
  set_num_threads(int(n));
  return Napi::Number::New(info.Env(), num_threads());
}

Napi::Value JS_getNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), num_threads());
}

Napi::Value JS_setSimdLevel(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) ThrowType(info.Env(), "level must be a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  SimdLevel level;
  if (!parse_simd_level(name.c_str(), &level)) {
    ThrowRange(info.Env(), "level must be one of avx512, avx2, sse2, neon, scalar; got '" + name + "'");
  }
  return Napi::String::New(info.Env(), simd_level_name(set_simd_level(level)));
}

// randomFill(kind, out, seed, offset, a, b): kind 0 uniform [a, b), 1 normal (mean a, std b),
// 2 bernoulli mask (p a, scale b), 3 raw uint32 (out is a Uint32Array). Returns blocks consumed.
Napi::Value JS_randomFill(const Napi::CallbackInfo& info) {
  RequireArgs(info, 4, "randomFill");
  int64_t kind = GetInt(info, 0, "kind", 0, 3);
  // Seeds and offsets travel as doubles: integers up to 2^53 are exact.
  int64_t seed = GetInt(info, 2, "seed", 0, int64_t(1) << 53);
  int64_t offset = GetInt(info, 3, "offset", 0, int64_t(1) << 53);
  int64_t n;
  if (kind == 3) {
    auto out = GetArray<uint32_t>(info, 1, "out");
    n = int64_t(out.length);
    random_uint32_cpu(out.data, n, uint64_t(seed), uint64_t(offset));
  } else {
    auto out = GetArray<float>(info, 1, "out");
    n = int64_t(out.length);
    double a = GetFiniteNumber(info, 4, "a"), b = GetFiniteNumber(info, 5, "b");
    if (kind == 0)
      random_uniform_cpu(out.data, n, uint64_t(seed), uint64_t(offset), float(a), float(b));
    else if (kind == 1)
      random_normal_cpu(out.data, n, uint64_t(seed), uint64_t(offset), float(a), float(b));
    else {
      if (a < 0 || a > 1) ThrowRange(info.Env(), "p must be in [0, 1], got " + std::to_string(a));
      random_bernoulli_mask_cpu(out.data, n, uint64_t(seed), uint64_t(offset), float(a), float(b));
    }
  }
  return Napi::Number::New(info.Env(), double(random_blocks(n)));
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("backendInfo", Napi::Function::New(env, JS_backendInfo, "backendInfo"));
  exports.Set("setNumThreads", Napi::Function::New(env, JS_setNumThreads, "setNumThreads"));
  exports.Set("getNumThreads", Napi::Function::New(env, JS_getNumThreads, "getNumThreads"));
  exports.Set("setSimdLevel", Napi::Function::New(env, JS_setSimdLevel, "setSimdLevel"));
  exports.Set("randomFill", Napi::Function::New(env, JS_randomFill, "randomFill"));
}

}  // namespace

TK_REGISTER_BINDING(core, Init);

}  // namespace tk::binding

// The test-only addon over the emulated kernels (test/cuda-emu/build.js): one launcher per kernel
// file in test/cuda-emu/launchers/<file>.cc, registered with TK_EMU_LAUNCHER. A launcher takes the
// same arguments as the CPU export it is compared with (typed arrays are host arrays), copies them
// to emulated device buffers (guarded, cuda/emu/runtime.cc), calls the cuda/<file>.cu host
// launcher, and copies the outputs back into the JS arrays. Errors come back as JS errors whose
// `kind` is 'fault' (tk_emu::KernelFault: out of bounds, barrier or shuffle misuse) or 'error'.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "cuda/emu/cuda_emu.h"

namespace tk_emu_addon {

using Fn = Napi::Value (*)(const Napi::CallbackInfo&);
void register_launcher(const char* name, Fn fn);
struct Registrar {
  Registrar(const char* name, Fn fn) { register_launcher(name, fn); }
};

#define TK_EMU_LAUNCHER(name)                                             \
  static Napi::Value name(const Napi::CallbackInfo& info);                \
  static ::tk_emu_addon::Registrar tk_emu_registrar_##name(#name, &name); \
  static Napi::Value name(const Napi::CallbackInfo& info)

inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

// Argument i as a typed array copied to an emulated device buffer, or none for null/undefined.
class Dev {
 public:
  Dev(const Napi::CallbackInfo& info, size_t i) {
    if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return;
    if (!info[i].IsTypedArray())
      throw std::invalid_argument("argument " + std::to_string(i) + " is not a typed array");
    Napi::TypedArray a = info[i].As<Napi::TypedArray>();
    Napi::ArrayBuffer buf = a.ArrayBuffer();
    host_ = static_cast<char*>(buf.Data()) + a.ByteOffset();
    bytes_ = a.ByteLength();
    check(cudaMalloc(&d_, bytes_), "cudaMalloc");
    check(cudaMemcpy(d_, host_, bytes_, cudaMemcpyHostToDevice), "cudaMemcpy");
  }
  Dev(const Dev&) = delete;
  Dev& operator=(const Dev&) = delete;
  ~Dev() {
    if (d_) cudaFree(d_);
  }
  template <typename T>
  T* ptr(int64_t offset = 0) const {
    return d_ ? static_cast<T*>(d_) + offset : nullptr;
  }
  float* f(int64_t offset = 0) const { return ptr<float>(offset); }
  bool present() const { return d_ != nullptr; }
  void back() const {
    if (d_) check(cudaMemcpy(host_, d_, bytes_, cudaMemcpyDeviceToHost), "cudaMemcpy");
  }

 private:
  void* d_ = nullptr;
  void* host_ = nullptr;
  size_t bytes_ = 0;
};

inline int64_t Int(const Napi::CallbackInfo& info, size_t i) {
  return int64_t(info[i].As<Napi::Number>().DoubleValue());
}
inline double Num(const Napi::CallbackInfo& info, size_t i) {
  return info[i].As<Napi::Number>().DoubleValue();
}
inline bool Bool(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }

}  // namespace tk_emu_addon

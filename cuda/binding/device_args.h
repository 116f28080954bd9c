// The JS boundary of the device kernels: the `cuda` object of the addon's exports (present only in
// the CUDA build, and in the emulated test addon), whose functions take the same arguments, in the
// same order, as the CPU exports of the same name, with device buffers where those take typed
// arrays. So an op in lib/ops/ dispatches by choosing the export object and passing its tensors'
// storage; everything else about the call (shapes, strides, scalars) is shared.
//
// A device buffer is a Napi::External over a DeviceBuffer, tagged with a type tag so that nothing
// else can pass for one. Its memory comes from the caching allocator (cuda/device_memory.h) and goes
// back there when the External is collected or released explicitly (tensor.dispose()).
#pragma once
#include <cuda_runtime_api.h>
#include <napi.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "binding/args.h"
#include "binding/registry.h"

namespace tk::cuda {

enum class Dtype : int32_t { kFloat32 = 0, kInt32 = 1 };

inline size_t dtype_size(Dtype) { return 4; }
inline const char* dtype_name(Dtype d) { return d == Dtype::kFloat32 ? "float32" : "int32"; }

template <typename T>
struct DtypeOf;
template <>
struct DtypeOf<float> {
  static constexpr Dtype kValue = Dtype::kFloat32;
};
template <>
struct DtypeOf<int32_t> {
  static constexpr Dtype kValue = Dtype::kInt32;
};

struct DeviceBuffer {
  void* ptr = nullptr;  // null once released
  int64_t length = 0;   // elements
  Dtype dtype = Dtype::kFloat32;
  size_t bytes() const { return size_t(length) * dtype_size(dtype); }
};

// The stream kernels and copies are queued on: the one set by setStream, else the legacy default
// stream (nullptr), as in PyTorch.
cudaStream_t current_stream();
void set_current_stream(cudaStream_t s);

// A new device buffer of `length` elements from the caching allocator on the current stream; its
// contents are undefined.
Napi::External<DeviceBuffer> NewDeviceBuffer(Napi::Env env, int64_t length, Dtype dtype);

// Argument i as a device buffer (any dtype), or a TypeError naming it.
DeviceBuffer* GetDeviceBuffer(const Napi::CallbackInfo& info, size_t i, const char* name);

// Argument i as a device buffer of element type T with at least minLength elements; the device-side
// twin of binding::GetArray. The span's data is a device pointer: never dereference it on the host.
template <typename T>
binding::Span<T> GetDevice(const Napi::CallbackInfo& info, size_t i, const char* name,
                           int64_t minLength = 0) {
  DeviceBuffer* b = GetDeviceBuffer(info, i, name);
  if (b->dtype != DtypeOf<T>::kValue) {
    binding::ThrowType(info.Env(), std::string(name) + " must be a " + dtype_name(DtypeOf<T>::kValue) +
                                       " device buffer, got " + dtype_name(b->dtype));
  }
  if (b->length < minLength) {
    binding::ThrowRange(info.Env(), std::string(name) + " has " + std::to_string(b->length) +
                                        " elements, needs at least " + std::to_string(minLength));
  }
  binding::Span<T> s;
  s.data = static_cast<T*>(b->ptr);
  s.length = size_t(b->length);
  return s;
}

// Exactly `length` elements (binding::GetArrayExact's twin).
template <typename T>
binding::Span<T> GetDeviceExact(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length,
                                const std::vector<int64_t>* shape = nullptr) {
  binding::Span<T> s = GetDevice<T>(info, i, name);
  if (int64_t(s.length) != length) {
    std::string msg = std::string(name) + " has " + std::to_string(s.length) + " elements, expected " +
                      std::to_string(length);
    if (shape) msg += " for shape " + binding::ShapeToString(*shape);
    binding::ThrowRange(info.Env(), msg);
  }
  return s;
}

// Null/undefined gives an empty span (the optional outputs and inputs of some exports).
template <typename T>
binding::Span<T> GetDeviceOrNull(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return {};
  return GetDeviceExact<T>(info, i, name, length);
}

// Kernel failures come back as C++ exceptions (std::invalid_argument for sizes the launcher refuses,
// std::runtime_error for CUDA errors, the emulator's faults); this turns them into JS errors
// (RangeError for the first) instead of letting them terminate the process.
using Callback = Napi::Value (*)(const Napi::CallbackInfo&);
template <Callback F>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::invalid_argument& e) {
    throw Napi::RangeError::New(info.Env(), e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

// binding::HostArrays' twin for the argument readers shared with the CPU exports (binding/*_args.h).
struct DeviceArrays {
  static constexpr bool kDevice = true;
  template <typename T>
  static binding::Span<T> Get(const Napi::CallbackInfo& info, size_t i, const char* name,
                              int64_t minLength = 0) {
    return GetDevice<T>(info, i, name, minLength);
  }
  template <typename T>
  static binding::Span<T> GetExact(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length,
                                   const std::vector<int64_t>* shape = nullptr) {
    return GetDeviceExact<T>(info, i, name, length, shape);
  }
};

using InitFn = void (*)(Napi::Env env, Napi::Object cuda);
struct Registrar {
  Registrar(const char* concern, InitFn fn);
};

}  // namespace tk::cuda

// TK_CUDA_EXPORT(exports, "binaryForward", JS_BinaryForward) inside a concern's Init.
#define TK_CUDA_EXPORT(obj, name, fn) \
  (obj).Set(name, Napi::Function::New<::tk::cuda::Guarded<fn>>((obj).Env(), name))

// TK_REGISTER_CUDA_BINDING(elementwise, InitElementwise): once per cuda/binding/*.cc file.
#define TK_REGISTER_CUDA_BINDING(concern, fn) \
  static ::tk::cuda::Registrar TK_CONCAT(tk_cuda_registrar_, concern)(#concern, fn)

// Argument checks at the JS boundary. Every exported function reads its arguments through these
// helpers, which throw a TypeError or RangeError naming the argument, so that no kernel ever sees
// a wrong type, a NaN size or a buffer shorter than its shape says.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace tk::binding {

// Sizes are bounded so that products of a few of them cannot overflow int64.
constexpr int64_t kMaxDim = int64_t(1) << 40;

template <typename T>
struct Span {
  T* data = nullptr;
  size_t length = 0;
};

[[noreturn]] inline void ThrowType(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}
[[noreturn]] inline void ThrowRange(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}

inline std::string ShapeToString(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

inline void RequireArgs(const Napi::CallbackInfo& info, size_t n, const char* fn) {
  if (info.Length() < n) {
    ThrowType(info.Env(), std::string(fn) + ": expected " + std::to_string(n) + " arguments, got " +
                              std::to_string(info.Length()));
  }
}

inline double GetNumber(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsNumber()) {
    ThrowType(info.Env(), std::string(name) + " must be a number");
  }
  return info[i].As<Napi::Number>().DoubleValue();
}

inline double GetFiniteNumber(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double v = GetNumber(info, i, name);
  if (!std::isfinite(v))
    ThrowRange(info.Env(), std::string(name) + " must be finite, got " + std::to_string(v));
  return v;
}

inline bool GetBool(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsBoolean()) {
    ThrowType(info.Env(), std::string(name) + " must be a boolean");
  }
  return info[i].As<Napi::Boolean>().Value();
}

// An integer in [lo, hi]; rejects NaN, infinities and fractions.
inline int64_t GetInt(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t lo = 0,
                      int64_t hi = kMaxDim) {
  double v = GetNumber(info, i, name);
  if (std::isnan(v) || std::floor(v) != v || v < double(lo) || v > double(hi)) {
    std::ostringstream s;
    s << name << " must be an integer in [" << lo << ", " << hi << "], got " << v;
    ThrowRange(info.Env(), s.str());
  }
  return int64_t(v);
}

// A shape: an array of non-negative integers (or an Int32Array).
inline std::vector<int64_t> GetShape(const Napi::CallbackInfo& info, size_t i, const char* name,
                                     size_t maxRank = 16) {
  Napi::Env env = info.Env();
  std::vector<int64_t> shape;
  if (i >= info.Length()) ThrowType(env, std::string(name) + " must be an array of sizes");
  Napi::Value v = info[i];
  if (v.IsArray()) {
    Napi::Array a = v.As<Napi::Array>();
    if (a.Length() > maxRank)
      ThrowRange(env, std::string(name) + " has rank " + std::to_string(a.Length()) + ", more than " +
                          std::to_string(maxRank));
    for (uint32_t k = 0; k < a.Length(); ++k) {
      Napi::Value e = a.Get(k);
      if (!e.IsNumber()) ThrowType(env, std::string(name) + "[" + std::to_string(k) + "] must be a number");
      double d = e.As<Napi::Number>().DoubleValue();
      if (std::isnan(d) || std::floor(d) != d || d < 0 || d > double(kMaxDim)) {
        std::ostringstream s;
        s << name << "[" << k << "] must be a non-negative integer, got " << d;
        ThrowRange(env, s.str());
      }
      shape.push_back(int64_t(d));
    }
    return shape;
  }
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    Napi::Int32Array a = v.As<Napi::Int32Array>();
    if (a.ElementLength() > maxRank) ThrowRange(env, std::string(name) + " has too many dimensions");
    for (size_t k = 0; k < a.ElementLength(); ++k) {
      if (a[k] < 0)
        ThrowRange(env, std::string(name) + "[" + std::to_string(k) + "] must be non-negative, got " +
                            std::to_string(a[k]));
      shape.push_back(a[k]);
    }
    return shape;
  }
  ThrowType(env, std::string(name) + " must be an array of sizes");
}

// Number of elements of a shape, checked against overflow.
inline int64_t Numel(Napi::Env env, const std::vector<int64_t>& shape, const char* name) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d != 0 && n > kMaxDim / d)
      ThrowRange(env, std::string(name) + " " + ShapeToString(shape) + " is too large");
    n *= d;
  }
  return n;
}

template <typename T>
struct TypedArrayTraits;
template <>
struct TypedArrayTraits<float> {
  static constexpr napi_typedarray_type kType = napi_float32_array;
  static constexpr const char* kName = "a Float32Array";
};
template <>
struct TypedArrayTraits<int32_t> {
  static constexpr napi_typedarray_type kType = napi_int32_array;
  static constexpr const char* kName = "an Int32Array";
};
template <>
struct TypedArrayTraits<uint8_t> {
  static constexpr napi_typedarray_type kType = napi_uint8_array;
  static constexpr const char* kName = "a Uint8Array";
};
template <>
struct TypedArrayTraits<uint32_t> {
  static constexpr napi_typedarray_type kType = napi_uint32_array;
  static constexpr const char* kName = "a Uint32Array";
};
template <>
struct TypedArrayTraits<double> {
  static constexpr napi_typedarray_type kType = napi_float64_array;
  static constexpr const char* kName = "a Float64Array";
};

// The first byte of typed-array argument `i` (already known to be a typed array). One over a
// SharedArrayBuffer is refused with a TypeError: another thread could change ids between their
// range check and their use by a kernel (and Napi::TypedArray::ArrayBuffer() fails on one with a
// plain Error).
inline uint8_t* TypedArrayBytes(const Napi::CallbackInfo& info, size_t i, const char* name) {
  napi_env env = info.Env();
  void* data = nullptr;
  napi_value buffer = nullptr;
  bool is_plain = false;
  if (napi_get_typedarray_info(env, info[i], nullptr, nullptr, &data, &buffer, nullptr) != napi_ok ||
      napi_is_arraybuffer(env, buffer, &is_plain) != napi_ok) {
    ThrowType(info.Env(), std::string(name) + " must be a typed array");
  }
  if (!is_plain) ThrowType(info.Env(), std::string(name) + " must not be backed by a SharedArrayBuffer");
  return static_cast<uint8_t*>(data);  // napi_get_typedarray_info adds the byte offset
}

// A typed array of element type T holding at least minLength elements.
template <typename T>
inline Span<T> GetArray(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t minLength = 0) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsTypedArray()) {
    ThrowType(env, std::string(name) + " must be " + TypedArrayTraits<T>::kName);
  }
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != TypedArrayTraits<T>::kType) {
    ThrowType(env, std::string(name) + " must be " + TypedArrayTraits<T>::kName);
  }
  Span<T> s;
  s.length = ta.ElementLength();
  s.data = reinterpret_cast<T*>(TypedArrayBytes(info, i, name));
  if (int64_t(s.length) < minLength) {
    ThrowRange(env, std::string(name) + " has " + std::to_string(s.length) + " elements, needs at least " +
                        std::to_string(minLength));
  }
  return s;
}

// Exactly `length` elements: the usual check for a tensor's data against its shape.
template <typename T>
inline Span<T> GetArrayExact(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length,
                             const std::vector<int64_t>* shape = nullptr) {
  Span<T> s = GetArray<T>(info, i, name);
  if (int64_t(s.length) != length) {
    std::string msg = std::string(name) + " has " + std::to_string(s.length) + " elements, expected " +
                      std::to_string(length);
    if (shape) msg += " for shape " + ShapeToString(*shape);
    ThrowRange(info.Env(), msg);
  }
  return s;
}

// Two spans that must not overlap (an output written while an input is read).
template <typename A, typename B>
inline bool Overlaps(const Span<A>& a, const Span<B>& b) {
  auto a0 = reinterpret_cast<const uint8_t*>(a.data), a1 = a0 + a.length * sizeof(A);
  auto b0 = reinterpret_cast<const uint8_t*>(b.data), b1 = b0 + b.length * sizeof(B);
  return a.length && b.length && a0 < b1 && b0 < a1;
}

// The array policy of argument readers shared by the CPU and the device exports (binding/*_args.h):
// HostArrays reads typed arrays; cuda::DeviceArrays (cuda/binding/device_args.h) reads device
// buffers with the same checks and messages.
struct HostArrays {
  static constexpr bool kDevice = false;
  template <typename T>
  static Span<T> Get(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t minLength = 0) {
    return GetArray<T>(info, i, name, minLength);
  }
  template <typename T>
  static Span<T> GetExact(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t length,
                          const std::vector<int64_t>* shape = nullptr) {
    return GetArrayExact<T>(info, i, name, length, shape);
  }
};

}  // namespace tk::binding

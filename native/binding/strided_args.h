// Argument checks for the strided kernels (elementwise, reduce, layout bindings): stride vectors
// validated against the buffer they index, and 4-byte word buffers that may be float32 or int32.
#pragma once
#include <string>
#include <vector>

#include "binding/args.h"

namespace tk::binding {

// Strides for `shape`, one non-negative integer per dimension.
inline std::vector<int64_t> GetStrides(const Napi::CallbackInfo& info, size_t i, const char* name,
                                       const std::vector<int64_t>& shape) {
  std::vector<int64_t> s = GetShape(info, i, name);
  if (s.size() != shape.size()) {
    ThrowRange(info.Env(), std::string(name) + " has " + std::to_string(s.size()) + " entries, expected " +
                               std::to_string(shape.size()) + " for shape " + ShapeToString(shape));
  }
  return s;
}

// Throws unless every index < shape, offset by `offset` and strided by `strides`, lies in [0, length).
inline void CheckStridedBounds(Napi::Env env, const char* name, size_t length, int64_t offset,
                               const std::vector<int64_t>& shape, const std::vector<int64_t>& strides) {
  __int128 hi = offset;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0) return;  // nothing is read or written
    hi += __int128(shape[d] - 1) * strides[d];
  }
  if (offset < 0 || hi >= __int128(length)) {
    ThrowRange(env, std::string(name) + " (" + std::to_string(length) + " elements) is too short for shape " +
                        ShapeToString(shape) + " with strides " + ShapeToString(strides) + " and offset " +
                        std::to_string(offset));
  }
}

struct Words {
  uint32_t* data = nullptr;
  size_t length = 0;
  bool is_int = false;
};

// A Float32Array or an Int32Array, seen as 4-byte words.
inline Words GetWords(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsTypedArray()) {
    ThrowType(info.Env(), std::string(name) + " must be a Float32Array or an Int32Array");
  }
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  napi_typedarray_type t = ta.TypedArrayType();
  if (t != napi_float32_array && t != napi_int32_array) {
    ThrowType(info.Env(), std::string(name) + " must be a Float32Array or an Int32Array");
  }
  Words w;
  w.length = ta.ElementLength();
  w.data = reinterpret_cast<uint32_t*>(TypedArrayBytes(info, i, name));
  w.is_int = t == napi_int32_array;
  return w;
}

inline bool WordsOverlap(const Words& a, const Words& b) {
  const uint32_t *a0 = a.data, *a1 = a.data + a.length, *b0 = b.data, *b1 = b.data + b.length;
  return a.length && b.length && a0 < b1 && b0 < a1;
}

template <typename T>
inline Words AsWords(const Span<T>& s) {
  Words w;
  w.data = reinterpret_cast<uint32_t*>(s.data);
  w.length = s.length;
  return w;
}

// How an Arrays policy (HostArrays, cuda::DeviceArrays) reads a 4-byte-word buffer, float32 or int32.
// The host reads typed arrays (GetWords); the device specialisation (cuda/binding/device_words.h)
// reads device buffers of either dtype, whose data pointers must never be dereferenced on the host.
template <class Arrays>
struct WordsOf;
template <>
struct WordsOf<HostArrays> {
  static Words Get(const Napi::CallbackInfo& info, size_t i, const char* name) {
    return GetWords(info, i, name);
  }
};

// How an Arrays policy lets the argument checks read an int32 index array's values on the host (to
// range-check ids before a kernel uses them): in place on the host; through a host copy for device
// buffers (cuda/binding/device_words.h), which waits for the stream's earlier work.
template <class Arrays>
struct IndexValuesOf;
template <>
struct IndexValuesOf<HostArrays> {
  static const int32_t* Read(const Span<int32_t>& s, std::vector<int32_t>* /*scratch*/) { return s.data; }
};

inline bool IsNullish(const Napi::CallbackInfo& info, size_t i) {
  return i >= info.Length() || info[i].IsNull() || info[i].IsUndefined();
}

}  // namespace tk::binding

// The argument checks of stridedCopy, shared by the CPU export (native/binding/layout.cc, Arrays =
// HostArrays: typed arrays) and the device export (cuda/binding/layout.cc, Arrays =
// cuda::DeviceArrays: device buffers), so that both refuse the same calls with the same messages.
#pragma once
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/strided_args.h"

namespace tk::binding::layout_args {

struct StridedCopyArgs {
  Words dst, src;  // word buffers of one dtype; device pointers for the device export
  int64_t dst_offset = 0, src_offset = 0;
  std::vector<int64_t> shape, dst_strides, src_strides;
  bool empty = false;  // some dimension is 0: nothing to copy
};

// stridedCopy(dst, dstOffset, dstStrides, src, srcOffset, srcStrides, shape): dst and src both
// float32 or both int32, not overlapping; every index < shape within both buffers.
template <class Arrays>
StridedCopyArgs ReadStridedCopy(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "stridedCopy");
  Napi::Env env = info.Env();
  StridedCopyArgs a;
  // Shapes before the buffers: reading a JS array's element can run a getter that detaches a
  // buffer whose data pointer was already taken.
  a.shape = GetShape(info, 6, "shape");
  Numel(env, a.shape, "shape");
  a.dst_offset = GetInt(info, 1, "dstOffset");
  a.src_offset = GetInt(info, 4, "srcOffset");
  a.dst_strides = GetStrides(info, 2, "dstStrides", a.shape);
  a.src_strides = GetStrides(info, 5, "srcStrides", a.shape);
  a.dst = WordsOf<Arrays>::Get(info, 0, "dst");
  a.src = WordsOf<Arrays>::Get(info, 3, "src");
  if (a.dst.is_int != a.src.is_int) ThrowType(env, "dst and src must have the same type");
  CheckStridedBounds(env, "dst", a.dst.length, a.dst_offset, a.shape, a.dst_strides);
  CheckStridedBounds(env, "src", a.src.length, a.src_offset, a.shape, a.src_strides);
  if (WordsOverlap(a.dst, a.src)) ThrowRange(env, "dst must not overlap src");
  for (int64_t d : a.shape)
    if (d == 0) a.empty = true;
  return a;
}

}  // namespace tk::binding::layout_args

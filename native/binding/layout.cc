// Exports: stridedCopy.
#include "kernels/layout.h"

#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/registry.h"
#include "binding/strided_args.h"

namespace tk::binding {
namespace {

// stridedCopy(dst, dstOffset, dstStrides, src, srcOffset, srcStrides, shape): dst and src both
// Float32Array or both Int32Array, not overlapping.
Napi::Value JS_stridedCopy(const Napi::CallbackInfo& info) {
  RequireArgs(info, 7, "stridedCopy");
  Napi::Env env = info.Env();
  // Shapes before the typed arrays: reading a JS array's element can run a getter that detaches a
  // buffer whose data pointer was already taken.
  std::vector<int64_t> shape = GetShape(info, 6, "shape");
  Numel(env, shape, "shape");
  int64_t dst_offset = GetInt(info, 1, "dstOffset");
  int64_t src_offset = GetInt(info, 4, "srcOffset");
  auto ds = GetStrides(info, 2, "dstStrides", shape);
  auto ss = GetStrides(info, 5, "srcStrides", shape);
  Words dst = GetWords(info, 0, "dst");
  Words src = GetWords(info, 3, "src");
  if (dst.is_int != src.is_int) ThrowType(env, "dst and src must have the same type");
  CheckStridedBounds(env, "dst", dst.length, dst_offset, shape, ds);
  CheckStridedBounds(env, "src", src.length, src_offset, shape, ss);
  if (WordsOverlap(dst, src)) ThrowRange(env, "dst must not overlap src");
  for (int64_t d : shape)
    if (d == 0) return env.Undefined();
  strided_copy_cpu(dst.data + dst_offset, ds.data(), src.data + src_offset, ss.data(), shape.data(),
                   int(shape.size()));
  return env.Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("stridedCopy", Napi::Function::New(env, JS_stridedCopy, "stridedCopy"));
}

}  // namespace

TK_REGISTER_BINDING(layout, Init);

}  // namespace tk::binding

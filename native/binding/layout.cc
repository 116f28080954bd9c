// Exports: stridedCopy (its checks in binding/layout_args.h, shared with the device export).
#include "kernels/layout.h"

#include "binding/args.h"
#include "binding/layout_args.h"
#include "binding/registry.h"

namespace tk::binding {
namespace {

Napi::Value JS_stridedCopy(const Napi::CallbackInfo& info) {
  layout_args::StridedCopyArgs a = layout_args::ReadStridedCopy<HostArrays>(info);
  if (a.empty) return info.Env().Undefined();
  strided_copy_cpu(a.dst.data + a.dst_offset, a.dst_strides.data(), a.src.data + a.src_offset,
                   a.src_strides.data(), a.shape.data(), int(a.shape.size()));
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("stridedCopy", Napi::Function::New(env, JS_stridedCopy, "stridedCopy"));
}

}  // namespace

TK_REGISTER_BINDING(layout, Init);

}  // namespace tk::binding

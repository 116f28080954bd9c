// Device export stridedCopy: the CPU export's arguments (binding/layout_args.h checks them the same
// way) over float32 or int32 device buffers, run by strided_copy_cuda.
#include "cuda/layout.h"

#include "binding/layout_args.h"
#include "cuda/binding/device_args.h"
#include "cuda/binding/device_words.h"

namespace tk::cuda {
namespace {

Napi::Value JS_StridedCopy(const Napi::CallbackInfo& info) {
  binding::layout_args::StridedCopyArgs a = binding::layout_args::ReadStridedCopy<DeviceArrays>(info);
  if (a.empty) return info.Env().Undefined();
  strided_copy_cuda(a.dst.data + a.dst_offset, a.dst_strides.data(), a.src.data + a.src_offset,
                    a.src_strides.data(), a.shape.data(), int(a.shape.size()), current_stream());
  return info.Env().Undefined();
}

void Init(Napi::Env, Napi::Object cuda) { TK_CUDA_EXPORT(cuda, "stridedCopy", JS_StridedCopy); }
TK_REGISTER_CUDA_BINDING(layout, Init);

}  // namespace
}  // namespace tk::cuda

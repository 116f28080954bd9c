// Device exports softmaxForward, softmaxBackward, layerNormForward, layerNormBackward,
// indexSelectForward, indexSelectBackward, gatherForward, gatherBackward, mulMask: the CPU exports'
// arguments (binding/nnops_args.h checks them the same way, ids included: through a host copy of a
// device index array) over device buffers, run by cuda/softmax.h, cuda/layernorm.h, cuda/indexing.h.
#include "binding/nnops_args.h"
#include "cuda/binding/device_args.h"
#include "cuda/binding/device_words.h"
#include "cuda/indexing.h"
#include "cuda/layernorm.h"
#include "cuda/softmax.h"

namespace tk::cuda {
namespace {

using namespace binding::nnops_args;

Napi::Value JS_SoftmaxForward(const Napi::CallbackInfo& info) {
  Softmax a = ReadSoftmaxForward<DeviceArrays>(info);
  softmax_forward_cuda(a.out.data, a.x.data, a.outer, a.dim, a.inner, a.log, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_SoftmaxBackward(const Napi::CallbackInfo& info) {
  Softmax a = ReadSoftmaxBackward<DeviceArrays>(info);
  softmax_backward_cuda(a.out.data, a.dy.data, a.y.data, a.outer, a.dim, a.inner, a.log, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_LayerNormForward(const Napi::CallbackInfo& info) {
  LayerNormForward a = ReadLayerNormForward<DeviceArrays>(info);
  layernorm_forward_cuda(a.y.data, a.mean.data, a.rstd.data, a.x.data, a.w.data, a.b.data, a.M, a.N, a.eps,
                         current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_LayerNormBackward(const Napi::CallbackInfo& info) {
  LayerNormBackward a = ReadLayerNormBackward<DeviceArrays>(info);
  layernorm_backward_cuda(a.dx.data, a.dw.data, a.db.data, a.dy.data, a.x.data, a.mean.data, a.rstd.data,
                          a.w.data, a.M, a.N, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_IndexSelectForward(const Napi::CallbackInfo& info) {
  IndexSelectForward a = ReadIndexSelectForward<DeviceArrays>(info);
  index_select_forward_cuda(a.out.data, a.x.data, a.index.data, a.outer, a.nSrc, a.nIdx, a.inner,
                            current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_IndexSelectBackward(const Napi::CallbackInfo& info) {
  IndexSelectBackward a = ReadIndexSelectBackward<DeviceArrays>(info);
  index_select_backward_cuda(a.dx.data, a.dy.data, a.index.data, a.outer, a.nSrc, a.nIdx, a.inner, a.skip,
                             current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_GatherForward(const Napi::CallbackInfo& info) {
  Gather a = ReadGatherForward<DeviceArrays>(info);
  if (a.ni == 0) return info.Env().Undefined();
  gather_forward_cuda(a.out.data, a.x.data, a.index.data, a.xShape.data(), a.indexShape.data(),
                      int64_t(a.xShape.size()), a.dim, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_GatherBackward(const Napi::CallbackInfo& info) {
  Gather a = ReadGatherBackward<DeviceArrays>(info);
  gather_backward_cuda(a.dx.data, a.dy.data, a.index.data, a.xShape.data(), a.indexShape.data(),
                       int64_t(a.xShape.size()), a.dim, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_MulMask(const Napi::CallbackInfo& info) {
  MulMask a = ReadMulMask<DeviceArrays>(info);
  mul_mask_cuda(a.out.data, a.x.data, a.mask.data, a.n, current_stream());
  return info.Env().Undefined();
}

void Init(Napi::Env, Napi::Object cuda) {
  TK_CUDA_EXPORT(cuda, "softmaxForward", JS_SoftmaxForward);
  TK_CUDA_EXPORT(cuda, "softmaxBackward", JS_SoftmaxBackward);
  TK_CUDA_EXPORT(cuda, "layerNormForward", JS_LayerNormForward);
  TK_CUDA_EXPORT(cuda, "layerNormBackward", JS_LayerNormBackward);
  TK_CUDA_EXPORT(cuda, "indexSelectForward", JS_IndexSelectForward);
  TK_CUDA_EXPORT(cuda, "indexSelectBackward", JS_IndexSelectBackward);
  TK_CUDA_EXPORT(cuda, "gatherForward", JS_GatherForward);
  TK_CUDA_EXPORT(cuda, "gatherBackward", JS_GatherBackward);
  TK_CUDA_EXPORT(cuda, "mulMask", JS_MulMask);
}
TK_REGISTER_CUDA_BINDING(nnops, Init);

}  // namespace
}  // namespace tk::cuda

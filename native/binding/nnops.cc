// Exports: softmaxForward, softmaxBackward, layerNormForward, layerNormBackward,
// indexSelectForward, indexSelectBackward, gatherForward, gatherBackward, mulMask. Their argument
// checks live in binding/nnops_args.h, shared with the device exports (cuda/binding/nnops.cc).
#include "binding/args.h"
#include "binding/nnops_args.h"
#include "binding/registry.h"
#include "kernels/embedding.h"
#include "kernels/layernorm.h"
#include "kernels/softmax.h"
#include "kernels/thread_pool.h"

namespace tk::binding {
namespace {

using namespace nnops_args;

Napi::Value JS_softmaxForward(const Napi::CallbackInfo& info) {
  Softmax a = ReadSoftmaxForward<HostArrays>(info);
  softmax_forward_cpu(a.out.data, a.x.data, a.outer, a.dim, a.inner, a.log);
  return info.Env().Undefined();
}

Napi::Value JS_softmaxBackward(const Napi::CallbackInfo& info) {
  Softmax a = ReadSoftmaxBackward<HostArrays>(info);
  softmax_backward_cpu(a.out.data, a.dy.data, a.y.data, a.outer, a.dim, a.inner, a.log);
  return info.Env().Undefined();
}

Napi::Value JS_layerNormForward(const Napi::CallbackInfo& info) {
  LayerNormForward a = ReadLayerNormForward<HostArrays>(info);
  layernorm_forward_cpu(a.y.data, a.mean.data, a.rstd.data, a.x.data, a.w.data, a.b.data, a.M, a.N, a.eps);
  return info.Env().Undefined();
}

Napi::Value JS_layerNormBackward(const Napi::CallbackInfo& info) {
  LayerNormBackward a = ReadLayerNormBackward<HostArrays>(info);
  layernorm_backward_cpu(a.dx.data, a.dw.data, a.db.data, a.dy.data, a.x.data, a.mean.data, a.rstd.data,
                         a.w.data, a.M, a.N);
  return info.Env().Undefined();
}

// The kernels move 32-bit words: int32 data goes through as float bit patterns (copies only).
Napi::Value JS_indexSelectForward(const Napi::CallbackInfo& info) {
  IndexSelectForward a = ReadIndexSelectForward<HostArrays>(info);
  index_select_forward_cpu(reinterpret_cast<float*>(a.out.data), reinterpret_cast<const float*>(a.x.data),
                           a.index.data, a.outer, a.nSrc, a.nIdx, a.inner);
  return info.Env().Undefined();
}

Napi::Value JS_indexSelectBackward(const Napi::CallbackInfo& info) {
  IndexSelectBackward a = ReadIndexSelectBackward<HostArrays>(info);
  index_select_backward_cpu(a.dx.data, a.dy.data, a.index.data, a.outer, a.nSrc, a.nIdx, a.inner, a.skip);
  return info.Env().Undefined();
}

Napi::Value JS_gatherForward(const Napi::CallbackInfo& info) {
  Gather a = ReadGatherForward<HostArrays>(info);
  gather_forward_cpu(reinterpret_cast<float*>(a.out.data), reinterpret_cast<const float*>(a.x.data),
                     a.index.data, a.xShape.data(), a.indexShape.data(), int64_t(a.xShape.size()), a.dim);
  return info.Env().Undefined();
}

Napi::Value JS_gatherBackward(const Napi::CallbackInfo& info) {
  Gather a = ReadGatherBackward<HostArrays>(info);
  gather_backward_cpu(a.dx.data, a.dy.data, a.index.data, a.xShape.data(), a.indexShape.data(),
                      int64_t(a.xShape.size()), a.dim);
  return info.Env().Undefined();
}

Napi::Value JS_mulMask(const Napi::CallbackInfo& info) {
  MulMask a = ReadMulMask<HostArrays>(info);
  float* out = a.out.data;
  const float *x = a.x.data, *m = a.mask.data;
  parallel_for(a.n, 32768, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) out[i] = x[i] * m[i];
  });
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("softmaxForward", Napi::Function::New(env, JS_softmaxForward, "softmaxForward"));
  exports.Set("softmaxBackward", Napi::Function::New(env, JS_softmaxBackward, "softmaxBackward"));
  exports.Set("layerNormForward", Napi::Function::New(env, JS_layerNormForward, "layerNormForward"));
  exports.Set("layerNormBackward", Napi::Function::New(env, JS_layerNormBackward, "layerNormBackward"));
  exports.Set("indexSelectForward", Napi::Function::New(env, JS_indexSelectForward, "indexSelectForward"));
  exports.Set("indexSelectBackward", Napi::Function::New(env, JS_indexSelectBackward, "indexSelectBackward"));
  exports.Set("gatherForward", Napi::Function::New(env, JS_gatherForward, "gatherForward"));
  exports.Set("gatherBackward", Napi::Function::New(env, JS_gatherBackward, "gatherBackward"));
  exports.Set("mulMask", Napi::Function::New(env, JS_mulMask, "mulMask"));
}

}  // namespace

TK_REGISTER_BINDING(nnops, Init);

}  // namespace tk::binding

// Device exports sgemm and sgemmStridedBatched: the CPU exports' arguments (binding/gemm_args.h
// checks them the same way) over device buffers, run by sgemm_cuda (cuBLAS when it was found, else
// our tiled kernel), plus gemmImpl() naming which.
#include "cuda/gemm.h"

#include "binding/gemm_args.h"
#include "cuda/binding/device_args.h"

namespace tk::cuda {
namespace {

Napi::Value Gemm(const Napi::CallbackInfo& info, bool batched) {
  const binding::gemm_args::Args r = binding::gemm_args::ReadArgs<DeviceArrays>(info, batched);
  sgemm_strided_batched_cuda(r.ta, r.tb, r.m, r.n, r.k, r.alpha, r.a.touched.data, r.lda, r.b.touched.data,
                             r.ldb, r.beta, r.c.touched.data, r.ldc, r.batch, r.sa, r.sb, r.sc,
                             current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_Sgemm(const Napi::CallbackInfo& info) { return Gemm(info, false); }
Napi::Value JS_SgemmStridedBatched(const Napi::CallbackInfo& info) { return Gemm(info, true); }
Napi::Value JS_GemmImpl(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), sgemm_cuda_default_impl());
}

void Init(Napi::Env env, Napi::Object cuda) {
  TK_CUDA_EXPORT(cuda, "sgemm", JS_Sgemm);
  TK_CUDA_EXPORT(cuda, "sgemmStridedBatched", JS_SgemmStridedBatched);
  TK_CUDA_EXPORT(cuda, "gemmImpl", JS_GemmImpl);
}
TK_REGISTER_CUDA_BINDING(gemm, Init);

}  // namespace
}  // namespace tk::cuda

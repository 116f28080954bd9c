// Exports: sgemm, sgemmStridedBatched, sgemmPacked, gemmKernelName. Arguments are checked in
// binding/gemm_args.h, which the device exports (cuda/binding/gemm.cc) share.
#include "kernels/gemm.h"

#include <string>

#include "binding/args.h"
#include "binding/gemm_args.h"
#include "binding/registry.h"

namespace tk::binding {
namespace {

using gemm_args::Args;
Args ReadArgs(const Napi::CallbackInfo& info, bool batched) {
  return gemm_args::ReadArgs<HostArrays>(info, batched);
}

Napi::Value JS_sgemm(const Napi::CallbackInfo& info) {
  Args r = ReadArgs(info, false);
  sgemm_cpu(r.ta, r.tb, r.m, r.n, r.k, r.alpha, r.a.touched.data, r.lda, r.b.touched.data, r.ldb, r.beta,
            r.c.touched.data, r.ldc);
  return info.Env().Undefined();
}

Napi::Value JS_sgemmStridedBatched(const Napi::CallbackInfo& info) {
  Args r = ReadArgs(info, true);
  sgemm_strided_batched_cpu(r.ta, r.tb, r.m, r.n, r.k, r.alpha, r.a.touched.data, r.lda, r.b.touched.data,
                            r.ldb, r.beta, r.c.touched.data, r.ldc, r.batch, r.sa, r.sb, r.sc);
  return info.Env().Undefined();
}

// sgemm through SgemmPackedB: packs B, then multiplies (tests and benchmarks of the pre-packed path
// that recurrent kernels use from C++).
Napi::Value JS_sgemmPacked(const Napi::CallbackInfo& info) {
  Args r = ReadArgs(info, false);
  SgemmPackedB packed(r.tb, r.n, r.k, r.b.touched.data, r.ldb, r.m);
  sgemm_packed_cpu(r.ta, r.m, r.alpha, r.a.touched.data, r.lda, packed, r.beta, r.c.touched.data, r.ldc);
  return info.Env().Undefined();
}

Napi::Value JS_gemmKernelName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), sgemm_kernel_name());
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sgemm", Napi::Function::New(env, JS_sgemm, "sgemm"));
  exports.Set("sgemmStridedBatched", Napi::Function::New(env, JS_sgemmStridedBatched, "sgemmStridedBatched"));
  exports.Set("sgemmPacked", Napi::Function::New(env, JS_sgemmPacked, "sgemmPacked"));
  exports.Set("gemmKernelName", Napi::Function::New(env, JS_gemmKernelName, "gemmKernelName"));
}

}  // namespace

TK_REGISTER_BINDING(gemm, Init);

}  // namespace tk::binding

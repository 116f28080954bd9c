// Device exports of the reductions: sumForward, sumBackward, sumInt32Forward, maxForward,
// maxBackward, maxAllBackward, logsumexpForward, logsumexpBackward, allFinite, scaleInPlace,
// clampInPlace, plus powSum and absMax (whose CPU exports live in native/binding/optim.cc). The CPU
// exports' arguments (binding/reduce_args.h checks them the same way) over device buffers, run by
// cuda/reduce.h. maxBackward's indices are checked by value on the device (first_bad_index_cuda)
// before the kernel runs, with the CPU's RangeError message.
#include "cuda/reduce.h"

#include "binding/reduce_args.h"
#include "cuda/binding/device_args.h"

namespace tk::cuda {
namespace {

using namespace binding::reduce_args;

Napi::Value JS_SumForward(const Napi::CallbackInfo& info) {
  const Sum r = ReadSum<DeviceArrays>(info);
  sum_forward_cuda(r.out.data, r.x.data, r.d.outer, r.d.reduced, r.d.inner, r.divisor, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_SumBackward(const Napi::CallbackInfo& info) {
  const SumBackward r = ReadSumBackward<DeviceArrays>(info);
  sum_backward_cuda(r.dx.data, r.g.data, r.d.outer, r.d.reduced, r.d.inner, r.divisor, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_SumInt32Forward(const Napi::CallbackInfo& info) {
  const SumInt32 r = ReadSumInt32<DeviceArrays>(info);
  sum_int32_forward_cuda(r.out.data, r.x.data, r.d.outer, r.d.reduced, r.d.inner, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_MaxForward(const Napi::CallbackInfo& info) {
  const MaxForward r = ReadMaxForward<DeviceArrays>(info);
  max_forward_cuda(r.is_max, r.values.data, r.indices.data, r.x.data, r.d.outer, r.d.reduced, r.d.inner,
                   current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_MaxBackward(const Napi::CallbackInfo& info) {
  const MaxBackward r = ReadMaxBackward<DeviceArrays>(info);
  int32_t bad = 0;
  const int64_t k = first_bad_index_cuda(r.indices.data, int64_t(r.indices.length), r.d.reduced, false, 0,
                                         &bad, current_stream());
  if (k >= 0) binding::ThrowRange(info.Env(), IndexMessage(k, bad, r.d.reduced));
  max_backward_cuda(r.dx.data, r.g.data, r.indices.data, r.d.outer, r.d.reduced, r.d.inner, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_MaxAllBackward(const Napi::CallbackInfo& info) {
  const MaxAllBackward r = ReadMaxAllBackward<DeviceArrays>(info);
  max_all_backward_cuda(r.dx.data, r.g.data, r.x.data, r.value.data, int64_t(r.x.length), current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_LogsumexpForward(const Napi::CallbackInfo& info) {
  const Logsumexp r = ReadLogsumexp<DeviceArrays>(info);
  logsumexp_forward_cuda(r.out.data, r.x.data, r.d.outer, r.d.reduced, r.d.inner, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_LogsumexpBackward(const Napi::CallbackInfo& info) {
  const LogsumexpBackward r = ReadLogsumexpBackward<DeviceArrays>(info);
  logsumexp_backward_cuda(r.dx.data, r.g.data, r.x.data, r.out.data, r.d.outer, r.d.reduced, r.d.inner,
                          current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_AllFinite(const Napi::CallbackInfo& info) {
  const auto x = ReadOne<DeviceArrays>(info, "allFinite");
  return Napi::Boolean::New(info.Env(), all_finite_cuda(x.data, int64_t(x.length), current_stream()));
}

Napi::Value JS_PowSum(const Napi::CallbackInfo& info) {
  const PowSum r = ReadPowSum<DeviceArrays>(info);
  return Napi::Number::New(info.Env(), pow_sum_cuda(r.x.data, int64_t(r.x.length), r.p, current_stream()));
}

Napi::Value JS_AbsMax(const Napi::CallbackInfo& info) {
  const auto x = ReadOne<DeviceArrays>(info, "absMax");
  return Napi::Number::New(info.Env(), abs_max_cuda(x.data, int64_t(x.length), current_stream()));
}

Napi::Value JS_ScaleInPlace(const Napi::CallbackInfo& info) {
  const ScaleInPlace r = ReadScaleInPlace<DeviceArrays>(info);
  scale_in_place_cuda(r.x.data, int64_t(r.x.length), r.c, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_ClampInPlace(const Napi::CallbackInfo& info) {
  const ClampInPlace r = ReadClampInPlace<DeviceArrays>(info);
  clamp_in_place_cuda(r.x.data, int64_t(r.x.length), r.lo, r.hi, current_stream());
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object cuda) {
  TK_CUDA_EXPORT(cuda, "sumForward", JS_SumForward);
  TK_CUDA_EXPORT(cuda, "sumBackward", JS_SumBackward);
  TK_CUDA_EXPORT(cuda, "sumInt32Forward", JS_SumInt32Forward);
  TK_CUDA_EXPORT(cuda, "maxForward", JS_MaxForward);
  TK_CUDA_EXPORT(cuda, "maxBackward", JS_MaxBackward);
  TK_CUDA_EXPORT(cuda, "maxAllBackward", JS_MaxAllBackward);
  TK_CUDA_EXPORT(cuda, "logsumexpForward", JS_LogsumexpForward);
  TK_CUDA_EXPORT(cuda, "logsumexpBackward", JS_LogsumexpBackward);
  TK_CUDA_EXPORT(cuda, "allFinite", JS_AllFinite);
  TK_CUDA_EXPORT(cuda, "powSum", JS_PowSum);
  TK_CUDA_EXPORT(cuda, "absMax", JS_AbsMax);
  TK_CUDA_EXPORT(cuda, "scaleInPlace", JS_ScaleInPlace);
  TK_CUDA_EXPORT(cuda, "clampInPlace", JS_ClampInPlace);
}
TK_REGISTER_CUDA_BINDING(reduce, Init);

}  // namespace
}  // namespace tk::cuda

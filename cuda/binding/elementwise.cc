// Device exports binaryForward, binaryBackward, compare, where, unaryForward, unaryBackward,
// sumToShape and int32ToFloat32: the CPU exports' arguments (binding/elementwise_args.h checks them the same
// way) over device buffers, run by the kernels of cuda/elementwise.h.
#include "cuda/elementwise.h"

#include "binding/elementwise_args.h"
#include "cuda/binding/device_args.h"

namespace tk::binding::elementwise_args {
// A device buffer of either dtype, as 4-byte words (compare's and where's operands).
template <>
struct WordArrays<cuda::DeviceArrays> {
  static Words Get(const Napi::CallbackInfo& info, size_t i, const char* name) {
    cuda::DeviceBuffer* b = cuda::GetDeviceBuffer(info, i, name);
    Words w;
    w.data = static_cast<uint32_t*>(b->ptr);
    w.length = size_t(b->length);
    w.is_int = b->dtype == cuda::Dtype::kInt32;
    return w;
  }
};
}  // namespace tk::binding::elementwise_args

namespace tk::cuda {
namespace {

namespace ea = binding::elementwise_args;

Napi::Value JS_BinaryForward(const Napi::CallbackInfo& info) {
  const ea::BinaryForward r = ea::ReadBinaryForward<DeviceArrays>(info);
  binary_forward_cuda(r.op, r.out.data, r.a.data, r.b.data, int(r.br.shape.size()), r.br.shape.data(),
                      r.br.strides[0].data(), r.br.strides[1].data(), r.alpha, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_BinaryBackward(const Napi::CallbackInfo& info) {
  const ea::BinaryBackward r = ea::ReadBinaryBackward<DeviceArrays>(info);
  binary_backward_cuda(r.op, r.da.data, r.db.data, r.g.data, r.a.data, r.b.data, r.out.data,
                       int(r.br.shape.size()), r.br.shape.data(), r.br.strides[0].data(),
                       r.br.strides[1].data(), current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_Compare(const Napi::CallbackInfo& info) {
  const ea::Compare r = ea::ReadCompare<DeviceArrays>(info);
  compare_cuda(r.op, r.out.data, r.a.data, r.b.data, r.a.is_int, int(r.br.shape.size()), r.br.shape.data(),
               r.br.strides[0].data(), r.br.strides[1].data(), current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_Where(const Napi::CallbackInfo& info) {
  const ea::Where r = ea::ReadWhere<DeviceArrays>(info);
  where_cuda(r.out.data, r.cond.data, r.a.data, r.b.data, int(r.br.shape.size()), r.br.shape.data(),
             r.br.strides[0].data(), r.br.strides[1].data(), r.br.strides[2].data(), current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_UnaryForward(const Napi::CallbackInfo& info) {
  const ea::UnaryForward r = ea::ReadUnaryForward<DeviceArrays>(info);
  unary_forward_cuda(r.op, r.out.data, r.x.data, int64_t(r.x.length), r.p0, r.p1, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_UnaryBackward(const Napi::CallbackInfo& info) {
  const ea::UnaryBackward r = ea::ReadUnaryBackward<DeviceArrays>(info);
  unary_backward_cuda(r.op, r.dx.data, r.g.data, r.x.data, r.y.data, r.n, r.p0, r.p1, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_SumToShape(const Napi::CallbackInfo& info) {
  const ea::SumToShape r = ea::ReadSumToShape<DeviceArrays>(info);
  sum_to_shape_cuda(r.out.data, r.g.data, int(r.shape.size()), r.shape.data(), r.out_shape.data(),
                    current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_Int32ToFloat32(const Napi::CallbackInfo& info) {
  const ea::Cast r = ea::ReadCast<DeviceArrays>(info);
  int32_to_float32_cuda(r.out.data, r.x.data, int64_t(r.x.length), current_stream());
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object cuda) {
  (void)env;
  TK_CUDA_EXPORT(cuda, "binaryForward", JS_BinaryForward);
  TK_CUDA_EXPORT(cuda, "binaryBackward", JS_BinaryBackward);
  TK_CUDA_EXPORT(cuda, "compare", JS_Compare);
  TK_CUDA_EXPORT(cuda, "where", JS_Where);
  TK_CUDA_EXPORT(cuda, "unaryForward", JS_UnaryForward);
  TK_CUDA_EXPORT(cuda, "unaryBackward", JS_UnaryBackward);
  TK_CUDA_EXPORT(cuda, "sumToShape", JS_SumToShape);
  TK_CUDA_EXPORT(cuda, "int32ToFloat32", JS_Int32ToFloat32);
}
TK_REGISTER_CUDA_BINDING(elementwise, Init);

}  // namespace
}  // namespace tk::cuda

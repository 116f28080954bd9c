// Exports: binaryForward, binaryBackward, compare, where, unaryForward, unaryBackward, sumToShape,
// int32ToFloat32.
// Arguments are checked in binding/elementwise_args.h, which the device exports
// (cuda/binding/elementwise.cc) share.
#include "kernels/elementwise.h"

#include <utility>
#include <vector>

#include "binding/args.h"
#include "binding/elementwise_args.h"
#include "binding/registry.h"
#include "kernels/reduce.h"

namespace tk::binding {
namespace {

namespace ea = elementwise_args;

Napi::Value JS_binaryForward(const Napi::CallbackInfo& info) {
  ea::BinaryForward r = ea::ReadBinaryForward<HostArrays>(info);
  binary_forward_cpu(r.op, r.out.data, r.a.data, r.b.data, r.br.view(), r.br.strides[0].data(),
                     r.br.strides[1].data(), r.alpha);
  return info.Env().Undefined();
}

Napi::Value JS_binaryBackward(const Napi::CallbackInfo& info) {
  ea::BinaryBackward r = ea::ReadBinaryBackward<HostArrays>(info);
  binary_backward_cpu(r.op, r.da.data, r.db.data, r.g.data, r.a.data, r.b.data, r.out.data, r.br.view(),
                      r.br.strides[0].data(), r.br.strides[1].data());
  return info.Env().Undefined();
}

Napi::Value JS_compare(const Napi::CallbackInfo& info) {
  ea::Compare r = ea::ReadCompare<HostArrays>(info);
  if (r.a.is_int) {
    compare_i32_cpu(r.op, r.out.data, reinterpret_cast<const int32_t*>(r.a.data),
                    reinterpret_cast<const int32_t*>(r.b.data), r.br.view(), r.br.strides[0].data(),
                    r.br.strides[1].data());
  } else {
    compare_cpu(r.op, r.out.data, reinterpret_cast<const float*>(r.a.data),
                reinterpret_cast<const float*>(r.b.data), r.br.view(), r.br.strides[0].data(),
                r.br.strides[1].data());
  }
  return info.Env().Undefined();
}

Napi::Value JS_where(const Napi::CallbackInfo& info) {
  ea::Where r = ea::ReadWhere<HostArrays>(info);
  where_cpu(r.out.data, r.cond.data, r.a.data, r.b.data, r.br.view(), r.br.strides[0].data(),
            r.br.strides[1].data(), r.br.strides[2].data());
  return info.Env().Undefined();
}

Napi::Value JS_unaryForward(const Napi::CallbackInfo& info) {
  ea::UnaryForward r = ea::ReadUnaryForward<HostArrays>(info);
  unary_forward_cpu(r.op, r.out.data, r.x.data, int64_t(r.x.length), r.p0, r.p1);
  return info.Env().Undefined();
}

Napi::Value JS_unaryBackward(const Napi::CallbackInfo& info) {
  ea::UnaryBackward r = ea::ReadUnaryBackward<HostArrays>(info);
  unary_backward_cpu(r.op, r.dx.data, r.g.data, r.x.data, r.y.data, r.n, r.p0, r.p1);
  return info.Env().Undefined();
}

// The same sum_forward_cpu calls as lib/ops/reduce.ts's sum over the broadcast dimensions: size-1
// dimensions dropped, adjacent reduced (or kept) dimensions merged into runs, then one
// [outer, reduced, inner] sum per reduced run, last run first. So a broadcast gradient reduces to
// the same bits as sum(grad, dims, { keepdim: true }) gives.
Napi::Value JS_sumToShape(const Napi::CallbackInfo& info) {
  ea::SumToShape r = ea::ReadSumToShape<HostArrays>(info);
  std::vector<std::pair<int64_t, bool>> runs;  // [size, reduced]
  for (size_t d = 0; d < r.shape.size(); ++d) {
    if (r.shape[d] == 1) continue;
    bool red = r.out_shape[d] == 1;
    if (!runs.empty() && runs.back().second == red)
      runs.back().first *= r.shape[d];
    else
      runs.emplace_back(r.shape[d], red);
  }
  std::vector<float> buf(r.g.data, r.g.data + r.g.length), next;
  for (size_t k = runs.size(); k-- > 0;) {
    if (!runs[k].second) continue;
    int64_t outer = 1, inner = 1;
    for (size_t j = 0; j < k; ++j) outer *= runs[j].first;
    for (size_t j = k + 1; j < runs.size(); ++j) inner *= runs[j].first;
    next.assign(size_t(outer * inner), 0.0f);
    sum_forward_cpu(next.data(), buf.data(), outer, runs[k].first, inner);
    buf.swap(next);
    runs[k].first = 1;
  }
  std::copy(buf.begin(), buf.end(), r.out.data);
  return info.Env().Undefined();
}

// The promotion of int32 operands to float32 (what Float32Array.from does, on either device).
Napi::Value JS_int32ToFloat32(const Napi::CallbackInfo& info) {
  ea::Cast r = ea::ReadCast<HostArrays>(info);
  for (size_t i = 0; i < r.x.length; ++i) r.out.data[i] = float(r.x.data[i]);
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("binaryForward", Napi::Function::New(env, JS_binaryForward, "binaryForward"));
  exports.Set("binaryBackward", Napi::Function::New(env, JS_binaryBackward, "binaryBackward"));
  exports.Set("compare", Napi::Function::New(env, JS_compare, "compare"));
  exports.Set("where", Napi::Function::New(env, JS_where, "where"));
  exports.Set("unaryForward", Napi::Function::New(env, JS_unaryForward, "unaryForward"));
  exports.Set("unaryBackward", Napi::Function::New(env, JS_unaryBackward, "unaryBackward"));
  exports.Set("sumToShape", Napi::Function::New(env, JS_sumToShape, "sumToShape"));
  exports.Set("int32ToFloat32", Napi::Function::New(env, JS_int32ToFloat32, "int32ToFloat32"));
}

}  // namespace

TK_REGISTER_BINDING(elementwise, Init);

}  // namespace tk::binding

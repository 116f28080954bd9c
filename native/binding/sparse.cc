// Exports: spmm, spmmTransposed, csrValidate. Argument checks in binding/sparse_args.h (shared with
// the device exports of cuda/binding/sparse.cc).
#include "kernels/sparse.h"

#include "binding/args.h"
#include "binding/registry.h"
#include "binding/sparse_args.h"

namespace tk::binding {
namespace {

// spmm(out, indptr, indices, values, dense, R, C, H): out[R, H] = A[R, C] * dense[C, H]
Napi::Value JS_spmm(const Napi::CallbackInfo& info) {
  const sparse_args::SpmmArgs r = sparse_args::ReadSpmm<HostArrays>(info, false);
  spmm_cpu(r.out.data, r.a.indptr.data, r.a.indices.data, r.a.values.data, r.dense.data, r.R, r.C, r.H);
  return info.Env().Undefined();
}

// spmmTransposed(out, indptr, indices, values, g, R, C, H): out[C, H] = A[R, C]^T * g[R, H]
Napi::Value JS_spmmTransposed(const Napi::CallbackInfo& info) {
  const sparse_args::SpmmArgs r = sparse_args::ReadSpmm<HostArrays>(info, true);
  // The kernel transposes A into buffers of C + 1 and nnz entries; with H = 0 no array backs C, so
  // a huge C would allocate gigabytes (or throw bad_alloc through N-API) to produce nothing.
  if (r.out.length == 0) return info.Env().Undefined();
  spmm_transposed_cpu(r.out.data, r.a.indptr.data, r.a.indices.data, r.a.values.data, r.dense.data, r.R, r.C,
                      r.H);
  return info.Env().Undefined();
}

// csrValidate(indptr, indices, values, R, C): throws a RangeError naming the first fault.
Napi::Value JS_csrValidate(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "csrValidate");
  int64_t R = GetInt(info, 3, "R", 0, (int64_t(1) << 31) - 2),
          C = GetInt(info, 4, "C", 0, (int64_t(1) << 31) - 1);
  sparse_args::GetCsr(info, 0, R, C);
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spmm", Napi::Function::New(env, JS_spmm, "spmm"));
  exports.Set("spmmTransposed", Napi::Function::New(env, JS_spmmTransposed, "spmmTransposed"));
  exports.Set("csrValidate", Napi::Function::New(env, JS_csrValidate, "csrValidate"));
}

}  // namespace

TK_REGISTER_BINDING(sparse, Init);

}  // namespace tk::binding

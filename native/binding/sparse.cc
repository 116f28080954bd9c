// Exports: spmm, spmmTransposed, csrValidate.
#include "kernels/sparse.h"

#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/registry.h"

namespace tk::binding {
namespace {

struct Csr {
  Span<int32_t> indptr, indices;
  Span<float> values;
  int64_t R, C;
};

// Reads (indptr, indices, values) at `at` for a [R, C] matrix and checks its structure, so that no
// malformed CSR can make a kernel read out of bounds. Costs O(R + nnz), well below the product.
Csr GetCsr(const Napi::CallbackInfo& info, size_t at, int64_t R, int64_t C) {
  Napi::Env env = info.Env();
  Csr m;
  m.R = R;
  m.C = C;
  m.indptr = GetArrayExact<int32_t>(info, at, "indptr", R + 1);
  m.indices = GetArray<int32_t>(info, at + 1, "indices");
  m.values = GetArrayExact<float>(info, at + 2, "values", int64_t(m.indices.length));
  int64_t nnz = int64_t(m.indices.length);
  if (m.indptr.data[0] != 0) ThrowRange(env, "indptr[0] must be 0, got " + std::to_string(m.indptr.data[0]));
  for (int64_t r = 0; r < R; ++r) {
    if (m.indptr.data[r + 1] < m.indptr.data[r]) {
      ThrowRange(env, "indptr must be non-decreasing: indptr[" + std::to_string(r + 1) +
                          "] = " + std::to_string(m.indptr.data[r + 1]) + " < indptr[" + std::to_string(r) +
                          "] = " + std::to_string(m.indptr.data[r]));
    }
  }
  if (m.indptr.data[R] != nnz) {
    ThrowRange(env, "indptr[" + std::to_string(R) + "] = " + std::to_string(m.indptr.data[R]) +
                        " must equal the number of stored values, " + std::to_string(nnz));
  }
  for (int64_t k = 0; k < nnz; ++k) {
    if (m.indices.data[k] < 0 || m.indices.data[k] >= C) {
      ThrowRange(env, "indices[" + std::to_string(k) + "] = " + std::to_string(m.indices.data[k]) +
                          " is out of range [0, " + std::to_string(C) + ")");
    }
  }
  return m;
}

// spmm(out, indptr, indices, values, dense, R, C, H): out[R, H] = A[R, C] * dense[C, H]
Napi::Value JS_spmm(const Napi::CallbackInfo& info) {
  RequireArgs(info, 8, "spmm");
  Napi::Env env = info.Env();
  int64_t R = GetInt(info, 5, "R", 0, (int64_t(1) << 31) - 2),
          C = GetInt(info, 6, "C", 0, (int64_t(1) << 31) - 1), H = GetInt(info, 7, "H");
  Csr a = GetCsr(info, 1, R, C);
  auto out = GetArrayExact<float>(info, 0, "out", Numel(env, {R, H}, "out shape"));
  auto dense = GetArrayExact<float>(info, 4, "dense", Numel(env, {C, H}, "dense shape"));
  if (Overlaps(out, dense) || Overlaps(out, a.values) || Overlaps(out, a.indices) ||
      Overlaps(out, a.indptr)) {
    ThrowRange(env, "out must not share memory with an input");
  }
  spmm_cpu(out.data, a.indptr.data, a.indices.data, a.values.data, dense.data, R, C, H);
  return env.Undefined();
}

// spmmTransposed(out, indptr, indices, values, g, R, C, H): out[C, H] = A[R, C]^T * g[R, H]
Napi::Value JS_spmmTransposed(const Napi::CallbackInfo& info) {
  RequireArgs(info, 8, "spmmTransposed");
  Napi::Env env = info.Env();
  int64_t R = GetInt(info, 5, "R", 0, (int64_t(1) << 31) - 2),
          C = GetInt(info, 6, "C", 0, (int64_t(1) << 31) - 2), H = GetInt(info, 7, "H");
  Csr a = GetCsr(info, 1, R, C);
  auto out = GetArrayExact<float>(info, 0, "out", Numel(env, {C, H}, "out shape"));
  auto g = GetArrayExact<float>(info, 4, "g", Numel(env, {R, H}, "g shape"));
  if (Overlaps(out, g) || Overlaps(out, a.values) || Overlaps(out, a.indices) || Overlaps(out, a.indptr)) {
    ThrowRange(env, "out must not share memory with an input");
  }
  // The kernel transposes A into buffers of C + 1 and nnz entries; with H = 0 no array backs C, so
  // a huge C would allocate gigabytes (or throw bad_alloc through N-API) to produce nothing.
  if (out.length == 0) return env.Undefined();
  spmm_transposed_cpu(out.data, a.indptr.data, a.indices.data, a.values.data, g.data, R, C, H);
  return env.Undefined();
}

// csrValidate(indptr, indices, values, R, C): throws a RangeError naming the first fault.
Napi::Value JS_csrValidate(const Napi::CallbackInfo& info) {
  RequireArgs(info, 5, "csrValidate");
  int64_t R = GetInt(info, 3, "R", 0, (int64_t(1) << 31) - 2),
          C = GetInt(info, 4, "C", 0, (int64_t(1) << 31) - 1);
  GetCsr(info, 0, R, C);
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

// The argument checks of spmm and spmmTransposed (and csrValidate), shared by the CPU exports
// (native/binding/sparse.cc, Arrays = HostArrays: typed arrays) and the device exports
// (cuda/binding/sparse.cc, Arrays = cuda::DeviceArrays: device buffers), so that both refuse the same
// calls with the same messages.
//
// The CSR arrays (indptr, indices, values) are host typed arrays for both: their contents are checked
// here (indptr starts at 0, never decreases and ends at nnz; indices in [0, C)), which needs them on
// the host, and the device export copies them (or the transpose built from them) to the device for
// the call. Only out and dense / g follow the Arrays policy.
#pragma once
#include <string>

#include "binding/args.h"

namespace tk::binding::sparse_args {

struct Csr {
  Span<int32_t> indptr, indices;  // host
  Span<float> values;             // host
  int64_t R = 0, C = 0;
};

// Reads (indptr, indices, values) at `at` for a [R, C] matrix and checks its structure, so that no
// malformed CSR can make a kernel read out of bounds. Costs O(R + nnz), well below the product.
inline Csr GetCsr(const Napi::CallbackInfo& info, size_t at, int64_t R, int64_t C) {
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

struct SpmmArgs {
  Csr a;
  Span<float> out, dense;  // Arrays (device buffers on the device export)
  int64_t R = 0, C = 0, H = 0;
};

// spmm(out, indptr, indices, values, dense, R, C, H): out[R, H] = A[R, C] * dense[C, H]
// spmmTransposed(out, indptr, indices, values, g, R, C, H): out[C, H] = A[R, C]^T * g[R, H]
// The two differ in which of R and C sizes out and the dense operand (and in C's bound: the
// transposed product's kernel holds C + 1 row pointers).
template <class Arrays>
SpmmArgs ReadSpmm(const Napi::CallbackInfo& info, bool transposed) {
  const char* op = transposed ? "spmmTransposed" : "spmm";
  const char* dense_name = transposed ? "g" : "dense";
  RequireArgs(info, 8, op);
  Napi::Env env = info.Env();
  SpmmArgs r;
  r.R = GetInt(info, 5, "R", 0, (int64_t(1) << 31) - 2);
  r.C = GetInt(info, 6, "C", 0, (int64_t(1) << 31) - (transposed ? 2 : 1));
  r.H = GetInt(info, 7, "H");
  r.a = GetCsr(info, 1, r.R, r.C);
  const int64_t out_rows = transposed ? r.C : r.R, in_rows = transposed ? r.R : r.C;
  r.out = Arrays::template GetExact<float>(info, 0, "out", Numel(env, {out_rows, r.H}, "out shape"));
  r.dense = Arrays::template GetExact<float>(
      info, 4, dense_name, Numel(env, {in_rows, r.H}, transposed ? "g shape" : "dense shape"));
  // Device buffers never overlap host arrays, so on the device only out and dense can clash.
  if (Overlaps(r.out, r.dense) || Overlaps(r.out, r.a.values) || Overlaps(r.out, r.a.indices) ||
      Overlaps(r.out, r.a.indptr)) {
    ThrowRange(env, "out must not share memory with an input");
  }
  return r;
}

}  // namespace tk::binding::sparse_args

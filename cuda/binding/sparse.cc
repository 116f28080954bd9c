// Device exports spmm and spmmTransposed: the CPU exports' arguments (binding/sparse_args.h checks
// them the same way) with out and dense / g as device buffers, run by cuda/sparse.h. The CSR arrays
// stay host typed arrays as on the CPU (their contents are checked there) and are copied to the
// device for the call; spmmTransposed first builds A's transpose on the host with the CPU kernel's
// own stable counting sort (tk::csr_transpose, O(nnz + C)) and copies that, so the device gathers
// each output element's terms in the CPU's order without atomics.
#include "cuda/sparse.h"

#include <vector>

#include "binding/sparse_args.h"
#include "cuda/binding/device_args.h"
#include "cuda/binding/scratch.h"
#include "kernels/sparse.h"

namespace tk::cuda {
namespace {

template <typename T>
size_t bytes_of(const binding::Span<T>& s) {
  return s.length * sizeof(T);
}

Napi::Value JS_Spmm(const Napi::CallbackInfo& info) {
  const binding::sparse_args::SpmmArgs r = binding::sparse_args::ReadSpmm<DeviceArrays>(info, false);
  if (r.out.length == 0) return info.Env().Undefined();
  Scratch indptr(r.a.indptr.data, bytes_of(r.a.indptr));
  Scratch indices(r.a.indices.data, bytes_of(r.a.indices));
  Scratch values(r.a.values.data, bytes_of(r.a.values));
  spmm_cuda(r.out.data, indptr.as<int32_t>(), indices.as<int32_t>(), values.as<float>(), r.dense.data, r.R,
            r.C, r.H, current_stream());
  return info.Env().Undefined();
}

Napi::Value JS_SpmmTransposed(const Napi::CallbackInfo& info) {
  const binding::sparse_args::SpmmArgs r = binding::sparse_args::ReadSpmm<DeviceArrays>(info, true);
  // As on the CPU: with an empty out nothing bounds C, and the transpose holds C + 1 pointers.
  if (r.out.length == 0) return info.Env().Undefined();
  std::vector<int32_t> tptr, trow;
  std::vector<float> tval;
  // int32 row pointers: they count entries, at most nnz < 2^31.
  csr_transpose(tptr, trow, tval, r.a.indptr.data, r.a.indices.data, r.a.values.data, r.R, r.C);
  Scratch d_tptr(tptr.data(), tptr.size() * sizeof(int32_t));
  Scratch d_trow(trow.data(), trow.size() * sizeof(int32_t));
  Scratch d_tval(tval.data(), tval.size() * sizeof(float));
  spmm_transposed_cuda(r.out.data, d_tptr.as<int32_t>(), d_trow.as<int32_t>(), d_tval.as<float>(),
                       r.dense.data, r.R, r.C, r.H, current_stream());
  return info.Env().Undefined();
}

void Init(Napi::Env env, Napi::Object cuda) {
  TK_CUDA_EXPORT(cuda, "spmm", JS_Spmm);
  TK_CUDA_EXPORT(cuda, "spmmTransposed", JS_SpmmTransposed);
}
TK_REGISTER_CUDA_BINDING(sparse, Init);

}  // namespace
}  // namespace tk::cuda

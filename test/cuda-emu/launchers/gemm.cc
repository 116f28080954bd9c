// cuda/gemm.cu's tiled kernel (GemmImpl::kTiled). Arguments as the CPU exports sgemm and
// sgemmStridedBatched (native/binding/gemm.cc): transA, transB, M, N, K, alpha, A, aOffset, lda,
// B, bOffset, ldb, beta, C, cOffset, ldc[, batch, strideA, strideB, strideC].
#include "cuda/gemm.h"

#include "test/cuda-emu/emu_addon.h"

namespace tk_emu_addon {
namespace {

Napi::Value Gemm(const Napi::CallbackInfo& info, bool batched) {
  const bool ta = Bool(info, 0), tb = Bool(info, 1);
  const int64_t m = Int(info, 2), n = Int(info, 3), k = Int(info, 4);
  const float alpha = float(Num(info, 5)), beta = float(Num(info, 12));
  Dev a(info, 6), b(info, 9), c(info, 13);
  const int64_t batch = batched ? Int(info, 16) : 1;
  const int64_t sa = batched ? Int(info, 17) : 0, sb = batched ? Int(info, 18) : 0,
                sc = batched ? Int(info, 19) : 0;
  tk::sgemm_strided_batched_cuda(ta, tb, m, n, k, alpha, a.f(Int(info, 7)), Int(info, 8), b.f(Int(info, 10)),
                                 Int(info, 11), beta, c.f(Int(info, 14)), Int(info, 15), batch, sa, sb, sc,
                                 nullptr, tk::GemmImpl::kTiled);
  c.back();
  return info.Env().Undefined();
}

TK_EMU_LAUNCHER(sgemm) { return Gemm(info, false); }
TK_EMU_LAUNCHER(sgemmStridedBatched) { return Gemm(info, true); }

}  // namespace
}  // namespace tk_emu_addon

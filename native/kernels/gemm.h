// Single-precision GEMM on the CPU: BLIS-style blocking (NC x KC panels of B, MC x KC blocks of A,
// both packed into aligned buffers) around a register-blocked microkernel chosen at run time by
// tk::simd_level() (6x16 or 4x24 AVX2+FMA, 12x32 or 8x48 AVX-512, 6x8 or 4x12 SSE2, 4x4 scalar).
//
// Row-major semantics throughout: every matrix is stored by rows with a leading dimension (the
// distance between rows, in elements), and
//
//   C[m, n] = alpha * op(A)[m, k] @ op(B)[k, n] + beta * C[m, n]
//
// where op(A) = A (stored [m, lda >= k]) or A^T (trans_a: stored [k, lda >= m]), and likewise
// op(B) = B (stored [k, ldb >= n]) or B^T (trans_b: stored [n, ldb >= k]); C is stored
// [m, ldc >= n]. As in BLAS, beta == 0 never reads C (NaN there is overwritten), and alpha == 0 or
// k == 0 reads neither A nor B. C must not alias A or B.
//
// Results depend on the SIMD level but not on the thread count: work is split along M and N only,
// so every element of C sums its k products in the same order on any number of threads. Called
// from inside another kernel's parallel region, it runs on the calling thread. Each thread keeps
// its packing buffers between calls (at most about 2.2 MB), so loops of GEMMs do not allocate.
#pragma once
#include <cstdint>
#include <memory>

namespace tk {

void sgemm_cpu(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
               const float* a,  // op(A) [m, k], stored as above
               int64_t lda,
               const float* b,  // op(B) [k, n], stored as above
               int64_t ldb, float beta,
               float* c,  // [m, n] with row stride ldc; must not alias a or b
               int64_t ldc);

// `batch` independent products; matrix i starts at a + i * stride_a (likewise b, c). A stride of 0
// reuses one operand for every product (a weight shared across the batch); the C matrices must not
// overlap one another.
void sgemm_strided_batched_cpu(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                               const float* a,  // batch x op(A) [m, k]
                               int64_t lda,
                               const float* b,  // batch x op(B) [k, n]
                               int64_t ldb, float beta,
                               float* c,  // batch x [m, n]; must not alias a or b
                               int64_t ldc, int64_t batch, int64_t stride_a, int64_t stride_b,
                               int64_t stride_c);

namespace gemm_detail {

// A microkernel: C[0:mr, 0:nr] = alpha * sum_p A[p][0:mr] * B[p][0:nr] + beta * C, reading the
// packed panel A (kc x mr, mr values per p) and B rows of nr values ldb apart (ldb = nr for a
// packed panel). beta == 0 must not read C.
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, int64_t ldb, float* c, int64_t ldc,
                             float alpha, float beta);

struct KernelInfo {
  MicroKernel ukernel;
  int mr, nr;  // register block
  // Cache blocks (mc a multiple of mr, nc of nr): A block mc x kc in L2, B panel kc x nc in L3.
  int64_t mc, kc, nc;
  const char* name;
  // The same MR rows over one vector of columns, for the last micro-panel when it holds at most
  // edge_nr columns (n = 50 on a 16-wide kernel: 48 + 8 instead of 64). Same per-element FMA chain,
  // so the results are bit-identical to the full kernel's.
  MicroKernel edge = nullptr;
  int edge_nr = 0;
};

// Each ISA offers a tall and a wide register block with the same register use (6x16 and 4x24 on
// AVX2); the driver takes whichever pads the product least, so m = 32, 64, 128 (recurrent
// batches) do not waste a third of a 6-row tile.
struct KernelSet {
  KernelInfo tall, wide;
};

}  // namespace gemm_detail

// op(B) [k, n] packed once for many products with different A: a recurrent layer's weight,
// applied at every time step, skips repacking (a transposing copy of all of W) on each call.
// The packing follows the kernel chosen for m_hint rows at the SIMD level in force when packed;
// any m works. Immutable after construction, so threads may share it.
class SgemmPackedB {
 public:
  SgemmPackedB(bool trans_b, int64_t n, int64_t k,
               const float* b,  // op(B) [k, n]: stored [k, ldb >= n], or trans_b: [n, ldb >= k]
               int64_t ldb, int64_t m_hint);
  int64_t n() const { return n_; }
  int64_t k() const { return k_; }

 private:
  friend void sgemm_packed_cpu(bool, int64_t, float, const float*, int64_t, const SgemmPackedB&, float,
                               float*, int64_t);
  int64_t n_, k_;
  gemm_detail::KernelInfo kernel_;
  std::unique_ptr<float[]> data_;
  float* aligned_ = nullptr;
};

// C[m, n] = alpha * op(A)[m, k] @ B + beta * C with B packed as above; same rules as sgemm_cpu.
// Always the blocked path (no small-product or matrix-vector shortcut), so results can differ from
// sgemm_cpu's in the last bits where sgemm_cpu takes a shortcut or a different kernel.
void sgemm_packed_cpu(bool trans_a, int64_t m, float alpha,
                      const float* a,  // op(A) [m, b.k()]
                      int64_t lda, const SgemmPackedB& b, float beta,
                      float* c,  // [m, b.n()], row stride ldc; must not alias a or b's source
                      int64_t ldc);

namespace isa {
// Per-ISA microkernels (gemm_avx2.cc, gemm_avx512.cc); used only after the CPU check.
gemm_detail::KernelSet gemm_kernels_avx2();
gemm_detail::KernelSet gemm_kernels_avx512();
}  // namespace isa

// The microkernels in force at the current SIMD level, e.g. "avx2-6x16/4x24" (benchmarks, tests).
const char* sgemm_kernel_name();

}  // namespace tk

// The SGEMM driver: kernel choice, packing, cache blocking and the split across threads. The
// microkernels are one template (gemm_ukernel.inc) instantiated per ISA; this file holds the SSE2
// and scalar instances.
#include "kernels/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "kernels/cpu_features.h"
#include "kernels/thread_pool.h"
#include "kernels/vec.h"

namespace tk {
namespace {

using gemm_detail::KernelInfo;
using gemm_detail::KernelSet;

// Products below this many multiply-adds skip packing; below kThreadFlops they skip threads.
constexpr int64_t kSmallFlops = 16 * 16 * 16;
constexpr int64_t kThreadFlops = 64 * 64 * 64;

#if defined(__SSE2__)
// No FMA in SSE2: a separate multiply and add (and -ffp-contract=off keeps them separate).
struct Sse2V {
  using reg = __m128;
  static constexpr int W = 4;
  static reg zero() { return _mm_setzero_ps(); }
  static reg set1(float x) { return _mm_set1_ps(x); }
  static reg load(const float* p) { return _mm_load_ps(p); }
  static reg loadu(const float* p) { return _mm_loadu_ps(p); }
  static void storeu(float* p, reg r) { _mm_storeu_ps(p, r); }
  static reg fma(reg a, reg b, reg c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
  static reg mul(reg a, reg b) { return _mm_mul_ps(a, b); }
  static reg add(reg a, reg b) { return _mm_add_ps(a, b); }
};
#endif

struct ScalarV {
  using reg = float;
  static constexpr int W = 1;
  static reg zero() { return 0.0f; }
  static reg set1(float x) { return x; }
  static reg load(const float* p) { return *p; }
  static reg loadu(const float* p) { return *p; }
  static void storeu(float* p, reg r) { *p = r; }
  static reg fma(reg a, reg b, reg c) { return a * b + c; }
  static reg mul(reg a, reg b) { return a * b; }
  static reg add(reg a, reg b) { return a + b; }
};

#include "kernels/gemm_ukernel.inc"

KernelSet generic_kernels() {
#if defined(__SSE2__)
  // 6x8 and 4x12: 12 xmm accumulators + B + 1 broadcast fit the 16 registers.
  return {{&gemm_ukernel<Sse2V, 6, 2>, 6, 8, 144, 256, 2048, "sse2-6x8", &gemm_ukernel<Sse2V, 6, 1>, 4},
          {&gemm_ukernel<Sse2V, 4, 3>, 4, 12, 144, 256, 2040, "sse2-4x12", &gemm_ukernel<Sse2V, 4, 1>, 4}};
#else
  KernelInfo k{&gemm_ukernel<ScalarV, 4, 4>, 4, 4, 128, 256, 2048, "scalar-4x4"};
  return {k, k};
#endif
}

KernelSet kernel_set() {
#if defined(TK_HAVE_X86_KERNELS)
  switch (simd_level()) {
    case SimdLevel::kAvx512:
      return isa::gemm_kernels_avx512();
    case SimdLevel::kAvx2:
      return isa::gemm_kernels_avx2();
    default:
      break;
  }
#endif
  return generic_kernels();
}

// The register block that pads C least (the tall one on ties).
KernelInfo select_kernel(int64_t m, int64_t n) {
  const KernelSet s = kernel_set();
  auto padded = [&](const KernelInfo& k) {
    const int64_t rem = n % k.nr;
    const int64_t cols = n / k.nr * k.nr + (rem == 0 ? 0 : (k.edge && rem <= k.edge_nr ? k.edge_nr : k.nr));
    return double((m + k.mr - 1) / k.mr * k.mr) * double(cols);
  };
  return padded(s.wide) < padded(s.tall) ? s.wide : s.tall;
}

constexpr int kMaxMr = 16, kMaxNr = 48;

// Packing buffers, one pair per thread and kept between calls: recurrent layers call GEMM
// thousands of times and should not allocate each time.
struct AlignedBuffer {
  float* p = nullptr;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      std::free(p);
      size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!p) {
        cap = 0;
        throw std::bad_alloc();
      }
      cap = n;
    }
    return p;
  }
  ~AlignedBuffer() { std::free(p); }
};
thread_local AlignedBuffer tl_pack_a, tl_pack_b;

struct Problem {
  bool ta, tb;
  int64_t m, n, k;
  float alpha;
  const float* a;
  int64_t lda;
  const float* b;
  int64_t ldb;
  float beta;
  float* c;
  int64_t ldc;
};

// dst[p * width + j] = src[j * ld + p] for j < rows, p < kc, and zero for rows <= j < width: a
// micro-panel from `rows` contiguous rows (A stored [m, k], or B stored transposed [n, k]). The
// transpose goes 4x4 at a time through SSE registers; scalar stores 4*width bytes apart made
// this the bottleneck of skinny x @ W^T products.
void transpose_pack(const float* src, int64_t ld, int rows, int64_t kc, int width, float* dst) {
  int j = 0;
#if defined(__SSE2__)
  for (; j + 4 <= rows; j += 4) {
    const float* s0 = src + j * ld;
    const float* s1 = s0 + ld;
    const float* s2 = s1 + ld;
    const float* s3 = s2 + ld;
    int64_t p = 0;
    for (; p + 4 <= kc; p += 4) {
      __m128 r0 = _mm_loadu_ps(s0 + p), r1 = _mm_loadu_ps(s1 + p), r2 = _mm_loadu_ps(s2 + p),
             r3 = _mm_loadu_ps(s3 + p);
      _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
      float* d = dst + p * width + j;
      _mm_storeu_ps(d, r0);
      _mm_storeu_ps(d + width, r1);
      _mm_storeu_ps(d + 2 * width, r2);
      _mm_storeu_ps(d + 3 * width, r3);
    }
    for (; p < kc; ++p) {
      float* d = dst + p * width + j;
      d[0] = s0[p];
      d[1] = s1[p];
      d[2] = s2[p];
      d[3] = s3[p];
    }
  }
#endif
  for (; j < rows; ++j) {
    const float* sj = src + j * ld;
    for (int64_t p = 0; p < kc; ++p) dst[p * width + j] = sj[p];
  }
  for (j = rows; j < width; ++j)
    for (int64_t p = 0; p < kc; ++p) dst[p * width + j] = 0.0f;
}

// op(A)[i0:i0+mc, p0:p0+kc] into mr-row micro-panels: for each panel, kc steps of mr values,
// rows past the edge zero-filled.
void pack_a(const Problem& P, int64_t i0, int64_t mc, int64_t p0, int64_t kc, int mr, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += mr) {
    int mb = int(std::min<int64_t>(mr, mc - ir));
    if (!P.ta) {
      transpose_pack(P.a + (i0 + ir) * P.lda + p0, P.lda, mb, kc, mr, dst);
    } else {
      for (int64_t p = 0; p < kc; ++p) {
        const float* row = P.a + (p0 + p) * P.lda + i0 + ir;
        float* d = dst + p * mr;
        for (int i = 0; i < mb; ++i) d[i] = row[i];
        for (int i = mb; i < mr; ++i) d[i] = 0.0f;
      }
    }
    dst += int64_t(mr) * kc;
  }
}

// op(B)[p0:p0+kc, j0:j0+nc] into nr-column micro-panels: kc steps of nr values each.
void pack_b(const Problem& P, int64_t j0, int64_t nc, int64_t p0, int64_t kc, int nr, float* dst) {
  if (!P.tb) {
    // Rows of B in groups of 8, each group copied across all the micro-panels: a few sequential
    // read streams instead of one read per row 4*ldb bytes apart, which for power-of-two ldb
    // keeps hitting the same cache sets.
    constexpr int64_t kRows = 8;
    for (int64_t pg = 0; pg < kc; pg += kRows) {
      const int64_t pe = std::min(kc, pg + kRows);
      for (int64_t jr = 0; jr < nc; jr += nr) {
        const int nb = int(std::min<int64_t>(nr, nc - jr));
        float* panel = dst + jr * kc;
        for (int64_t p = pg; p < pe; ++p) {
          const float* row = P.b + (p0 + p) * P.ldb + j0 + jr;
          float* d = panel + p * nr;
          if (nb == nr) {
#if defined(__SSE2__)
            // nr is a multiple of 4; an inline copy beats a memcpy call per 64-192 bytes.
            for (int j = 0; j < nr; j += 4) _mm_storeu_ps(d + j, _mm_loadu_ps(row + j));
#else
            std::memcpy(d, row, sizeof(float) * nr);
#endif
          } else {
            for (int j = 0; j < nb; ++j) d[j] = row[j];
            for (int j = nb; j < nr; ++j) d[j] = 0.0f;
          }
        }
      }
    }
    return;
  }
  for (int64_t jr = 0; jr < nc; jr += nr) {
    int nb = int(std::min<int64_t>(nr, nc - jr));
    transpose_pack(P.b + (j0 + jr) * P.ldb + p0, P.ldb, nb, kc, nr, dst);
    dst += int64_t(nr) * kc;
  }
}

// The blocked product for C[i0:i1, j0:j1] on the calling thread.
// `packed`, when given, is all of op(B) packed by sgemm_pack_b (K blocks of all micro-panels), and
// no B is packed here.
void gemm_block(const KernelInfo& K, const Problem& P, int64_t i0, int64_t i1, int64_t j0, int64_t j1,
                const float* packed = nullptr) {
  const int mr = K.mr, nr = K.nr;
  const int64_t kcmax = std::min(K.kc, P.k);
  const int64_t ncmax = std::min(K.nc, ((j1 - j0 + nr - 1) / nr) * nr);
  const int64_t mcmax = std::min(K.mc, ((i1 - i0 + mr - 1) / mr) * mr);
  float* bbuf = packed ? nullptr : tl_pack_b.get(size_t(ncmax * kcmax));
  const int64_t npanels = (P.n + nr - 1) / nr;
  float* abuf = tl_pack_a.get(size_t(mcmax * kcmax));
  alignas(64) float tmp[kMaxMr * kMaxNr];
  for (int64_t jc = j0; jc < j1; jc += K.nc) {
    const int64_t nc = std::min(K.nc, j1 - jc);
    for (int64_t pc = 0; pc < P.k; pc += K.kc) {
      const int64_t kc = std::min(K.kc, P.k - pc);
      // Later K blocks add to what the first one wrote.
      const float beta = pc == 0 ? P.beta : 1.0f;
      // With one A block, each B micro-panel is used for one sweep over the rows and then dropped.
      // A transposed B (x @ W^T) is then packed just before that sweep, into a buffer that stays
      // in L1, rather than as a whole panel through L3; an untransposed B packs faster as a whole
      // panel, whose row-group loop reads B's rows sequentially (measured on m = 32..64).
      const bool fused = !packed && (i1 - i0) <= K.mc && P.tb;
      if (!fused && !packed) pack_b(P, jc, nc, pc, kc, nr, bbuf);
      for (int64_t ic = i0; ic < i1; ic += K.mc) {
        const int64_t mc = std::min(K.mc, i1 - ic);
        pack_a(P, ic, mc, pc, kc, mr, abuf);
        for (int64_t jr = 0; jr < nc; jr += nr) {
          const int nb = int(std::min<int64_t>(nr, nc - jr));
          const float* bp = packed ? packed + pc * npanels * nr + (jc + jr) / nr * kc * nr : bbuf + jr * kc;
          if (fused) {
            bp = bbuf;
            pack_b(P, jc + jr, nb, pc, kc, nr, bbuf);
          }
          for (int64_t ir = 0; ir < mc; ir += mr) {
            const int mb = int(std::min<int64_t>(mr, mc - ir));
            const float* ap = abuf + ir * kc;
            float* cp = P.c + (ic + ir) * P.ldc + jc + jr;
            if (mb == mr && nb == nr) {
              K.ukernel(kc, ap, bp, nr, cp, P.ldc, P.alpha, beta);
            } else {
              // Edge tile: the same arithmetic (alpha * acc, then + beta * C) through a scratch tile,
              // by the one-vector kernel when the columns fit in it.
              const gemm_detail::MicroKernel uk = K.edge && nb <= K.edge_nr ? K.edge : K.ukernel;
              uk(kc, ap, bp, nr, tmp, nr, P.alpha, 0.0f);
              for (int i = 0; i < mb; ++i) {
                float* crow = cp + i * P.ldc;
                const float* trow = tmp + i * nr;
                if (beta == 0.0f) {
                  for (int j = 0; j < nb; ++j) crow[j] = trow[j];
                } else {
                  for (int j = 0; j < nb; ++j) crow[j] = trow[j] + beta * crow[j];
                }
              }
            }
          }
        }
      }
    }
  }
}

// Tiny products: straight loops, no packing or threads. Each row of C is built in a small
// accumulator so the inner loop runs along contiguous B rows when B is not transposed.
void gemm_small(const Problem& P) {
  constexpr int64_t kChunk = 64;
  float acc[kChunk];
  for (int64_t i = 0; i < P.m; ++i) {
    for (int64_t j0 = 0; j0 < P.n; j0 += kChunk) {
      const int64_t nb = std::min(kChunk, P.n - j0);
      for (int64_t j = 0; j < nb; ++j) acc[j] = 0.0f;
      for (int64_t p = 0; p < P.k; ++p) {
        const float av = P.ta ? P.a[p * P.lda + i] : P.a[i * P.lda + p];
        if (!P.tb) {
          const float* brow = P.b + p * P.ldb + j0;
          for (int64_t j = 0; j < nb; ++j) acc[j] += av * brow[j];
        } else {
          const float* bcol = P.b + j0 * P.ldb + p;
          for (int64_t j = 0; j < nb; ++j) acc[j] += av * bcol[j * P.ldb];
        }
      }
      float* crow = P.c + i * P.ldc + j0;
      if (P.beta == 0.0f) {
        for (int64_t j = 0; j < nb; ++j) crow[j] = P.alpha * acc[j];
      } else {
        for (int64_t j = 0; j < nb; ++j) crow[j] = P.alpha * acc[j] + P.beta * crow[j];
      }
    }
  }
}

// C = beta * C, for k == 0 or alpha == 0 (A and B unread, as in BLAS).
void scale_c(const Problem& P) {
  for (int64_t i = 0; i < P.m; ++i) {
    float* crow = P.c + i * P.ldc;
    if (P.beta == 0.0f) {
      for (int64_t j = 0; j < P.n; ++j) crow[j] = 0.0f;
    } else if (P.beta != 1.0f) {
      for (int64_t j = 0; j < P.n; ++j) crow[j] *= P.beta;
    }
  }
}

// Matrix-vector products (m == 1 or n == 1: batch-1 recurrent steps, matmul with a vector).
// Packing would copy the whole matrix to use each element once, so these run as dot products
// along contiguous rows, or as axpy sweeps when the contiguous direction is the output's.
// y[0:len] with stride incy = alpha * M x + beta * y, where M is given as `rows` contiguous
// vectors of length `cols` (leading dimension ld) and either each row is dotted with x (dot
// form: len = rows) or x weights the rows (axpy form: len = cols).
thread_local AlignedBuffer tl_gemv;

void gemv(bool dot_form, int64_t rows, int64_t cols, float alpha, const float* mat, int64_t ld,
          const float* x, int64_t incx, float beta, float* y, int64_t incy, bool allow_threads) {
  const int64_t xlen = dot_form ? cols : rows;
  const int64_t ylen = dot_form ? rows : cols;
  // A strided x is gathered once so that every inner loop runs over contiguous memory.
  const float* xv = x;
  if (incx != 1) {
    float* t = tl_gemv.get(size_t(xlen));
    for (int64_t i = 0; i < xlen; ++i) t[i] = x[i * incx];
    xv = t;
  }
  auto store = [&](int64_t j, float acc) {
    float* yj = y + j * incy;
    *yj = beta == 0.0f ? alpha * acc : alpha * acc + beta * *yj;
  };
  // Memory-bound: chunks of a quarter of kThreadFlops already gain from a second core's bandwidth.
  const int64_t chunk_work = kThreadFlops / 4;
  const int64_t grain =
      std::max<int64_t>(dot_form ? 1 : 64, chunk_work / std::max<int64_t>(dot_form ? cols : rows, 1));
  const bool threads = allow_threads && double(rows) * double(cols) >= double(2 * chunk_work);
  auto run = [&](int64_t begin, int64_t end) {
    if (dot_form) {
      for (int64_t j = begin; j < end; ++j) store(j, vec_dot(mat + j * ld, xv, cols));
    } else {
      // Columns [begin, end) in chunks that stay in L1 while every row is added in.
      constexpr int64_t kChunk = 1024;
      alignas(64) float acc[kChunk];
      for (int64_t j0 = begin; j0 < end; j0 += kChunk) {
        const int64_t nb = std::min(kChunk, end - j0);
        std::memset(acc, 0, sizeof(float) * size_t(nb));
        for (int64_t p = 0; p < rows; ++p) vec_axpy(xv[p], mat + p * ld + j0, acc, nb);
        for (int64_t j = 0; j < nb; ++j) store(j0 + j, acc[j]);
      }
    }
  };
  if (threads) {
    parallel_for(ylen, grain, run);
  } else {
    run(0, ylen);
  }
}

// The blocked product split over a grid of tasks (see below), with kernel K.
void run_blocked(const KernelInfo& K, const Problem& P, bool allow_threads, const float* packed) {
  const double work = double(P.m) * double(P.n) * double(P.k);
  int threads = allow_threads ? num_threads() : 1;
  const int64_t mblocks = (P.m + K.mr - 1) / K.mr, nblocks = (P.n + K.nr - 1) / K.nr;
  // Two tasks per thread when there is enough work: the pool hands tasks out as threads free up,
  // so a core slowed by another process does not hold back the whole product.
  const int per_thread = work >= double(threads) * 16 * kThreadFlops ? 2 : 1;
  int tasks = int(std::min(double(threads * per_thread), std::max(1.0, work / kThreadFlops)));
  tasks = int(std::min<int64_t>(tasks, mblocks * nblocks));
  if (tasks <= 1) return gemm_block(K, P, 0, P.m, 0, P.n, packed);
  // A tm x tn grid of C tiles, one per task. Each task packs its own rows of A and columns of B,
  // so pick the grid that packs least: sum over tasks of k * (m / tm + n / tn). Skinny products
  // (m = 32, n = 4096) split along N only; squares into near-square tiles.
  int best_tm = 1, best_tn = tasks;
  double best_cost = -1;
  for (int tm = 1; tm <= tasks; ++tm) {
    if (tasks % tm) continue;
    int tn = tasks / tm;
    if (tm > mblocks || tn > nblocks) continue;
    double mt = double((mblocks + tm - 1) / tm) * K.mr, nt = double((nblocks + tn - 1) / tn) * K.nr;
    double cost = mt + nt;
    if (best_cost < 0 || cost < best_cost) best_cost = cost, best_tm = tm, best_tn = tn;
  }
  if (best_cost < 0) return gemm_block(K, P, 0, P.m, 0, P.n, packed);
  const int tm = best_tm, tn = best_tn;
  parallel_tasks(tm * tn, [&](int t, int) {
    const int ti = t / tn, tj = t % tn;
    const int64_t i0 = std::min(P.m, mblocks * ti / tm * K.mr),
                  i1 = std::min(P.m, mblocks * (ti + 1) / tm * K.mr);
    const int64_t j0 = std::min(P.n, nblocks * tj / tn * K.nr),
                  j1 = std::min(P.n, nblocks * (tj + 1) / tn * K.nr);
    if (i0 < i1 && j0 < j1) gemm_block(K, P, i0, i1, j0, j1, packed);
  });
}

void sgemm_run(const Problem& P, bool allow_threads) {
  if (P.m <= 0 || P.n <= 0) return;
  if (P.k <= 0 || P.alpha == 0.0f) return scale_c(P);
  // In double: m * n * k of two huge operands can pass 2^63.
  const double work = double(P.m) * double(P.n) * double(P.k);
  if (work <= kSmallFlops) return gemm_small(P);
  if (P.m == 1) {
    // c[0, :] = a[0, :] @ op(B): op(B)^T rows are B^T's stored rows (trans_b: dot form), else
    // B's rows are weighted by a (axpy form). a's element p is at a[p] or, transposed, a[p * lda].
    const int64_t inca = P.ta ? P.lda : 1;
    return gemv(P.tb, P.tb ? P.n : P.k, P.tb ? P.k : P.n, P.alpha, P.b, P.ldb, P.a, inca, P.beta, P.c, 1,
                allow_threads);
  }
  if (P.n == 1) {
    // c[:, 0] = op(A) @ b[:, 0]: A's stored rows dotted with b, or, transposed, weighted by b.
    const int64_t incb = P.tb ? 1 : P.ldb;
    return gemv(!P.ta, P.ta ? P.k : P.m, P.ta ? P.m : P.k, P.alpha, P.a, P.lda, P.b, incb, P.beta, P.c, P.ldc,
                allow_threads);
  }
  run_blocked(select_kernel(P.m, P.n), P, allow_threads, nullptr);
}

}  // namespace

void sgemm_cpu(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
               int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  sgemm_run({trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc}, true);
}

void sgemm_strided_batched_cpu(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                               const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                               int64_t ldc, int64_t batch, int64_t stride_a, int64_t stride_b,
                               int64_t stride_c) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  auto one = [&](int64_t i, bool threads) {
    sgemm_run({trans_a, trans_b, m, n, k, alpha, a + i * stride_a, lda, b + i * stride_b, ldb, beta,
               c + i * stride_c, ldc},
              threads);
  };
  const int threads = num_threads();
  const double work = double(m) * double(n) * double(std::max<int64_t>(k, 1));
  // Many small products (attention heads): split the batch. Few large ones: thread each product.
  if (threads > 1 && batch >= threads && work < 256.0 * 256 * 256 && double(batch) * work >= kThreadFlops) {
    parallel_tasks(threads, [&](int t, int tasks) {
      for (int64_t i = batch * t / tasks; i < batch * (t + 1) / tasks; ++i) one(i, false);
    });
  } else {
    for (int64_t i = 0; i < batch; ++i) one(i, true);
  }
}

SgemmPackedB::SgemmPackedB(bool trans_b, int64_t n, int64_t k, const float* b, int64_t ldb, int64_t m_hint)
    : n_(std::max<int64_t>(n, 0)), k_(std::max<int64_t>(k, 0)) {
  kernel_ = select_kernel(std::max<int64_t>(m_hint, 1), std::max<int64_t>(n_, 1));
  const int nr = kernel_.nr;
  const int64_t npanels = (n_ + nr - 1) / nr;
  data_.reset(new float[size_t(std::max<int64_t>(npanels * nr * k_, 1)) + 16]);
  float* base = data_.get();
  base += (16 - (reinterpret_cast<uintptr_t>(base) / sizeof(float)) % 16) % 16;  // 64-byte aligned
  aligned_ = base;
  if (n_ == 0 || k_ == 0) return;
  Problem P{false, trans_b, 0, n_, k_, 1.0f, nullptr, 1, b, ldb, 0.0f, nullptr, 1};
  for (int64_t pc = 0; pc < k_; pc += kernel_.kc) {
    const int64_t kc = std::min(kernel_.kc, k_ - pc);
    pack_b(P, 0, n_, pc, kc, nr, aligned_ + pc * npanels * nr);
  }
}

void sgemm_packed_cpu(bool trans_a, int64_t m, float alpha, const float* a, int64_t lda,
                      const SgemmPackedB& b, float beta, float* c, int64_t ldc) {
  Problem P{trans_a, false, m, b.n(), b.k(), alpha, a, lda, nullptr, 1, beta, c, ldc};
  if (P.m <= 0 || P.n <= 0) return;
  if (P.k <= 0 || P.alpha == 0.0f) return scale_c(P);
  run_blocked(b.kernel_, P, true, b.aligned_);
}

const char* sgemm_kernel_name() {
  static thread_local std::string name;
  const KernelSet s = kernel_set();
  name = std::string(s.tall.name) + "/" +
         (std::strchr(s.wide.name, '-') ? std::strchr(s.wide.name, '-') + 1 : s.wide.name);
  return name.c_str();
}

}  // namespace tk

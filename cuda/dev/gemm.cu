/*
SGEMM, row-major: C[m, n] = alpha * op(A) @ op(B) + beta * C (cuda/gemm.h, same as sgemm_cpu).

Compile (scripts/compile-cuda.sh builds every harness into build-cuda/compile-check/):
nvcc -O3 --fmad=false -std=c++17 -I. -Inative/include -Inative -arch=sm_80 \
    cuda/dev/gemm.cu cuda/gemm.cu cuda/cublas_dl.cc -ldl -o dev_gemm

version 0 runs version 2's tile code (cuda/gemm_tiles.cuh) on the CPU, thread by thread between
the barriers: it checks the kernel's index math on machines without a GPU
./dev_gemm 0
version 1 is a naive kernel, one thread per element of C (the baseline to beat)
./dev_gemm 1
version 2 is the library's tiled kernel: 64x64 tiles, k slabs of 16 in shared memory, 4x4 per thread
./dev_gemm 2
version 3 is cuBLAS (cublasSgemm_v2 via dlopen), the library's default when libcublas is present
./dev_gemm 3

Each version is validated against the CPU reference below on all four transpose combinations, odd
sizes, beta != 0 and a strided batch, then timed at 2048^3 (TFLOPS printed).
*/
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cuda/dev/dev_common.cuh"
#include "cuda/gemm.h"
#include "cuda/gemm_tiles.cuh"

using namespace tk;

// ---- CPU reference ---------------------------------------------------------------------------------

void sgemm_reference(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
                     const float* b, int ldb, float beta, float* c, int ldc) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double acc = 0.0;
      for (int p = 0; p < k; ++p) {
        const float av = ta ? a[p * lda + i] : a[i * lda + p];
        const float bv = tb ? b[j * ldb + p] : b[p * ldb + j];
        acc += double(av) * double(bv);
      }
      const float v = alpha * float(acc);
      c[i * ldc + j] = beta == 0.0f ? v : v + beta * c[i * ldc + j];
    }
}

// ---- version 0: the tiled kernel, emulated on the CPU ----------------------------------------------

// Runs every block of the launch in turn; within a block, every thread's step before the next
// barrier, exactly as __syncthreads orders them on the device.
void sgemm_tiled_emulated(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
                          const float* b, int ldb, float beta, float* c, int ldc, int batch, long sa, long sb,
                          long sc) {
  using namespace cuda::gemm_tiles;
  static TileA as;
  static TileB bs;
  std::vector<float> accs(size_t(kThreads) * kRegM * kRegN);
  auto acc_of = [&](int tid) -> Acc& { return *reinterpret_cast<Acc*>(&accs[size_t(tid) * kRegM * kRegN]); };
  for (int z = 0; z < batch; ++z)
    for (int row0 = 0; row0 < m; row0 += kTileM)
      for (int col0 = 0; col0 < n; col0 += kTileN) {
        std::fill(accs.begin(), accs.end(), 0.0f);
        for (int k0 = 0; k0 < k; k0 += kTileK) {
          for (int tid = 0; tid < kThreads; ++tid) {
            if (ta && tb)
              load_tiles<true, true>(tid, as, bs, a + z * sa, lda, b + z * sb, ldb, m, n, k, row0, col0, k0);
            if (ta && !tb)
              load_tiles<true, false>(tid, as, bs, a + z * sa, lda, b + z * sb, ldb, m, n, k, row0, col0, k0);
            if (!ta && tb)
              load_tiles<false, true>(tid, as, bs, a + z * sa, lda, b + z * sb, ldb, m, n, k, row0, col0, k0);
            if (!ta && !tb)
              load_tiles<false, false>(tid, as, bs, a + z * sa, lda, b + z * sb, ldb, m, n, k, row0, col0,
                                       k0);
          }
          for (int tid = 0; tid < kThreads; ++tid) accumulate(tid, as, bs, acc_of(tid));
        }
        for (int tid = 0; tid < kThreads; ++tid)
          store(tid, acc_of(tid), c + z * sc, ldc, m, n, row0, col0, alpha, beta);
      }
}

// ---- version 1: naive ------------------------------------------------------------------------------

__global__ void sgemm_naive_kernel(bool ta, bool tb, int m, int n, int k, float alpha, const float* a,
                                   int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x, i = blockIdx.y * blockDim.y + threadIdx.y;
  if (i >= m || j >= n) return;
  float acc = 0.0f;
  for (int p = 0; p < k; ++p)
    acc = fmaf(ta ? a[p * lda + i] : a[i * lda + p], tb ? b[j * ldb + p] : b[p * ldb + j], acc);
  const float v = alpha * acc;
  c[i * ldc + j] = beta == 0.0f ? v : v + beta * c[i * ldc + j];
}

void run(int version, bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda,
         const float* b, int ldb, float beta, float* c, int ldc, int batch, long sa, long sb, long sc) {
  if (version == 1) {
    dim3 block(16, 16), grid(cuda::ceil_div(n, 16), cuda::ceil_div(m, 16));
    for (int z = 0; z < batch; ++z) {
      sgemm_naive_kernel<<<grid, block>>>(ta, tb, m, n, k, alpha, a + z * sa, lda, b + z * sb, ldb, beta,
                                          c + z * sc, ldc);
      cuda_check_launch();
    }
  } else {
    sgemm_strided_batched_cuda(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, batch, sa, sb, sc,
                               nullptr, version == 2 ? GemmImpl::kTiled : GemmImpl::kCublas);
  }
}

size_t check_case(int version, bool ta, bool tb, int m, int n, int k, float alpha, float beta, int batch) {
  const int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;  // padded rows catch stride bugs
  const long sa = long(ta ? k : m) * lda, sb = long(tb ? n : k) * ldb, sc = long(m) * ldc;
  std::vector<float> a = dev::make_random_float(size_t(sa) * batch, 1),
                     b = dev::make_random_float(size_t(sb) * batch, 2);
  std::vector<float> c = dev::make_random_float(size_t(sc) * batch, 3);
  if (beta == 0.0f)
    for (float& v : c) v = NAN;  // beta == 0 must not read C
  std::vector<float> want = c;
  for (int z = 0; z < batch; ++z)
    sgemm_reference(ta, tb, m, n, k, alpha, a.data() + z * sa, lda, b.data() + z * sb, ldb, beta,
                    want.data() + z * sc, ldc);
  std::vector<float> got = c;
  float *da = nullptr, *db = nullptr, *dc = nullptr;
  if (version == 0) {
    sgemm_tiled_emulated(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, got.data(), ldc, batch,
                         sa, sb, sc);
  } else {
    da = dev::to_device(a), db = dev::to_device(b), dc = dev::to_device(c);
    run(version, ta, tb, m, n, k, alpha, da, lda, db, ldb, beta, dc, ldc, batch, sa, sb, sc);
    cudaCheck(cudaDeviceSynchronize());
    got = dev::to_host(dc, c.size());
  }
  // Only the m x n part of each padded C is compared; the padding must be untouched.
  char name[128];
  std::snprintf(name, sizeof name, "v%d ta=%d tb=%d m=%d n=%d k=%d beta=%g batch=%d", version, ta, tb, m, n,
                k, beta, batch);
  size_t bad = dev::validate_result(got, want, name, 1e-5f * float(k), 1e-5f);
  if (version != 0) {
    cudaCheck(cudaFree(da));
    cudaCheck(cudaFree(db));
    cudaCheck(cudaFree(dc));
  }
  return bad;
}

int main(int argc, char** argv) {
  const int version = argc > 1 ? std::atoi(argv[1]) : 2;
  if (version < 0 || version > 3) {
    std::printf("usage: %s [0|1|2|3]\n", argv[0]);
    return 2;
  }
  if (version != 0 && !dev::require_device()) return 0;
  if (version != 0) std::printf("version %d; library default: %s\n", version, sgemm_cuda_default_impl());
  if (version == 3 && std::string(sgemm_cuda_default_impl()) != "cublas") {
    std::printf("cuBLAS not found: nothing to run for version 3\n");
    return 0;
  }
  size_t bad = 0;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      bad += check_case(version, ta, tb, 1, 1, 1, 1.0f, 0.0f, 1);
      bad += check_case(version, ta, tb, 67, 45, 131, 1.0f, 0.0f, 1);
      bad += check_case(version, ta, tb, 130, 70, 17, 0.5f, 2.0f, 1);
      bad += check_case(version, ta, tb, 33, 65, 40, 1.0f, 0.0f, 3);
      // k == 0 goes through the launcher's C = beta * C kernel, which version 0 does not emulate.
      if (version >= 2) bad += check_case(version, ta, tb, 20, 30, 0, 1.0f, 0.5f, 2);
    }
  if (bad) {
    std::printf("validation FAILED\n");
    return 1;
  }
  if (version == 0) {
    std::printf("version 0 (CPU emulation of the tiled kernel): all cases OK\n");
    return 0;
  }

  const int s = 2048;
  std::vector<float> a = dev::make_random_float(size_t(s) * s, 1),
                     b = dev::make_random_float(size_t(s) * s, 2);
  float *da = dev::to_device(a), *db = dev::to_device(b), *dc = dev::to_device(a);
  float ms = dev::benchmark_kernel(
      10, [&] { run(version, false, false, s, s, s, 1.0f, da, s, db, s, 0.0f, dc, s, 1, 0, 0, 0); });
  std::printf("version %d: %d^3 in %.3f ms, %.2f TFLOPS\n", version, s, ms,
              2.0 * s * s * s / (ms * 1e-3) / 1e12);
  cudaCheck(cudaFree(da));
  cudaCheck(cudaFree(db));
  cudaCheck(cudaFree(dc));
  return 0;
}

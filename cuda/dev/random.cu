/*
Philox fills (cuda/random.h): uniform, normal, Bernoulli mask and raw uint32, which must draw the
numbers native/kernels/random.cc draws on the CPU for the same (seed, offset).

Compile (scripts/compile-cuda.sh builds every harness into build-cuda/compile-check/):
nvcc -O3 --fmad=false -std=c++17 -I. -Inative/include -Inative -arch=sm_80 \
    cuda/dev/random.cu cuda/random.cu -o dev_random

version 0 runs the kernel's per-block code (cuda/random_block.cuh) on the CPU: it checks the
element -> (block, lane) mapping and the arithmetic on machines without a GPU, bit for bit
./dev_random 0
version 1 is the library's kernel: one thread per Philox block of 4 values, grid-stride
./dev_random 1

The CPU reference below is random.cc's loop (element i = lane i % 4 of block offset + i / 4).
Uniform, Bernoulli and uint32 must match bit for bit; normal within a few ulp (CUDA's logf, sinf
and cosf are not glibc's). Sizes cover n % 4 != 0, a nonzero offset and a multi-wave grid; then
10M uniform values are timed (GB/s printed).
*/
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda/dev/dev_common.cuh"
#include "cuda/random.h"
#include "cuda/random_block.cuh"
#include "textkernels/math/philox.h"

using namespace tk;

// ---- CPU reference (native/kernels/random.cc, single-threaded) -----------------------------------

template <typename Emit>
void reference_blocks(int64_t n, uint64_t seed, uint64_t offset, Emit emit) {
  for (int64_t b = 0; b < (n + 3) / 4; ++b) {
    math::Philox4 r = math::philox4x32_10(seed, offset + uint64_t(b), 0);
    emit(b, r);
  }
}

std::vector<float> reference(int kind, int64_t n, uint64_t seed, uint64_t offset, float a, float b) {
  std::vector<float> out(static_cast<size_t>(n));
  const float span = b - a;
  reference_blocks(n, seed, offset, [&](int64_t blk, const math::Philox4& r) {
    float z[4];
    math::box_muller(r.v[0], r.v[1], &z[0], &z[1]);
    math::box_muller(r.v[2], r.v[3], &z[2], &z[3]);
    for (int lane = 0; lane < 4; ++lane) {
      const int64_t i = blk * 4 + lane;
      if (i >= n) continue;
      const float u = math::uint_to_unit_float(r.v[lane]);
      volatile float prod;  // keeps the host compiler from contracting a + b * c
      if (kind == 0) {
        prod = span * u;
        out[size_t(i)] = a + prod;
      } else if (kind == 1) {
        prod = b * z[lane];
        out[size_t(i)] = a + prod;
      } else {
        out[size_t(i)] = u >= a ? b : 0.0f;
      }
    }
  });
  return out;
}

// Version 0: every "thread" of the grid-stride loop in turn, on the host.
template <cuda::Fill kind, typename T>
void fill_emulated(T* out, int64_t n, uint64_t seed, uint64_t offset, float a, float b) {
  for (int64_t blk = 0; blk < (n + 3) / 4; ++blk) cuda::fill_block<kind>(out, n, blk, seed, offset, a, b);
}

std::vector<float> run_fill(int version, int kind, int64_t n, uint64_t seed, uint64_t offset, float a,
                            float b) {
  if (version == 0) {
    std::vector<float> out(static_cast<size_t>(n));
    if (kind == 0) fill_emulated<cuda::Fill::kUniform>(out.data(), n, seed, offset, a, b - a);
    if (kind == 1) fill_emulated<cuda::Fill::kNormal>(out.data(), n, seed, offset, a, b);
    if (kind == 2) fill_emulated<cuda::Fill::kBernoulli>(out.data(), n, seed, offset, a, b);
    return out;
  }
  float* d = nullptr;
  cudaCheck(cudaMalloc(&d, size_t(n) * sizeof(float) + 4));
  if (kind == 0) random_uniform_cuda(d, n, seed, offset, a, b, nullptr);
  if (kind == 1) random_normal_cuda(d, n, seed, offset, a, b, nullptr);
  if (kind == 2) random_bernoulli_mask_cuda(d, n, seed, offset, a, b, nullptr);
  cudaCheck(cudaDeviceSynchronize());
  std::vector<float> out = dev::to_host(d, size_t(n));
  cudaCheck(cudaFree(d));
  return out;
}

std::vector<uint32_t> run_uint32(int version, int64_t n, uint64_t seed, uint64_t offset) {
  if (version == 0) {
    std::vector<uint32_t> out(static_cast<size_t>(n));
    fill_emulated<cuda::Fill::kUint32>(out.data(), n, seed, offset, 0.0f, 0.0f);
    return out;
  }
  uint32_t* d = nullptr;
  cudaCheck(cudaMalloc(&d, size_t(n) * sizeof(uint32_t) + 4));
  random_uint32_cuda(d, n, seed, offset, nullptr);
  cudaCheck(cudaDeviceSynchronize());
  std::vector<uint32_t> out = dev::to_host(d, size_t(n));
  cudaCheck(cudaFree(d));
  return out;
}

size_t check_case(int version, int64_t n, uint64_t seed, uint64_t offset) {
  size_t bad = 0;
  const float args[3][2] = {{-2.0f, 3.0f}, {0.5f, 2.0f}, {0.3f, 1.0f / 0.7f}};
  const char* names[3] = {"uniform", "normal", "bernoulli"};
  for (int kind = 0; kind < 3; ++kind) {
    const float a = args[kind][0], b = args[kind][1];
    char name[96];
    std::snprintf(name, sizeof name, "v%d %s n=%lld offset=%llu", version, names[kind], (long long)n,
                  (unsigned long long)offset);
    // On the host, normal draws use the same libm as the CPU kernels: exact there too.
    const float tol = (kind == 1 && version != 0) ? 1e-6f : 0.0f;
    bad += dev::validate_result(run_fill(version, kind, n, seed, offset, a, b),
                                reference(kind, n, seed, offset, a, b), name, tol, tol);
  }
  std::vector<uint32_t> got = run_uint32(version, n, seed, offset);
  size_t miss = 0;
  reference_blocks(n, seed, offset, [&](int64_t blk, const math::Philox4& r) {
    for (int lane = 0; lane < 4; ++lane) {
      const int64_t i = blk * 4 + lane;
      if (i < n && got[size_t(i)] != r.v[lane]) ++miss;
    }
  });
  std::printf("v%d uint32 n=%lld: %s (%zu mismatches)\n", version, (long long)n, miss ? "FAIL" : "OK", miss);
  return bad + miss;
}

int main(int argc, char** argv) {
  const int version = argc > 1 ? std::atoi(argv[1]) : 1;
  if (version != 0 && version != 1) {
    std::printf("usage: %s [0|1]\n", argv[0]);
    return 2;
  }
  if (version != 0 && !dev::require_device()) return 0;
  size_t bad = 0;
  bad += check_case(version, 1, 42, 0);
  bad += check_case(version, 7, 42, 5);
  bad +=
      check_case(version, 1001, 0xDEADBEEFCAFEull, (1ull << 32) - 2);  // blocks cross the 32-bit counter word
  bad += check_case(version, version == 0 ? 100003 : 5000003, 7, 11);
  if (bad) {
    std::printf("validation FAILED\n");
    return 1;
  }
  if (version == 0) {
    std::printf("version 0 (CPU emulation of the fill kernel): all cases OK\n");
    return 0;
  }
  const int64_t n = 10 * 1000 * 1000;
  float* d = nullptr;
  cudaCheck(cudaMalloc(&d, size_t(n) * sizeof(float)));
  float ms = dev::benchmark_kernel(20, [&] { random_uniform_cuda(d, n, 1, 0, 0.0f, 1.0f, nullptr); });
  std::printf("uniform %lld values: %.3f ms, %.1f GB/s written\n", (long long)n, ms,
              n * 4.0 / (ms * 1e-3) / 1e9);
  cudaCheck(cudaFree(d));
  return 0;
}

// Helpers for the development harnesses in cuda/dev/ (llm.c's dev/cuda/common.h): random inputs,
// validation against a CPU reference, and event-based timing. Harnesses validate before they time.
#pragma once
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda/common.cuh"

namespace tk::dev {

// Deterministic inputs in [-1, 1) (xorshift; no dependence on the library's Philox).
inline std::vector<float> make_random_float(size_t n, uint32_t seed = 1234567u) {
  std::vector<float> v(n);
  uint32_t s = seed ? seed : 1u;
  for (size_t i = 0; i < n; ++i) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    v[i] = float(s >> 8) * (2.0f / 16777216.0f) - 1.0f;
  }
  return v;
}

template <typename T>
T* to_device(const std::vector<T>& host) {
  T* d = nullptr;
  cudaCheck(cudaMalloc(&d, host.size() * sizeof(T) + 1));
  cudaCheck(cudaMemcpy(d, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice));
  return d;
}

template <typename T>
std::vector<T> to_host(const T* d, size_t n) {
  std::vector<T> host(n);
  cudaCheck(cudaMemcpy(host.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost));
  return host;
}

// |got - want| <= atol + rtol * |want| everywhere (NaN must match NaN); prints the first misses.
// Returns the number of mismatches.
inline size_t validate_result(const std::vector<float>& got, const std::vector<float>& want, const char* name,
                              float atol, float rtol) {
  size_t bad = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const float g = got[i], w = want[i];
    const bool ok = (std::isnan(w) && std::isnan(g)) || (std::isinf(w) && g == w) ||
                    std::fabs(g - w) <= atol + rtol * std::fabs(w);
    if (!ok && bad++ < 5) std::printf("  %s mismatch at %zu: got %.9g, want %.9g\n", name, i, g, w);
  }
  std::printf("%s: %s (%zu of %zu outside atol %g rtol %g)\n", name, bad ? "FAIL" : "OK", bad, want.size(),
              atol, rtol);
  return bad;
}

// Mean milliseconds per call of fn() over `repeats` runs, after one warm-up run.
template <typename Fn>
float benchmark_kernel(int repeats, Fn fn) {
  cudaEvent_t start, stop;
  cudaCheck(cudaEventCreate(&start));
  cudaCheck(cudaEventCreate(&stop));
  fn();
  cudaCheck(cudaEventRecord(start));
  for (int i = 0; i < repeats; ++i) fn();
  cudaCheck(cudaEventRecord(stop));
  cudaCheck(cudaEventSynchronize(stop));
  float ms = 0.0f;
  cudaCheck(cudaEventElapsedTime(&ms, start, stop));
  cudaCheck(cudaEventDestroy(start));
  cudaCheck(cudaEventDestroy(stop));
  return ms / float(repeats);
}

// The harnesses need a GPU: say so and exit 0 elsewhere, so CI can at least start them.
inline bool require_device() {
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess || count == 0) {
    std::printf("no CUDA device (%s): nothing to run\n",
                err != cudaSuccess ? cudaGetErrorString(err) : "0 devices");
    return false;
  }
  return true;
}

}  // namespace tk::dev

// GENERAL NOTES for cuda/
//
// Each op is one file, cuda/<op>.cu: kernels first, then host launchers with plain names
// (`sgemm_cuda`) that take device pointers and a stream, check their arguments' sizes, launch,
// and call cudaGetLastError() (cuda_check_launch) after every launch. The launchers are declared
// in cuda/<op>.h, a plain C++ header that host code (bindings compiled by g++) can include.
// Per-element math comes from native/include/textkernels/math/ so the CPU and GPU compute the same
// formula; the CUDA build uses --fmad=false (the twin of -ffp-contract=off), and kernels that want
// fused multiply-adds call fmaf() explicitly. cuda/dev/<op>.cu is each op's development harness.
// A kernel's per-thread work lives in __host__ __device__ functions in cuda/<op>.cuh (gemm_tiles,
// random_block, activations), so the harness's version 0 can run the kernel's own code on the CPU
// where there is no GPU (scripts/compile-cuda.sh --run-host).
//
// defines: cudaCheck, cuda_check_launch, TK_UNROLL, ceil_div, grid_for
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace tk::cuda {

// llm.c's cudaCheck with file and line, but throwing instead of exiting: the caller is a Node
// process, and the binding turns the exception into a JS error.
inline void cuda_check(cudaError_t err, const char* file, int line) {
  if (err != cudaSuccess) {
    throw std::runtime_error(std::string("CUDA error at ") + file + ":" + std::to_string(line) + ": " +
                             cudaGetErrorString(err));
  }
}
#define cudaCheck(err) (::tk::cuda::cuda_check((err), __FILE__, __LINE__))
// #pragma unroll for loops in __host__ __device__ code: the host compiler does not know the pragma.
#if defined(__CUDA_ARCH__)
#define TK_UNROLL _Pragma("unroll")
#else
#define TK_UNROLL
#endif

// After every kernel launch: reports a bad launch configuration where it happened.
#define cuda_check_launch() cudaCheck(cudaGetLastError())

template <typename T>
__host__ __device__ constexpr T ceil_div(T a, T b) {
  return (a + b - 1) / b;
}

// Blocks for a grid-stride loop over n elements: enough to fill the device, capped so the grid
// stays within limits; the kernel loops over the rest.
inline unsigned grid_for(int64_t n, int block) {
  int64_t blocks = ceil_div<int64_t>(n, block);
  const int64_t kMaxBlocks = 65535LL * 16;
  if (blocks > kMaxBlocks) blocks = kMaxBlocks;
  return unsigned(blocks < 1 ? 1 : blocks);
}

}  // namespace tk::cuda

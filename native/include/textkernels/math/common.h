// GENERAL NOTES for native/include/textkernels/math/
//
// Per-element math shared by the C++ kernels (native/kernels) and the CUDA kernels (cuda/). One
// formula serves both backends: a fix here lands in both, and the CPU tests check what the GPU runs.
//
// Rules for these headers:
//  - Functions are TK_HD: `__host__ __device__` under nvcc, and always internal linkage (static
//    inline), because ISA-specific translation units (*_avx2.cc, *_avx512.cc) include them too and
//    an inline function with external linkage could be merged across ISAs by the linker, putting
//    AVX-512 code on a path that runs on older CPUs.
//  - Only <cmath>/<cstdint>-level dependencies; no allocation, no exceptions.
//  - Derivatives are written in terms of the forward pass's output where that is cheaper
//    (sigmoid: y(1-y), tanh: 1-y^2), as haste's inline_ops.h does.
//
// Dimension letters used across the kernels' headers:
//   B batch, T time steps, I input features, H hidden size, G gates (4 for LSTM, 3 for GRU),
//   L layers, D directions, V vocabulary, K topics / negatives, N rows of a matrix, M,N,K GEMM sizes.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define TK_HD static __host__ __device__ __forceinline__
#else
#define TK_HD static inline
#endif

// Topic-model losses and samplers on the GPU: the twins of native/kernels/topic_losses.h, with the
// same semantics and per-element math (native/include/textkernels/math/topics.h). Per-thread code
// is in cuda/topic_losses.cuh so cuda/dev/topic_losses.cu can run it on the host.
//
// All pointers are device pointers; calls are asynchronous on `stream`; `workspace` is caller-owned
// scratch of at least the *_workspace_bytes(...) bytes (no allocation here). Throws
// std::invalid_argument for bad sizes and std::runtime_error for CUDA failures.
//
// Determinism: every reduction has a fixed order (per-thread partial sums over a fixed stride,
// combined by thread 0 in thread order; batch sums over rows in row order), so results do not
// depend on the grid size. Gamma / Dirichlet draw sample i from the Philox streams the CPU uses,
// so the samples equal the CPU's up to device-libm rounding (a rejection test within an ulp of its
// threshold could go the other way; this has not been observed in the host runs).
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace tk {

size_t mmd_cuda_workspace_bytes(int64_t n, int64_t m, int64_t d);
// loss[0] (device double) = the unbiased MMD; gx / gy (may be null) = its gradients. kind:
// math::MmdKernelKind; n, m >= 2; 1 <= d <= 8192.
void mmd_forward_cuda(double* loss,    // [1]
                      float* gx,       // [n, d] or null
                      float* gy,       // [m, d] or null
                      const float* x,  // [n, d]
                      const float* y,  // [m, d]
                      int64_t n, int64_t m, int64_t d, int kind, float bandwidth, void* workspace,
                      cudaStream_t stream);

void gaussian_kl_forward_cuda(float* loss,          // [B]
                              const float* mu,      // [B, J]
                              const float* logvar,  // [B, J]
                              int64_t B, int64_t J, cudaStream_t stream);
// dloss: [B] with stride 1, or [1] with stride 0 (device pointer); scale multiplies it.
void gaussian_kl_backward_cuda(float* dmu, float* dlogvar, const float* dloss, const float* mu,
                               const float* logvar, int64_t B, int64_t J, int64_t dloss_stride, float scale,
                               cudaStream_t stream);

void gaussian_mixture_kl_forward_cuda(float* loss,           // [B]
                                      float* log_eta,        // [B, K]
                                      const float* z,        // [B, J]
                                      const float* mu,       // [B, J]
                                      const float* logvar,   // [B, J]
                                      const float* means,    // [K, J]
                                      const float* logvars,  // [K, J]
                                      const float* log_pi,   // [K]
                                      int64_t B, int64_t J, int64_t K, cudaStream_t stream);
size_t gaussian_mixture_kl_backward_cuda_workspace_bytes(int64_t B, int64_t K);
void gaussian_mixture_kl_backward_cuda(float* dz, float* dmu, float* dlogvar, float* dmeans, float* dlogvars,
                                       float* dlog_pi,  // each may be null
                                       const float* dloss, const float* z, const float* mu,
                                       const float* logvar, const float* means, const float* logvars,
                                       const float* log_pi, const float* log_eta, int64_t B, int64_t J,
                                       int64_t K, int64_t dloss_stride, float scale, void* workspace,
                                       cudaStream_t stream);

void gamma_sample_cuda(float* out, int64_t n, float alpha, uint64_t seed, uint64_t offset,
                       cudaStream_t stream);
void dirichlet_sample_cuda(float* out,                  // [num_samples, K]
                           const float* concentration,  // [K] (device)
                           int64_t num_samples, int64_t K, uint64_t seed, uint64_t offset,
                           cudaStream_t stream);

}  // namespace tk

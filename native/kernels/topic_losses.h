// Topic-model losses and samplers (issue 6). Per-element math: textkernels/math/topics.h.
//
// MMD: the unbiased estimator of seed eq. (10) between rows of x [n, d] and y [m, d],
//   sum_{i!=j} k(x_i, x_j) / (n(n-1)) + sum_{i!=j} k(y_i, y_j) / (m(m-1)) - 2 sum_{i,j} k(x_i, y_j) / (nm),
// in one pass over 128 x 128 tiles of row pairs (the rows of x and y cut into blocks; one tile per
// unordered pair of blocks, its products by sgemm_cpu). Each tile turns its products into kernel
// values and gradient coefficients in place and multiplies the coefficients into both blocks'
// gradient rows, so each pair of rows is visited once and no n x m matrix is stored. Tiles run in
// waves in which no block appears twice (the rounds of a round-robin tournament), so no two
// threads write one row, and every sum is accumulated in the same order on any number of threads.
//
// Gaussian KLs: per batch row, summed over the latent dimension; backward passes take the upstream
// gradient as dloss[b * dloss_stride] * scale (stride 1, scale 1: reduction 'none'; stride 0: 'sum'
// with scale 1 or 'mean' with scale 1 / B), as native/kernels/loss.h.
#pragma once
#include <cstdint>

namespace tk {

// Returns the MMD. gx / gy (may be null) receive d MMD / d x and d MMD / d y (the caller scales
// them by the upstream gradient). kind: math::MmdKernelKind; bandwidth > 0; n, m >= 2.
double mmd_forward_cpu(float* gx,       // [n, d] or null; must not alias x or y
                       float* gy,       // [m, d] or null; must not alias x or y
                       const float* x,  // [n, d]
                       const float* y,  // [m, d]
                       int64_t n, int64_t m, int64_t d, int kind, float bandwidth);

// loss[b] = -0.5 sum_j (1 + logvar - mu^2 - exp(logvar))
void gaussian_kl_forward_cpu(float* loss,          // [B]
                             const float* mu,      // [B, J]
                             const float* logvar,  // [B, J]
                             int64_t B, int64_t J);
void gaussian_kl_backward_cpu(float* dmu,           // [B, J] or null
                              float* dlogvar,       // [B, J] or null
                              const float* dloss,   // [B] (stride 1) or [1] (stride 0)
                              const float* mu,      // [B, J]
                              const float* logvar,  // [B, J]
                              int64_t B, int64_t J, int64_t dloss_stride, float scale);

// The GMVAE KL of seed eq. (17) with responsibilities eta = softmax_c(logPi_c + log N(z; means_c,
// exp(logvars_c))) (eq. 18). Writes per-row losses and log eta (kept for the backward pass).
void gaussian_mixture_kl_forward_cpu(float* loss,           // [B]
                                     float* log_eta,        // [B, K]
                                     const float* z,        // [B, J]
                                     const float* mu,       // [B, J]
                                     const float* logvar,   // [B, J]
                                     const float* means,    // [K, J]
                                     const float* logvars,  // [K, J]
                                     const float* log_pi,   // [K]
                                     int64_t B, int64_t J, int64_t K);
// Gradients of all six inputs (each may be null), including the path through eta. Outputs must not
// alias inputs or one another.
void gaussian_mixture_kl_backward_cpu(float* dz,             // [B, J] or null
                                      float* dmu,            // [B, J] or null
                                      float* dlogvar,        // [B, J] or null
                                      float* dmeans,         // [K, J] or null
                                      float* dlogvars,       // [K, J] or null
                                      float* dlog_pi,        // [K] or null
                                      const float* dloss,    // [B] (stride 1) or [1] (stride 0)
                                      const float* z,        // [B, J]
                                      const float* mu,       // [B, J]
                                      const float* logvar,   // [B, J]
                                      const float* means,    // [K, J]
                                      const float* logvars,  // [K, J]
                                      const float* log_pi,   // [K]
                                      const float* log_eta,  // [B, K] from the forward pass
                                      int64_t B, int64_t J, int64_t K, int64_t dloss_stride, float scale);

// n draws of Gamma(alpha, 1) at generator state (seed, offset); see math/topics.h for the streams.
void gamma_sample_cpu(float* out, int64_t n, float alpha, uint64_t seed, uint64_t offset);
// num_samples rows of Dirichlet(concentration[0..K)): normalised gammas (normalised in log space,
// so rows stay finite when every gamma underflows). Element (r, k) is gamma sample r * K + k.
void dirichlet_sample_cpu(float* out,                  // [num_samples, K]
                          const float* concentration,  // [K], each > 0
                          int64_t num_samples, int64_t K, uint64_t seed, uint64_t offset);

namespace isa {
// One row of an MMD tile (topic_losses_avx2.cc; call only when simd_level() >= kAvx2): t[j] holds the
// pair statistic (diffusion: the feature dot product; rbf/imq: the key's dot product, turned into
// qn + kn[j] - 2 t[j]) and becomes grad_weight * dk/dq, 0 at column `self` (the diagonal, or any
// value outside [0, nc)). Returns sum_j k (diagonal excluded) and adds sum_j t[j] to *csum.
double mmd_row_avx2(float* t, int64_t nc, int kind, float h, float grad_weight, int64_t self, float qn,
                    const float* kn, double* csum);
}  // namespace isa

}  // namespace tk

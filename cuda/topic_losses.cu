// Topic-model losses and samplers on the GPU (cuda/topic_losses.h). Per-thread code:
// cuda/topic_losses.cuh; per-element math: native/include/textkernels/math/topics.h.
//
// defines: mmd_cuda_workspace_bytes, mmd_forward_cuda, gaussian_kl_forward_cuda,
// gaussian_kl_backward_cuda, gaussian_mixture_kl_forward_cuda,
// gaussian_mixture_kl_backward_cuda_workspace_bytes, gaussian_mixture_kl_backward_cuda,
// gamma_sample_cuda, dirichlet_sample_cuda
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/topic_losses.cuh"
#include "cuda/topic_losses.h"
#include "textkernels/math/topics.h"

namespace tk {
namespace {

constexpr int kBlock = 256;
constexpr int64_t kMaxMmdDim = 8192;  // the query row and its accumulator live in shared memory

using cuda::kMmdThreads;

// ---- MMD ----------------------------------------------------------------------------------------------

__global__ void mmd_feature_kernel(float* __restrict__ feat, const float* __restrict__ raw, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    cuda::mmd_feature_elem(feat, raw, i);
}

__global__ void mmd_norm_kernel(float* __restrict__ norms, const float* __restrict__ raw, int64_t rows,
                                int64_t d) {
  for (int64_t r = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; r < rows;
       r += int64_t(gridDim.x) * blockDim.x)
    cuda::mmd_norm_row(norms, raw, r, d);
}

// One block per query row; see cuda/topic_losses.cuh for the phases.
__global__ void __launch_bounds__(kMmdThreads) mmd_rows_kernel(cuda::MmdArgs a) {
  extern __shared__ float smem[];
  float* qf = smem;              // [d]
  float* acc = smem + a.d;       // [d]
  float* coef = smem + 2 * a.d;  // [kMmdThreads]
  __shared__ double part_k[kMmdThreads], part_c[kMmdThreads];
  __shared__ float csum_shared;
  const int t = threadIdx.x;
  const int64_t row = blockIdx.x;
  const cuda::MmdSide* side;
  int64_t r;
  cuda::MmdPass passes[2];
  const int npass = cuda::mmd_passes(a, row, &side, &r, passes);
  const bool want_grad = side->grad != nullptr;
  for (int64_t l = t; l < a.d; l += kMmdThreads) {
    qf[l] = side->feat[r * a.d + l];
    acc[l] = 0.0f;
  }
  const float qn = side->norms ? side->norms[r] : 0.0f;
  __syncthreads();
  double loss = 0.0, csum = 0.0;
  for (int p = 0; p < npass; ++p) {
    double ksum = 0.0;
    for (int64_t c0 = 0; c0 < passes[p].keys->rows; c0 += kMmdThreads) {
      ksum += cuda::mmd_pair_phase(a, passes[p], qf, qn, c0, t, coef);
      csum += coef[t];
      __syncthreads();
      if (want_grad) {
        const int64_t left = passes[p].keys->rows - c0;
        const int cnt = int(left < kMmdThreads ? left : kMmdThreads);
        for (int64_t l = t; l < a.d; l += kMmdThreads)
          acc[l] += cuda::mmd_accumulate_phase(a, passes[p], c0, cnt, coef, l);
      }
      __syncthreads();
    }
    loss += double(passes[p].loss_weight) * ksum;
  }
  part_k[t] = loss;
  part_c[t] = csum;
  __syncthreads();
  if (t == 0) {
    double sk = 0.0, sc = 0.0;
    for (int i = 0; i < kMmdThreads; ++i) {
      sk += part_k[i];
      sc += part_c[i];
    }
    a.row_loss[row] = sk;
    csum_shared = float(sc);
  }
  __syncthreads();
  if (want_grad)
    for (int64_t l = t; l < a.d; l += kMmdThreads)
      side->grad[r * a.d + l] = cuda::mmd_grad_elem(a, *side, r, l, acc[l], csum_shared);
}

// The rows' shares in row order, as the CPU adds them.
__global__ void mmd_sum_kernel(double* loss, const double* row_loss, int64_t rows) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  double s = 0.0;
  for (int64_t i = 0; i < rows; ++i) s += row_loss[i];
  loss[0] = s;
}

// ---- Gaussian KLs -----------------------------------------------------------------------------------

__global__ void gaussian_kl_forward_kernel(float* loss, const float* mu, const float* lv, int64_t B,
                                           int64_t J) {
  for (int64_t b = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; b < B;
       b += int64_t(gridDim.x) * blockDim.x)
    cuda::gaussian_kl_row(loss, mu, lv, b, J);
}

__global__ void gaussian_kl_backward_kernel(float* dmu, float* dlv, const float* dloss, const float* mu,
                                            const float* lv, int64_t n, int64_t J, int64_t stride,
                                            float scale) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    cuda::gaussian_kl_backward_elem(dmu, dlv, dloss, mu, lv, i, J, stride, scale);
}

__global__ void gmm_forward_kernel(cuda::GmmArgs a, float* loss, float* log_eta) {
  for (int64_t b = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; b < a.B;
       b += int64_t(gridDim.x) * blockDim.x)
    cuda::gmm_forward_row(a, loss, log_eta, b);
}

__global__ void gmm_backward_row_kernel(cuda::GmmArgs a, const float* log_eta, const float* dloss,
                                        int64_t stride, float scale, double* dl, double* ge, float* dz,
                                        float* dmu, float* dlv) {
  for (int64_t b = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; b < a.B;
       b += int64_t(gridDim.x) * blockDim.x)
    cuda::gmm_backward_row(a, log_eta, double(dloss[b * stride]) * scale, dl, ge, dz, dmu, dlv, b);
}

__global__ void gmm_backward_component_kernel(cuda::GmmArgs a, const double* dl, const double* ge,
                                              float* dmeans, float* dlvs) {
  const int64_t n = a.K * a.J;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    cuda::gmm_backward_component_elem(a, dl, ge, dmeans, dlvs, i);
}

__global__ void gmm_backward_log_pi_kernel(cuda::GmmArgs a, const double* dl, const double* ge,
                                           float* dlog_pi) {
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < a.K;
       c += int64_t(gridDim.x) * blockDim.x)
    cuda::gmm_backward_log_pi(a, dl, ge, dlog_pi, c);
}

// ---- sampling ---------------------------------------------------------------------------------------

__global__ void gamma_kernel(float* out, int64_t n, float alpha, uint64_t seed, uint64_t offset) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    out[i] = math::gamma_sample(alpha, seed, offset, uint64_t(i)).value;
}

__global__ void dirichlet_kernel(float* out, const float* conc, int64_t rows, int64_t K, uint64_t seed,
                                 uint64_t offset) {
  for (int64_t r = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; r < rows;
       r += int64_t(gridDim.x) * blockDim.x)
    math::dirichlet_row(out + r * K, conc, K, seed, offset, uint64_t(r));
}

void require(bool ok, const char* msg) {
  if (!ok) throw std::invalid_argument(msg);
}

size_t align_up(size_t v) { return (v + 255) / 256 * 256; }

}  // namespace

// ---- launchers --------------------------------------------------------------------------------------

size_t mmd_cuda_workspace_bytes(int64_t n, int64_t m, int64_t d) {
  // features (diffusion) [n + m, d] floats, norms [n + m] floats, row shares [n + m] doubles
  return align_up(size_t(n + m) * size_t(d) * sizeof(float)) + align_up(size_t(n + m) * sizeof(float)) +
         align_up(size_t(n + m) * sizeof(double));
}

void mmd_forward_cuda(double* loss, float* gx, float* gy, const float* x, const float* y, int64_t n,
                      int64_t m, int64_t d, int kind, float bandwidth, void* workspace, cudaStream_t stream) {
  require(n >= 2 && m >= 2, "mmd_forward_cuda: n and m must be >= 2");
  require(d >= 1 && d <= kMaxMmdDim, "mmd_forward_cuda: d must be in [1, 8192]");
  require(kind >= 0 && kind <= 2, "mmd_forward_cuda: unknown kernel");
  require(bandwidth > 0.0f, "mmd_forward_cuda: bandwidth must be > 0");
  require(n + m <= int64_t(0x7fffffff), "mmd_forward_cuda: too many rows for the grid");
  char* ws = static_cast<char*>(workspace);
  float* feat = reinterpret_cast<float*>(ws);
  ws += align_up(size_t(n + m) * size_t(d) * sizeof(float));
  float* norms = reinterpret_cast<float*>(ws);
  ws += align_up(size_t(n + m) * sizeof(float));
  double* row_loss = reinterpret_cast<double*>(ws);

  cuda::MmdArgs a;
  a.d = d;
  a.kind = kind;
  a.h = bandwidth;
  const double dn = double(n), dm = double(m);
  a.wxx = float(1.0 / (dn * (dn - 1.0)));
  a.wyy = float(1.0 / (dm * (dm - 1.0)));
  a.wxy = float(-2.0 / (dn * dm));
  a.row_loss = row_loss;
  a.x = cuda::MmdSide{x, x, nullptr, gx, n};
  a.y = cuda::MmdSide{y, y, nullptr, gy, m};
  if (kind == math::kMmdDiffusion) {
    mmd_feature_kernel<<<cuda::grid_for(n * d, kBlock), kBlock, 0, stream>>>(feat, x, n * d);
    cuda_check_launch();
    mmd_feature_kernel<<<cuda::grid_for(m * d, kBlock), kBlock, 0, stream>>>(feat + n * d, y, m * d);
    cuda_check_launch();
    a.x.feat = feat;
    a.y.feat = feat + n * d;
  } else {
    mmd_norm_kernel<<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(norms, x, n, d);
    cuda_check_launch();
    mmd_norm_kernel<<<cuda::grid_for(m, kBlock), kBlock, 0, stream>>>(norms + n, y, m, d);
    cuda_check_launch();
    a.x.norms = norms;
    a.y.norms = norms + n;
  }
  const size_t smem = size_t(2 * d + kMmdThreads) * sizeof(float);
  if (smem > 48 * 1024)
    cudaCheck(cudaFuncSetAttribute(mmd_rows_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(smem)));
  mmd_rows_kernel<<<unsigned(n + m), kMmdThreads, smem, stream>>>(a);
  cuda_check_launch();
  mmd_sum_kernel<<<1, 1, 0, stream>>>(loss, row_loss, n + m);
  cuda_check_launch();
}

void gaussian_kl_forward_cuda(float* loss, const float* mu, const float* logvar, int64_t B, int64_t J,
                              cudaStream_t stream) {
  require(B >= 0 && J >= 0, "gaussian_kl_forward_cuda: negative size");
  if (B == 0) return;
  gaussian_kl_forward_kernel<<<cuda::grid_for(B, kBlock), kBlock, 0, stream>>>(loss, mu, logvar, B, J);
  cuda_check_launch();
}

void gaussian_kl_backward_cuda(float* dmu, float* dlogvar, const float* dloss, const float* mu,
                               const float* logvar, int64_t B, int64_t J, int64_t dloss_stride, float scale,
                               cudaStream_t stream) {
  require(B >= 0 && J >= 0, "gaussian_kl_backward_cuda: negative size");
  require(dloss_stride == 0 || dloss_stride == 1, "gaussian_kl_backward_cuda: dloss_stride must be 0 or 1");
  if (B * J == 0 || (!dmu && !dlogvar)) return;
  gaussian_kl_backward_kernel<<<cuda::grid_for(B * J, kBlock), kBlock, 0, stream>>>(
      dmu, dlogvar, dloss, mu, logvar, B * J, J, dloss_stride, scale);
  cuda_check_launch();
}

void gaussian_mixture_kl_forward_cuda(float* loss, float* log_eta, const float* z, const float* mu,
                                      const float* logvar, const float* means, const float* logvars,
                                      const float* log_pi, int64_t B, int64_t J, int64_t K,
                                      cudaStream_t stream) {
  require(B >= 0 && J >= 0 && K >= 1, "gaussian_mixture_kl_forward_cuda: bad sizes");
  if (B == 0) return;
  cuda::GmmArgs a{z, mu, logvar, means, logvars, log_pi, B, J, K};
  gmm_forward_kernel<<<cuda::grid_for(B, kBlock), kBlock, 0, stream>>>(a, loss, log_eta);
  cuda_check_launch();
}

size_t gaussian_mixture_kl_backward_cuda_workspace_bytes(int64_t B, int64_t K) {
  return 2 * align_up(size_t(B) * size_t(K) * sizeof(double));
}

void gaussian_mixture_kl_backward_cuda(float* dz, float* dmu, float* dlogvar, float* dmeans, float* dlogvars,
                                       float* dlog_pi, const float* dloss, const float* z, const float* mu,
                                       const float* logvar, const float* means, const float* logvars,
                                       const float* log_pi, const float* log_eta, int64_t B, int64_t J,
                                       int64_t K, int64_t dloss_stride, float scale, void* workspace,
                                       cudaStream_t stream) {
  require(B >= 0 && J >= 0 && K >= 1, "gaussian_mixture_kl_backward_cuda: bad sizes");
  require(dloss_stride == 0 || dloss_stride == 1,
          "gaussian_mixture_kl_backward_cuda: dloss_stride must be 0 or 1");
  cuda::GmmArgs a{z, mu, logvar, means, logvars, log_pi, B, J, K};
  double* dl = static_cast<double*>(workspace);
  double* ge =
      reinterpret_cast<double*>(static_cast<char*>(workspace) + align_up(size_t(B * K) * sizeof(double)));
  if (B > 0) {
    gmm_backward_row_kernel<<<cuda::grid_for(B, kBlock), kBlock, 0, stream>>>(
        a, log_eta, dloss, dloss_stride, scale, dl, ge, dz, dmu, dlogvar);
    cuda_check_launch();
  }
  if ((dmeans || dlogvars) && K * J > 0) {
    gmm_backward_component_kernel<<<cuda::grid_for(K * J, kBlock), kBlock, 0, stream>>>(a, dl, ge, dmeans,
                                                                                        dlogvars);
    cuda_check_launch();
  }
  if (dlog_pi) {
    gmm_backward_log_pi_kernel<<<cuda::grid_for(K, kBlock), kBlock, 0, stream>>>(a, dl, ge, dlog_pi);
    cuda_check_launch();
  }
}

void gamma_sample_cuda(float* out, int64_t n, float alpha, uint64_t seed, uint64_t offset,
                       cudaStream_t stream) {
  require(n >= 0 && n <= (int64_t(1) << 50), "gamma_sample_cuda: bad n");
  require(alpha > 0.0f, "gamma_sample_cuda: alpha must be > 0");
  if (n == 0) return;
  gamma_kernel<<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(out, n, alpha, seed, offset);
  cuda_check_launch();
}

void dirichlet_sample_cuda(float* out, const float* concentration, int64_t num_samples, int64_t K,
                           uint64_t seed, uint64_t offset, cudaStream_t stream) {
  require(num_samples >= 0 && K >= 1 && num_samples * K <= (int64_t(1) << 50),
          "dirichlet_sample_cuda: bad sizes");
  if (num_samples == 0) return;
  dirichlet_kernel<<<cuda::grid_for(num_samples, kBlock), kBlock, 0, stream>>>(out, concentration,
                                                                               num_samples, K, seed, offset);
  cuda_check_launch();
}

}  // namespace tk

// Recurrent layers on the GPU (cuda/rnn.h): the layer drivers of cuda/rnn.cuh with CUDA launches.
// Per step one GEMM (sgemm_cuda: cuBLAS when present, else the tiled kernel) and one fused
// pointwise kernel templated on the cell (haste's lstm_forward_gpu.cu.cc does the same with
// compile-time flags), whose per-unit work is rnn_step_forward_unit / rnn_step_backward_unit over
// textkernels/math/rnn.h, the CPU kernels' own formulas.
//
// defines: rnn_forward_cuda, rnn_backward_cuda, rnn_forward_cuda_workspace, rnn_backward_cuda_workspace
#include <stdexcept>
#include <string>

#include "cuda/common.cuh"
#include "cuda/gemm.h"
#include "cuda/rnn.cuh"
#include "cuda/rnn.h"

namespace tk {
namespace {

constexpr int kBlock = 256;

// ---- kernels ---------------------------------------------------------------------------------------

// rows[r, 0:n] = v[0:n] for r < nrows (rows ld apart): the bias under the input projection.
__global__ void broadcast_rows_kernel(float* rows, int64_t ld, const float* v, int64_t nrows, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < nrows * n;
       i += int64_t(gridDim.x) * blockDim.x)
    rows[(i / n) * ld + i % n] = v[i % n];
}

__global__ void fill_kernel(float* p, float v, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    p[i] = v;
}

// out[c] = sum over rows of a[r, c] (rows lda apart), in double as the CPU kernel.
__global__ void column_sum_kernel(float* out, const float* a, int64_t rows, int64_t cols, int64_t lda) {
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < cols;
       c += int64_t(gridDim.x) * blockDim.x) {
    double s = 0.0;
    for (int64_t r = 0; r < rows; ++r) s += a[r * lda + c];
    out[c] = float(s);
  }
}

template <RnnCell kCell>
__global__ void step_forward_kernel(cuda::RnnStepForward a, int64_t units) {
  for (int64_t u = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; u < units;
       u += int64_t(gridDim.x) * blockDim.x)
    cuda::rnn_step_forward_unit<kCell>(a, u);
}

template <RnnCell kCell>
__global__ void step_backward_kernel(cuda::RnnStepBackward a, int64_t units) {
  for (int64_t u = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; u < units;
       u += int64_t(gridDim.x) * blockDim.x)
    cuda::rnn_step_backward_unit<kCell>(a, u);
}

// ---- launchers -------------------------------------------------------------------------------------

struct CudaOps {
  cudaStream_t stream;
  void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
            const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    // An empty dimension (H or I of 0, which the CPU accepts) gives leading dimensions of 0, which
    // sgemm_cuda's checks refuse; no element is addressed through them then, so 1 serves.
    auto ld = [](int64_t v) { return v > 1 ? v : int64_t(1); };
    sgemm_cuda(ta, tb, m, n, k, alpha, a, ld(lda), b, ld(ldb), beta, c, ld(ldc), stream);
  }
  void fill(float* p, float v, int64_t n) {
    if (n <= 0) return;
    fill_kernel<<<cuda::grid_for(n, kBlock), kBlock, 0, stream>>>(p, v, n);
    cuda_check_launch();
  }
  void copy(float* dst, const float* src, int64_t n) {
    if (n <= 0) return;
    cudaCheck(cudaMemcpyAsync(dst, src, sizeof(float) * size_t(n), cudaMemcpyDeviceToDevice, stream));
  }
  void broadcast_rows(float* rows, int64_t ld, const float* v, int64_t nrows, int64_t n) {
    if (nrows * n <= 0) return;
    broadcast_rows_kernel<<<cuda::grid_for(nrows * n, kBlock), kBlock, 0, stream>>>(rows, ld, v, nrows, n);
    cuda_check_launch();
  }
  void column_sum(float* out, const float* a, int64_t rows, int64_t cols, int64_t lda) {
    if (cols <= 0) return;
    column_sum_kernel<<<cuda::grid_for(cols, kBlock), kBlock, 0, stream>>>(out, a, rows, cols, lda);
    cuda_check_launch();
  }
  template <RnnCell kCell>
  void step_forward(const cuda::RnnStepForward& a, int64_t units) {
    if (units <= 0) return;
    step_forward_kernel<kCell><<<cuda::grid_for(units, kBlock), kBlock, 0, stream>>>(a, units);
    cuda_check_launch();
  }
  template <RnnCell kCell>
  void step_backward(const cuda::RnnStepBackward& a, int64_t units) {
    if (units <= 0) return;
    step_backward_kernel<kCell><<<cuda::grid_for(units, kBlock), kBlock, 0, stream>>>(a, units);
    cuda_check_launch();
  }
};

void check_dims(const RnnDims& d, int64_t ld, const char* fn) {
  if (d.T < 0 || d.B < 0 || d.I < 0 || d.H < 1)
    throw std::invalid_argument(std::string(fn) + ": need T, B, I >= 0 and H >= 1");
  if (int(d.cell) < 0 || int(d.cell) > 3) throw std::invalid_argument(std::string(fn) + ": unknown cell");
  if (ld < d.H) throw std::invalid_argument(std::string(fn) + ": the row stride of y / dy must be >= H");
}

}  // namespace

int64_t rnn_forward_cuda_workspace(const RnnDims& d) { return d.B * cuda::rnn_cuda_gates(d.cell) * d.H; }

int64_t rnn_backward_cuda_workspace(const RnnDims& d) {
  const int64_t GH = cuda::rnn_cuda_gates(d.cell) * d.H, BH = d.B * d.H;
  // dh, dh_next, dc, and for the GRU one step's recurrent row (the gate gradients of all steps
  // go into saved_gates).
  return 3 * BH + (d.cell == RnnCell::kGru ? d.B * GH : 0);
}

void rnn_forward_cuda(float* y, int64_t ldy, float* h_n, float* c_n, float* saved_gates, float* saved_h,
                      float* saved_c, const float* x, const float* h0, const float* c0, const float* w_ih,
                      const float* w_hh, const float* b_ih, const float* b_hh, const int32_t* lengths,
                      const RnnDims& d, float* workspace, cudaStream_t stream) {
  check_dims(d, ldy, "rnn_forward_cuda");
  CudaOps ops{stream};
  cuda::rnn_forward_driver(ops, y, ldy, h_n, c_n, saved_gates, saved_h, saved_c, x, h0, c0, w_ih, w_hh, b_ih,
                           b_hh, lengths, d, workspace);
}

void rnn_backward_cuda(float* dx, bool accumulate_dx, float* dh0, float* dc0, float* dw_ih, float* dw_hh,
                       float* db_ih, float* db_hh, float* saved_gates, const float* dy, int64_t lddy,
                       const float* dh_n, const float* dc_n, const float* x, const float* w_ih,
                       const float* w_hh, const float* saved_h, const float* saved_c, const int32_t* lengths,
                       const RnnDims& d, float* workspace, cudaStream_t stream) {
  check_dims(d, lddy, "rnn_backward_cuda");
  CudaOps ops{stream};
  cuda::rnn_backward_driver(ops, dx, accumulate_dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, saved_gates, dy,
                            lddy, dh_n, dc_n, x, w_ih, w_hh, saved_h, saved_c, lengths, d, workspace);
}

}  // namespace tk

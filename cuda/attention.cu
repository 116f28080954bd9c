// Fused softmax attention on the GPU (cuda/attention.h), FlashAttention-2 style.
//
// Forward: one block per (query tile of kRows rows, batch x head); 4 warps, each owning kRows / 4
// query rows. Key/value tiles of 32 rows are staged in shared memory; lane c of a warp scores key c
// of the tile against the warp's row, the warp reduces max and sum with shuffles, and each lane
// keeps its D / 32 slice of the row's output accumulator in registers. The running (max, sum) per
// row is math/softmax.h's SoftmaxState, advanced by math/attention.h exactly as the CPU kernel does.
//
// Backward: one block per (key tile of 32 keys, batch x head). Warps walk the query rows; lane c
// recomputes P[i, c] from the saved log-sum-exp, dP = dO_i . V_c, dS = P (dP - D_i); dK and dV of
// the tile accumulate in shared memory (shared atomics: warps share keys), dQ in global memory
// (atomics: blocks share query rows). Results are therefore not bit-reproducible run to run on the
// GPU (dQ's summation order), unlike the CPU kernel.
//
// defines: attention_forward_cuda, attention_backward_cuda
#include <stdexcept>

#include "cuda/attention.h"
#include "cuda/common.cuh"
#include "textkernels/math/attention.h"

namespace tk {
namespace {

constexpr int kWarps = 4;
constexpr int kThreads = 32 * kWarps;
constexpr int kRows = 16;  // query rows per forward block
constexpr int kKeys = 32;  // keys per tile: one per lane
constexpr int kMaxD = 128;
constexpr int kSlice = kMaxD / 32;  // output elements per lane per row
constexpr int kRowsPerWarp = kRows / kWarps;

struct Dims {
  int64_t B, H, Tq, Tk, D;
  float scale;
};

__device__ float warp_max(float x) {
  TK_UNROLL
  for (int o = 16; o > 0; o >>= 1) {
    float y = __shfl_xor_sync(0xffffffffu, x, o);
    x = (y > x || y != y) ? y : x;
  }
  return x;
}

__device__ float warp_sum(float x) {
  TK_UNROLL
  for (int o = 16; o > 0; o >>= 1) x += __shfl_xor_sync(0xffffffffu, x, o);
  return x;
}

// The masked, scaled score of query i against key j (dot already computed); -inf where masked.
__device__ float masked_score(float dot, const AttentionMask& m, const Dims& d, int64_t b, int64_t h,
                              int64_t i, int64_t j) {
  if (m.causal && !math::attention_causal_allowed(i, j)) return -INFINITY;
  if (m.key_padding && m.key_padding[b * d.Tk + j]) return -INFINITY;
  float s = d.scale * dot;
  if (m.add) {
    int64_t mb = m.mb > 1 ? b : 0, mh = m.mh > 1 ? h : 0, mq = m.mq > 1 ? i : 0, mk = m.mk > 1 ? j : 0;
    s += m.add[((mb * m.mh + mh) * m.mq + mq) * m.mk + mk];
  }
  return s;
}

__global__ void attention_forward_kernel(float* __restrict__ out, float* __restrict__ lse,
                                         const float* __restrict__ q, const float* __restrict__ k,
                                         const float* __restrict__ v, AttentionMask mask,
                                         AttentionDropout drop, Dims d) {
  __shared__ float qs[kRows][kMaxD + 1];
  __shared__ float ks[kKeys][kMaxD + 1];
  __shared__ float vs[kKeys][kMaxD];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t bh = blockIdx.y, b = bh / d.H, h = bh % d.H;
  const int64_t i0 = int64_t(blockIdx.x) * kRows;
  const int64_t D = d.D;
  const float* qh = q + bh * d.Tq * D;
  const float* kh = k + bh * d.Tk * D;
  const float* vh = v + bh * d.Tk * D;
  const float keep_scale = drop.p < 1.0f ? 1.0f / (1.0f - drop.p) : 0.0f;

  for (int64_t t = threadIdx.x; t < kRows * D; t += kThreads) {
    int64_t r = t / D, c = t % D;
    qs[r][c] = i0 + r < d.Tq ? qh[(i0 + r) * D + c] : 0.0f;
  }
  math::SoftmaxState st[kRowsPerWarp];
  float acc[kRowsPerWarp][kSlice];
  TK_UNROLL
  for (int r = 0; r < kRowsPerWarp; ++r) {
    st[r] = math::softmax_state_init();
    TK_UNROLL
    for (int s = 0; s < kSlice; ++s) acc[r][s] = 0.0f;
  }
  int64_t jend = mask.causal ? min(d.Tk, i0 + kRows) : d.Tk;
  for (int64_t j0 = 0; j0 < jend; j0 += kKeys) {
    __syncthreads();
    for (int64_t t = threadIdx.x; t < kKeys * D; t += kThreads) {
      int64_t r = t / D, c = t % D;
      bool in = j0 + r < d.Tk;
      ks[r][c] = in ? kh[(j0 + r) * D + c] : 0.0f;
      vs[r][c] = in ? vh[(j0 + r) * D + c] : 0.0f;
    }
    __syncthreads();
    const int64_t j = j0 + lane;
    TK_UNROLL
    for (int r = 0; r < kRowsPerWarp; ++r) {
      const int rr = warp * kRowsPerWarp + r;
      const int64_t i = i0 + rr;
      if (i >= d.Tq) continue;  // uniform across the warp
      float s = -INFINITY;
      if (j < jend) {
        float dot = 0.0f;
        for (int64_t c = 0; c < D; ++c) dot += qs[rr][c] * ks[lane][c];
        s = masked_score(dot, mask, d, b, h, i, j);
      }
      float mx = warp_max(s);
      if (mx == -INFINITY && st[r].m == -INFINITY) continue;  // row still fully masked
      float alpha = math::attention_row_advance(&st[r], mx);
      float p = expf(s - st[r].m);
      st[r].s += warp_sum(p);
      if (drop.p > 0.0f && j < jend) {
        uint64_t idx = uint64_t((bh * d.Tq + i) * d.Tk + j);
        p *= math::attention_dropout_factor(drop.seed, drop.offset, idx, drop.p, keep_scale);
      }
      TK_UNROLL
      for (int sl = 0; sl < kSlice; ++sl) acc[r][sl] *= alpha;
      for (int c = 0; c < kKeys; ++c) {
        float pc = __shfl_sync(0xffffffffu, p, c);
        TK_UNROLL
        for (int sl = 0; sl < kSlice; ++sl) {
          int64_t col = lane + 32 * sl;
          if (col < D) acc[r][sl] += pc * vs[c][col];
        }
      }
    }
  }
  TK_UNROLL
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const int64_t i = i0 + warp * kRowsPerWarp + r;
    if (i >= d.Tq) continue;
    float inv = math::attention_row_inv_sum(st[r]);
    TK_UNROLL
    for (int sl = 0; sl < kSlice; ++sl) {
      int64_t col = lane + 32 * sl;
      if (col < D) out[(bh * d.Tq + i) * D + col] = acc[r][sl] * inv;
    }
    if (lane == 0) lse[bh * d.Tq + i] = math::attention_row_lse(st[r]);
  }
}

// D_i = rowsum(dO * O): one warp per row.
__global__ void attention_row_dot_kernel(float* __restrict__ drow, const float* __restrict__ dout,
                                         const float* __restrict__ out, int64_t rows, int64_t D) {
  const int lane = threadIdx.x & 31;
  for (int64_t r = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32; r < rows;
       r += int64_t(gridDim.x) * blockDim.x / 32) {
    float acc = 0.0f;
    for (int64_t c = lane; c < D; c += 32) acc += dout[r * D + c] * out[r * D + c];
    acc = warp_sum(acc);
    if (lane == 0) drow[r] = acc;
  }
}

// Shared memory of the backward block: K, V, dK, dV tiles of kKeys x (D + 1).
size_t backward_smem(int64_t D) { return size_t(4) * kKeys * size_t(D + 1) * sizeof(float); }

__global__ void attention_backward_kernel(float* __restrict__ dq, float* __restrict__ dk,
                                          float* __restrict__ dv, const float* __restrict__ dout,
                                          const float* __restrict__ q, const float* __restrict__ k,
                                          const float* __restrict__ v, const float* __restrict__ lse,
                                          const float* __restrict__ drow, AttentionMask mask,
                                          AttentionDropout drop, Dims d) {
  extern __shared__ float smem[];
  const int64_t D = d.D, ld = D + 1;
  float* ks = smem;
  float* vs = ks + kKeys * ld;
  float* dks = vs + kKeys * ld;
  float* dvs = dks + kKeys * ld;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t bh = blockIdx.y, b = bh / d.H, h = bh % d.H;
  const int64_t j0 = int64_t(blockIdx.x) * kKeys, j = j0 + lane;
  const float keep_scale = drop.p < 1.0f ? 1.0f / (1.0f - drop.p) : 0.0f;
  for (int64_t t = threadIdx.x; t < kKeys * D; t += kThreads) {
    int64_t r = t / D, c = t % D;
    bool in = j0 + r < d.Tk;
    ks[r * ld + c] = in ? k[(bh * d.Tk + j0 + r) * D + c] : 0.0f;
    vs[r * ld + c] = in ? v[(bh * d.Tk + j0 + r) * D + c] : 0.0f;
    dks[r * ld + c] = 0.0f;
    dvs[r * ld + c] = 0.0f;
  }
  __syncthreads();
  // Causal: rows before j0 see none of this tile.
  const int64_t istart = mask.causal ? min(j0, d.Tq) : 0;
  for (int64_t i = istart + warp; i < d.Tq; i += kWarps) {
    const float* qi = q + (bh * d.Tq + i) * D;
    const float* doi = dout + (bh * d.Tq + i) * D;
    const float l = lse[bh * d.Tq + i];
    float p = 0.0f, pd = 0.0f, ds = 0.0f;
    if (j < d.Tk) {
      float dot = 0.0f, dp = 0.0f;
      for (int64_t c = 0; c < D; ++c) {
        dot += qi[c] * ks[lane * ld + c];
        dp += doi[c] * vs[lane * ld + c];
      }
      p = math::attention_prob(masked_score(dot, mask, d, b, h, i, j), l);
      pd = p;
      if (drop.p > 0.0f) {
        float f = math::attention_dropout_factor(drop.seed, drop.offset, uint64_t((bh * d.Tq + i) * d.Tk + j),
                                                 drop.p, keep_scale);
        pd = p * f;
        dp *= f;
      }
      ds = math::attention_score_grad(p, dp, drow[bh * d.Tq + i]);
    }
    if (j < d.Tk && (pd != 0.0f || ds != 0.0f)) {
      for (int64_t c = 0; c < D; ++c) {
        atomicAdd(&dvs[lane * ld + c], pd * doi[c]);
        atomicAdd(&dks[lane * ld + c], d.scale * ds * qi[c]);
      }
    }
    for (int64_t c0 = 0; c0 < D; c0 += 32) {
      int64_t col = c0 + lane;
      float acc = 0.0f;
      for (int c = 0; c < kKeys; ++c) {
        float dsc = __shfl_sync(0xffffffffu, ds, c);
        if (col < D) acc += dsc * ks[c * ld + col];
      }
      if (col < D && acc != 0.0f) atomicAdd(&dq[(bh * d.Tq + i) * D + col], d.scale * acc);
    }
  }
  __syncthreads();
  for (int64_t t = threadIdx.x; t < kKeys * D; t += kThreads) {
    int64_t r = t / D, c = t % D;
    if (j0 + r < d.Tk) {
      dk[(bh * d.Tk + j0 + r) * D + c] = dks[r * ld + c];
      dv[(bh * d.Tk + j0 + r) * D + c] = dvs[r * ld + c];
    }
  }
}

void check_dims(const char* fn, int64_t B, int64_t H, int64_t Tq, int64_t Tk, int64_t D) {
  if (B < 0 || H < 0 || Tq < 0 || Tk < 0 || D < 0)
    throw std::invalid_argument(std::string(fn) + ": negative size");
  if (D > kMaxD)
    throw std::invalid_argument(std::string(fn) + ": head size above 128 is not supported on CUDA");
  if (B * H > 65535)
    throw std::invalid_argument(std::string(fn) + ": B * H above 65535 is not supported on CUDA");
}

}  // namespace

void attention_forward_cuda(float* out, float* lse, const float* q, const float* k, const float* v,
                            const AttentionMask& mask, const AttentionDropout& drop, int64_t B, int64_t H,
                            int64_t Tq, int64_t Tk, int64_t D, float scale, cudaStream_t stream) {
  check_dims("attention_forward_cuda", B, H, Tq, Tk, D);
  if (B * H * Tq == 0) return;
  dim3 grid(unsigned(cuda::ceil_div<int64_t>(Tq, kRows)), unsigned(B * H));
  attention_forward_kernel<<<grid, kThreads, 0, stream>>>(out, lse, q, k, v, mask, drop,
                                                          Dims{B, H, Tq, Tk, D, scale});
  cuda_check_launch();
}

void attention_backward_cuda(float* dq, float* dk, float* dv, const float* dout, const float* q,
                             const float* k, const float* v, const float* out, const float* lse,
                             float* workspace, const AttentionMask& mask, const AttentionDropout& drop,
                             int64_t B, int64_t H, int64_t Tq, int64_t Tk, int64_t D, float scale,
                             cudaStream_t stream) {
  check_dims("attention_backward_cuda", B, H, Tq, Tk, D);
  cudaCheck(cudaMemsetAsync(dq, 0, size_t(B * H * Tq * D) * sizeof(float), stream));
  cudaCheck(cudaMemsetAsync(dk, 0, size_t(B * H * Tk * D) * sizeof(float), stream));
  cudaCheck(cudaMemsetAsync(dv, 0, size_t(B * H * Tk * D) * sizeof(float), stream));
  if (B * H * Tq == 0 || Tk == 0 || D == 0) return;
  attention_row_dot_kernel<<<cuda::grid_for(B * H * Tq * 32, 256), 256, 0, stream>>>(workspace, dout, out,
                                                                                     B * H * Tq, D);
  cuda_check_launch();
  size_t smem = backward_smem(D);
  cudaCheck(cudaFuncSetAttribute(attention_backward_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                 int(smem)));
  dim3 grid(unsigned(cuda::ceil_div<int64_t>(Tk, kKeys)), unsigned(B * H));
  attention_backward_kernel<<<grid, kThreads, smem, stream>>>(dq, dk, dv, dout, q, k, v, lse, workspace, mask,
                                                              drop, Dims{B, H, Tq, Tk, D, scale});
  cuda_check_launch();
}

}  // namespace tk

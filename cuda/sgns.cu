// Batched skip-gram negative sampling with negatives shared per window, as BlazingText does
// (Ji et al., "Parallelizing Word2Vec in Shared and Distributed Memory"): one block takes one
// center word and its window, draws K negatives once, and turns the window's 2w (input, target)
// pairs into small matrix products over rows staged in shared memory:
//   logits[i, j] = in_i . out_j   (in: the window's context rows of syn0, word2vec.c's direction;
//                                  out: the center row then the K negatives of syn1neg)
//   G[i, j]     = (label_j - sigmoid(logits[i, j])) * alpha   (math/sgns.h ns_gradient)
//   in_i  += sum_j G[i, j] out_j ;  out_j += sum_i G[i, j] in_i     (both from the old values)
// Updates are written back with atomics-free Hogwild stores, as on the CPU. The sigmoid table,
// the LCG and the unigram-table draw are the CPU trainer's (native/include/textkernels/math/sgns.h).
#include <cuda_runtime.h>

#include <cstdint>

#include "textkernels/math/sgns.h"

namespace tk::cuda {

constexpr int kMaxWindowInputs = 64;  // 2 * window
constexpr int kMaxTargets = 33;       // 1 + negatives

__constant__ float c_exp_table[tk::sgns::kExpTableSize + 1];

// One block per center word. Shared memory: (n_in + 1 + K) * D floats + the G matrix.
__global__ void sgns_window_kernel(float* __restrict__ syn0, float* __restrict__ syn1neg, int64_t D,
                                   const int32_t* __restrict__ centers,  // [B]
                                   const int32_t* __restrict__ ctx_ptr,  // [B + 1]
                                   const int32_t* __restrict__ ctx_ids,  // [ctx_ptr[B]]
                                   int K, float alpha, uint64_t seed, tk::sgns::UnigramTableView table) {
  extern __shared__ float smem[];
  const int b = blockIdx.x;
  const int32_t center = centers[b];
  const int begin = ctx_ptr[b];
  const int n_in = min(ctx_ptr[b + 1] - begin, kMaxWindowInputs);
  const int n_out = min(K + 1, kMaxTargets);
  __shared__ int32_t targets[kMaxTargets];
  __shared__ float g[kMaxWindowInputs * kMaxTargets];
  float* in_rows = smem;                       // [n_in, D]
  float* out_rows = smem + int64_t(n_in) * D;  // [n_out, D]

  if (threadIdx.x == 0) {
    // The block's own LCG stream; negatives equal to the center are skipped (g = 0), not redrawn.
    uint64_t r = seed + uint64_t(b) * 0x9E3779B97F4A7C15ULL;
    targets[0] = center;
    for (int j = 1; j < n_out; ++j) {
      r = tk::sgns::lcg_next(r);
      targets[j] = tk::sgns::draw_negative(table, r);
    }
  }
  __syncthreads();
  for (int64_t e = threadIdx.x; e < int64_t(n_in) * D; e += blockDim.x)
    in_rows[e] = syn0[int64_t(ctx_ids[begin + e / D]) * D + e % D];
  for (int64_t e = threadIdx.x; e < int64_t(n_out) * D; e += blockDim.x)
    out_rows[e] = syn1neg[int64_t(targets[e / D]) * D + e % D];
  __syncthreads();

  // One warp per (i, j) logit: lanes stride over D, then a shuffle reduction.
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = blockDim.x / 32;
  for (int p = warp; p < n_in * n_out; p += warps) {
    const int i = p / n_out, j = p % n_out;
    float f = 0;
    for (int64_t c = lane; c < D; c += 32) f += in_rows[int64_t(i) * D + c] * out_rows[int64_t(j) * D + c];
    for (int off = 16; off > 0; off /= 2) f += __shfl_down_sync(0xffffffffu, f, off);
    if (lane == 0) {
      const bool skip = j > 0 && targets[j] == center;
      g[p] = skip ? 0.0f : tk::sgns::ns_gradient(f, j == 0 ? 1 : 0, alpha, c_exp_table);
    }
  }
  __syncthreads();

  // in_i += sum_j G[i,j] out_j ; out_j += sum_i G[i,j] in_i, both from the staged (old) rows.
  for (int64_t e = threadIdx.x; e < int64_t(n_in) * D; e += blockDim.x) {
    const int i = int(e / D);
    const int64_t c = e % D;
    float acc = 0;
    for (int j = 0; j < n_out; ++j) acc += g[i * n_out + j] * out_rows[int64_t(j) * D + c];
    syn0[int64_t(ctx_ids[begin + i]) * D + c] += acc;
  }
  for (int64_t e = threadIdx.x; e < int64_t(n_out) * D; e += blockDim.x) {
    const int j = int(e / D);
    const int64_t c = e % D;
    float acc = 0;
    for (int i = 0; i < n_in; ++i) acc += g[i * n_out + j] * in_rows[int64_t(i) * D + c];
    syn1neg[int64_t(targets[j]) * D + c] += acc;
  }
}

// Host entry: uploads the sigmoid table once per call and launches one block per center word.
// All pointers are device pointers; table.starts / table.bucket_word too.
cudaError_t sgns_windows_cuda(float* syn0, float* syn1neg, int64_t D, const int32_t* centers,
                              const int32_t* ctx_ptr, const int32_t* ctx_ids, int B, int max_inputs, int K,
                              float alpha, uint64_t seed, tk::sgns::UnigramTableView table,
                              cudaStream_t stream) {
  if (B <= 0) return cudaSuccess;
  if (max_inputs > kMaxWindowInputs || K + 1 > kMaxTargets) return cudaErrorInvalidValue;
  float host_table[tk::sgns::kExpTableSize + 1];
  for (int i = 0; i < tk::sgns::kExpTableSize; ++i) host_table[i] = tk::sgns::exp_table_entry(i);
  host_table[tk::sgns::kExpTableSize] = host_table[tk::sgns::kExpTableSize - 1];
  cudaError_t err =
      cudaMemcpyToSymbolAsync(c_exp_table, host_table, sizeof(host_table), 0, cudaMemcpyHostToDevice, stream);
  if (err != cudaSuccess) return err;
  const size_t shmem = size_t(max_inputs + K + 1) * size_t(D) * sizeof(float);
  sgns_window_kernel<<<B, 128, shmem, stream>>>(syn0, syn1neg, D, centers, ctx_ptr, ctx_ids, K, alpha, seed,
                                                table);
  return cudaGetLastError();
}

}  // namespace tk::cuda

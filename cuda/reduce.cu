// cuda/reduce.h. Two shapes of kernel per reduction, by the layout:
//  - "rows" (inner < 32 and R > 32): one 256-thread block per output (grid-stride over outputs), threads
//  stride
//    over R, block_reduce combines them; long rows with few outputs are cut into chunks whose double
//    partials a second kernel adds in chunk order;
//  - "columns" (inner >= 32, or R <= 32): one thread per output, R in order, so neighbouring threads
//    read neighbouring columns (coalesced), exactly the CPU kernel's loop; short rows also go here,
//    as a block per output would leave most of its threads idle.
// Results that go back to the host (all_finite, pow_sum, abs_max, first_bad_index) are reduced on
// the device into one value, copied back, and waited for.
//
// defines: sum_forward_cuda, sum_backward_cuda, sum_int32_forward_cuda, max_forward_cuda,
// max_backward_cuda, max_all_backward_cuda, logsumexp_forward_cuda, logsumexp_backward_cuda,
// first_bad_index_cuda, all_finite_cuda, pow_sum_cuda, abs_max_cuda, scale_in_place_cuda,
// clamp_in_place_cuda, sum_partials_to_host_cuda
#include <cmath>
#include <stdexcept>

#include "cuda/common.cuh"
#include "cuda/device_memory.h"
#include "cuda/reduce.cuh"
#include "cuda/reduce.h"

namespace tk {
namespace {

using cuda::block_reduce;
using cuda::kReduceBlock;
using cuda::ValIdx;

constexpr int kEw = 256;               // threads per block of the elementwise kernels
constexpr int64_t kColumnsFrom = 32;   // inner sizes from which one thread per output is used
constexpr int64_t kChunk = 16384;      // R per block when a row is split
constexpr int64_t kMaxChunks = 1024;   // at most this many blocks per output row
constexpr int64_t kFewOutputs = 2048;  // rows are split only when there are fewer outputs
constexpr int64_t kFlatBlocks = 1024;  // blocks of the flat (whole-array) reductions, at most

// One thread per output for wide inner sizes, and for short rows (R up to 32) whatever the inner
// size, where a block per output would leave most of its threads idle.
bool by_columns(int64_t reduced, int64_t inner) { return inner >= kColumnsFrom || reduced <= 32; }

#define TK_GRID_STRIDE(i, n)                                                \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); \
       i += int64_t(gridDim.x) * blockDim.x)

unsigned blocks_for(int64_t n) {
  const int64_t cap = 65535LL * 16;
  return unsigned(n < 1 ? 1 : (n > cap ? cap : n));
}

void check_dims(const char* fn, int64_t outer, int64_t reduced, int64_t inner) {
  if (outer < 0 || reduced < 0 || inner < 0) throw std::invalid_argument(std::string(fn) + ": negative size");
}

// RAII scratch from the caching allocator, released (to the stream's cache) at scope exit: the
// kernels queued on the stream before the release are the only users.
struct Scratch {
  void* p;
  explicit Scratch(size_t bytes, cudaStream_t s) : p(cuda::allocate(bytes < 8 ? 8 : bytes, s)) {}
  ~Scratch() { cuda::release(p); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(p);
  }
};

__device__ __forceinline__ float finish_sum(double acc, double divisor) {
  const float f = float(acc);
  return divisor == 1.0 ? f : float(double(f) / divisor);
}

// ---- sum -----------------------------------------------------------------------------------------

// Block b reduces chunk b % chunks of output b / chunks: to partial[b] when partial is given, else
// (one chunk) straight to out.
__global__ void sum_rows_kernel(float* out, double* partial, const float* x, int64_t outer, int64_t R,
                                int64_t inner, int64_t chunks, int64_t chunk_len, double divisor) {
  __shared__ double sh[kReduceBlock];
  const int64_t total = outer * inner * chunks;
  for (int64_t b = blockIdx.x; b < total; b += gridDim.x) {
    const int64_t t = b / chunks, c = b % chunks;
    const int64_t o = t / inner, i = t % inner;
    const int64_t r0 = c * chunk_len;
    const int64_t r1 = R < r0 + chunk_len ? R : r0 + chunk_len;
    const float* p = x + o * R * inner + i;
    double acc = 0;
    for (int64_t r = r0 + threadIdx.x; r < r1; r += kReduceBlock) acc += double(p[r * inner]);
    acc = block_reduce(acc, sh, cuda::SumOp());
    if (threadIdx.x == 0) {
      if (partial)
        partial[b] = acc;
      else
        out[t] = finish_sum(acc, divisor);
    }
  }
}

// Thread per output: the chunks' partials in chunk order.
__global__ void sum_chunks_kernel(float* out, const double* partial, int64_t outputs, int64_t chunks,
                                  double divisor) {
  TK_GRID_STRIDE(t, outputs) {
    double acc = 0;
    for (int64_t c = 0; c < chunks; ++c) acc += partial[t * chunks + c];
    out[t] = finish_sum(acc, divisor);
  }
}

__global__ void sum_columns_kernel(float* out, const float* x, int64_t outer, int64_t R, int64_t inner,
                                   double divisor) {
  TK_GRID_STRIDE(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    const float* p = x + o * R * inner + i;
    double acc = 0;
    for (int64_t r = 0; r < R; ++r) acc += double(p[r * inner]);
    out[t] = finish_sum(acc, divisor);
  }
}

__global__ void sum_backward_kernel(float* dx, const float* g, int64_t n, int64_t R, int64_t inner,
                                    float div) {
  TK_GRID_STRIDE(k, n) {
    const int64_t i = k % inner, o = k / inner / R;
    const float v = g[o * inner + i];
    dx[k] = div == 1.0f ? v : v / div;
  }
}

__global__ void sum_int32_kernel(int32_t* out, const int32_t* x, int64_t outer, int64_t R, int64_t inner) {
  TK_GRID_STRIDE(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    uint32_t acc = 0;
    for (int64_t r = 0; r < R; ++r) acc += uint32_t(x[(o * R + r) * inner + i]);
    out[t] = int32_t(acc);
  }
}

// ---- max / min -----------------------------------------------------------------------------------

__global__ void max_rows_kernel(bool is_max, float* values, int32_t* indices, const float* x, int64_t outer,
                                int64_t R, int64_t inner) {
  __shared__ ValIdx sh[kReduceBlock];
  const cuda::MaxIdxOp op{is_max};
  for (int64_t t = blockIdx.x; t < outer * inner; t += gridDim.x) {
    const int64_t o = t / inner, i = t % inner;
    const float* p = x + o * R * inner + i;
    ValIdx best{0.0f, -1};
    for (int64_t r = threadIdx.x; r < R; r += kReduceBlock) best = op(best, ValIdx{p[r * inner], int32_t(r)});
    best = block_reduce(best, sh, op);
    if (threadIdx.x == 0) {
      if (values) values[t] = best.v;
      indices[t] = best.i;
    }
  }
}

__global__ void max_columns_kernel(bool is_max, float* values, int32_t* indices, const float* x,
                                   int64_t outer, int64_t R, int64_t inner) {
  const cuda::MaxIdxOp op{is_max};
  TK_GRID_STRIDE(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    const float* p = x + o * R * inner + i;
    ValIdx best{p[0], 0};
    for (int64_t r = 1; r < R; ++r) best = op(best, ValIdx{p[r * inner], int32_t(r)});
    if (values) values[t] = best.v;
    indices[t] = best.i;
  }
}

__global__ void max_backward_kernel(float* dx, const float* g, const int32_t* indices, int64_t n, int64_t R,
                                    int64_t inner) {
  TK_GRID_STRIDE(k, n) {
    const int64_t i = k % inner, r = (k / inner) % R, o = k / inner / R;
    dx[k] = indices[o * inner + i] == r ? g[o * inner + i] : 0.0f;
  }
}

__device__ __forceinline__ bool same_as(float a, float v) { return v != v ? a != a : a == v; }

__global__ void count_equal_kernel(unsigned long long* count, const float* x, const float* value, int64_t n) {
  __shared__ int sh[kReduceBlock];
  const float v = value[0];
  int local = 0;  // < 2^31: a thread sees at most n / (gridDim * 256) elements
  TK_GRID_STRIDE(k, n) local += same_as(x[k], v) ? 1 : 0;
  local = block_reduce(local, sh, cuda::SumOp());
  // Integer adds commute exactly, so the atomic keeps the count deterministic.
  if (threadIdx.x == 0 && local > 0) atomicAdd(count, (unsigned long long)local);
}

__global__ void max_all_backward_kernel(float* dx, const float* g, const float* x, const float* value,
                                        const unsigned long long* count, int64_t n) {
  const float v = value[0];
  const float share = g[0] / float(*count);
  TK_GRID_STRIDE(k, n) dx[k] = same_as(x[k], v) ? share : 0.0f * share;
}

// ---- logsumexp -----------------------------------------------------------------------------------

__device__ __forceinline__ float lse_finish(double acc, float m) { return float(log(acc)) + m; }

__global__ void logsumexp_rows_kernel(float* out, const float* x, int64_t outer, int64_t R, int64_t inner) {
  __shared__ double sh[kReduceBlock];
  const float kInf = INFINITY;
  for (int64_t t = blockIdx.x; t < outer * inner; t += gridDim.x) {
    const int64_t o = t / inner, i = t % inner;
    const float* p = x + o * R * inner + i;
    // The max of the non-NaN elements, and whether there is a NaN (encoded as +inf in `nan`).
    double m = -kInf, nan = 0;
    for (int64_t r = threadIdx.x; r < R; r += kReduceBlock) {
      const float v = p[r * inner];
      if (v != v)
        nan = 1;
      else if (v > m)
        m = v;
    }
    m = block_reduce(m, sh, cuda::MaxNanOp());
    nan = block_reduce(nan, sh, cuda::MaxNanOp());
    float mf = float(m);
    if (mf == kInf || mf == -kInf) mf = 0.0f;  // an infinite max is not subtracted (inf - inf)
    double acc = 0;
    for (int64_t r = threadIdx.x; r < R; r += kReduceBlock) acc += double(expf(p[r * inner] - mf));
    acc = block_reduce(acc, sh, cuda::SumOp());
    if (threadIdx.x == 0) out[t] = nan != 0 ? float(NAN) : lse_finish(acc, mf);
  }
}

__global__ void logsumexp_columns_kernel(float* out, const float* x, int64_t outer, int64_t R,
                                         int64_t inner) {
  TK_GRID_STRIDE(t, outer * inner) {
    const int64_t o = t / inner, i = t % inner;
    const float* p = x + o * R * inner + i;
    float m = -INFINITY;
    bool nan = false;
    for (int64_t r = 0; r < R; ++r) {
      const float v = p[r * inner];
      if (v != v)
        nan = true;
      else if (v > m)
        m = v;
    }
    if (nan) {
      out[t] = NAN;
      continue;
    }
    if (m == INFINITY || m == -INFINITY) m = 0.0f;
    double acc = 0;
    for (int64_t r = 0; r < R; ++r) acc += double(expf(p[r * inner] - m));
    out[t] = lse_finish(acc, m);
  }
}

__global__ void logsumexp_backward_kernel(float* dx, const float* g, const float* x, const float* out,
                                          int64_t n, int64_t R, int64_t inner) {
  TK_GRID_STRIDE(k, n) {
    const int64_t i = k % inner, o = k / inner / R;
    dx[k] = g[o * inner + i] * expf(x[k] - out[o * inner + i]);
  }
}

// ---- flat reductions -----------------------------------------------------------------------------

__global__ void first_bad_index_kernel(unsigned long long* first, const int32_t* idx, int64_t n,
                                       int64_t limit, bool has_ignore, int64_t ignore) {
  TK_GRID_STRIDE(k, n) {
    const int64_t y = idx[k];
    if (has_ignore && y == ignore) continue;
    if (y < 0 || y >= limit) atomicMin(first, (unsigned long long)k);  // min: order-independent
  }
}

__global__ void not_finite_kernel(int* flag, const float* x, int64_t n) {
  TK_GRID_STRIDE(k, n) {
    const float v = x[k];
    if (!(v - v == 0.0f)) *flag = 1;  // NaN or +-inf (v - v is NaN); every writer stores the same value
  }
}

// kind 0: sum |x|^p (p in `p`), kind 1: max |x| with NaN propagated. Block b's value to partial[b].
__global__ void flat_partial_kernel(double* partial, const float* x, int64_t n, int kind, double p) {
  __shared__ double sh[kReduceBlock];
  double acc = 0;
  TK_GRID_STRIDE(k, n) {
    const double a = fabs(double(x[k]));
    if (kind == 1)
      acc = cuda::MaxNanOp()(acc, a);
    else
      acc += p == 2.0 ? a * a : (p == 1.0 ? a : pow(a, p));
  }
  acc = kind == 1 ? block_reduce(acc, sh, cuda::MaxNanOp()) : block_reduce(acc, sh, cuda::SumOp());
  if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// One block: partial[0..blocks) combined (kind 0 sum, 1 NaN-propagating max) in a fixed order.
__global__ void flat_final_kernel(double* result, const double* partial, int64_t blocks, int kind) {
  __shared__ double sh[kReduceBlock];
  double acc = 0;
  for (int64_t b = threadIdx.x; b < blocks; b += kReduceBlock)
    acc = kind == 1 ? cuda::MaxNanOp()(acc, partial[b]) : acc + partial[b];
  acc = kind == 1 ? block_reduce(acc, sh, cuda::MaxNanOp()) : block_reduce(acc, sh, cuda::SumOp());
  if (threadIdx.x == 0) *result = acc;
}

__global__ void scale_kernel(float* x, int64_t n, float c) { TK_GRID_STRIDE(k, n) x[k] = x[k] * c; }

__global__ void clamp_kernel(float* x, int64_t n, float lo, float hi) {
  TK_GRID_STRIDE(k, n) {
    const float v = x[k];
    x[k] = v < lo ? lo : (v > hi ? hi : v);
  }
}

template <typename T>
T copy_back(const T* device, cudaStream_t stream) {
  T host{};
  cudaCheck(cudaMemcpyAsync(&host, device, sizeof(T), cudaMemcpyDeviceToHost, stream));
  cudaCheck(cudaStreamSynchronize(stream));
  return host;
}

// The number of blocks of a flat reduction over n elements: a function of n only, so the result's
// rounding does not depend on the device.
int64_t flat_blocks(int64_t n) {
  const int64_t b = cuda::ceil_div<int64_t>(n, int64_t(kReduceBlock) * 8);
  return b < 1 ? 1 : (b > kFlatBlocks ? kFlatBlocks : b);
}

double flat_reduce(const float* x, int64_t n, int kind, double p, cudaStream_t stream) {
  const int64_t blocks = flat_blocks(n);
  Scratch partial(size_t(blocks + 1) * sizeof(double), stream);
  flat_partial_kernel<<<unsigned(blocks), kReduceBlock, 0, stream>>>(partial.as<double>(), x, n, kind, p);
  cuda_check_launch();
  flat_final_kernel<<<1, kReduceBlock, 0, stream>>>(partial.as<double>() + blocks, partial.as<double>(),
                                                    blocks, kind);
  cuda_check_launch();
  return copy_back(partial.as<double>() + blocks, stream);
}

}  // namespace

void sum_forward_cuda(float* out, const float* x, int64_t outer, int64_t reduced, int64_t inner,
                      double divisor, cudaStream_t stream) {
  check_dims("sum_forward_cuda", outer, reduced, inner);
  const int64_t outputs = outer * inner;
  if (outputs == 0) return;
  if (by_columns(reduced, inner)) {
    sum_columns_kernel<<<cuda::grid_for(outputs, kEw), kEw, 0, stream>>>(out, x, outer, reduced, inner,
                                                                         divisor);
    cuda_check_launch();
    return;
  }
  int64_t chunks = 1;
  if (reduced > kChunk && outputs < kFewOutputs) {
    chunks = cuda::ceil_div<int64_t>(reduced, kChunk);
    if (chunks > kMaxChunks) chunks = kMaxChunks;
  }
  if (chunks == 1) {
    sum_rows_kernel<<<blocks_for(outputs), kReduceBlock, 0, stream>>>(out, nullptr, x, outer, reduced, inner,
                                                                      1, reduced, divisor);
    cuda_check_launch();
    return;
  }
  const int64_t chunk_len = cuda::ceil_div<int64_t>(reduced, chunks);
  Scratch partial(size_t(outputs * chunks) * sizeof(double), stream);
  sum_rows_kernel<<<blocks_for(outputs * chunks), kReduceBlock, 0, stream>>>(
      out, partial.as<double>(), x, outer, reduced, inner, chunks, chunk_len, divisor);
  cuda_check_launch();
  sum_chunks_kernel<<<cuda::grid_for(outputs, kEw), kEw, 0, stream>>>(out, partial.as<double>(), outputs,
                                                                      chunks, divisor);
  cuda_check_launch();
}

void sum_backward_cuda(float* dx, const float* g, int64_t outer, int64_t reduced, int64_t inner,
                       double divisor, cudaStream_t stream) {
  check_dims("sum_backward_cuda", outer, reduced, inner);
  const int64_t n = outer * reduced * inner;
  if (n == 0) return;
  sum_backward_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(dx, g, n, reduced, inner, float(divisor));
  cuda_check_launch();
}

void sum_int32_forward_cuda(int32_t* out, const int32_t* x, int64_t outer, int64_t reduced, int64_t inner,
                            cudaStream_t stream) {
  check_dims("sum_int32_forward_cuda", outer, reduced, inner);
  if (outer * inner == 0) return;
  sum_int32_kernel<<<cuda::grid_for(outer * inner, kEw), kEw, 0, stream>>>(out, x, outer, reduced, inner);
  cuda_check_launch();
}

void max_forward_cuda(bool is_max, float* values, int32_t* indices, const float* x, int64_t outer,
                      int64_t reduced, int64_t inner, cudaStream_t stream) {
  check_dims("max_forward_cuda", outer, reduced, inner);
  const int64_t outputs = outer * inner;
  if (outputs == 0) return;
  if (reduced == 0) throw std::invalid_argument("max_forward_cuda: max/min over an empty dimension");
  if (by_columns(reduced, inner)) {
    max_columns_kernel<<<cuda::grid_for(outputs, kEw), kEw, 0, stream>>>(is_max, values, indices, x, outer,
                                                                         reduced, inner);
  } else {
    max_rows_kernel<<<blocks_for(outputs), kReduceBlock, 0, stream>>>(is_max, values, indices, x, outer,
                                                                      reduced, inner);
  }
  cuda_check_launch();
}

void max_backward_cuda(float* dx, const float* g, const int32_t* indices, int64_t outer, int64_t reduced,
                       int64_t inner, cudaStream_t stream) {
  check_dims("max_backward_cuda", outer, reduced, inner);
  const int64_t n = outer * reduced * inner;
  if (n == 0) return;
  max_backward_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(dx, g, indices, n, reduced, inner);
  cuda_check_launch();
}

void max_all_backward_cuda(float* dx, const float* g, const float* x, const float* value, int64_t n,
                           cudaStream_t stream) {
  if (n < 0) throw std::invalid_argument("max_all_backward_cuda: negative size");
  if (n == 0) return;
  Scratch count(sizeof(unsigned long long), stream);
  cudaCheck(cudaMemsetAsync(count.p, 0, sizeof(unsigned long long), stream));
  const unsigned blocks = unsigned(flat_blocks(n));
  count_equal_kernel<<<blocks, kReduceBlock, 0, stream>>>(count.as<unsigned long long>(), x, value, n);
  cuda_check_launch();
  max_all_backward_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(dx, g, x, value,
                                                                      count.as<unsigned long long>(), n);
  cuda_check_launch();
}

void logsumexp_forward_cuda(float* out, const float* x, int64_t outer, int64_t reduced, int64_t inner,
                            cudaStream_t stream) {
  check_dims("logsumexp_forward_cuda", outer, reduced, inner);
  const int64_t outputs = outer * inner;
  if (outputs == 0) return;
  if (by_columns(reduced, inner)) {
    logsumexp_columns_kernel<<<cuda::grid_for(outputs, kEw), kEw, 0, stream>>>(out, x, outer, reduced, inner);
  } else {
    logsumexp_rows_kernel<<<blocks_for(outputs), kReduceBlock, 0, stream>>>(out, x, outer, reduced, inner);
  }
  cuda_check_launch();
}

void logsumexp_backward_cuda(float* dx, const float* g, const float* x, const float* out, int64_t outer,
                             int64_t reduced, int64_t inner, cudaStream_t stream) {
  check_dims("logsumexp_backward_cuda", outer, reduced, inner);
  const int64_t n = outer * reduced * inner;
  if (n == 0) return;
  logsumexp_backward_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(dx, g, x, out, n, reduced, inner);
  cuda_check_launch();
}

int64_t first_bad_index_cuda(const int32_t* idx, int64_t n, int64_t limit, bool has_ignore, int64_t ignore,
                             int32_t* bad_value, cudaStream_t stream) {
  if (n <= 0) return -1;
  Scratch first(sizeof(unsigned long long), stream);
  cudaCheck(cudaMemsetAsync(first.p, 0xff, sizeof(unsigned long long), stream));
  first_bad_index_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(first.as<unsigned long long>(), idx, n,
                                                                     limit, has_ignore, ignore);
  cuda_check_launch();
  const unsigned long long k = copy_back(first.as<unsigned long long>(), stream);
  if (k == ~0ULL) return -1;
  if (bad_value) *bad_value = copy_back(idx + k, stream);
  return int64_t(k);
}

bool all_finite_cuda(const float* x, int64_t n, cudaStream_t stream) {
  if (n <= 0) return true;
  Scratch flag(sizeof(int), stream);
  cudaCheck(cudaMemsetAsync(flag.p, 0, sizeof(int), stream));
  not_finite_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(flag.as<int>(), x, n);
  cuda_check_launch();
  return copy_back(flag.as<int>(), stream) == 0;
}

double pow_sum_cuda(const float* x, int64_t n, double p, cudaStream_t stream) {
  if (!(p > 0)) throw std::invalid_argument("pow_sum_cuda: p must be positive");
  if (n <= 0) return 0.0;
  return flat_reduce(x, n, 0, p, stream);
}

double abs_max_cuda(const float* x, int64_t n, cudaStream_t stream) {
  if (n <= 0) return 0.0;
  return flat_reduce(x, n, 1, 0.0, stream);
}

void scale_in_place_cuda(float* x, int64_t n, float c, cudaStream_t stream) {
  if (n <= 0) return;
  scale_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(x, n, c);
  cuda_check_launch();
}

void clamp_in_place_cuda(float* x, int64_t n, float lo, float hi, cudaStream_t stream) {
  if (n <= 0) return;
  clamp_kernel<<<cuda::grid_for(n, kEw), kEw, 0, stream>>>(x, n, lo, hi);
  cuda_check_launch();
}

double sum_partials_to_host_cuda(const double* partial, int64_t blocks, cudaStream_t stream) {
  if (blocks <= 0) return 0.0;
  Scratch result(sizeof(double), stream);
  flat_final_kernel<<<1, kReduceBlock, 0, stream>>>(result.as<double>(), partial, blocks, 0);
  cuda_check_launch();
  return copy_back(result.as<double>(), stream);
}

}  // namespace tk

// Reductions on the device, the twins of native/kernels/reduce.h and of the small loops in
// native/binding/reduce.cc: the input is viewed as [O, R, I] (outer, reduced, inner), the output as
// [O, I]. Pointers are device pointers; calls are asynchronous on `stream`, except those that return
// a value to the host (they wait for their own kernels). Sizes the launchers refuse throw
// std::invalid_argument.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tk {

// out[o, i] = float(float(sum_r x[o, r, i]) / divisor), the sum in double.
void sum_forward_cuda(float* out,      // [O, I]; must not alias x
                      const float* x,  // [O, R, I]
                      int64_t outer, int64_t reduced, int64_t inner, double divisor, cudaStream_t stream);
// dx[o, r, i] = g[o, i] / float(divisor) (the sum's and the mean's backward).
void sum_backward_cuda(float* dx,       // [O, R, I]; must not alias g
                       const float* g,  // [O, I]
                       int64_t outer, int64_t reduced, int64_t inner, double divisor, cudaStream_t stream);
// Exact int32 sums, wrapping as int32 adds do.
void sum_int32_forward_cuda(int32_t* out,      // [O, I]
                            const int32_t* x,  // [O, R, I]
                            int64_t outer, int64_t reduced, int64_t inner, cudaStream_t stream);

// Max (is_max) or min along R with the first index of the extreme; NaN wins. R must be > 0.
void max_forward_cuda(bool is_max, float* values,  // [O, I] or null (argmax only)
                      int32_t* indices,            // [O, I]
                      const float* x,              // [O, R, I]
                      int64_t outer, int64_t reduced, int64_t inner, cudaStream_t stream);
// dx[o, r, i] = r == indices[o, i] ? g[o, i] : 0. The indices must have been checked
// (first_bad_index_cuda).
void max_backward_cuda(float* dx,               // [O, R, I]
                       const float* g,          // [O, I]
                       const int32_t* indices,  // [O, I], in [0, R)
                       int64_t outer, int64_t reduced, int64_t inner, cudaStream_t stream);
// The backward of a full max/min: g[0] / count at the elements equal to value[0] (the NaNs when it
// is NaN), 0 * that elsewhere.
void max_all_backward_cuda(float* dx,           // [n]
                           const float* g,      // [1]
                           const float* x,      // [n]
                           const float* value,  // [1]
                           int64_t n, cudaStream_t stream);

// out[o, i] = log(sum_r exp(x[o, r, i])), shifted by the finite max (torch.logsumexp).
void logsumexp_forward_cuda(float* out,      // [O, I]
                            const float* x,  // [O, R, I]
                            int64_t outer, int64_t reduced, int64_t inner, cudaStream_t stream);
// dx[o, r, i] = g[o, i] * exp(x[o, r, i] - out[o, i]).
void logsumexp_backward_cuda(float* dx, const float* g, const float* x, const float* out, int64_t outer,
                             int64_t reduced, int64_t inner, cudaStream_t stream);

// The first k in [0, n) with idx[k] outside [0, limit) and (when has_ignore) != ignore, or -1;
// *bad_value gets idx[k]. Waits for the result.
int64_t first_bad_index_cuda(const int32_t* idx,  // [n]
                             int64_t n, int64_t limit, bool has_ignore, int64_t ignore, int32_t* bad_value,
                             cudaStream_t stream);

// Whether no element is NaN or infinite. Waits for the result.
bool all_finite_cuda(const float* x, int64_t n, cudaStream_t stream);
// sum |x|^p in double (p > 0). Waits for the result.
double pow_sum_cuda(const float* x, int64_t n, double p, cudaStream_t stream);
// max |x| (NaN if any element is NaN, 0 for n = 0). Waits for the result.
double abs_max_cuda(const float* x, int64_t n, cudaStream_t stream);
// x[i] *= c.
void scale_in_place_cuda(float* x, int64_t n, float c, cudaStream_t stream);
// x[i] = clamp(x[i], lo, hi); NaN stays NaN.
void clamp_in_place_cuda(float* x, int64_t n, float lo, float hi, cudaStream_t stream);

// sum_i f(i) for the loss launchers (cuda/loss.cu): the per-block partials of a double sum, added
// in block order. Waits for the result.
double sum_partials_to_host_cuda(const double* partial, int64_t blocks, cudaStream_t stream);

}  // namespace tk

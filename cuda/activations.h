// Pointwise activations on the GPU, forward and backward, computing the per-element formulas of
// native/include/textkernels/math/activations.h (the CPU kernels' own), so both devices agree to
// the last bit wherever CUDA's expf/tanhf/erff/log1pf agree with glibc's (a few ulp otherwise).
// Pointers are device pointers; calls are asynchronous on `stream`.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tk {

enum class Activation : int {
  kSigmoid = 0,
  kTanh = 1,
  kRelu = 2,
  kGelu = 3,      // exact (erf), approximate='none'
  kGeluTanh = 4,  // approximate='tanh'
  kSoftplus = 5,  // beta 1, threshold 20 (PyTorch's defaults)
};

// Whether the backward reads the forward's output y (sigmoid, tanh, relu) rather than its input x.
bool activation_backward_uses_output(Activation op);

// y = op(x)
void activation_forward_cuda(Activation op,
                             float* y,        // [n]; may alias x
                             const float* x,  // [n]
                             int64_t n, cudaStream_t stream);

// dx = dy * op'(.) (relu: dy where y > 0, else 0), where op' reads y (activation_backward_uses_output) or x;
// the other may be null.
void activation_backward_cuda(Activation op,
                              float* dx,        // [n]; may alias dy
                              const float* dy,  // [n]
                              const float* x,   // [n] forward input, or null when unused
                              const float* y,   // [n] forward output, or null when unused
                              int64_t n, cudaStream_t stream);

}  // namespace tk

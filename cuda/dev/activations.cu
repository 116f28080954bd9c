/*
Pointwise activations (cuda/activations.h): forward and backward of sigmoid, tanh, relu, gelu,
gelu_tanh and softplus, all through one kernel templated on the op.

Compile (scripts/compile-cuda.sh builds every harness into build-cuda/compile-check/):
nvcc -O3 --fmad=false -std=c++17 -I. -Inative/include -Inative -arch=sm_80 \
    cuda/dev/activations.cu cuda/activations.cu -o dev_activations

version 0 runs the kernels' op structs (cuda/activations.cuh) on the CPU through the launchers'
enum -> op mapping: it checks the wiring (which of x and y each backward reads, relu's NaN and
select rules) on machines without a GPU, bit for bit
./dev_activations 0
version 1 is the library's kernel: grid-stride loop, one element per iteration
./dev_activations 1

The CPU reference evaluates math/activations.h on the host, as the CPU kernels do; inputs span
[-30, 30] plus +-inf and NaN so the softplus threshold, saturation and NaN propagation are covered.
Tolerance is a few ulp: CUDA's expf/tanhf/erff/log1pf are within 1-2 ulp of glibc's. Then each op's
forward over 16M values is timed (GB/s printed).
*/
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda/activations.cuh"
#include "cuda/activations.h"
#include "cuda/dev/dev_common.cuh"
#include "textkernels/math/activations.h"

using namespace tk;

// ---- CPU reference -------------------------------------------------------------------------------

float reference_forward(Activation op, float x) {
  switch (op) {
    case Activation::kSigmoid:
      return math::sigmoid(x);
    case Activation::kTanh:
      return math::tanh_fwd(x);
    case Activation::kRelu:
      return std::isnan(x) ? x : math::relu(x);
    case Activation::kGelu:
      return math::gelu(x);
    case Activation::kGeluTanh:
      return math::gelu_tanh(x);
    case Activation::kSoftplus:
      return math::softplus(x);
  }
  return NAN;
}

float reference_backward(Activation op, float dy, float x, float y) {
  switch (op) {
    case Activation::kSigmoid:
      return dy * math::sigmoid_grad_from_y(y);
    case Activation::kTanh:
      return dy * math::tanh_grad_from_y(y);
    case Activation::kRelu:
      return y <= 0.0f ? 0.0f : dy;
    case Activation::kGelu:
      return dy * math::gelu_grad(x);
    case Activation::kGeluTanh:
      return dy * math::gelu_tanh_grad(x);
    case Activation::kSoftplus:
      return dy * math::softplus_grad(x);
  }
  return NAN;
}

// Version 0: the kernels' loop bodies on the host.
void forward_emulated(Activation op, float* y, const float* x, size_t n) {
  cuda::activation_ops::with_op(op, [&](auto o) {
    for (size_t i = 0; i < n; ++i) y[i] = decltype(o)::fwd(x[i]);
  });
}
void backward_emulated(Activation op, float* dx, const float* dy, const float* x, const float* y, size_t n) {
  cuda::activation_ops::with_op(op, [&](auto o) {
    const float* saved = activation_backward_uses_output(op) ? y : x;
    for (size_t i = 0; i < n; ++i) dx[i] = decltype(o)::bwd(dy[i], saved[i]);
  });
}

int main(int argc, char** argv) {
  const int version = argc > 1 ? std::atoi(argv[1]) : 1;
  if (version != 0 && version != 1) {
    std::printf("usage: %s [0|1]\n", argv[0]);
    return 2;
  }
  if (version != 0 && !dev::require_device()) return 0;
  const char* names[] = {"sigmoid", "tanh", "relu", "gelu", "gelu_tanh", "softplus"};
  const size_t n = 100003;
  std::vector<float> x = dev::make_random_float(n, 7), dy = dev::make_random_float(n, 8);
  for (float& v : x) v *= 30.0f;
  x[0] = INFINITY, x[1] = -INFINITY, x[2] = NAN, x[3] = 0.0f, x[4] = -0.0f, x[5] = 20.0f, x[6] = 20.000002f;
  float *dx_in = nullptr, *ddy = nullptr, *dy_out = nullptr, *dgrad = nullptr;
  if (version != 0) {
    dx_in = dev::to_device(x), ddy = dev::to_device(dy);
    cudaCheck(cudaMalloc(&dy_out, n * sizeof(float)));
    cudaCheck(cudaMalloc(&dgrad, n * sizeof(float)));
  }
  size_t bad = 0;
  for (int o = 0; o < 6; ++o) {
    const Activation op = Activation(o);
    std::vector<float> want_y(n), want_dx(n), got_y(n), got_dx(n);
    for (size_t i = 0; i < n; ++i) want_y[i] = reference_forward(op, x[i]);
    for (size_t i = 0; i < n; ++i) want_dx[i] = reference_backward(op, dy[i], x[i], want_y[i]);
    if (version == 0) {
      forward_emulated(op, got_y.data(), x.data(), n);
      backward_emulated(op, got_dx.data(), dy.data(), x.data(), got_y.data(), n);
    } else {
      activation_forward_cuda(op, dy_out, dx_in, int64_t(n), nullptr);
      // The backward reads the GPU's own y, as it will in training.
      activation_backward_cuda(op, dgrad, ddy, dx_in, dy_out, int64_t(n), nullptr);
      cudaCheck(cudaDeviceSynchronize());
      got_y = dev::to_host(dy_out, n);
      got_dx = dev::to_host(dgrad, n);
    }
    // On the host the op structs call the same libm as the reference: exact.
    const float tol = version == 0 ? 0.0f : 1.0f;
    char name[64];
    std::snprintf(name, sizeof name, "v%d %s forward", version, names[o]);
    bad += dev::validate_result(got_y, want_y, name, 1e-6f * tol, 4e-7f * tol);
    std::snprintf(name, sizeof name, "v%d %s backward", version, names[o]);
    bad += dev::validate_result(got_dx, want_dx, name, 1e-6f * tol, 1e-6f * tol);
  }
  if (bad) {
    std::printf("validation FAILED\n");
    return 1;
  }
  if (version == 0) {
    std::printf("version 0 (CPU emulation of the activation kernels): all cases OK\n");
    return 0;
  }
  const int64_t big = 16 << 20;
  float *bx = nullptr, *by = nullptr;
  cudaCheck(cudaMalloc(&bx, big * sizeof(float)));
  cudaCheck(cudaMalloc(&by, big * sizeof(float)));
  cudaCheck(cudaMemset(bx, 0, big * sizeof(float)));
  for (int o = 0; o < 6; ++o) {
    float ms =
        dev::benchmark_kernel(20, [&] { activation_forward_cuda(Activation(o), by, bx, big, nullptr); });
    std::printf("%-9s forward, %lld values: %.3f ms, %.1f GB/s\n", names[o], (long long)big, ms,
                big * 8.0 / (ms * 1e-3) / 1e9);
  }
  for (float* p : {dx_in, ddy, dy_out, dgrad, bx, by}) cudaCheck(cudaFree(p));
  return 0;
}

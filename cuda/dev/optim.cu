/*
Fused optimizer updates (cuda/optim.h): Adam / AdamW (with amsgrad, maximize) and SGD (momentum,
dampening, nesterov, weight decay, maximize), one grid-stride kernel each over math/optim.h.

Compile (scripts/compile-cuda.sh builds every harness into build-cuda/compile-check/):
nvcc -O3 --fmad=false -std=c++17 -I. -Inative/include -Inative -arch=sm_80 \
    cuda/dev/optim.cu cuda/optim.cu -o dev_optim

version 0 runs the kernels' grid-stride loops on the CPU (a small grid, so every thread takes several
strides), checking the index mapping and the amsgrad / momentum wiring against a plain loop
./dev_optim 0
version 1 is the library's kernels on the GPU
./dev_optim 1

The reference is math/optim.h evaluated on the host, element by element, for several steps with the
scalars made as binding/optim_args.h makes them (doubles rounded to float where torch converts them).
The rules use only +, *, /, fmaf and sqrtf, which CUDA rounds correctly without --use_fast_math, so
both versions must match the reference to the bit (NaN, inf and -0 gradients included). Then one
Adam and one SGD step over 16M parameters are timed (GB/s of the bytes each step reads and writes).
*/
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cuda/dev/dev_common.cuh"
#include "cuda/optim.h"
#include "textkernels/math/optim.h"

using namespace tk;

// binding/optim_args.h's scalars (that header reads them from JS arguments).
math::AdamScalars adam_scalars(double lr, double beta1, double beta2, double eps, double wd, int64_t step,
                               bool amsgrad, bool maximize, bool decoupled) {
  const double bc1 = 1 - std::pow(beta1, double(step));
  const double bc2 = 1 - std::pow(beta2, double(step));
  math::AdamScalars s;
  s.weight_decay = float(wd);
  s.decay_factor = float(1 - lr * wd);
  s.one_minus_beta1 = float(1 - beta1);
  s.beta2 = float(beta2);
  s.one_minus_beta2 = float(1 - beta2);
  s.bias_corr2_sqrt = float(std::pow(bc2, 0.5));
  s.eps = float(eps);
  s.neg_step_size = float(-(lr / bc1));
  s.l2 = wd != 0 && !decoupled;
  s.decoupled = wd != 0 && decoupled;
  s.amsgrad = amsgrad;
  s.maximize = maximize;
  return s;
}

math::SgdScalars sgd_scalars(double lr, double momentum, double dampening, double wd, bool nesterov,
                             bool maximize, bool first) {
  math::SgdScalars s;
  s.weight_decay = float(wd);
  s.momentum = float(momentum);
  s.one_minus_dampening = float(1 - dampening);
  s.neg_lr = float(-lr);
  s.has_weight_decay = wd != 0;
  s.has_momentum = momentum != 0;
  s.first_step = first;
  s.nesterov = nesterov;
  s.maximize = maximize;
  return s;
}

// Version 0: the kernels' loops, thread by thread, on a grid of `blocks` x 256.
void adam_emulated(float* p, float* m, float* v, float* vmax, const float* g, const math::AdamScalars& s,
                   int64_t n, unsigned blocks) {
  for (unsigned b = 0; b < blocks; ++b)
    for (unsigned t = 0; t < 256; ++t)
      for (int64_t i = int64_t(b) * 256 + t; i < n; i += int64_t(blocks) * 256)
        math::adam_update(p + i, g[i], m + i, v + i, s.amsgrad ? vmax + i : nullptr, s);
}
void sgd_emulated(float* p, float* buf, const float* g, const math::SgdScalars& s, int64_t n,
                  unsigned blocks) {
  for (unsigned b = 0; b < blocks; ++b)
    for (unsigned t = 0; t < 256; ++t)
      for (int64_t i = int64_t(b) * 256 + t; i < n; i += int64_t(blocks) * 256)
        math::sgd_update(p + i, g[i], s.has_momentum ? buf + i : nullptr, s);
}

// Bit-for-bit comparison (NaN payloads aside).
size_t compare_bits(const std::vector<float>& got, const std::vector<float>& want, const char* name) {
  size_t bad = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const bool same = (std::isnan(got[i]) && std::isnan(want[i])) || std::memcmp(&got[i], &want[i], 4) == 0;
    if (!same && bad++ < 5)
      std::printf("  %s differs at %zu: got %.9g, want %.9g\n", name, i, got[i], want[i]);
  }
  if (bad) std::printf("%s: FAIL (%zu of %zu differ)\n", name, bad, want.size());
  return bad;
}

struct AdamCase {
  double lr, beta1, beta2, eps, wd;
  bool amsgrad, maximize, decoupled;
};
struct SgdCase {
  double lr, momentum, dampening, wd;
  bool nesterov, maximize;
};

int main(int argc, char** argv) {
  const int version = argc > 1 ? std::atoi(argv[1]) : 1;
  if (version != 0 && version != 1) {
    std::printf("usage: %s [0|1]\n", argv[0]);
    return 2;
  }
  if (version != 0 && !dev::require_device()) return 0;
  const size_t n = 100003;
  const int steps = 3;
  std::vector<float> p0 = dev::make_random_float(n, 3);
  std::vector<std::vector<float>> grads;
  for (int k = 0; k < steps; ++k) {
    grads.push_back(dev::make_random_float(n, 10 + k));
    grads[k][0] = NAN, grads[k][1] = INFINITY, grads[k][2] = -0.0f, grads[k][3] = 1e30f;
  }
  size_t bad = 0;
  const AdamCase adam_cases[] = {{1e-3, 0.9, 0.999, 1e-8, 0, false, false, false},
                                 {1e-2, 0.8, 0.95, 1e-6, 0.05, false, false, false},
                                 {1e-2, 0.9, 0.999, 1e-8, 0, true, true, false},
                                 {2e-2, 0.9, 0.999, 1e-8, 0.1, true, false, true}};
  for (const AdamCase& c : adam_cases) {
    std::vector<float> p = p0, m(n, 0.0f), v(n, 0.0f), vmax(n, 0.0f);
    std::vector<float> rp = p0, rm(n, 0.0f), rv(n, 0.0f), rvmax(n, 0.0f);
    float *dp = nullptr, *dm = nullptr, *dv = nullptr, *dvmax = nullptr, *dg = nullptr;
    if (version == 1)
      dp = dev::to_device(p), dm = dev::to_device(m), dv = dev::to_device(v), dvmax = dev::to_device(vmax);
    for (int k = 0; k < steps; ++k) {
      const math::AdamScalars s =
          adam_scalars(c.lr, c.beta1, c.beta2, c.eps, c.wd, k + 1, c.amsgrad, c.maximize, c.decoupled);
      for (size_t i = 0; i < n; ++i)
        math::adam_update(&rp[i], grads[k][i], &rm[i], &rv[i], c.amsgrad ? &rvmax[i] : nullptr, s);
      if (version == 0) {
        adam_emulated(p.data(), m.data(), v.data(), vmax.data(), grads[k].data(), s, int64_t(n), 7);
      } else {
        dg = dev::to_device(grads[k]);
        adam_update_cuda(dp, dm, dv, c.amsgrad ? dvmax : nullptr, dg, s, int64_t(n), nullptr);
        cudaCheck(cudaDeviceSynchronize());
        cudaCheck(cudaFree(dg));
      }
    }
    if (version == 1) {
      p = dev::to_host(dp, n), m = dev::to_host(dm, n), v = dev::to_host(dv, n),
      vmax = dev::to_host(dvmax, n);
      for (float* d : {dp, dm, dv, dvmax}) cudaCheck(cudaFree(d));
    }
    char name[96];
    std::snprintf(name, sizeof name, "v%d adam lr=%g wd=%g amsgrad=%d maximize=%d decoupled=%d", version,
                  c.lr, c.wd, c.amsgrad, c.maximize, c.decoupled);
    size_t b = compare_bits(p, rp, name) + compare_bits(m, rm, name) + compare_bits(v, rv, name) +
               (c.amsgrad ? compare_bits(vmax, rvmax, name) : 0);
    if (!b) std::printf("%s: OK (bit-identical)\n", name);
    bad += b;
  }
  const SgdCase sgd_cases[] = {{0.1, 0, 0, 0, false, false},
                               {0.05, 0.9, 0.3, 0.01, false, false},
                               {0.05, 0.8, 0, 0.02, true, false},
                               {0.05, 0.5, 0, 0, false, true}};
  for (const SgdCase& c : sgd_cases) {
    std::vector<float> p = p0, buf(n, 0.0f), rp = p0, rbuf(n, 0.0f);
    float *dp = nullptr, *dbuf = nullptr, *dg = nullptr;
    if (version == 1) dp = dev::to_device(p), dbuf = dev::to_device(buf);
    for (int k = 0; k < steps; ++k) {
      const math::SgdScalars s =
          sgd_scalars(c.lr, c.momentum, c.dampening, c.wd, c.nesterov, c.maximize, k == 0);
      for (size_t i = 0; i < n; ++i)
        math::sgd_update(&rp[i], grads[k][i], s.has_momentum ? &rbuf[i] : nullptr, s);
      if (version == 0) {
        sgd_emulated(p.data(), buf.data(), grads[k].data(), s, int64_t(n), 7);
      } else {
        dg = dev::to_device(grads[k]);
        sgd_update_cuda(dp, s.has_momentum ? dbuf : nullptr, dg, s, int64_t(n), nullptr);
        cudaCheck(cudaDeviceSynchronize());
        cudaCheck(cudaFree(dg));
      }
    }
    if (version == 1) {
      p = dev::to_host(dp, n), buf = dev::to_host(dbuf, n);
      for (float* d : {dp, dbuf}) cudaCheck(cudaFree(d));
    }
    char name[96];
    std::snprintf(name, sizeof name, "v%d sgd lr=%g momentum=%g nesterov=%d maximize=%d", version, c.lr,
                  c.momentum, c.nesterov, c.maximize);
    size_t b = compare_bits(p, rp, name) + (c.momentum != 0 ? compare_bits(buf, rbuf, name) : 0);
    if (!b) std::printf("%s: OK (bit-identical)\n", name);
    bad += b;
  }
  if (bad) {
    std::printf("validation FAILED\n");
    return 1;
  }
  if (version == 0) {
    std::printf("version 0 (CPU emulation of the optimizer kernels): all cases OK\n");
    return 0;
  }
  const int64_t big = 16 << 20;
  float *bp = nullptr, *bm = nullptr, *bv = nullptr, *bg = nullptr;
  for (float** d : {&bp, &bm, &bv, &bg}) {
    cudaCheck(cudaMalloc(d, big * sizeof(float)));
    cudaCheck(cudaMemset(*d, 0, big * sizeof(float)));
  }
  const math::AdamScalars as = adam_scalars(1e-3, 0.9, 0.999, 1e-8, 0, 1, false, false, false);
  float ms = dev::benchmark_kernel(20, [&] { adam_update_cuda(bp, bm, bv, nullptr, bg, as, big, nullptr); });
  std::printf("adam step, %lld parameters: %.3f ms, %.1f GB/s\n", (long long)big, ms,
              big * 28.0 / (ms * 1e-3) / 1e9);
  const math::SgdScalars ss = sgd_scalars(0.1, 0.9, 0, 0, false, false, false);
  ms = dev::benchmark_kernel(20, [&] { sgd_update_cuda(bp, bm, bg, ss, big, nullptr); });
  std::printf("sgd step (momentum), %lld parameters: %.3f ms, %.1f GB/s\n", (long long)big, ms,
              big * 20.0 / (ms * 1e-3) / 1e9);
  for (float* d : {bp, bm, bv, bg}) cudaCheck(cudaFree(d));
  return 0;
}

/*
Broadcasting pointwise kernels (cuda/elementwise.h): binary ops over strided operands, the unary ops,
and sum_to_shape (the reduction of a broadcast gradient).

Compile (scripts/compile-cuda.sh builds every harness into build-cuda/compile-check/):
nvcc -O3 --fmad=false -std=c++17 -I. -Inative/include -Inative -arch=sm_80 \
    cuda/dev/elementwise.cu cuda/elementwise.cu -o dev_elementwise

version 0 runs the kernels' own per-thread code (cuda/elementwise.cuh: the merged broadcast plan,
plan_offsets, the reduce plan and dims_offset, the op structs) on the CPU against a naive reference
that walks the unmerged multi-index: it checks the plan merging (size-1 dims, contiguous runs,
broadcast dims, a scalar) and the reduction's index math, bit for bit
./dev_elementwise 0
version 1 runs the launchers on the GPU against the same reference (a few ulp: device libm), then
times a contiguous add, a row-broadcast add, and a [4096, 1024] -> [1024] sum_to_shape
./dev_elementwise 1
*/
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cuda/dev/dev_common.cuh"
#include "cuda/elementwise.cuh"
#include "cuda/elementwise.h"

using namespace tk;
using namespace tk::cuda::elementwise;

namespace {

struct Case {
  std::vector<int64_t> shape, a_shape, b_shape;  // operands' shapes, right-aligned against `shape`
};

std::vector<int64_t> strides_for(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  std::vector<int64_t> s(out.size(), 0);
  int64_t acc = 1;
  for (size_t i = in.size(); i-- > 0;) {
    s[out.size() - in.size() + i] = in[i] == 1 ? 0 : acc;
    acc *= in[i];
  }
  return s;
}

int64_t numel(const std::vector<int64_t>& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// The offset of element i in an operand with `strides` over `shape`, by the unmerged multi-index.
int64_t naive_offset(const std::vector<int64_t>& shape, const std::vector<int64_t>& strides, int64_t i) {
  int64_t off = 0;
  for (size_t d = shape.size(); d-- > 0;) {
    off += (i % shape[d]) * strides[d];
    i /= shape[d];
  }
  return off;
}

float reference_binary(BinaryOp op, float x, float y) {
  switch (op) {
    case BinaryOp::kAdd:
      return x + y;
    case BinaryOp::kMul:
      return x * y;
    case BinaryOp::kMaximum:
      return std::isnan(x) || std::isnan(y) ? NAN : (x > y ? x : y);
    default:
      return NAN;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int version = argc > 1 ? std::atoi(argv[1]) : 1;
  if (version != 0 && version != 1) {
    std::printf("usage: %s [0|1]\n", argv[0]);
    return 2;
  }
  if (version != 0 && !dev::require_device()) return 0;
  const std::vector<Case> cases = {
      {{1031}, {1031}, {1031}},
      {{1031}, {1031}, {}},
      {{3, 1, 5}, {3, 1, 5}, {5}},
      {{4, 3, 5}, {4, 1, 5}, {3, 1}},
      {{2, 3, 4, 5}, {3, 4, 5}, {2, 1, 4, 1}},
      {{7, 1, 1, 9}, {7, 1, 1, 1}, {9}},
      {{5, 6}, {5, 1}, {1, 6}},
  };
  size_t bad = 0;
  for (const Case& c : cases) {
    const int64_t n = numel(c.shape);
    std::vector<float> a = dev::make_random_float(size_t(numel(c.a_shape)), 3);
    std::vector<float> b = dev::make_random_float(size_t(numel(c.b_shape)), 5);
    const std::vector<int64_t> as = strides_for(c.a_shape, c.shape), bs = strides_for(c.b_shape, c.shape);
    for (BinaryOp op : {BinaryOp::kAdd, BinaryOp::kMul, BinaryOp::kMaximum}) {
      std::vector<float> want(static_cast<size_t>(n)), got(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        want[size_t(i)] = reference_binary(op, a[size_t(naive_offset(c.shape, as, i))],
                                           b[size_t(naive_offset(c.shape, bs, i))]);
      if (version == 0) {
        const int64_t* st[2] = {as.data(), bs.data()};
        const Plan<2> p = make_plan<2>(int(c.shape.size()), c.shape.data(), st);
        for (int64_t i = 0; i < n; ++i) {
          int64_t off[2];
          plan_offsets(p, i, off);
          const float x = a[size_t(off[0])], y = b[size_t(off[1])];
          got[size_t(i)] = op == BinaryOp::kAdd   ? AddOp{1.0f}(x, y)
                           : op == BinaryOp::kMul ? MulOp{}(x, y)
                                                  : MaximumOp{}(x, y);
        }
      } else {
        float *da = dev::to_device(a), *db = dev::to_device(b), *dout = nullptr;
        cudaCheck(cudaMalloc(&dout, size_t(n) * sizeof(float)));
        binary_forward_cuda(op, dout, da, db, int(c.shape.size()), c.shape.data(), as.data(), bs.data(), 1.0f,
                            nullptr);
        got = dev::to_host(dout, size_t(n));
        for (float* p : {da, db, dout}) cudaCheck(cudaFree(p));
      }
      char name[96];
      std::snprintf(name, sizeof name, "v%d binary op %d over rank %zu", version, int(op), c.shape.size());
      bad += dev::validate_result(got, want, name, 0.0f, 0.0f);
    }
    // sum_to_shape from `shape` to b's shape: the reduction of b's broadcast gradient.
    std::vector<float> g = dev::make_random_float(size_t(n), 9);
    std::vector<int64_t> out_shape(c.shape.size() - c.b_shape.size(), 1);
    out_shape.insert(out_shape.end(), c.b_shape.begin(), c.b_shape.end());
    const int64_t m = numel(c.b_shape);
    std::vector<double> acc(static_cast<size_t>(m), 0.0);
    for (int64_t i = 0; i < n; ++i) acc[size_t(naive_offset(c.shape, bs, i))] += double(g[size_t(i)]);
    std::vector<float> want(static_cast<size_t>(m)), got(static_cast<size_t>(m));
    for (int64_t j = 0; j < m; ++j) want[size_t(j)] = float(acc[size_t(j)]);
    if (version == 0) {
      const ReducePlan p = make_reduce_plan(int(c.shape.size()), c.shape.data(), out_shape.data());
      for (int64_t o = 0; o < p.n_out; ++o) {
        const float* base = g.data() + dims_offset(p.kept_rank, p.kept_shape, p.kept_stride, o);
        double s = 0.0;
        for (int64_t r = 0; r < p.n_red; ++r)
          s += double(base[dims_offset(p.red_rank, p.red_shape, p.red_stride, r)]);
        got[size_t(o)] = float(s);
      }
    } else {
      float *dg = dev::to_device(g), *dout = nullptr;
      cudaCheck(cudaMalloc(&dout, size_t(m) * sizeof(float) + 1));
      sum_to_shape_cuda(dout, dg, int(c.shape.size()), c.shape.data(), out_shape.data(), nullptr);
      got = dev::to_host(dout, size_t(m));
      for (float* p : {dg, dout}) cudaCheck(cudaFree(p));
    }
    char name[96];
    std::snprintf(name, sizeof name, "v%d sum_to_shape over rank %zu", version, c.shape.size());
    // The reference adds in index order; the kernels in plan order (the block kernel as a tree).
    bad += dev::validate_result(got, want, name, 1e-6f, 1e-6f);
  }
  // The unary ops' wiring: each op struct against its math function at a few points.
  {
    const std::vector<float> x = {-2.5f, -0.0f, 0.0f, 0.3f, 1.0f, 4.0f, NAN, INFINITY};
    std::vector<float> want, got(x.size());
    for (float v : x) want.push_back(v != v ? v : math::relu(v));
    if (version == 0) {
      for (size_t i = 0; i < x.size(); ++i) got[i] = unary_fwd<int(UnaryOp::kRelu)>(x[i], 0.0f, 0.0f);
    } else {
      float *dx = dev::to_device(x), *dy = nullptr;
      cudaCheck(cudaMalloc(&dy, x.size() * sizeof(float)));
      unary_forward_cuda(UnaryOp::kRelu, dy, dx, int64_t(x.size()), 0.0f, 0.0f, nullptr);
      got = dev::to_host(dy, x.size());
      for (float* p : {dx, dy}) cudaCheck(cudaFree(p));
    }
    bad += dev::validate_result(got, want, "relu (NaN kept)", 0.0f, 0.0f);
  }
  if (bad) {
    std::printf("validation FAILED\n");
    return 1;
  }
  if (version == 0) {
    std::printf("version 0 (CPU emulation of the elementwise kernels): all cases OK\n");
    return 0;
  }
  const int64_t rows = 4096, cols = 1024, big = rows * cols;
  float *x = nullptr, *y = nullptr, *out = nullptr;
  cudaCheck(cudaMalloc(&x, big * sizeof(float)));
  cudaCheck(cudaMalloc(&y, big * sizeof(float)));
  cudaCheck(cudaMalloc(&out, big * sizeof(float)));
  cudaCheck(cudaMemset(x, 0, big * sizeof(float)));
  cudaCheck(cudaMemset(y, 0, big * sizeof(float)));
  const int64_t shape[2] = {rows, cols}, full[2] = {cols, 1}, row[2] = {0, 1}, bias[2] = {1, cols};
  float ms = dev::benchmark_kernel(
      20, [&] { binary_forward_cuda(BinaryOp::kAdd, out, x, y, 2, shape, full, full, 1.0f, nullptr); });
  std::printf("add [%lld, %lld] contiguous: %.3f ms, %.1f GB/s\n", (long long)rows, (long long)cols, ms,
              big * 12.0 / (ms * 1e-3) / 1e9);
  ms = dev::benchmark_kernel(
      20, [&] { binary_forward_cuda(BinaryOp::kAdd, out, x, y, 2, shape, full, row, 1.0f, nullptr); });
  std::printf("add [%lld, %lld] + [%lld]: %.3f ms, %.1f GB/s\n", (long long)rows, (long long)cols,
              (long long)cols, ms, big * 8.0 / (ms * 1e-3) / 1e9);
  ms = dev::benchmark_kernel(20, [&] { sum_to_shape_cuda(out, x, 2, shape, bias, nullptr); });
  std::printf("sum_to_shape [%lld, %lld] -> [%lld]: %.3f ms, %.1f GB/s\n", (long long)rows, (long long)cols,
              (long long)cols, ms, big * 4.0 / (ms * 1e-3) / 1e9);
  for (float* p : {x, y, out}) cudaCheck(cudaFree(p));
  return 0;
}

#include "kernels/random.h"

#include "kernels/thread_pool.h"
#include "textkernels/math/philox.h"

namespace tk {
namespace {

// One stream for every fill: fills never overlap because the caller advances its offset.
constexpr uint64_t kStream = 0;

// Calls emit(block, Philox4) for blocks [0, ceil(n/4)) in parallel; emit writes up to 4 values.
template <typename Emit>
void for_each_block(int64_t n, uint64_t seed, uint64_t offset, uint64_t stream, Emit emit) {
  int64_t blocks = int64_t(random_blocks(n));
  parallel_for(blocks, 4096, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) emit(b, math::philox4x32_10(seed, offset + uint64_t(b), stream));
  });
}

}  // namespace

void random_uniform_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float low, float high) {
  float span = high - low;
  for_each_block(n, seed, offset, kStream, [&](int64_t b, const math::Philox4& r) {
    for (int lane = 0; lane < 4; ++lane) {
      int64_t i = b * 4 + lane;
      if (i < n) out[i] = low + span * math::uint_to_unit_float(r.v[lane]);
    }
  });
}

void random_normal_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  for_each_block(n, seed, offset, kStream, [&](int64_t b, const math::Philox4& r) {
    float z[4];
    math::box_muller(r.v[0], r.v[1], &z[0], &z[1]);
    math::box_muller(r.v[2], r.v[3], &z[2], &z[3]);
    for (int lane = 0; lane < 4; ++lane) {
      int64_t i = b * 4 + lane;
      if (i < n) out[i] = mean + std * z[lane];
    }
  });
}

void random_bernoulli_mask_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float p, float scale) {
  for_each_block(n, seed, offset, kStream, [&](int64_t b, const math::Philox4& r) {
    for (int lane = 0; lane < 4; ++lane) {
      int64_t i = b * 4 + lane;
      if (i < n) out[i] = math::uint_to_unit_float(r.v[lane]) >= p ? scale : 0.0f;
    }
  });
}

void random_uint32_cpu(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset) {
  for_each_block(n, seed, offset, kStream, [&](int64_t b, const math::Philox4& r) {
    for (int lane = 0; lane < 4; ++lane) {
      int64_t i = b * 4 + lane;
      if (i < n) out[i] = r.v[lane];
    }
  });
}

}  // namespace tk

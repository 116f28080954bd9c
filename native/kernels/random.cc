#include "kernels/random.h"

#include <algorithm>

#include "kernels/cpu_features.h"
#include "kernels/thread_pool.h"
#include "textkernels/math/philox.h"

namespace tk {

void philox_blocks(uint32_t* out, uint64_t seed, uint64_t first, int64_t count, uint64_t stream) {
  int64_t done = 0;
#if defined(TK_HAVE_X86_KERNELS)
  if (simd_level() >= SimdLevel::kAvx2) done = isa::philox_blocks_avx2(out, seed, first, count, stream);
#endif
  for (int64_t b = done; b < count; ++b) {
    math::Philox4 r = math::philox4x32_10(seed, first + uint64_t(b), stream);
    for (int lane = 0; lane < 4; ++lane) out[4 * b + lane] = r.v[lane];
  }
}

void philox_words(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset, uint64_t first_word,
                  uint64_t stream) {
  // Words first_word .. first_word + n - 1 of the stream starting at block `offset`; word w is lane
  // w % 4 of block offset + w / 4. Generated a chunk of whole blocks at a time.
  constexpr int64_t kChunkBlocks = 64;
  uint32_t buf[4 * kChunkBlocks];
  int64_t i = 0;
  while (i < n) {
    uint64_t w = first_word + uint64_t(i);
    uint64_t block = w >> 2;
    int64_t skip = int64_t(w & 3);
    int64_t blocks = std::min<int64_t>(kChunkBlocks, (skip + (n - i) + 3) / 4);
    philox_blocks(buf, seed, offset + block, blocks, stream);
    int64_t take = std::min<int64_t>(n - i, 4 * blocks - skip);
    std::copy(buf + skip, buf + skip + take, out + i);
    i += take;
  }
}

namespace {

// One stream for every fill: fills never overlap because the caller advances its offset.
constexpr uint64_t kStream = 0;

// Calls emit(i0, words, count) over [0, n) in parallel (emit captures by value and writes through
// restrict pointers, so that its loop vectorises), with words[k] the Philox word of element
// i0 + k (lane (i0 + k) % 4 of block offset + (i0 + k) / 4); chunks start on block boundaries.
template <typename Emit>
void for_each_chunk(int64_t n, uint64_t seed, uint64_t offset, Emit emit) {
  constexpr int64_t kChunk = 1024;  // words, a multiple of 4 and of 32 (eight blocks)
  int64_t chunks = (n + kChunk - 1) / kChunk;
  parallel_for(chunks, 16, [&](int64_t c0, int64_t c1) {
    uint32_t buf[kChunk];
    for (int64_t c = c0; c < c1; ++c) {
      int64_t i0 = c * kChunk, count = std::min(kChunk, n - i0);
      philox_blocks(buf, seed, offset + uint64_t(i0 / 4), (count + 3) / 4, kStream);
      emit(i0, buf, count);
    }
  });
}

}  // namespace

void random_uniform_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float low, float high) {
  const float span = high - low;
  for_each_chunk(n, seed, offset, [=](int64_t i0, const uint32_t* __restrict w, int64_t count) {
    float* __restrict o = out + i0;
    for (int64_t k = 0; k < count; ++k) o[k] = low + span * math::uint_to_unit_float(w[k]);
  });
}

void random_normal_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std) {
  // Box-Muller on the pairs (lane 0, lane 1) and (lane 2, lane 3) of each block.
  for_each_chunk(n, seed, offset, [&](int64_t i0, const uint32_t* w, int64_t count) {
    for (int64_t k = 0; k < count; k += 4) {
      float z[4];
      math::box_muller(w[k], w[k + 1], &z[0], &z[1]);
      math::box_muller(w[k + 2], w[k + 3], &z[2], &z[3]);
      for (int lane = 0; lane < 4 && k + lane < count; ++lane) out[i0 + k + lane] = mean + std * z[lane];
    }
  });
}

void random_bernoulli_mask_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float p, float scale) {
  for_each_chunk(n, seed, offset, [=](int64_t i0, const uint32_t* __restrict w, int64_t count) {
    float* __restrict o = out + i0;
    for (int64_t k = 0; k < count; ++k) o[k] = math::uint_to_unit_float(w[k]) >= p ? scale : 0.0f;
  });
}

void random_uint32_cpu(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset) {
  for_each_chunk(n, seed, offset,
                 [&](int64_t i0, const uint32_t* w, int64_t count) { std::copy(w, w + count, out + i0); });
}

}  // namespace tk

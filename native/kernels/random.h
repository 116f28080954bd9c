// Seeded fills on Philox4x32-10 (see math/philox.h). `offset` is the generator's block counter;
// each fill of n values consumes ceil(n / 4) blocks, which the caller adds to its offset.
#pragma once
#include <cstdint>

namespace tk {

// out[i] = low + (high - low) * U[0,1)
void random_uniform_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float low, float high);
// out[i] = mean + std * N(0,1)
void random_normal_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float mean, float std);
// out[i] = U[0,1) >= p ? scale : 0, the mask inverted dropout multiplies by.
void random_bernoulli_mask_cpu(float* out, int64_t n, uint64_t seed, uint64_t offset, float p, float scale);
// Raw 32-bit words, for integer sampling (shuffles, negative draws) on the JS side.
void random_uint32_cpu(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset);

inline uint64_t random_blocks(int64_t n) { return uint64_t((n + 3) / 4); }

// Philox blocks first .. first + count - 1 of (seed, stream), four words each, block after block:
// out[4 * j + lane]. Eight blocks at a time with AVX2 where the CPU has it; the same words either way.
void philox_blocks(uint32_t* out, uint64_t seed, uint64_t first, int64_t count, uint64_t stream);
// n consecutive words starting at word `first_word` of the sequence whose block 0 is `offset`: word w
// is lane w % 4 of block offset + w / 4 (the layout of every fill, and of attention's dropout).
void philox_words(uint32_t* out, int64_t n, uint64_t seed, uint64_t offset, uint64_t first_word,
                  uint64_t stream);

namespace isa {
// Fills whole groups of eight blocks and returns how many blocks it wrote (count rounded down to 8);
// call only when simd_level() >= kAvx2.
int64_t philox_blocks_avx2(uint32_t* out, uint64_t seed, uint64_t first, int64_t count, uint64_t stream);
}  // namespace isa

}  // namespace tk

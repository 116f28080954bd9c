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

}  // namespace tk

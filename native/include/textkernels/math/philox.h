// Philox4x32-10 (Salmon et al., SC'11): a counter-based generator. A random number is a pure
// function of (seed, stream, counter), so a tensor fill gives the same values whatever the thread
// count or device, a generator's state is two integers (seed, offset) that save with a checkpoint,
// and the CUDA kernels draw the same numbers as the CPU ones.
//
// Layout: key = seed (64 bits); counter = (block index: 64 bits, stream: 64 bits). Element i of a
// fill that starts at `offset` takes lane i % 4 of block offset + i / 4.
#pragma once
#include "textkernels/math/common.h"

namespace tk::math {

struct Philox4 {
  uint32_t v[4];
};

TK_HD uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = uint64_t(a) * uint64_t(b);
  *hi = uint32_t(p >> 32);
  return uint32_t(p);
}

TK_HD Philox4 philox4x32_10(uint64_t seed, uint64_t block, uint64_t stream) {
  const uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u, kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  uint32_t c0 = uint32_t(block), c1 = uint32_t(block >> 32), c2 = uint32_t(stream),
           c3 = uint32_t(stream >> 32);
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    uint32_t lo0 = philox_mulhilo(kM0, c0, &hi0);
    uint32_t lo1 = philox_mulhilo(kM1, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  Philox4 out = {{c0, c1, c2, c3}};
  return out;
}

// [0, 1) with 24 random bits: every value is exactly representable as a float.
// (Through int32: the value is below 2^24 either way, and a signed conversion vectorises.)
TK_HD float uint_to_unit_float(uint32_t x) { return float(int32_t(x >> 8)) * (1.0f / 16777216.0f); }

// Box-Muller on a pair of uniforms; u1 is mapped to (0, 1] so the log is finite.
TK_HD void box_muller(uint32_t a, uint32_t b, float* z0, float* z1) {
  const float kTwoPi = 6.283185307179586f;
  float u1 = 1.0f - uint_to_unit_float(a);
  float u2 = uint_to_unit_float(b);
  float r = sqrtf(-2.0f * logf(u1));
  float theta = kTwoPi * u2;
  *z0 = r * cosf(theta);
  *z1 = r * sinf(theta);
}

}  // namespace tk::math

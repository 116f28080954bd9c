// Which SIMD level the kernels run at. Detected once from the CPU; TEXTKERNELS_SIMD
// (avx512|avx2|sse2|scalar) caps it, so tests and benchmarks can run every path on one machine.
#pragma once

namespace tk {

enum class SimdLevel : int { kScalar = 0, kSse2 = 1, kNeon = 1, kAvx2 = 2, kAvx512 = 3 };

// The level in force (detected, then capped by the environment and set_simd_level).
SimdLevel simd_level();
// The best level this CPU and this build support.
SimdLevel simd_level_supported();
// Caps the level (at most the supported one); returns the level now in force.
SimdLevel set_simd_level(SimdLevel requested);
const char* simd_level_name(SimdLevel level);
// Parses a name as above; returns false for an unknown one.
bool parse_simd_level(const char* name, SimdLevel* out);

}  // namespace tk

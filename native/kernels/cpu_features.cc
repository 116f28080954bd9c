#include "kernels/cpu_features.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace tk {
namespace {

SimdLevel detect() {
#if defined(__x86_64__) && defined(TK_HAVE_X86_KERNELS)
  __builtin_cpu_init();
  // AVX-512 kernels use F, DQ, BW and VL; each must be present and enabled by the OS.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
    return SimdLevel::kAvx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::kAvx2;
  return SimdLevel::kSse2;
#elif defined(__x86_64__)
  return SimdLevel::kSse2;
#elif defined(__aarch64__)
  return SimdLevel::kNeon;
#else
  return SimdLevel::kScalar;
#endif
}

SimdLevel initial() {
  SimdLevel level = detect();
  if (const char* env = std::getenv("TEXTKERNELS_SIMD")) {
    SimdLevel cap;
    if (parse_simd_level(env, &cap) && cap < level) level = cap;
  }
  return level;
}

std::atomic<int>& current() {
  static std::atomic<int> level{int(initial())};
  return level;
}

}  // namespace

SimdLevel simd_level_supported() {
  static const SimdLevel supported = detect();
  return supported;
}

SimdLevel simd_level() { return SimdLevel(current().load(std::memory_order_relaxed)); }

SimdLevel set_simd_level(SimdLevel requested) {
  SimdLevel s = simd_level_supported();
  current().store(int(requested < s ? requested : s));
  return simd_level();
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kAvx512:
      return "avx512";
    case SimdLevel::kAvx2:
      return "avx2";
    case SimdLevel::kSse2:
#if defined(__aarch64__)
      return "neon";
#else
      return "sse2";
#endif
    default:
      return "scalar";
  }
}

bool parse_simd_level(const char* name, SimdLevel* out) {
  if (!std::strcmp(name, "avx512"))
    *out = SimdLevel::kAvx512;
  else if (!std::strcmp(name, "avx2"))
    *out = SimdLevel::kAvx2;
  else if (!std::strcmp(name, "sse2") || !std::strcmp(name, "neon"))
    *out = SimdLevel::kSse2;
  else if (!std::strcmp(name, "scalar"))
    *out = SimdLevel::kScalar;
  else
    return false;
  return true;
}

}  // namespace tk

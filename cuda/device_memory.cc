#include "cuda/device_memory.h"

#include <cstring>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tk::cuda {
namespace {

constexpr size_t kSmallLimit = size_t(1) << 20;
constexpr size_t kSmallRound = 512;
constexpr size_t kLargeRound = size_t(2) << 20;

struct BlockInfo {
  size_t size;  // the size class
  size_t requested;
  cudaStream_t stream;
};

struct Allocator {
  std::mutex mu;
  std::unordered_map<void*, BlockInfo> active;
  // Cached blocks by (stream, size class).
  std::map<std::pair<cudaStream_t, size_t>, std::vector<void*>> cache;
  MemoryStats stats;

  void free_cached_locked() {
    for (auto& [key, ptrs] : cache) {
      for (void* p : ptrs) {
        cudaFree(p);
        stats.reserved_bytes -= key.second;
        ++stats.cuda_frees;
      }
    }
    cache.clear();
    stats.cached_blocks = 0;
  }
};

Allocator& alloc() {
  // Never destroyed: finalizers of tensors may run during process exit, after static destructors.
  static Allocator* a = new Allocator();
  return *a;
}

std::string mib(uint64_t bytes) { return std::to_string(double(bytes) / double(1 << 20)) + " MiB"; }

}  // namespace

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error(std::string(what) + " failed: " + cudaGetErrorString(err));
  }
}

size_t size_class(size_t bytes) {
#ifdef TK_CUDA_EMU
  // Under the emulator every block is exactly as large as asked (4 bytes for an empty tensor), so
  // its guard page sits right after the last element and an off-by-one access faults instead of
  // landing in the rounding slack.
  return bytes == 0 ? 4 : bytes;
#endif
  if (bytes <= kSmallLimit)
    return bytes == 0 ? kSmallRound : (bytes + kSmallRound - 1) / kSmallRound * kSmallRound;
  return (bytes + kLargeRound - 1) / kLargeRound * kLargeRound;
}

void* allocate(size_t bytes, cudaStream_t stream) {
  Allocator& a = alloc();
  const size_t size = size_class(bytes);
  std::lock_guard<std::mutex> lock(a.mu);
  void* p = nullptr;
  auto it = a.cache.find({stream, size});
  if (it != a.cache.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
    --a.stats.cached_blocks;
    ++a.stats.cache_hits;
#ifdef TK_CUDA_EMU
    // As the emulator's cudaMalloc poisons fresh buffers: a kernel that reads an output element it
    // never wrote sees NaN, even in a block that comes back from the cache.
    if (tk_emu::config().poison) std::memset(p, 0xFF, size);
#endif
  } else {
    cudaError_t err = cudaMalloc(&p, size);
    if (err != cudaSuccess) {
      cudaGetLastError();
      ++a.stats.oom_retries;
      a.free_cached_locked();
      err = cudaMalloc(&p, size);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      throw std::runtime_error("CUDA out of memory: tried to allocate " + mib(size) + " (" +
                               cudaGetErrorString(err) + "); " + mib(a.stats.allocated_bytes) +
                               " held by tensors, " + mib(a.stats.reserved_bytes) + " reserved in total");
    }
    ++a.stats.cuda_mallocs;
    a.stats.reserved_bytes += size;
    if (a.stats.reserved_bytes > a.stats.peak_reserved_bytes)
      a.stats.peak_reserved_bytes = a.stats.reserved_bytes;
  }
  a.active.emplace(p, BlockInfo{size, bytes, stream});
  a.stats.allocated_bytes += size;
  a.stats.requested_bytes += bytes;
  if (a.stats.allocated_bytes > a.stats.peak_allocated_bytes)
    a.stats.peak_allocated_bytes = a.stats.allocated_bytes;
  ++a.stats.allocations;
  ++a.stats.active_blocks;
  return p;
}

void release(void* ptr) {
  if (!ptr) return;
  Allocator& a = alloc();
  std::lock_guard<std::mutex> lock(a.mu);
  auto it = a.active.find(ptr);
  if (it == a.active.end()) return;  // not ours: never happens through the bindings
  const BlockInfo info = it->second;
  a.active.erase(it);
  a.stats.allocated_bytes -= info.size;
  a.stats.requested_bytes -= info.requested;
  ++a.stats.frees;
  --a.stats.active_blocks;
  a.cache[{info.stream, info.size}].push_back(ptr);
  ++a.stats.cached_blocks;
}

void empty_cache() {
  Allocator& a = alloc();
  std::lock_guard<std::mutex> lock(a.mu);
  a.free_cached_locked();
}

MemoryStats memory_stats() {
  Allocator& a = alloc();
  std::lock_guard<std::mutex> lock(a.mu);
  return a.stats;
}

void reset_peak_stats() {
  Allocator& a = alloc();
  std::lock_guard<std::mutex> lock(a.mu);
  a.stats.peak_allocated_bytes = a.stats.allocated_bytes;
  a.stats.peak_reserved_bytes = a.stats.reserved_bytes;
}

}  // namespace tk::cuda

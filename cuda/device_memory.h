// Device memory for tensors on the GPU: a caching allocator in the manner of PyTorch's
// CUDACachingAllocator, much simplified. cudaMalloc and cudaFree synchronise the device and cost
// tens of microseconds, so a block a tensor gives back is kept, by stream and size class, for the
// next request of that class on that stream; only emptyCache() (or an allocation that fails) hands
// cached blocks back to the driver.
//
// Size classes: requests round up to 512 bytes up to 1 MiB and to 2 MiB above, so a training loop,
// which asks for the same shapes every step, reaches a steady state with no cudaMalloc at all.
// A block is reused only on the stream it was last used on: the kernels that read it may still
// be queued there, and work on one stream runs in order.
//
// Thread-safe (the N-API finalizers and the async copy workers run on other threads than the
// kernels' launcher).
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace tk::cuda {

struct MemoryStats {
  uint64_t allocated_bytes = 0;       // in blocks that tensors hold now (rounded to size classes)
  uint64_t reserved_bytes = 0;        // from cudaMalloc, held or cached
  uint64_t peak_allocated_bytes = 0;  // since the last reset_peak()
  uint64_t peak_reserved_bytes = 0;
  uint64_t requested_bytes = 0;  // as asked for, before rounding
  uint64_t allocations = 0;      // allocate() calls that succeeded
  uint64_t frees = 0;
  uint64_t cache_hits = 0;    // allocations served from the cache
  uint64_t cuda_mallocs = 0;  // calls to cudaMalloc that succeeded
  uint64_t cuda_frees = 0;
  uint64_t oom_retries = 0;  // cudaMalloc failures that emptied the cache and tried again
  uint64_t active_blocks = 0;
  uint64_t cached_blocks = 0;
};

// The size class a request of `bytes` bytes is served from (0 bytes still gets a 512-byte block,
// so every tensor has a distinct, valid pointer). Under the emulator (tests), the class is the exact
// size, so the guard pages catch off-by-one accesses.
size_t size_class(size_t bytes);

// A block of at least `bytes` bytes for use on `stream`. Throws std::runtime_error naming the
// request and the allocator's state when the device is out of memory even after emptying the cache.
void* allocate(size_t bytes, cudaStream_t stream);

// Gives back a block from allocate(); it goes to the cache of the stream it was allocated for.
void release(void* ptr);

// Frees every cached block (cudaFree); blocks that tensors hold are untouched.
void empty_cache();

MemoryStats memory_stats();
void reset_peak_stats();

// cudaError_t to an exception with the call named.
void check(cudaError_t err, const char* what);

}  // namespace tk::cuda

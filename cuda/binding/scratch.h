// Scratch device memory for one export call (the fused kernels' workspaces and the small host
// arrays they read on the device): a block from the caching allocator on the current stream,
// given back when the call returns. The kernels that use it are queued on that stream, and the
// allocator reuses a block only on the stream it was used on, so giving it back before they ran is safe.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>

#include "cuda/binding/device_args.h"
#include "cuda/device_memory.h"

namespace tk::cuda {

class Scratch {
 public:
  explicit Scratch(size_t bytes) : p_(allocate(bytes > 0 ? bytes : 1, current_stream())) {}
  // A device copy of `bytes` bytes of host memory (null stays null). cudaMemcpyAsync from pageable
  // memory returns once the source was read, so the host array may change after the call.
  Scratch(const void* host, size_t bytes) : Scratch(bytes) {
    if (host && bytes > 0)
      check(cudaMemcpyAsync(p_, host, bytes, cudaMemcpyHostToDevice, current_stream()),
            "cudaMemcpyAsync (host to device)");
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { release(p_); }
  template <typename T>
  T* as() const {
    return static_cast<T*>(p_);
  }

 private:
  void* p_;
};

}  // namespace tk::cuda

// The device specialisations of the argument-reading traits in binding/strided_args.h:
// - WordsOf: a float32 or int32 device buffer as 4-byte words, so the word-moving exports
//   (stridedCopy, indexSelectForward, gatherForward) read their device twins' arguments with the
//   checks they share with the CPU (binding/layout_args.h, binding/nnops_args.h);
// - IndexValuesOf: a device index array's values copied to the host, so ids are range-checked by the
//   same code, with the same RangeError, before any kernel reads them (the price: the copy waits for
//   the stream's earlier work).
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "binding/strided_args.h"
#include "cuda/binding/device_args.h"

namespace tk::binding {

template <>
struct WordsOf<cuda::DeviceArrays> {
  static Words Get(const Napi::CallbackInfo& info, size_t i, const char* name) {
    cuda::DeviceBuffer* b = cuda::GetDeviceBuffer(info, i, name);
    Words w;
    w.data = static_cast<uint32_t*>(b->ptr);  // a device pointer: never dereferenced on the host
    w.length = size_t(b->length);
    w.is_int = b->dtype == cuda::Dtype::kInt32;
    return w;
  }
};

}  // namespace tk::binding

namespace tk::binding {

template <>
struct IndexValuesOf<cuda::DeviceArrays> {
  static const int32_t* Read(const Span<int32_t>& s, std::vector<int32_t>* scratch) {
    scratch->assign(s.length, 0);
    if (s.length == 0) return scratch->data();
    cudaStream_t stream = cuda::current_stream();
    cudaError_t err =
        cudaMemcpyAsync(scratch->data(), s.data, s.length * sizeof(int32_t), cudaMemcpyDeviceToHost, stream);
    if (err == cudaSuccess) err = cudaStreamSynchronize(stream);
    if (err != cudaSuccess) {
      throw std::runtime_error(std::string("copying indices to the host for their range check: ") +
                               cudaGetErrorString(err));
    }
    return scratch->data();
  }
};

}  // namespace tk::binding

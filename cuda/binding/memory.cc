// The `cuda` export object: its registry (TK_REGISTER_CUDA_BINDING), device buffers, copies between
// host and device, the caching allocator's statistics, streams and synchronisation. The kernels'
// exports live in the other cuda/binding/*.cc files, one per concern, like native/binding/.
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "binding/registry.h"
#include "cuda/binding/device_args.h"
#include "cuda/device_memory.h"
#include "cuda/tensor_core.h"

namespace tk::cuda {
namespace {

using binding::GetInt;
using binding::GetNumber;
using binding::ThrowRange;
using binding::ThrowType;

std::vector<std::pair<const char*, InitFn>>& registry() {
  static std::vector<std::pair<const char*, InitFn>> fns;
  return fns;
}

// Distinguishes our device buffers and streams from any other External (napi_type_tag_object).
constexpr napi_type_tag kBufferTag = {0x7465787464657631ULL, 0x6b65726e656c7362ULL};
constexpr napi_type_tag kStreamTag = {0x7465787473747231ULL, 0x6b65726e656c7362ULL};

cudaStream_t g_stream = nullptr;

void FinalizeBuffer(Napi::Env env, DeviceBuffer* b) {
  if (b->ptr) {
    release(b->ptr);
    Napi::MemoryManagement::AdjustExternalMemory(env, -int64_t(b->bytes()));
  }
  delete b;
}

Dtype GetDtype(const Napi::CallbackInfo& info, size_t i) {
  const int64_t d = GetInt(info, i, "dtype", 0, 1);
  return Dtype(int32_t(d));
}

struct StreamBox {
  cudaStream_t stream = nullptr;
};

StreamBox* GetStreamOrNull(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  if (!info[i].IsExternal() || !info[i].As<Napi::External<StreamBox>>().CheckTypeTag(&kStreamTag)) {
    ThrowType(info.Env(), std::string(name) + " must be a CUDA stream (tk.cuda.Stream) or null");
  }
  return info[i].As<Napi::External<StreamBox>>().Data();
}

// A typed array of the buffer's dtype and length (the host side of a copy).
void* HostArrayFor(const Napi::CallbackInfo& info, size_t i, const DeviceBuffer& b, const char* name) {
  if (b.dtype == Dtype::kFloat32) return binding::GetArrayExact<float>(info, i, name, b.length).data;
  return binding::GetArrayExact<int32_t>(info, i, name, b.length).data;
}

// ---- buffers -----------------------------------------------------------------------------------

// alloc(length, dtype): a new buffer, contents undefined.
Napi::Value JS_Alloc(const Napi::CallbackInfo& info) {
  const int64_t n = GetInt(info, 0, "length", 0, binding::kMaxDim);
  return NewDeviceBuffer(info.Env(), n, GetDtype(info, 1));
}

// fromHost(array): a new buffer holding a copy of a Float32Array or Int32Array.
Napi::Value JS_FromHost(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray())
    ThrowType(env, "array must be a Float32Array or Int32Array");
  const napi_typedarray_type t = info[0].As<Napi::TypedArray>().TypedArrayType();
  if (t != napi_float32_array && t != napi_int32_array)
    ThrowType(env, "array must be a Float32Array or Int32Array");
  const Dtype dtype = t == napi_float32_array ? Dtype::kFloat32 : Dtype::kInt32;
  const int64_t n = int64_t(info[0].As<Napi::TypedArray>().ElementLength());
  Napi::External<DeviceBuffer> ext = NewDeviceBuffer(env, n, dtype);
  DeviceBuffer* b = ext.Data();
  const void* src = binding::TypedArrayBytes(info, 0, "array");
  check(cudaMemcpyAsync(b->ptr, src, b->bytes(), cudaMemcpyHostToDevice, g_stream),
        "cudaMemcpyAsync (host to device)");
  // Pageable host memory: the copy has read `src` when the call returns for transfers up to 64 KiB
  // only, so wait before JS may change the array.
  check(cudaStreamSynchronize(g_stream), "cudaStreamSynchronize");
  return ext;
}

// toHost(buffer, array): copies the buffer into a typed array of its dtype and length, waiting for
// the kernels queued on the current stream.
Napi::Value JS_ToHost(const Napi::CallbackInfo& info) {
  DeviceBuffer* b = GetDeviceBuffer(info, 0, "buffer");
  void* dst = HostArrayFor(info, 1, *b, "array");
  check(cudaMemcpyAsync(dst, b->ptr, b->bytes(), cudaMemcpyDeviceToHost, g_stream),
        "cudaMemcpyAsync (device to host)");
  check(cudaStreamSynchronize(g_stream), "cudaStreamSynchronize");
  return info.Env().Undefined();
}

// toHostAsync(buffer, array) -> Promise<void>: the same copy, waited for on a worker thread so the
// event loop runs meanwhile. Both the buffer and the array are kept alive until it settles.
class CopyToHostWorker : public Napi::AsyncWorker {
 public:
  CopyToHostWorker(Napi::Env env, Napi::Object keep, void* dst, const void* src, size_t bytes,
                   cudaStream_t stream)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        dst_(dst),
        src_(src),
        bytes_(bytes),
        stream_(stream) {
    keep_ = Napi::Persistent(keep);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    cudaError_t err = cudaMemcpyAsync(dst_, src_, bytes_, cudaMemcpyDeviceToHost, stream_);
    if (err == cudaSuccess) err = cudaStreamSynchronize(stream_);
    if (err != cudaSuccess) SetError(std::string("device to host copy failed: ") + cudaGetErrorString(err));
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_;
  void* dst_;
  const void* src_;
  size_t bytes_;
  cudaStream_t stream_;
};

Napi::Value JS_ToHostAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DeviceBuffer* b = GetDeviceBuffer(info, 0, "buffer");
  void* dst = HostArrayFor(info, 1, *b, "array");
  Napi::Object keep = Napi::Object::New(env);
  keep.Set("buffer", info[0]);
  keep.Set("array", info[1]);
  auto* w = new CopyToHostWorker(env, keep, dst, b->ptr, b->bytes(), g_stream);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// copy(dst, src): device to device, same dtype and length.
Napi::Value JS_Copy(const Napi::CallbackInfo& info) {
  DeviceBuffer* dst = GetDeviceBuffer(info, 0, "dst");
  DeviceBuffer* src = GetDeviceBuffer(info, 1, "src");
  if (dst->dtype != src->dtype || dst->length != src->length) {
    ThrowRange(info.Env(), std::string("copy: dst is ") + dtype_name(dst->dtype) + "[" +
                               std::to_string(dst->length) + "], src is " + dtype_name(src->dtype) + "[" +
                               std::to_string(src->length) + "]");
  }
  if (dst->ptr != src->ptr) {
    check(cudaMemcpyAsync(dst->ptr, src->ptr, dst->bytes(), cudaMemcpyDeviceToDevice, g_stream),
          "cudaMemcpyAsync (device to device)");
  }
  return info.Env().Undefined();
}

// fill(buffer, value): every element set to value (converted to the buffer's dtype).
Napi::Value JS_Fill(const Napi::CallbackInfo& info) {
  DeviceBuffer* b = GetDeviceBuffer(info, 0, "buffer");
  const double v = GetNumber(info, 1, "value");
  uint32_t bits = 0;
  if (b->dtype == Dtype::kFloat32) {
    const float f = float(v);
    std::memcpy(&bits, &f, 4);
  } else {
    if (!(v >= -2147483648.0 && v <= 2147483647.0) || v != double(int64_t(v))) {
      ThrowRange(info.Env(), "value must be an int32 for an int32 buffer, got " + std::to_string(v));
    }
    const int32_t i = int32_t(v);
    std::memcpy(&bits, &i, 4);
  }
  fill32_cuda(b->ptr, bits, b->length, g_stream);
  return info.Env().Undefined();
}

// accumulate(acc, g): acc += g, float32 buffers of one length (the autograd engine's gradient sums).
Napi::Value JS_Accumulate(const Napi::CallbackInfo& info) {
  binding::Span<float> acc = GetDevice<float>(info, 0, "acc");
  binding::Span<float> g = GetDeviceExact<float>(info, 1, "g", int64_t(acc.length));
  accumulate_cuda(acc.data, g.data, int64_t(acc.length), g_stream);
  return info.Env().Undefined();
}

// release(buffer): gives the memory back to the cache now (tensor.dispose()); later use is a TypeError.
Napi::Value JS_Release(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal() ||
      !info[0].As<Napi::External<DeviceBuffer>>().CheckTypeTag(&kBufferTag)) {
    ThrowType(env, "buffer must be a device buffer");
  }
  DeviceBuffer* b = info[0].As<Napi::External<DeviceBuffer>>().Data();
  if (b->ptr) {
    release(b->ptr);
    Napi::MemoryManagement::AdjustExternalMemory(env, -int64_t(b->bytes()));
    b->ptr = nullptr;
  }
  return env.Undefined();
}

// ---- allocator, device, streams ----------------------------------------------------------------

Napi::Value JS_MemoryStats(const Napi::CallbackInfo& info) {
  const MemoryStats s = memory_stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("allocatedBytes", double(s.allocated_bytes));
  o.Set("reservedBytes", double(s.reserved_bytes));
  o.Set("peakAllocatedBytes", double(s.peak_allocated_bytes));
  o.Set("peakReservedBytes", double(s.peak_reserved_bytes));
  o.Set("requestedBytes", double(s.requested_bytes));
  o.Set("allocations", double(s.allocations));
  o.Set("frees", double(s.frees));
  o.Set("cacheHits", double(s.cache_hits));
  o.Set("cudaMallocs", double(s.cuda_mallocs));
  o.Set("cudaFrees", double(s.cuda_frees));
  o.Set("oomRetries", double(s.oom_retries));
  o.Set("activeBlocks", double(s.active_blocks));
  o.Set("cachedBlocks", double(s.cached_blocks));
  return o;
}

Napi::Value JS_EmptyCache(const Napi::CallbackInfo& info) {
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  empty_cache();
  return info.Env().Undefined();
}

Napi::Value JS_ResetPeakStats(const Napi::CallbackInfo& info) {
  reset_peak_stats();
  return info.Env().Undefined();
}

Napi::Value JS_SizeClass(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(),
                           double(size_class(size_t(GetInt(info, 0, "bytes", 0, binding::kMaxDim)))));
}

Napi::Value JS_Synchronize(const Napi::CallbackInfo& info) {
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
  return info.Env().Undefined();
}

Napi::Value JS_DeviceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
#ifdef TK_CUDA_EMU
  o.Set("emulated", true);
  o.Set("name", "textkernels CUDA emulator (cuda/emu, runs on the host CPU)");
  o.Set("computeCapability", "emulated");
  o.Set("totalMemory", 0.0);
#else
  int dev = 0;
  check(cudaGetDevice(&dev), "cudaGetDevice");
  cudaDeviceProp p;
  check(cudaGetDeviceProperties(&p, dev), "cudaGetDeviceProperties");
  o.Set("emulated", false);
  o.Set("name", std::string(p.name));
  o.Set("computeCapability", std::to_string(p.major) + "." + std::to_string(p.minor));
  o.Set("totalMemory", double(p.totalGlobalMem));
  o.Set("multiprocessors", double(p.multiProcessorCount));
#endif
  return o;
}

void FinalizeStream(Napi::Env, StreamBox* s) {
  if (s->stream) {
    if (g_stream == s->stream) g_stream = nullptr;
    cudaStreamSynchronize(s->stream);
    cudaStreamDestroy(s->stream);
  }
  delete s;
}

// createStream(): a new non-default stream (tk.cuda.Stream).
Napi::Value JS_CreateStream(const Napi::CallbackInfo& info) {
  auto* box = new StreamBox();
  cudaError_t err = cudaStreamCreate(&box->stream);
  if (err != cudaSuccess) {
    delete box;
    check(err, "cudaStreamCreate");
  }
  Napi::External<StreamBox> ext = Napi::External<StreamBox>::New(info.Env(), box, FinalizeStream);
  ext.TypeTag(&kStreamTag);
  return ext;
}

// setStream(stream | null): the stream later kernels and copies go to (null: the default stream).
Napi::Value JS_SetStream(const Napi::CallbackInfo& info) {
  StreamBox* s = GetStreamOrNull(info, 0, "stream");
  g_stream = s ? s->stream : nullptr;
  return info.Env().Undefined();
}

// streamSynchronize(stream | null): waits for the work queued on one stream.
Napi::Value JS_StreamSynchronize(const Napi::CallbackInfo& info) {
  StreamBox* s = GetStreamOrNull(info, 0, "stream");
  check(cudaStreamSynchronize(s ? s->stream : nullptr), "cudaStreamSynchronize");
  return info.Env().Undefined();
}

void InitMemory(Napi::Env env, Napi::Object cuda) {
  TK_CUDA_EXPORT(cuda, "alloc", JS_Alloc);
  TK_CUDA_EXPORT(cuda, "fromHost", JS_FromHost);
  TK_CUDA_EXPORT(cuda, "toHost", JS_ToHost);
  TK_CUDA_EXPORT(cuda, "toHostAsync", JS_ToHostAsync);
  TK_CUDA_EXPORT(cuda, "copy", JS_Copy);
  TK_CUDA_EXPORT(cuda, "fill", JS_Fill);
  TK_CUDA_EXPORT(cuda, "accumulate", JS_Accumulate);
  TK_CUDA_EXPORT(cuda, "release", JS_Release);
  TK_CUDA_EXPORT(cuda, "memoryStats", JS_MemoryStats);
  TK_CUDA_EXPORT(cuda, "emptyCache", JS_EmptyCache);
  TK_CUDA_EXPORT(cuda, "resetPeakStats", JS_ResetPeakStats);
  TK_CUDA_EXPORT(cuda, "sizeClass", JS_SizeClass);
  TK_CUDA_EXPORT(cuda, "synchronize", JS_Synchronize);
  TK_CUDA_EXPORT(cuda, "deviceInfo", JS_DeviceInfo);
  TK_CUDA_EXPORT(cuda, "createStream", JS_CreateStream);
  TK_CUDA_EXPORT(cuda, "setStream", JS_SetStream);
  TK_CUDA_EXPORT(cuda, "streamSynchronize", JS_StreamSynchronize);
}
TK_REGISTER_CUDA_BINDING(memory, InitMemory);

// The `cuda` object on the addon's exports, filled by every registered concern.
void InitCuda(Napi::Env env, Napi::Object exports) {
  Napi::Object cuda = Napi::Object::New(env);
  Napi::Array concerns = Napi::Array::New(env);
  uint32_t i = 0;
  for (auto& [name, fn] : registry()) {
    fn(env, cuda);
    concerns.Set(i++, Napi::String::New(env, name));
  }
  cuda.Set("concerns", concerns);
  exports.Set("cuda", cuda);
}

}  // namespace

Registrar::Registrar(const char* concern, InitFn fn) { registry().emplace_back(concern, fn); }

cudaStream_t current_stream() { return g_stream; }
void set_current_stream(cudaStream_t s) { g_stream = s; }

Napi::External<DeviceBuffer> NewDeviceBuffer(Napi::Env env, int64_t length, Dtype dtype) {
  auto* b = new DeviceBuffer();
  b->length = length;
  b->dtype = dtype;
  try {
    b->ptr = allocate(b->bytes(), g_stream);
  } catch (...) {
    delete b;
    throw;
  }
  Napi::MemoryManagement::AdjustExternalMemory(env, int64_t(b->bytes()));
  Napi::External<DeviceBuffer> ext = Napi::External<DeviceBuffer>::New(env, b, FinalizeBuffer);
  ext.TypeTag(&kBufferTag);
  return ext;
}

DeviceBuffer* GetDeviceBuffer(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || !info[i].IsExternal() ||
      !info[i].As<Napi::External<DeviceBuffer>>().CheckTypeTag(&kBufferTag)) {
    ThrowType(info.Env(), std::string(name) + " must be a device buffer (the storage of a CUDA tensor)");
  }
  DeviceBuffer* b = info[i].As<Napi::External<DeviceBuffer>>().Data();
  if (!b->ptr) ThrowType(info.Env(), std::string(name) + " was released (its tensor was disposed)");
  return b;
}

}  // namespace tk::cuda

TK_REGISTER_BINDING(cuda, ::tk::cuda::InitCuda);

// The CUDA execution model on the host, for the tests: cuda/*.cu compiled a second time with g++
// (after the source rewrite in test/cuda-emu/build.js, see docs/CUDA.md "The emulator") run their
// kernels here. Every block runs on its own, one after the other; its threads are cooperative
// fibers (ucontext) that switch only at __syncthreads(), at warp shuffles/votes (a rendezvous of
// the warp's lanes) and, in randomised runs, at atomics. Between those points the scheduler picks
// the next thread in a seeded order (by thread index up or down, by random priorities, or at
// random), so a missing barrier shows
// up as a wrong result. Global buffers from cudaMalloc and every __shared__ array sit against
// PROT_NONE guard pages (ending at the upper guard or starting at the lower one: Config::align_end), so an
// out-of-bounds access faults; the fault handler names the kernel, block, thread and buffer, and
// the launch throws tk_emu::KernelFault. A barrier that not all threads of the block reach, a
// shuffle whose lanes never all arrive, or an exited lane in a shuffle's mask fail the same way.
//
// Not modelled: the memory model (a thread's writes are visible to all at once), real concurrency
// between blocks, warp-synchronous execution without *_sync, timing. cuda_runtime.h and
// cuda_runtime_api.h in cuda/emu/include/ forward here.
#pragma once
#define TK_CUDA_EMU 1

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

// ---- keywords ------------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __constant__
#define __managed__
#define __align__(n) alignas(n)
// __shared__ has no definition on purpose: build.js rewrites every __shared__ declaration into a
// guarded per-block allocation, and one it missed must not compile into an unguarded static.
#define __CUDA_EMU__ 1
#ifndef warpSize
#define warpSize 32
#endif

// ---- types ---------------------------------------------------------------------------------------
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};

// Vector types (the alignment the device gives them).
struct alignas(8) float2 {
  float x, y;
};
struct alignas(16) float4 {
  float x, y, z, w;
};
struct alignas(8) int2 {
  int x, y;
};
struct alignas(16) int4 {
  int x, y, z, w;
};
struct alignas(16) double2 {
  double x, y;
};
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
inline double2 make_double2(double x, double y) { return {x, y}; }

enum cudaError_t : int {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorNoDevice = 100,
  cudaErrorLaunchFailure = 719,
};
using cudaError = cudaError_t;
enum cudaMemcpyKind : int {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaFuncAttribute : int {
  cudaFuncAttributeMaxDynamicSharedMemorySize = 8,
  cudaFuncAttributePreferredSharedMemoryCarveout = 9,
};
struct CUstream_st;
using cudaStream_t = CUstream_st*;
struct CUevent_st;
using cudaEvent_t = CUevent_st*;

namespace tk_emu {

// ---- the runtime (cuda/emu/runtime.cc) -------------------------------------------------------------

// A failed launch: out-of-bounds access, barrier/shuffle misuse, bad configuration. what() names
// the kernel, the launch site, the block and the thread.
struct KernelFault : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Config {
  uint64_t seed = 0;  // 0: lowest ready thread first, 1: highest, odd: random priorities, even: random picks
  bool align_end = true;       // buffers end at a guard page (overruns fault); false: start after one
  bool shuffle_blocks = true;  // random seeds also permute the order of the blocks
  double atomic_yield = 0.5;   // random seeds: chance of switching threads after an atomic
  long timeout_ms = 30000;     // a launch running longer fails (0: no limit)
  bool poison = true;          // fill fresh shared memory and cudaMalloc buffers with 0xFF (NaN)
};
Config& config();

struct Stats {
  uint64_t launches = 0, blocks = 0, threads = 0, switches = 0, barriers = 0, warp_syncs = 0, atomics = 0;
};
Stats& stats();

struct Launch {
  const char* name;
  const char* file;
  int line;
  dim3 grid, block;
  size_t shmem;
  cudaStream_t stream;
  const void* kernel;  // the kernel function, for cudaFuncSetAttribute limits
};

// Runs body(ctx) once per thread of every block. Throws KernelFault.
void launch(const Launch& l, void (*body)(void*), void* ctx);

extern uint3 g_thread_idx, g_block_idx;
extern dim3 g_block_dim, g_grid_dim;

void syncthreads();
// A barrier that also counts the threads whose predicate is non-zero (__syncthreads_count/and/or).
int syncthreads_count(int pred);
// The warp rendezvous: every lane in `mask` deposits `bits` and gets back the parity slot to read.
const uint64_t* warp_exchange(unsigned mask, uint64_t bits, const char* what);
unsigned lane_id();
void after_atomic();
void* shared_alloc(void** key, size_t bytes, size_t align, const char* name);
void* dynamic_shared();
[[noreturn]] void fail(const std::string& what);  // inside a kernel: aborts the launch

template <typename T>
T& shared_var(void** key, const char* name) {
  return *static_cast<T*>(shared_alloc(key, sizeof(T), alignof(T), name));
}
template <typename T>
T* dynamic_shared_as() {
  return static_cast<T*>(dynamic_shared());
}

// ---- launch: `k<<<g, b, s, st>>>(args)` is rewritten to `k * tk_emu::cfg(...)(args)` ---------------
template <typename... A>
struct LaunchArgs {
  Launch l;
  std::tuple<A...> args;
};
struct LaunchCfg {
  Launch l;
  template <typename... A>
  LaunchArgs<std::decay_t<A>...> operator()(A&&... a) const {
    return {l, std::tuple<std::decay_t<A>...>(std::forward<A>(a)...)};
  }
};
inline LaunchCfg cfg(const char* name, const char* file, int line, dim3 grid, dim3 block, size_t shmem = 0,
                     cudaStream_t stream = nullptr) {
  return LaunchCfg{Launch{name, file, line, grid, block, shmem, stream, nullptr}};
}

template <typename... P>
struct Bound {
  void (*kernel)(P...);
  std::tuple<std::decay_t<P>...> params;  // converted once, as the launch copies them to the device
  static void run(void* self) {
    auto* b = static_cast<Bound*>(self);
    std::tuple<std::decay_t<P>...> mine = b->params;  // each thread gets its own copy of the parameters
    std::apply(b->kernel, mine);
  }
};

template <typename... P, typename... A>
void operator*(void (*kernel)(P...), LaunchArgs<A...>&& la) {
  static_assert(sizeof...(P) == sizeof...(A), "kernel launched with the wrong number of arguments");
  Bound<P...> b{kernel, std::tuple<std::decay_t<P>...>(std::move(la.args))};
  la.l.kernel = reinterpret_cast<const void*>(kernel);
  launch(la.l, &Bound<P...>::run, &b);
}

template <typename T>
struct nondeduced {
  using type = T;
};

}  // namespace tk_emu

#define threadIdx (::tk_emu::g_thread_idx)
#define blockIdx (::tk_emu::g_block_idx)
#define blockDim (::tk_emu::g_block_dim)
#define gridDim (::tk_emu::g_grid_dim)

// ---- synchronisation, warps ----------------------------------------------------------------------
inline void __syncthreads() { ::tk_emu::syncthreads(); }
inline int __syncthreads_count(int pred) { return ::tk_emu::syncthreads_count(pred); }
inline int __syncthreads_and(int pred) {
  return ::tk_emu::syncthreads_count(pred) ==
         int(::tk_emu::g_block_dim.x * ::tk_emu::g_block_dim.y * ::tk_emu::g_block_dim.z);
}
inline int __syncthreads_or(int pred) { return ::tk_emu::syncthreads_count(pred) != 0; }
inline void __syncwarp(unsigned mask = 0xffffffffu) { ::tk_emu::warp_exchange(mask, 0, "__syncwarp"); }
inline void __threadfence() {}
inline void __threadfence_block() {}
inline unsigned __activemask() { return 0xffffffffu; }

namespace tk_emu {
template <typename T>
T shfl_from(unsigned mask, T var, int src, const char* what) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of an unsupported type");
  uint64_t bits = 0;
  std::memcpy(&bits, &var, sizeof(T));
  const unsigned lane = lane_id();
  const uint64_t* slots = warp_exchange(mask, bits, what);
  if (src < 0) return var;  // out of the segment: the lane keeps its own value
  if (!(mask >> src & 1u))
    fail(std::string(what) + ": source lane " + std::to_string(src) + " is not in the mask");
  (void)lane;
  T out;
  std::memcpy(&out, &slots[src], sizeof(T));
  return out;
}
}  // namespace tk_emu

template <typename T>
T __shfl_sync(unsigned mask, T var, int src_lane, int width = 32) {
  const int lane = int(::tk_emu::lane_id());
  const int src = (lane & ~(width - 1)) + (src_lane & (width - 1));
  return ::tk_emu::shfl_from(mask, var, src, "__shfl_sync");
}
template <typename T>
T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = 32) {
  const int lane = int(::tk_emu::lane_id());
  int src = lane ^ lane_mask;
  if ((src & ~(width - 1)) > (lane & ~(width - 1))) src = -1;  // a later segment: own value
  return ::tk_emu::shfl_from(mask, var, src, "__shfl_xor_sync");
}
template <typename T>
T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  const int lane = int(::tk_emu::lane_id());
  int src = lane + int(delta);
  if ((lane & (width - 1)) + int(delta) >= width) src = -1;
  return ::tk_emu::shfl_from(mask, var, src, "__shfl_down_sync");
}
template <typename T>
T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = 32) {
  const int lane = int(::tk_emu::lane_id());
  int src = lane - int(delta);
  if ((lane & (width - 1)) < int(delta)) src = -1;
  return ::tk_emu::shfl_from(mask, var, src, "__shfl_up_sync");
}
inline unsigned __ballot_sync(unsigned mask, int pred) {
  const uint64_t* slots = ::tk_emu::warp_exchange(mask, pred ? 1 : 0, "__ballot_sync");
  unsigned out = 0;
  for (int l = 0; l < 32; ++l)
    if ((mask >> l & 1u) && slots[l]) out |= 1u << l;
  return out;
}
inline int __any_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) != 0; }
inline int __all_sync(unsigned mask, int pred) { return __ballot_sync(mask, pred) == mask; }

// ---- atomics: one thread runs at a time, so a read-modify-write is atomic; randomised runs may
// switch threads right after it ----------------------------------------------------------------------
#define TK_EMU_ATOMIC(name, expr)                          \
  template <typename T>                                    \
  T name(T* p, typename ::tk_emu::nondeduced<T>::type v) { \
    T old = *p;                                            \
    *p = (expr);                                           \
    ::tk_emu::after_atomic();                              \
    return old;                                            \
  }
TK_EMU_ATOMIC(atomicAdd, T(old + v))
TK_EMU_ATOMIC(atomicSub, T(old - v))
TK_EMU_ATOMIC(atomicExch, v)
TK_EMU_ATOMIC(atomicMax, old < v ? v : old)
TK_EMU_ATOMIC(atomicMin, v < old ? v : old)
TK_EMU_ATOMIC(atomicAnd, T(old& v))
TK_EMU_ATOMIC(atomicOr, T(old | v))
TK_EMU_ATOMIC(atomicXor, T(old ^ v))
#undef TK_EMU_ATOMIC
template <typename T>
T atomicCAS(T* p, typename ::tk_emu::nondeduced<T>::type compare, typename ::tk_emu::nondeduced<T>::type v) {
  T old = *p;
  if (old == compare) *p = v;
  ::tk_emu::after_atomic();
  return old;
}
inline unsigned atomicInc(unsigned* p, unsigned v) {
  unsigned old = *p;
  *p = old >= v ? 0 : old + 1;
  ::tk_emu::after_atomic();
  return old;
}

// ---- math intrinsics (host libm; CUDA's differ by a few ulp, and the fast ones by more) --------------
template <typename A, typename B>
inline auto min(A a, B b) -> std::common_type_t<A, B> {
  using C = std::common_type_t<A, B>;
  return C(b) < C(a) ? C(b) : C(a);
}
template <typename A, typename B>
inline auto max(A a, B b) -> std::common_type_t<A, B> {
  using C = std::common_type_t<A, B>;
  return C(a) < C(b) ? C(b) : C(a);
}
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline float __frsqrt_rn(float x) { return 1.0f / sqrtf(x); }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __saturatef(float x) { return x != x ? 0.0f : x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }
inline float exp10f(float x) { return powf(10.0f, x); }
inline float __int_as_float(int x) {
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}
inline int __float_as_int(float f) {
  int x;
  std::memcpy(&x, &f, 4);
  return x;
}
inline float __uint_as_float(unsigned x) {
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}
inline unsigned __float_as_uint(float f) {
  unsigned x;
  std::memcpy(&x, &f, 4);
  return x;
}
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(unsigned(x)); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline unsigned __brev(unsigned x) {
  unsigned r = 0;
  for (int i = 0; i < 32; ++i) r |= ((x >> i) & 1u) << (31 - i);
  return r;
}
template <typename T>
inline T __ldg(const T* p) {
  return *p;
}

// ---- the runtime API, backed by guarded host memory -------------------------------------------------
cudaError_t cudaMalloc(void** p, size_t bytes);
template <typename T>
cudaError_t cudaMalloc(T** p, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(p), bytes);
}
cudaError_t cudaFree(void* p);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* p, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorString(cudaError_t err);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaStreamCreate(cudaStream_t* s);
cudaError_t cudaStreamDestroy(cudaStream_t s);
cudaError_t cudaStreamSynchronize(cudaStream_t s);
cudaError_t cudaGetDeviceCount(int* n);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaMallocAsync(void** p, size_t bytes, cudaStream_t stream);
cudaError_t cudaFreeAsync(void* p, cudaStream_t stream);
enum cudaDeviceAttr : int {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMaxSharedMemoryPerBlock = 8,
  cudaDevAttrWarpSize = 10,
  cudaDevAttrMultiProcessorCount = 16,
  cudaDevAttrComputeCapabilityMajor = 75,
  cudaDevAttrComputeCapabilityMinor = 76,
  cudaDevAttrMaxSharedMemoryPerBlockOptin = 97,
};
// An sm_90-like device: 132 multiprocessors, 48 KB / 227 KB (opt-in) of shared memory per block.
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device);
namespace tk_emu {
cudaError_t set_func_attribute(const void* kernel, cudaFuncAttribute attr, int value);
}
template <typename F>
cudaError_t cudaFuncSetAttribute(F* kernel, cudaFuncAttribute attr, int value) {
  return ::tk_emu::set_func_attribute(reinterpret_cast<const void*>(kernel), attr, value);
}
template <typename T>
cudaError_t cudaMemcpyToSymbolAsync(T& symbol, const void* src, size_t bytes, size_t offset = 0,
                                    cudaMemcpyKind kind = cudaMemcpyHostToDevice, cudaStream_t = nullptr) {
  if (offset + bytes > sizeof(T) || kind != cudaMemcpyHostToDevice) return cudaErrorInvalidValue;
  std::memcpy(reinterpret_cast<char*>(&symbol) + offset, src, bytes);
  return cudaSuccess;
}
template <typename T>
cudaError_t cudaMemcpyFromSymbolAsync(void* dst, const T& symbol, size_t bytes, size_t offset = 0,
                                      cudaMemcpyKind kind = cudaMemcpyDeviceToHost, cudaStream_t = nullptr) {
  if (offset + bytes > sizeof(T) || kind != cudaMemcpyDeviceToHost) return cudaErrorInvalidValue;
  std::memcpy(dst, reinterpret_cast<const char*>(&symbol) + offset, bytes);
  return cudaSuccess;
}
template <typename T>
cudaError_t cudaMemcpyFromSymbol(void* dst, const T& symbol, size_t bytes, size_t offset = 0,
                                 cudaMemcpyKind kind = cudaMemcpyDeviceToHost) {
  return cudaMemcpyFromSymbolAsync(dst, symbol, bytes, offset, kind);
}
template <typename T>
cudaError_t cudaMemcpyToSymbol(T& symbol, const void* src, size_t bytes, size_t offset = 0,
                               cudaMemcpyKind kind = cudaMemcpyHostToDevice) {
  return cudaMemcpyToSymbolAsync(symbol, src, bytes, offset, kind);
}

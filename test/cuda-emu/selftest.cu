// Kernels that test the emulator itself (test/cuda-emulated.test.ts, "the emulator itself"): the
// faults it must report and the warp/atomic semantics it must give. Compiled like cuda/*.cu
// (rewritten by build.js), into the same test-only addon.
#include <string>

#include "test/cuda-emu/emu_addon.h"

namespace {

// Half the block waits at a barrier the other half never reaches.
__global__ void divergent_barrier_kernel(float* out) {
  if (threadIdx.x < 16) __syncthreads();
  out[threadIdx.x] = 1.0f;
}

// Lane 3 exits, then the warp shuffles with a full mask.
__global__ void exited_lane_kernel(float* out) {
  if (threadIdx.x == 3) return;
  out[threadIdx.x] = __shfl_sync(0xffffffffu, float(threadIdx.x), 0);
}

// out[i + shift] = i for i < n: shift -1 underruns, n + 1 overruns.
__global__ void shifted_store_kernel(float* out, int shift, int n) {
  const int i = int(blockIdx.x * blockDim.x + threadIdx.x);
  if (i < n) out[i + shift] = float(i);
}

__global__ void shared_overrun_kernel(float* out, int shift) {
  __shared__ float s[64];
  s[int(threadIdx.x) + shift] = 1.0f;
  __syncthreads();
  out[threadIdx.x] = s[threadIdx.x];
}

// Several declarators in one declaration (build.js gives each its own guarded array): a[t + shift]
// must fault naming a; b and c must be separate from it (out[t] = a[t] + b[t] + c, 64 threads).
__global__ void shared_declarators_kernel(float* out, int shift) {
  __shared__ float a[64], b[2][32], c;  // not three views of one array
  if (threadIdx.x == 0) c = 100.0f;
  a[int(threadIdx.x) + shift] = 1.0f;
  b[threadIdx.x / 32][threadIdx.x % 32] = 10.0f;
  __syncthreads();
  out[threadIdx.x] = a[threadIdx.x] + b[threadIdx.x / 32][threadIdx.x % 32] + c;
}

__global__ void dynamic_shared_kernel(float* out, int shift) {
  extern __shared__ float dyn[];
  dyn[int(threadIdx.x) + shift] = float(threadIdx.x);
  __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = dyn[(threadIdx.x + 1) % blockDim.x];
}

__global__ void too_much_shared_kernel(float* out) {
  __shared__ float big[13000];  // 52 000 bytes: over the 48 KB of static shared memory
  big[threadIdx.x] = 1.0f;
  out[threadIdx.x] = big[threadIdx.x];
}

// Each thread publishes its index and reads its neighbour's: without the barrier the neighbour may
// not have written yet (the emulator poisons fresh shared memory with NaN).
__global__ void neighbour_kernel(float* out, int with_barrier) {
  __shared__ float s[128];
  s[threadIdx.x] = float(blockIdx.x * 1000 + threadIdx.x);
  if (with_barrier) __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = s[(threadIdx.x + 1) % blockDim.x];
}

// Per thread, 8 results of warp operations (see the test for the expected values).
__global__ void warp_ops_kernel(int* out) {
  const int lane = int(threadIdx.x & 31);
  int* o = out + threadIdx.x * 8;
  o[0] = __shfl_sync(0xffffffffu, lane * 10, 5);
  o[1] = __shfl_xor_sync(0xffffffffu, lane * 10, 3);
  o[2] = __shfl_down_sync(0xffffffffu, lane * 10, 2, 8);
  o[3] = __shfl_up_sync(0xffffffffu, lane * 10, 3, 8);
  o[4] = int(__ballot_sync(0xffffffffu, lane % 3 == 0));
  o[5] = __any_sync(0xffffffffu, lane == 31 && threadIdx.x >= 32);
  o[6] = __all_sync(0xffffffffu, lane < 31);
  o[7] = lane < 16 ? __shfl_xor_sync(0x0000ffffu, lane, 1) : -1;
}

__global__ void atomics_kernel(int* counter, float* sum, int* mx, int* first) {
  const int i = int(blockIdx.x * blockDim.x + threadIdx.x);
  atomicAdd(counter, 1);
  atomicAdd(sum, 0.5f);
  atomicMax(mx, (i * 37) % 101);
  atomicCAS(first, -1, i);
}

// Two barriers that count: out[t] = count of even threads, then of threads below 5; plus and/or.
__global__ void barrier_count_kernel(int* out) {
  const int a = __syncthreads_count(threadIdx.x % 2 == 0);
  const int b = __syncthreads_count(threadIdx.x < 5);
  const int c = __syncthreads_and(threadIdx.x < 1000);
  const int d = __syncthreads_or(threadIdx.x == 7);
  out[threadIdx.x * 4] = a;
  out[threadIdx.x * 4 + 1] = b;
  out[threadIdx.x * 4 + 2] = c;
  out[threadIdx.x * 4 + 3] = d;
}

// Thread 0 waits for thread 1's flag without a barrier: fine on a GPU with independent thread
// scheduling, an endless loop for cooperative fibers (the watchdog ends it).
__global__ void spin_wait_kernel(float* out) {
  volatile float* flag = out;
  if (threadIdx.x == 0)
    while (flag[1] == 0.0f) {
    }
  if (threadIdx.x == 1) flag[1] = 1.0f;
}

}  // namespace

namespace tk_emu_addon {
namespace {

// selftest(name, out, grid, block, shmem, p0, p1[, sum, mx, first]): launches one of the kernels above.
TK_EMU_LAUNCHER(selftest) {
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  Dev out(info, 1);
  const dim3 grid(unsigned(Int(info, 2))), block(unsigned(Int(info, 3)));
  const size_t shmem = size_t(Int(info, 4));
  const int p0 = int(Int(info, 5)), p1 = int(Int(info, 6));
  if (name == "divergent_barrier") {
    divergent_barrier_kernel<<<grid, block, shmem>>>(out.f());
  } else if (name == "exited_lane") {
    exited_lane_kernel<<<grid, block, shmem>>>(out.f());
  } else if (name == "shifted_store") {
    shifted_store_kernel<<<grid, block, shmem>>>(out.f(), p0, p1);
  } else if (name == "shared_overrun") {
    shared_overrun_kernel<<<grid, block, shmem>>>(out.f(), p0);
  } else if (name == "shared_declarators") {
    shared_declarators_kernel<<<grid, block, shmem>>>(out.f(), p0);
  } else if (name == "dynamic_shared") {
    dynamic_shared_kernel<<<grid, block, shmem>>>(out.f(), p0);
  } else if (name == "too_much_shared") {
    too_much_shared_kernel<<<grid, block, shmem>>>(out.f());
  } else if (name == "neighbour") {
    neighbour_kernel<<<grid, block, shmem>>>(out.f(), p0);
  } else if (name == "warp_ops") {
    warp_ops_kernel<<<grid, block, shmem>>>(out.ptr<int>());
  } else if (name == "barrier_count") {
    barrier_count_kernel<<<grid, block, shmem>>>(out.ptr<int>());
  } else if (name == "spin_wait") {
    spin_wait_kernel<<<grid, block, shmem>>>(out.f());
  } else if (name == "atomics") {
    Dev sum(info, 7), mx(info, 8), first(info, 9);
    atomics_kernel<<<grid, block, shmem>>>(out.ptr<int>(), sum.f(), mx.ptr<int>(), first.ptr<int>());
    sum.back();
    mx.back();
    first.back();
  } else {
    throw std::invalid_argument("selftest: unknown kernel " + name);
  }
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) throw std::runtime_error(std::string("launch failed: ") + cudaGetErrorString(err));
  out.back();
  return info.Env().Undefined();
}

}  // namespace
}  // namespace tk_emu_addon

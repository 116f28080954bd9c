#include "cuda/cublas_dl.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "cuda/common.cuh"

namespace tk::cuda {
namespace {

template <typename Fn>
bool resolve(void* lib, const char* name, Fn* out) {
  *out = reinterpret_cast<Fn>(dlsym(lib, name));
  return *out != nullptr;
}

CublasApi load() {
  CublasApi api{};
  // TEXTKERNELS_CUDA_GEMM=tiled: never open cuBLAS (benchmarks and tests of the tiled kernel).
  const char* choice = std::getenv("TEXTKERNELS_CUDA_GEMM");
  if (choice && std::strcmp(choice, "tiled") == 0) return api;
  // cuBLAS 13 matches the toolkit we build with; 12 still works through the driver's primary context.
  for (const char* name : {"libcublas.so.13", "libcublas.so.12"}) {
    void* lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!lib) continue;
    bool ok =
        resolve(lib, "cublasCreate_v2", &api.create) && resolve(lib, "cublasDestroy_v2", &api.destroy) &&
        resolve(lib, "cublasSetStream_v2", &api.set_stream) &&
        resolve(lib, "cublasSetMathMode", &api.set_math_mode) && resolve(lib, "cublasSgemm_v2", &api.sgemm) &&
        resolve(lib, "cublasSgemmStridedBatched", &api.sgemm_strided_batched);
    if (ok) {
      api.library = name;
      return api;
    }
    dlclose(lib);
    api = CublasApi{};
  }
  return api;
}

constexpr int kMaxDevices = 64;
constexpr int kCublasDefaultMath = 0;  // CUBLAS_DEFAULT_MATH: full fp32, no TF32 tensor cores

}  // namespace

const CublasApi* cublas_api() {
  static const CublasApi api = load();
  return api.library ? &api : nullptr;
}

// One handle per thread and device, as cuBLAS recommends: a handle bound to one stream must not be
// rebound by another thread mid-call. Handles are never destroyed: destroying them at thread or
// process exit can run after the CUDA context is gone.
cublasHandle_t cublas_handle(cudaStream_t stream) {
  const CublasApi* api = cublas_api();
  if (!api) throw std::runtime_error("cuBLAS is not available (libcublas.so.13/.so.12 not found)");
  thread_local cublasHandle_t handles[kMaxDevices] = {};
  int device = 0;
  cudaCheck(cudaGetDevice(&device));
  if (device < 0 || device >= kMaxDevices) throw std::runtime_error("CUDA device index out of range");
  cublasHandle_t& h = handles[device];
  if (!h) {
    if (api->create(&h) != 0) {
      h = nullptr;
      throw std::runtime_error("cublasCreate failed");
    }
    // SGEMM stays fp32 so results agree with the CPU kernels; TF32 would keep 10 mantissa bits.
    api->set_math_mode(h, kCublasDefaultMath);
  }
  if (api->set_stream(h, stream) != 0) throw std::runtime_error("cublasSetStream failed");
  return h;
}

}  // namespace tk::cuda

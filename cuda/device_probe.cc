// cuda_info() for the CUDA build (native/kernels/device_cpu_only.cc is the CPU build's). It must
// never crash: the addon built here loads on machines with no GPU and no driver, and reports why.
// Order: the driver library first (cudart_static would otherwise fail later with a vaguer
// "insufficient driver"), then cudaGetDeviceCount, whose error string becomes the reason.
#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <string>

#include "cuda/cublas_dl.h"
#include "kernels/device.h"

#ifndef TK_CUDA_MIN_CC
#define TK_CUDA_MIN_CC 80  // CMakeLists.txt passes the oldest of CMAKE_CUDA_ARCHITECTURES
#endif

namespace tk {
namespace {

CudaInfo probe() {
  CudaInfo info;
  info.compiled = true;
  info.devices = 0;
  // Kept open: cudart opens the same library again and the reference count keeps it loaded.
  void* driver = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!driver) {
    info.reason = "no NVIDIA driver (libcuda.so.1 not found): running on the CPU";
    return info;
  }
  int count = 0;
  cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later calls are not blamed for it
    info.reason =
        std::string("cudaGetDeviceCount failed: ") + cudaGetErrorString(err) + ": running on the CPU";
    return info;
  }
  if (count <= 0) {
    info.reason = "the NVIDIA driver reports no CUDA devices: running on the CPU";
    return info;
  }
  // Devices older than the fatbin's oldest architecture would fail at the first kernel launch.
  int usable = 0, oldest_major = 0, oldest_minor = 0;
  for (int d = 0; d < count; ++d) {
    int major = 0, minor = 0;
    if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, d) != cudaSuccess ||
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, d) != cudaSuccess) {
      cudaGetLastError();
      continue;
    }
    if (major * 10 + minor >= TK_CUDA_MIN_CC) {
      ++usable;
    } else if (oldest_major == 0) {
      oldest_major = major, oldest_minor = minor;
    }
  }
  if (usable == 0) {
    info.reason = "found " + std::to_string(count) + " CUDA device(s), but none with compute capability >= " +
                  std::to_string(TK_CUDA_MIN_CC / 10) + "." + std::to_string(TK_CUDA_MIN_CC % 10) +
                  " (the first is " + std::to_string(oldest_major) + "." + std::to_string(oldest_minor) +
                  "); rebuild with --CDTK_CUDA_ARCHITECTURES for it: running on the CPU";
    return info;
  }
  // Usable devices are counted; device indices stay the driver's (CUDA_VISIBLE_DEVICES selects).
  info.devices = usable;
  info.gemm = cuda::cublas_api() ? "cublas" : "tiled";
  return info;
}

}  // namespace

CudaInfo cuda_info() {
  static const CudaInfo info = probe();
  return info;
}

}  // namespace tk

// cuda_info() for the CUDA build (native/kernels/device_cpu_only.cc is the CPU build's). It must
// never crash: the addon built here loads on machines with no GPU and no driver, and reports why.
// Order: the driver library first (cudart_static would otherwise fail later with a vaguer
// "insufficient driver"), then cudaGetDeviceCount, whose error string becomes the reason.
#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <string>

#include "cuda/cublas_dl.h"
#include "kernels/device.h"

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
  info.devices = count;
  info.gemm = cuda::cublas_api() ? "cublas" : "tiled";
  return info;
}

}  // namespace

CudaInfo cuda_info() {
  static const CudaInfo info = probe();
  return info;
}

}  // namespace tk

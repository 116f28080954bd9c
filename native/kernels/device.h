// What the build knows about CUDA. The CPU build (binding.gyp) answers "not compiled"; the CMake
// build with nvcc replaces this with a probe that loads the driver at run time, so an addon built
// with CUDA still loads, and reports why, on a machine without a GPU.
#pragma once
#include <string>

namespace tk {

struct CudaInfo {
  bool compiled = false;  // the CUDA kernels are in this binary
  int devices = 0;        // usable devices found at run time
  std::string reason;     // why devices == 0, when it is
  std::string gemm;       // "cublas" or "tiled" when devices > 0
};

CudaInfo cuda_info();

}  // namespace tk

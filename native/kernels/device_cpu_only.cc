// Built only without CUDA; cuda/device_probe.cc provides cuda_info() in CUDA builds.
#ifndef TK_WITH_CUDA
#include "kernels/device.h"

namespace tk {

CudaInfo cuda_info() {
  CudaInfo info;
  info.compiled = false;
  info.devices = 0;
  info.reason =
      "this addon was built without CUDA (node-gyp CPU build); build with `npm run build:cuda` on a "
      "machine with nvcc to add the CUDA kernels";
  return info;
}

}  // namespace tk
#endif

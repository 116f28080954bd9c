// The emulator build has no cuBLAS: cuda/cublas_dl.cc is replaced by this, so every GEMM runs our
// tiled kernel (and no real library ever sees an emulated host pointer).
#include <stdexcept>

#include "cuda/cublas_dl.h"

namespace tk::cuda {

const CublasApi* cublas_api() { return nullptr; }

cublasHandle_t cublas_handle(cudaStream_t) {
  throw std::runtime_error("cuBLAS is not available in the emulator");
}

}  // namespace tk::cuda

// What runs the kernels: SIMD level, threads, CUDA status.
import { checkInt, typeError } from './errors';
import { addonSelection, native, CudaBuildInfo } from './native';
import { cudaAvailable, cudaIsEmulated, cudaKernels } from './cuda/runtime';

export interface BackendInfo {
  /**
   * The best device here: 'cuda' when tensors can go to the GPU (tk.cuda.isAvailable()), else 'cpu'.
   * New tensors go to the CPU unless asked otherwise ({ device: 'cuda' }, t.to('cuda')), as in PyTorch.
   */
  device: 'cpu' | 'cuda';
  /** The SIMD level the CPU kernels run at ('avx512' | 'avx2' | 'sse2' | 'neon' | 'scalar'). */
  simd: string;
  /** The best level this CPU supports (TEXTKERNELS_SIMD or setSimdLevel may cap simd below it). */
  simdSupported: string;
  threads: number;
  /** Which build of the addon is loaded: the CPU one (node-gyp) or the CUDA one (optional package). */
  addon: 'cpu' | 'cuda';
  /**
   * compiled: whether the loaded addon has CUDA kernels; reason: why no GPU is in use, when none is;
   * gemm: what matmul runs on the device ('cublas', opened at run time, or our 'tiled' kernel);
   * emulated: the device is the CUDA emulator (tests).
   */
  cuda: CudaBuildInfo & { emulated?: boolean };
}

export function backend(): BackendInfo {
  const info = native.backendInfo();
  // The CPU build can only say it has no CUDA; the loader knows why the CUDA build was not chosen.
  let cuda: BackendInfo['cuda'] =
    addonSelection.build === 'cpu' ? { ...info.cuda, reason: addonSelection.reason } : info.cuda;
  const available = cudaAvailable();
  if (available && cudaIsEmulated()) {
    cuda = { ...cuda, devices: 1, emulated: true, gemm: cudaKernels().gemmImpl(), reason: undefined };
  }
  return {
    device: available ? 'cuda' : 'cpu',
    simd: info.simd,
    simdSupported: info.simdSupported,
    threads: info.threads,
    addon: addonSelection.build,
    cuda,
  };
}

/** Sets the native thread pool's size; 0 restores the default (cores, or TEXTKERNELS_NUM_THREADS). */
export function setNumThreads(threads: number): number {
  return native.setNumThreads(checkInt('threads', threads, 0, 1024));
}

export function getNumThreads(): number {
  return native.getNumThreads();
}

/** Caps the SIMD level (for testing every kernel path on one machine); returns the level in force. */
export function setSimdLevel(level: 'avx512' | 'avx2' | 'sse2' | 'neon' | 'scalar'): string {
  if (typeof level !== 'string') throw typeError('level', 'a string', level);
  return native.setSimdLevel(level);
}

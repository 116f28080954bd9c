// tk.cuda: the GPU as PyTorch's torch.cuda presents it: whether one is there, the caching
// allocator's statistics, synchronisation and streams. Tensors move with t.to('cuda') / t.cpu(),
// modules with module.to('cuda'); see docs/CUDA.md for which ops have device kernels.
import { typeError } from '../errors';
import {
  cudaAvailable,
  cudaIsEmulated,
  cudaKernels,
  cudaUnavailableReason,
  CudaDeviceInfo,
  CudaMemoryStats,
  StreamHandle,
} from './runtime';

export type { CudaMemoryStats, CudaDeviceInfo } from './runtime';

/** Whether tensors can go to 'cuda' here (a GPU, its driver and the CUDA build are present). */
export function isAvailable(): boolean {
  return cudaAvailable();
}

/** Why isAvailable() is false ('' when it is true). */
export function unavailableReason(): string {
  return cudaUnavailableReason();
}

/** 1 where CUDA is available (one device is supported), else 0. */
export function deviceCount(): number {
  return cudaAvailable() ? 1 : 0;
}

/** True when the device is the CUDA emulator (the tests' backend), not a GPU. */
export function isEmulated(): boolean {
  return cudaIsEmulated();
}

export function deviceInfo(): CudaDeviceInfo {
  return cudaKernels().deviceInfo();
}

/** The caching allocator's statistics (torch.cuda.memory_stats, the main figures). */
export function memory(): CudaMemoryStats {
  return cudaKernels().memoryStats();
}

/** Bytes held by tensors now (torch.cuda.memory_allocated). */
export function memoryAllocated(): number {
  return cudaKernels().memoryStats().allocatedBytes;
}

/** Bytes obtained from the driver, held or cached (torch.cuda.memory_reserved). */
export function memoryReserved(): number {
  return cudaKernels().memoryStats().reservedBytes;
}

/** Frees the cached blocks no tensor holds (torch.cuda.empty_cache). */
export function emptyCache(): void {
  cudaKernels().emptyCache();
}

/** Starts the peaks of memory() over from the current figures. */
export function resetPeakMemoryStats(): void {
  cudaKernels().resetPeakStats();
}

/** Waits for every kernel and copy queued on the device (torch.cuda.synchronize). */
export function synchronize(): void {
  cudaKernels().synchronize();
}

let current: Stream | null = null;

/**
 * A CUDA stream: work queued on one runs in order, work on two may overlap. Kernels and copies go
 * to the current stream (the default stream unless withStream says otherwise). Memory a tensor
 * frees is reused only on the stream it was allocated for.
 */
export class Stream {
  readonly handle: StreamHandle;
  constructor() {
    this.handle = cudaKernels().createStream();
  }
  /** Waits for the work queued on this stream. */
  synchronize(): void {
    cudaKernels().streamSynchronize(this.handle);
  }
}

/** The stream work goes to now (null: the default stream). */
export function currentStream(): Stream | null {
  return current;
}

/** Runs fn with `stream` current (torch.cuda.stream(s) as a context manager); fn must be synchronous. */
export function withStream<T>(stream: Stream | null, fn: () => T): T {
  if (stream !== null && !(stream instanceof Stream)) throw typeError('stream', 'a tk.cuda.Stream or null', stream);
  if (typeof fn !== 'function') throw typeError('fn', 'a function', fn);
  const k = cudaKernels();
  const prev = current;
  k.setStream(stream ? stream.handle : null);
  current = stream;
  try {
    return fn();
  } finally {
    k.setStream(prev ? prev.handle : null);
    current = prev;
  }
}


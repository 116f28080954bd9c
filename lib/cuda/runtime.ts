// The device backend: the `cuda` object of the addon's exports, which the CUDA build has (cuda/binding/)
// and the CPU build has not. Its kernel exports take the same arguments as the CPU exports of the same
// name (native.ts), with device buffers in place of typed arrays, so an op dispatches by picking the
// export object for its inputs' device (cudaKernels() below) and passing their storage.
//
// It is resolved on first use, not at load: a program that never asks for 'cuda' never touches it.
// Where there is no usable GPU, asking for it throws an Error that says why (no driver, a CPU-only
// addon, ...), with the fix. The tests install the emulated backend (installDeviceBackend), the same
// cuda/binding sources compiled against the CUDA emulator (cuda/emu), to run every device path on the CPU.
import { addonSelection, native, NativeAddon } from '../native';

/** The storage of a CUDA tensor: an opaque handle to device memory from the caching allocator. */
export interface DeviceBuffer {
  readonly __deviceBuffer: unique symbol;
}
/** A CUDA stream handle (tk.cuda.Stream wraps one). */
export interface StreamHandle {
  readonly __cudaStream: unique symbol;
}

/** Statistics of the caching allocator (torch.cuda.memory_stats, simplified), in bytes and counts. */
export interface CudaMemoryStats {
  /** In blocks tensors hold now (rounded up to the allocator's size classes). */
  allocatedBytes: number;
  /** Obtained from cudaMalloc: held by tensors or cached for reuse. */
  reservedBytes: number;
  peakAllocatedBytes: number;
  peakReservedBytes: number;
  /** Held by tensors, as requested (before rounding). */
  requestedBytes: number;
  allocations: number;
  frees: number;
  /** Allocations served from the cache without cudaMalloc. */
  cacheHits: number;
  cudaMallocs: number;
  cudaFrees: number;
  /** cudaMalloc failures that emptied the cache and retried. */
  oomRetries: number;
  activeBlocks: number;
  cachedBlocks: number;
}

export interface CudaDeviceInfo {
  emulated: boolean;
  name: string;
  computeCapability: string;
  totalMemory: number;
  multiprocessors?: number;
}

/**
 * The device exports. Kernel exports are added by the op files that call them, by module
 * augmentation (`declare module '../cuda/runtime' { interface CudaKernels { ... } }`), next to the
 * CPU signature they mirror.
 */
export interface CudaKernels {}

export interface DeviceAddon extends CudaKernels {
  readonly concerns: string[];
  /** dtype: 0 float32, 1 int32. */
  alloc(length: number, dtype: number): DeviceBuffer;
  fromHost(array: Float32Array | Int32Array): DeviceBuffer;
  toHost(buffer: DeviceBuffer, array: Float32Array | Int32Array): void;
  toHostAsync(buffer: DeviceBuffer, array: Float32Array | Int32Array): Promise<void>;
  copy(dst: DeviceBuffer, src: DeviceBuffer): void;
  fill(buffer: DeviceBuffer, value: number): void;
  accumulate(acc: DeviceBuffer, g: DeviceBuffer): void;
  release(buffer: DeviceBuffer): void;
  memoryStats(): CudaMemoryStats;
  emptyCache(): void;
  resetPeakStats(): void;
  sizeClass(bytes: number): number;
  synchronize(): void;
  deviceInfo(): CudaDeviceInfo;
  createStream(): StreamHandle;
  setStream(stream: StreamHandle | null): void;
  streamSynchronize(stream: StreamHandle | null): void;
  /** native.sgemm's arguments (lib/ops/matmul.ts) over device buffers. */
  sgemm: OnDevice<NativeAddon['sgemm']>;
  sgemmStridedBatched: OnDevice<NativeAddon['sgemmStridedBatched']>;
  /** 'cublas' or 'tiled': what sgemm runs. */
  gemmImpl(): string;
}

// A CPU export's signature with its Float32Array/Int32Array arguments as device buffers.
type DeviceArg<T> = T extends Float32Array | Int32Array ? DeviceBuffer : T;
export type OnDevice<F> = F extends (...args: infer A) => infer R
  ? (...args: { [K in keyof A]: DeviceArg<A[K]> }) => R
  : never;

declare module '../native' {
  interface NativeAddon {
    /** Present in the CUDA build only. */
    readonly cuda?: DeviceAddon;
  }
}

interface Resolved {
  addon: DeviceAddon | null;
  reason: string;
  emulated: boolean;
}

let resolved: Resolved | null = null;

function resolve(): Resolved {
  if (resolved) return resolved;
  const info = native.backendInfo().cuda;
  if (!native.cuda) {
    const why = addonSelection.build === 'cpu' ? addonSelection.reason : info.reason;
    resolved = { addon: null, reason: why ?? 'this addon was built without CUDA', emulated: false };
  } else if (info.devices <= 0) {
    resolved = { addon: null, reason: info.reason ?? 'no usable CUDA device', emulated: false };
  } else {
    resolved = { addon: native.cuda, reason: '', emulated: false };
  }
  return resolved;
}

/**
 * Makes `addon` (an object with the device exports: the emulated test addon's `cuda`) the device
 * backend. For tests: the emulator runs the CUDA kernels on the CPU, slowly and exactly.
 */
export function installDeviceBackend(addon: DeviceAddon | null, reason = 'no device backend installed'): void {
  resolved = addon
    ? { addon, reason: '', emulated: addon.deviceInfo().emulated }
    : { addon: null, reason, emulated: false };
}

/** Forgets an installed backend: the next use resolves the addon's own again (tests). */
export function resetDeviceBackend(): void {
  resolved = null;
}

/** Whether tensors can be put on 'cuda'. */
export function cudaAvailable(): boolean {
  return resolve().addon !== null;
}

/** Why CUDA is not available ('' when it is). */
export function cudaUnavailableReason(): string {
  return resolve().reason;
}

export function cudaIsEmulated(): boolean {
  return resolve().emulated;
}

/** The device exports, or an Error saying why there are none (what a user asking for 'cuda' sees). */
export function cudaKernels(): DeviceAddon {
  const r = resolve();
  if (!r.addon) {
    throw new Error(
      `CUDA is not available: ${r.reason}. Tensors stay on the CPU unless a GPU, its driver and the CUDA build ` +
        '(npm install textkernels-cuda-linux-x64, or npm run build:cuda) are all present; see docs/CUDA.md.',
    );
  }
  return r.addon;
}

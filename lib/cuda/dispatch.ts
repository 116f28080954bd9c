// One code path for both devices: the CPU addon's exports and the device exports have the same
// names and arguments (arrays are typed arrays on the CPU, device buffers on the GPU), so an op can
// pick the export object by its tensors' device and pass their storage through raw():
//
//   const k = kernelsOn(device);
//   k.attentionForward(raw(out), raw(lse), raw(q.storage), ...);
//
// Kernels is NativeAddon with every typed-array argument widened to Raw, so the CPU signatures,
// declared once next to each op, type both backends.
import { native, NativeAddon } from '../native';
import { CudaStorage, Device, Storage } from '../tensor';
import { cudaKernels, DeviceBuffer } from './runtime';

/** A typed array (CPU) or a device buffer: what the exports of either device take for an array. */
export type Raw = Float32Array | Int32Array | DeviceBuffer;

type Widen<T> = T extends Float32Array | Int32Array ? Raw : T;
type Widened<F> = F extends (...args: infer A) => infer R ? (...args: { [K in keyof A]: Widen<A[K]> }) => R : F;

/** The exports of either device, typed by the CPU signatures with array arguments widened to Raw. */
export type Kernels = { [K in keyof NativeAddon]: Widened<NativeAddon[K]> };

/** The export object for `device`: the CPU addon or the device backend (cudaKernels()). */
export function kernelsOn(device: Device): Kernels {
  return (device === 'cuda' ? cudaKernels() : native) as unknown as Kernels;
}

/** What the exports take for a storage: the typed array itself, or the device buffer. */
export function raw(s: Storage): Raw {
  return s instanceof CudaStorage ? s.buffer : s;
}

// The device dispatch shared by the reduction, loss and clipping ops (lib/ops/reduce.ts,
// lib/ops/losses.ts, lib/nn/utils.ts): the export object for a device (the CPU addon or the device
// backend, whose exports take the same arguments), the storage-to-argument mapping, and the chains
// of [outer, reduced, inner] kernel calls that reduce or broadcast several runs of dimensions.
// Internal: not re-exported by lib/index.ts.
import { cudaKernels } from '../cuda/runtime';
import { Raw, raw } from '../cuda/dispatch';
import { shapeStr } from '../errors';
import { native } from '../native';
import { allocStorage, CudaStorage, Device, Storage } from '../tensor';

export type { Raw } from '../cuda/dispatch';

/** The kernel exports both devices have, with their array arguments widened to Raw. */
export interface ReduceKernels {
  sumForward(out: Raw, x: Raw, outer: number, reduced: number, inner: number, divisor?: number): void;
  sumBackward(dx: Raw, g: Raw, outer: number, reduced: number, inner: number, divisor?: number): void;
  sumInt32Forward(out: Raw, x: Raw, outer: number, reduced: number, inner: number): void;
  maxForward(
    isMax: boolean,
    values: Raw | null,
    indices: Raw,
    x: Raw,
    outer: number,
    reduced: number,
    inner: number,
  ): void;
  maxBackward(dx: Raw, g: Raw, indices: Raw, outer: number, reduced: number, inner: number): void;
  maxAllBackward(dx: Raw, g: Raw, x: Raw, value: Raw): void;
  logsumexpForward(out: Raw, x: Raw, outer: number, reduced: number, inner: number): void;
  logsumexpBackward(dx: Raw, g: Raw, x: Raw, out: Raw, outer: number, reduced: number, inner: number): void;
  allFinite(x: Raw): boolean;
  powSum(x: Raw, p: number): number;
  absMax(x: Raw): number;
  scaleInPlace(x: Raw, c: number): void;
  clampInPlace(x: Raw, lo: number, hi: number): void;
}

/** The export object for `device`: the CPU addon or the device backend (same names, same arguments). */
export function kernelsOn(device: Device): ReduceKernels {
  return (device === 'cuda' ? cudaKernels() : native) as unknown as ReduceKernels;
}

export { raw } from '../cuda/dispatch';

/** Whether every element of a float32 storage is finite (no NaN or infinity), on its device. */
export function allFiniteStorage(s: Storage): boolean {
  return kernelsOn(s instanceof CudaStorage ? 'cuda' : 'cpu').allFinite(raw(s));
}

/**
 * Broadcasts `src` (shape srcShape, right-aligned) to dstShape on its device: one sumBackward
 * (a broadcast along r) per run of expanded dimensions. Throws a RangeError naming `name` when the
 * shapes do not broadcast.
 */
export function broadcastStorage(
  name: string,
  device: Device,
  src: Storage,
  srcShape: readonly number[],
  dstShape: readonly number[],
): Storage {
  const rank = dstShape.length;
  const bad = (): RangeError =>
    new RangeError(`${name} of shape ${shapeStr(srcShape)} cannot broadcast to ${shapeStr(dstShape)}`);
  if (srcShape.length > rank) throw bad();
  const padded = new Array<number>(rank - srcShape.length).fill(1).concat(srcShape);
  for (let d = 0; d < rank; d++) if (padded[d] !== 1 && padded[d] !== dstShape[d]) throw bad();
  const expandDims = [];
  for (let d = 0; d < rank; d++) if (padded[d] !== dstShape[d]) expandDims.push(d);
  return expandRuns(device, src, dstShape, expandDims, 1);
}

/** Runs of [size, reduced] over `shape`, size-1 dimensions dropped (reducing them changes nothing). */
function runsOf(shape: readonly number[], dims: readonly number[]): [number, boolean][] {
  const runs: [number, boolean][] = [];
  shape.forEach((s, i) => {
    if (s === 1) return;
    const red = dims.includes(i);
    const last = runs[runs.length - 1];
    if (last && last[1] === red) last[0] *= s;
    else runs.push([s, red]);
  });
  return runs;
}

const prod = (runs: readonly [number, boolean][]): number => runs.reduce((a, r) => a * r[0], 1);

/**
 * Sums over `dims` (sorted) on the storage's device, one kernel call per run of adjacent reduced
 * dimensions (last run first); the last call divides by `divisor` (float(float(sum) / divisor)).
 * int32 storage is summed exactly (wrapping to int32).
 */
export function reduceRuns(
  device: Device,
  x: Storage,
  shape: readonly number[],
  dims: readonly number[],
  divisor: number,
  int32: boolean,
): Storage {
  const k = kernelsOn(device);
  const dtype = int32 ? 'int32' : 'float32';
  const runs = runsOf(shape, dims);
  const red = runs.flatMap((r, i) => (r[1] ? [i] : []));
  const call = (out: Storage, src: Storage, outer: number, r: number, inner: number, div: number): void => {
    if (int32) k.sumInt32Forward(raw(out), raw(src), outer, r, inner);
    else k.sumForward(raw(out), raw(src), outer, r, inner, div);
  };
  if (red.length === 0) {
    // Nothing to reduce: a copy (a sum over one element each), so the result owns its storage.
    const out = allocStorage(device, dtype, x.length);
    call(out, x, x.length, 1, 1, divisor);
    return out;
  }
  let data = x;
  for (let j = red.length - 1; j >= 0; j--) {
    const at = red[j];
    const outer = prod(runs.slice(0, at));
    const inner = prod(runs.slice(at + 1));
    const out = allocStorage(device, dtype, outer * inner);
    call(out, data, outer, runs[at][0], inner, j === 0 ? divisor : 1);
    data = out;
    runs[at][0] = 1;
  }
  return data;
}

/**
 * The inverse shape change of reduceRuns: g (shape `shape` with `dims` at size 1) broadcast along
 * `dims` to `shape`, divided by `divisor` once (the backward of sum and mean; also a broadcast).
 */
export function expandRuns(
  device: Device,
  g: Storage,
  shape: readonly number[],
  dims: readonly number[],
  divisor: number,
): Storage {
  const k = kernelsOn(device);
  const runs = runsOf(shape, dims);
  const cur: [number, boolean][] = runs.map((r) => [r[1] ? 1 : r[0], r[1]]);
  const red = runs.flatMap((r, i) => (r[1] ? [i] : []));
  if (red.length === 0) {
    const out = allocStorage(device, 'float32', g.length);
    k.sumBackward(raw(out), raw(g), g.length, 1, 1, divisor);
    return out;
  }
  let data = g;
  red.forEach((at, j) => {
    const outer = prod(cur.slice(0, at));
    const inner = prod(cur.slice(at + 1));
    const out = allocStorage(device, 'float32', outer * runs[at][0] * inner);
    k.sumBackward(raw(out), raw(data), outer, runs[at][0], inner, j === 0 ? divisor : 1);
    data = out;
    cur[at][0] = runs[at][0];
  });
  return data;
}

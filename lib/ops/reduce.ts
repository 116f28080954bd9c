// Reductions: sum, mean, max/min (with or without a dim), argmax/argmin, logsumexp, var/std.
//
// The kernels reduce one run of contiguous dimensions, viewing the input as [outer, reduced,
// inner]; a reduction over separated dimensions runs one kernel call per run. Results do not
// depend on the thread count. Every op here runs on either device: the CPU exports (native/binding/
// reduce.cc) and the device exports (cuda/binding/reduce.cc) take the same arguments, so each call
// picks the export object by the input's device (kernelsOn) and passes the tensors' storage. The
// backward passes are kernels too (sumBackward, maxBackward, maxAllBackward, logsumexpBackward), so
// the gradients stay on the input's device. var/std are composed of elementwise ops (sub, square,
// div, sqrt) around mean and sum: on cuda tensors they need the elementwise ops' device path.
import { checkOptions, shapeStr, typeError } from '../errors';
import { allocStorage, checkTensor, fromOp, normDim, numelOf, Tensor } from '../tensor';
import { div, sub, square } from './elementwise';
import { permute, reshape } from './shape';
import { expandRuns, kernelsOn, raw, reduceRuns } from './reduce_kernels';
import type { NativeAddon } from '../native';
import type { OnDevice } from '../cuda/runtime';

declare module '../native' {
  interface NativeAddon {
    /** Whether no element is NaN or infinite. */
    allFinite(x: Float32Array): boolean;
    /** out[o, i] = float(float(sum_r x[o, r, i]) / divisor) (divisor 1 when omitted), summed in double. */
    sumForward(
      out: Float32Array,
      x: Float32Array,
      outer: number,
      reduced: number,
      inner: number,
      divisor?: number,
    ): void;
    /** dx[o, r, i] = g[o, i] / float(divisor): the backward of sumForward, and a broadcast along r. */
    sumBackward(
      dx: Float32Array,
      g: Float32Array,
      outer: number,
      reduced: number,
      inner: number,
      divisor?: number,
    ): void;
    /** Exact int32 sums over r, wrapping as int32 adds do. */
    sumInt32Forward(out: Int32Array, x: Int32Array, outer: number, reduced: number, inner: number): void;
    maxForward(
      isMax: boolean,
      values: Float32Array | null,
      indices: Int32Array,
      x: Float32Array,
      outer: number,
      reduced: number,
      inner: number,
    ): void;
    maxBackward(
      dx: Float32Array,
      g: Float32Array,
      indices: Int32Array,
      outer: number,
      reduced: number,
      inner: number,
    ): void;
    /** Backward of a full max/min: g shared evenly among the elements equal to value[0] (torch's rule). */
    maxAllBackward(dx: Float32Array, g: Float32Array, x: Float32Array, value: Float32Array): void;
    logsumexpForward(out: Float32Array, x: Float32Array, outer: number, reduced: number, inner: number): void;
    /** dx[o, r, i] = g[o, i] * exp(x[o, r, i] - out[o, i]). */
    logsumexpBackward(
      dx: Float32Array,
      g: Float32Array,
      x: Float32Array,
      out: Float32Array,
      outer: number,
      reduced: number,
      inner: number,
    ): void;
    /** x *= float(c) in place. */
    scaleInPlace(x: Float32Array, c: number): void;
    /** x = clamp(x, lo, hi) in place; NaN stays NaN. */
    clampInPlace(x: Float32Array, lo: number, hi: number): void;
  }
}

declare module '../cuda/runtime' {
  // The CPU signatures above with device buffers for the arrays.
  interface CudaKernels {
    allFinite: OnDevice<NativeAddon['allFinite']>;
    sumForward: OnDevice<NativeAddon['sumForward']>;
    sumBackward: OnDevice<NativeAddon['sumBackward']>;
    sumInt32Forward: OnDevice<NativeAddon['sumInt32Forward']>;
    maxForward: OnDevice<NativeAddon['maxForward']>;
    maxBackward: OnDevice<NativeAddon['maxBackward']>;
    maxAllBackward: OnDevice<NativeAddon['maxAllBackward']>;
    logsumexpForward: OnDevice<NativeAddon['logsumexpForward']>;
    logsumexpBackward: OnDevice<NativeAddon['logsumexpBackward']>;
    powSum: OnDevice<NativeAddon['powSum']>;
    absMax: OnDevice<NativeAddon['absMax']>;
    scaleInPlace: OnDevice<NativeAddon['scaleInPlace']>;
    clampInPlace: OnDevice<NativeAddon['clampInPlace']>;
  }
}

export type Dims = number | readonly number[] | null | undefined;
/** keepdim as a boolean or as { keepdim }. */
export type KeepDim = boolean | { keepdim?: boolean } | undefined;

declare module '../tensor' {
  interface Tensor {
    sum(dim?: Dims | { keepdim?: boolean }, keepdim?: KeepDim): Tensor;
    mean(dim?: Dims | { keepdim?: boolean }, keepdim?: KeepDim): Tensor;
    max(): Tensor;
    max(dim: number, keepdim?: KeepDim): { values: Tensor; indices: Tensor };
    min(): Tensor;
    min(dim: number, keepdim?: KeepDim): { values: Tensor; indices: Tensor };
    argmax(dim?: number | null, keepdim?: KeepDim): Tensor;
    argmin(dim?: number | null, keepdim?: KeepDim): Tensor;
    logsumexp(dim: number | readonly number[], keepdim?: KeepDim): Tensor;
    var(dim?: Dims, opts?: VarOptions): Tensor;
    std(dim?: Dims, opts?: VarOptions): Tensor;
  }
}

function readKeepdim(op: string, k: KeepDim): boolean {
  if (k === undefined) return false;
  if (typeof k === 'boolean') return k;
  if (typeof k === 'object' && k !== null) {
    const v = k.keepdim ?? false;
    if (typeof v !== 'boolean') throw typeError(`${op}: keepdim`, 'a boolean', v);
    return v;
  }
  throw typeError(`${op}: keepdim`, 'a boolean or { keepdim }', k);
}

/** Sorted distinct dimensions; all of them when dim is omitted, null or []. */
function normDims(op: string, dim: Dims, rank: number): number[] {
  if (dim === undefined || dim === null) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dim === 'number' ? [dim] : dim;
  if (!Array.isArray(list)) throw typeError(`${op}: dim`, 'an integer or an array of integers', dim);
  if (list.length === 0) return Array.from({ length: rank }, (_, i) => i);
  const seen = new Set<number>();
  for (const d of list) {
    const n = normDim(`${op}: dim`, d, rank);
    if (seen.has(n)) throw new RangeError(`${op}: dim ${n} appears more than once in ${shapeStr(list)}`);
    seen.add(n);
  }
  return [...seen].sort((a, b) => a - b);
}

/** The shape after reducing `dims`: size 1 there with keepdim, else dropped. */
function reducedShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((s, i) => {
    if (!dims.includes(i)) out.push(s);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** [outer, reduced, inner] for one dimension. */
function split3(shape: readonly number[], dim: number): [number, number, number] {
  return [numelOf(shape.slice(0, dim)), shape[dim] ?? 1, numelOf(shape.slice(dim + 1))];
}

/**
 * Sum over dim (a number or an array; all when omitted), as torch.sum. An int32 input gives an
 * exact int32 sum (torch would give int64) without gradients.
 */
export function sum(x: Tensor, dim?: Dims | { keepdim?: boolean }, keepdim?: KeepDim): Tensor {
  checkTensor('sum: input', x);
  if (dim !== null && typeof dim === 'object' && !Array.isArray(dim)) {
    keepdim = dim as { keepdim?: boolean };
    dim = undefined;
  }
  const dims = normDims('sum', dim as Dims, x.ndim);
  const keep = readKeepdim('sum', keepdim);
  const device = x.device;
  const shape = reducedShape(x.shape, dims, keep);
  if (x.dtype === 'int32') return new Tensor(reduceRuns(device, x.storage, x.shape, dims, 1, true), shape);
  const out = reduceRuns(device, x.storage, x.shape, dims, 1, false);
  return fromOp('sum', out, shape, [x], (g) => [new Tensor(expandRuns(device, g.storage, x.shape, dims, 1), x.shape)]);
}

/** Mean over dim (all when omitted); NaN over an empty set, as torch.mean. */
export function mean(x: Tensor, dim?: Dims | { keepdim?: boolean }, keepdim?: KeepDim): Tensor {
  checkTensor('mean: input', x, 'float32');
  if (dim !== null && typeof dim === 'object' && !Array.isArray(dim)) {
    keepdim = dim as { keepdim?: boolean };
    dim = undefined;
  }
  const dims = normDims('mean', dim as Dims, x.ndim);
  const keep = readKeepdim('mean', keepdim);
  const count = numelOf(dims.map((d) => x.shape[d]));
  const device = x.device;
  const out = reduceRuns(device, x.storage, x.shape, dims, count, false);
  return fromOp('mean', out, reducedShape(x.shape, dims, keep), [x], (g) => [
    new Tensor(expandRuns(device, g.storage, x.shape, dims, count), x.shape),
  ]);
}

function extreme(
  op: 'max' | 'min',
  x: Tensor,
  dim: number | undefined,
  keepdim: KeepDim,
): Tensor | { values: Tensor; indices: Tensor } {
  checkTensor(`${op}: input`, x, 'float32');
  const isMax = op === 'max';
  const device = x.device;
  const k = kernelsOn(device);
  if (dim === undefined || dim === null) {
    if (x.size === 0)
      throw new RangeError(`${op}: input of shape ${shapeStr(x.shape)} is empty (${op} has no identity)`);
    const values = allocStorage(device, 'float32', 1);
    k.maxForward(isMax, raw(values), raw(allocStorage(device, 'int32', 1)), raw(x.storage), 1, x.size, 1);
    // The gradient is shared evenly among all elements equal to the result (torch's
    // evenly_distribute_backward); for a NaN result, among the NaNs.
    return fromOp(op, values, [], [x], (g) => {
      const dx = allocStorage(device, 'float32', x.size);
      k.maxAllBackward(raw(dx), raw(g.storage), raw(x.storage), raw(values));
      return [new Tensor(dx, x.shape)];
    });
  }
  const d = normDim(`${op}: dim`, dim, x.ndim);
  const keep = readKeepdim(op, keepdim);
  const [outer, reduced, inner] = split3(x.shape, d);
  if (reduced === 0 && outer * inner > 0) {
    throw new RangeError(
      `${op}: dimension ${d} of input of shape ${shapeStr(x.shape)} is empty (${op} has no identity)`,
    );
  }
  const values = allocStorage(device, 'float32', outer * inner);
  const indices = allocStorage(device, 'int32', outer * inner);
  k.maxForward(isMax, raw(values), raw(indices), raw(x.storage), outer, reduced, inner);
  const shape = x.ndim === 0 ? [] : reducedShape(x.shape, [d], keep);
  const vt = fromOp(op, values, shape, [x], (g) => {
    const dx = allocStorage(device, 'float32', x.size);
    k.maxBackward(raw(dx), raw(g.storage), raw(indices), outer, reduced, inner);
    return [new Tensor(dx, x.shape)];
  });
  return { values: vt, indices: new Tensor(indices, shape) };
}

/**
 * max(x): the largest element as a 0-d tensor. max(x, dim, keepdim?): { values, indices } along dim
 * (the first index among ties; NaN counts as the largest), as torch.max.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: KeepDim): { values: Tensor; indices: Tensor };
export function max(x: Tensor, dim?: number, keepdim?: KeepDim): Tensor | { values: Tensor; indices: Tensor } {
  return extreme('max', x, dim, keepdim);
}

/** min(x) or min(x, dim, keepdim?) → { values, indices }, as torch.min. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: KeepDim): { values: Tensor; indices: Tensor };
export function min(x: Tensor, dim?: number, keepdim?: KeepDim): Tensor | { values: Tensor; indices: Tensor } {
  return extreme('min', x, dim, keepdim);
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, dim: number | null | undefined, keepdim: KeepDim): Tensor {
  checkTensor(`${op}: input`, x, 'float32');
  const keep = readKeepdim(op, keepdim);
  if (dim === undefined || dim === null) {
    if (x.size === 0) throw new RangeError(`${op}: input of shape ${shapeStr(x.shape)} is empty`);
    const idx = allocStorage(x.device, 'int32', 1);
    kernelsOn(x.device).maxForward(op === 'argmax', null, raw(idx), raw(x.storage), 1, x.size, 1);
    return new Tensor(idx, keep ? x.shape.map(() => 1) : []);
  }
  const r = extreme(op === 'argmax' ? 'max' : 'min', x, dim, keep) as { indices: Tensor };
  return r.indices;
}

/** Index of the largest element (of the flattened input when dim is omitted), as an int32 tensor. */
export function argmax(x: Tensor, dim?: number | null, keepdim?: KeepDim): Tensor {
  return argExtreme('argmax', x, dim, keepdim);
}
export function argmin(x: Tensor, dim?: number | null, keepdim?: KeepDim): Tensor {
  return argExtreme('argmin', x, dim, keepdim);
}

/**
 * log(sum(exp(x))) over dim, computed stably (torch.logsumexp); dim may list several dimensions.
 * Adjacent dimensions reduce in one kernel call; separated ones are moved to the end and merged
 * (one call), on either device.
 */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim?: KeepDim): Tensor {
  checkTensor('logsumexp: input', x, 'float32');
  if (dim === undefined || dim === null) throw new TypeError('logsumexp: dim must be given (an integer or an array)');
  const dims = normDims('logsumexp', dim, x.ndim);
  const keep = readKeepdim('logsumexp', keepdim);
  const adjacent = dims.every((d, i) => i === 0 || d === dims[i - 1] + 1);
  if (!adjacent) {
    // Move the reduced dimensions to the end, merge them into one and reduce that.
    const rest = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
    const moved = permute(x, [...rest, ...dims]);
    const merged = reshape(moved, [...rest.map((i) => x.shape[i]), numelOf(dims.map((i) => x.shape[i]))]);
    const r = logsumexp(merged, -1);
    return reshape(r, reducedShape(x.shape, dims, keep));
  }
  const first = dims[0] ?? 0;
  const last = dims[dims.length - 1] ?? 0;
  const outer = numelOf(x.shape.slice(0, first));
  const reduced = numelOf(x.shape.slice(first, last + 1));
  const inner = numelOf(x.shape.slice(last + 1));
  const device = x.device;
  const k = kernelsOn(device);
  const out = allocStorage(device, 'float32', outer * inner);
  k.logsumexpForward(raw(out), raw(x.storage), outer, reduced, inner);
  return fromOp('logsumexp', out, x.ndim === 0 ? [] : reducedShape(x.shape, dims, keep), [x], (g) => {
    const dx = allocStorage(device, 'float32', x.size);
    k.logsumexpBackward(raw(dx), raw(g.storage), raw(x.storage), raw(out), outer, reduced, inner);
    return [new Tensor(dx, x.shape)];
  });
}

export interface VarOptions {
  /** Subtracted from the count in the divisor: 1 (Bessel's correction, the default) or 0. */
  correction?: number;
  keepdim?: boolean;
}

/** Variance over dim (all when omitted) with sum((x - mean)^2) / (N - correction), as torch.var. */
export function variance(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('var: input', x, 'float32');
  const dims = normDims('var', dim, x.ndim);
  const correction = opts.correction ?? 1;
  if (typeof correction !== 'number' || Number.isNaN(correction))
    throw typeError('var: correction', 'a number', correction);
  const keep = readKeepdim('var', opts.keepdim);
  const count = numelOf(dims.map((d) => x.shape[d]));
  const centered = sub(x, mean(x, dims, true));
  return div(sum(square(centered), dims, keep), Math.max(0, count - correction));
}

/** Standard deviation: sqrt of var with the same options (torch.std). */
export function std(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  return variance(x, dim, opts).sqrt();
}

const proto = Tensor.prototype;
proto.sum = function (this: Tensor, dim?: Dims | { keepdim?: boolean }, keepdim?: KeepDim) {
  return sum(this, dim, keepdim);
};
proto.mean = function (this: Tensor, dim?: Dims | { keepdim?: boolean }, keepdim?: KeepDim) {
  return mean(this, dim, keepdim);
};
proto.max = function (this: Tensor, dim?: number, keepdim?: KeepDim) {
  return extreme('max', this, dim, keepdim);
} as Tensor['max'];
proto.min = function (this: Tensor, dim?: number, keepdim?: KeepDim) {
  return extreme('min', this, dim, keepdim);
} as Tensor['min'];
proto.argmax = function (this: Tensor, dim?: number | null, keepdim?: KeepDim) {
  return argmax(this, dim, keepdim);
};
proto.argmin = function (this: Tensor, dim?: number | null, keepdim?: KeepDim) {
  return argmin(this, dim, keepdim);
};
proto.logsumexp = function (this: Tensor, dim: number | readonly number[], keepdim?: KeepDim) {
  return logsumexp(this, dim, keepdim);
};
proto.var = function (this: Tensor, dim?: Dims, opts?: VarOptions) {
  return variance(this, dim, opts);
};
proto.std = function (this: Tensor, dim?: Dims, opts?: VarOptions) {
  return std(this, dim, opts);
};

// Reductions: sum, mean, max/min (with or without a dim), argmax/argmin, logsumexp, var/std.
//
// The kernels reduce one run of contiguous dimensions, viewing the input as [outer, reduced,
// inner]; a reduction over separated dimensions runs one kernel call per run. Results do not
// depend on the thread count.
import { checkOptions, shapeStr, typeError } from '../errors';
import { native } from '../native';
import { checkTensor, fromOp, normDim, numelOf, Tensor } from '../tensor';
import { div, exp, mul, sub, square } from './elementwise';
import { expand, permute, reshape } from './shape';

declare module '../native' {
  interface NativeAddon {
    /** Whether no element is NaN or infinite. */
    allFinite(x: Float32Array): boolean;
    sumForward(out: Float32Array, x: Float32Array, outer: number, reduced: number, inner: number): void;
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
    logsumexpForward(out: Float32Array, x: Float32Array, outer: number, reduced: number, inner: number): void;
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

/** Sums over `dims` (sorted), one kernel call per run of adjacent reduced dimensions. */
function sumData(x: Float32Array, shape: readonly number[], dims: readonly number[]): Float32Array {
  // Runs of [size, reduced], size-1 dimensions dropped (reducing them changes nothing).
  const runs: [number, boolean][] = [];
  shape.forEach((s, i) => {
    if (s === 1) return;
    const red = dims.includes(i);
    const last = runs[runs.length - 1];
    if (last && last[1] === red) last[0] *= s;
    else runs.push([s, red]);
  });
  let data = x;
  let copied = false;
  for (let k = runs.length - 1; k >= 0; k--) {
    if (!runs[k][1]) continue;
    const outer = numelOf(runs.slice(0, k).map((r) => r[0]));
    const inner = numelOf(runs.slice(k + 1).map((r) => r[0]));
    const out = new Float32Array(outer * inner);
    native.sumForward(out, data, outer, runs[k][0], inner);
    data = out;
    copied = true;
    runs[k][0] = 1;
  }
  return copied ? data : data.slice();
}

/** Exact integer sums of an int32 tensor (masks, counts), wrapping to int32 like an int32 add would. */
function sumInt32(x: Int32Array, shape: readonly number[], dims: readonly number[]): Int32Array {
  const kept = reducedShape(shape, dims, true);
  const keptStrides = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    keptStrides[i] = dims.includes(i) ? 0 : acc;
    acc *= kept[i];
  }
  const sums = new Float64Array(numelOf(kept));
  const idx = new Array<number>(shape.length).fill(0);
  let off = 0;
  for (let i = 0; i < x.length; i++) {
    sums[off] += x[i];
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]++;
      off += keptStrides[d];
      if (idx[d] < shape[d]) break;
      off -= idx[d] * keptStrides[d];
      idx[d] = 0;
    }
  }
  return Int32Array.from(sums, (v) => v | 0);
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
  if (x.data instanceof Int32Array)
    return new Tensor(sumInt32(x.data, x.shape, dims), reducedShape(x.shape, dims, keep));
  const out = sumData(x.f32, x.shape, dims);
  const keptShape = reducedShape(x.shape, dims, true);
  return fromOp('sum', out, reducedShape(x.shape, dims, keep), [x], (g) => [expand(reshape(g, keptShape), x.shape)]);
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
  const out = sumData(x.f32, x.shape, dims);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(out[i] / count);
  const keptShape = reducedShape(x.shape, dims, true);
  return fromOp('mean', out, reducedShape(x.shape, dims, keep), [x], (g) => [
    div(expand(reshape(g, keptShape), x.shape), count),
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
  if (dim === undefined || dim === null) {
    if (x.size === 0)
      throw new RangeError(`${op}: input of shape ${shapeStr(x.shape)} is empty (${op} has no identity)`);
    const values = new Float32Array(1);
    native.maxForward(isMax, values, new Int32Array(1), x.f32, 1, x.size, 1);
    // The gradient is shared evenly among all elements equal to the result (torch's
    // evenly_distribute_backward); for a NaN result, among the NaNs.
    return fromOp(op, values, [], [x], (g) => {
      const v = values[0];
      const mask = new Float32Array(x.size);
      let count = 0;
      const xd = x.f32;
      for (let i = 0; i < xd.length; i++) {
        if (Number.isNaN(v) ? Number.isNaN(xd[i]) : xd[i] === v) {
          mask[i] = 1;
          count++;
        }
      }
      return [mul(new Tensor(mask, x.shape), div(g, count))];
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
  const values = new Float32Array(outer * inner);
  const indices = new Int32Array(outer * inner);
  native.maxForward(isMax, values, indices, x.f32, outer, reduced, inner);
  const shape = x.ndim === 0 ? [] : reducedShape(x.shape, [d], keep);
  const vt = fromOp(op, values, shape, [x], (g) => {
    const dx = new Float32Array(x.size);
    native.maxBackward(dx, g.f32, indices, outer, reduced, inner);
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
    const idx = new Int32Array(1);
    native.maxForward(op === 'argmax', null, idx, x.f32, 1, x.size, 1);
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

/** log(sum(exp(x))) over dim, computed stably (torch.logsumexp); dim may list several dimensions. */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim?: KeepDim): Tensor {
  checkTensor('logsumexp: input', x, 'float32');
  if (dim === undefined || dim === null) throw new TypeError('logsumexp: dim must be given (an integer or an array)');
  const dims = normDims('logsumexp', dim, x.ndim);
  const keep = readKeepdim('logsumexp', keepdim);
  if (dims.length > 1) {
    // Move the reduced dimensions to the end, merge them into one and reduce that.
    const rest = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
    const moved = permute(x, [...rest, ...dims]);
    const merged = reshape(moved, [...rest.map((i) => x.shape[i]), numelOf(dims.map((i) => x.shape[i]))]);
    const r = logsumexp(merged, -1);
    return reshape(r, reducedShape(x.shape, dims, keep));
  }
  const d = dims[0] ?? 0;
  const [outer, reduced, inner] = split3(x.shape, d);
  const out = new Float32Array(outer * inner);
  native.logsumexpForward(out, x.f32, outer, reduced, inner);
  const keptShape = x.ndim === 0 ? [] : reducedShape(x.shape, dims, true);
  const outKept = new Tensor(out, keptShape);
  return fromOp('logsumexp', out, x.ndim === 0 ? [] : reducedShape(x.shape, dims, keep), [x], (g) => [
    mul(reshape(g, keptShape), exp(sub(x, outKept))),
  ]);
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
  const v = variance(x, dim, opts);
  return v.sqrt();
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

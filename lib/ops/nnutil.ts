// Helpers shared by lib/ops/nn.ts, lib/ops/losses.ts and lib/sparse.ts (not part of the public API).
import { describe, rangeError, shapeStr, typeError } from '../errors';
import { numelOf, Tensor } from '../tensor';

/** Integer indices (token ids, class labels) in any of the accepted forms. */
export type IndexInput = Tensor | Int32Array | readonly number[] | readonly (readonly number[])[] | number;

export interface Indices {
  data: Int32Array;
  shape: number[];
}

function inferIndexShape(values: unknown): number[] {
  const shape: number[] = [];
  let v = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

/**
 * Reads indices: an int32 tensor, an Int32Array (1-D), a (nested) array of integers or a number
 * (0-d). Float tensors are a TypeError, as in PyTorch (indices must be integers).
 */
export function toIndices(name: string, v: unknown): Indices {
  if (v instanceof Tensor) {
    if (v.dtype !== 'int32') {
      throw new TypeError(
        `${name} must be an int32 tensor of indices, got a ${v.dtype} tensor of shape ${shapeStr(v.shape)}`,
      );
    }
    return { data: v.data as Int32Array, shape: v.shape.slice() };
  }
  if (v instanceof Int32Array) return { data: v, shape: [v.length] };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw rangeError(name, 'an integer index', v);
    return { data: Int32Array.of(v), shape: [] };
  }
  if (Array.isArray(v)) {
    const shape = inferIndexShape(v);
    const data = new Int32Array(numelOf(shape));
    let k = 0;
    const walk = (a: unknown, d: number, path: string): void => {
      if (d === shape.length) {
        if (typeof a !== 'number' || !Number.isInteger(a) || a < -(2 ** 31) || a >= 2 ** 31) {
          throw typeError(path, 'an int32 integer', a);
        }
        data[k++] = a;
        return;
      }
      if (!Array.isArray(a) || a.length !== shape[d]) {
        throw new RangeError(`${path} must be an array of length ${shape[d]} (ragged nested arrays are not tensors)`);
      }
      for (let i = 0; i < a.length; i++) walk(a[i], d + 1, `${path}[${i}]`);
    };
    walk(v, 0, name);
    return { data, shape };
  }
  throw typeError(name, 'an int32 tensor, an Int32Array or an array of integers', v);
}

/** "ids[1, 2]": the position of flat element k in a tensor of this shape. */
export function positionStr(name: string, shape: readonly number[], k: number): string {
  if (shape.length <= 1) return shape.length === 0 ? name : `${name}[${k}]`;
  const coords: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    coords.unshift(k % shape[d]);
    k = Math.floor(k / shape[d]);
  }
  return `${name}[${coords.join(', ')}]`;
}

/** Throws a RangeError naming the first index outside [0, n) (other than `allowed`). */
export function checkIndexRange(name: string, idx: Indices, n: number, what: string, allowed?: number): void {
  const d = idx.data;
  for (let k = 0; k < d.length; k++) {
    const v = d[k];
    if ((v < 0 || v >= n) && v !== allowed) {
      throw new RangeError(
        `${positionStr(name, idx.shape, k)} = ${v} is out of range for ${what} (valid: 0 to ${n - 1})`,
      );
    }
  }
}

/** Broadcasts `src` (shape srcShape) to dstShape, numpy rules; RangeError naming `name` if it cannot. */
export function broadcastTo(
  name: string,
  src: Float32Array,
  srcShape: readonly number[],
  dstShape: readonly number[],
): Float32Array {
  const rank = dstShape.length;
  if (srcShape.length > rank) {
    throw new RangeError(`${name} of shape ${shapeStr(srcShape)} cannot broadcast to ${shapeStr(dstShape)}`);
  }
  const padded = new Array<number>(rank - srcShape.length).fill(1).concat(srcShape);
  for (let d = 0; d < rank; d++) {
    if (padded[d] !== 1 && padded[d] !== dstShape[d]) {
      throw new RangeError(`${name} of shape ${shapeStr(srcShape)} cannot broadcast to ${shapeStr(dstShape)}`);
    }
  }
  const n = numelOf(dstShape);
  if (src.length === n) return src;
  const out = new Float32Array(n);
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 ? 0 : s;
    s *= padded[d];
  }
  const coord = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = src[off];
    for (let d = rank - 1; d >= 0; d--) {
      coord[d]++;
      off += strides[d];
      if (coord[d] < dstShape[d]) break;
      off -= strides[d] * coord[d];
      coord[d] = 0;
    }
  }
  return out;
}

export type Reduction = 'mean' | 'sum' | 'none';

export function checkReduction(v: unknown, allowed: readonly string[] = ['mean', 'sum', 'none']): string {
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new RangeError(`reduction must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(v)}`);
  }
  return v;
}

/** Sum in double precision (the result is rounded to float once). */
export function sumOf(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

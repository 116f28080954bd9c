// Layout ops: views that share data (reshape, view, flatten, squeeze, unsqueeze) and copies made by
// one strided-copy kernel (permute, transpose, slice, concat, stack, expand, repeat, clone).
// float32 and int32 tensors alike; gradients flow for float32. On CUDA tensors the copies run the
// device's stridedCopy (cuda/layout.h), which takes the same arguments over device buffers; views
// share the device storage as they share the CPU's typed array.
import { cudaKernels } from '../cuda/runtime';
import { shapeStr, typeError } from '../errors';
import { native } from '../native';
import {
  allocStorage,
  checkTensor,
  copyStorage,
  CudaStorage,
  Device,
  fromOp,
  normDim,
  numelOf,
  sameDevice,
  Storage,
  Tensor,
  TypedData,
} from '../tensor';
import { sumToShape } from './elementwise';
import type { NativeAddon } from '../native';
import type { OnDevice } from '../cuda/runtime';

declare module '../native' {
  interface NativeAddon {
    stridedCopy(
      dst: Float32Array | Int32Array,
      dstOffset: number,
      dstStrides: number[],
      src: Float32Array | Int32Array,
      srcOffset: number,
      srcStrides: number[],
      shape: number[],
    ): void;
  }
}

declare module '../cuda/runtime' {
  // The CPU signatures above with device buffers for the arrays.
  interface CudaKernels {
    stridedCopy: OnDevice<NativeAddon['stridedCopy']>;
  }
}

declare module '../tensor' {
  interface Tensor {
    reshape(shape: readonly number[] | number, ...rest: number[]): Tensor;
    view(shape: readonly number[] | number, ...rest: number[]): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(dim?: number | readonly number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    permute(dims: readonly number[] | number, ...rest: number[]): Tensor;
    t(): Tensor;
    expand(shape: readonly number[] | number, ...rest: number[]): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    contiguous(): Tensor;
    clone(): Tensor;
    slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    split(splitSizeOrSections: number | readonly number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    repeat(sizes: readonly number[] | number, ...rest: number[]): Tensor;
  }
}

function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Storage for n elements of x's dtype on x's device (zeroed when `zero`; always on the CPU). */
function alloc(x: Tensor, n: number, zero = false): Storage {
  return allocStorage(x.device, x.dtype, n, zero);
}

/** native.stridedCopy or its device twin, by where dst lives (the callers checked src is there too). */
function stridedCopy(
  dst: Storage,
  dstOffset: number,
  dstStrides: number[],
  src: Storage,
  srcOffset: number,
  srcStrides: number[],
  shape: number[],
): void {
  if (dst instanceof CudaStorage) {
    const s = src as CudaStorage;
    cudaKernels().stridedCopy(dst.buffer, dstOffset, dstStrides, s.buffer, srcOffset, srcStrides, shape);
  } else {
    native.stridedCopy(dst, dstOffset, dstStrides, src as TypedData, srcOffset, srcStrides, shape);
  }
}

function sizesArg(op: string, first: unknown, rest: number[]): number[] {
  const list = Array.isArray(first) ? first : [first, ...rest];
  list.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(`${op}: shape[${i}]`, 'an integer', v);
  });
  return list as number[];
}

// ---------------------------------------------------------------------------------------------
// Views (share data)

function shareView(op: string, x: Tensor, shape: number[]): Tensor {
  return fromOp(op, x.storage, shape, [x], (g) => [new Tensor(g.storage, x.shape)]);
}

/** Resolves one -1 and checks the element count. */
function inferShape(op: string, x: Tensor, shape: number[]): number[] {
  let infer = -1;
  let known = 1;
  shape.forEach((d, i) => {
    if (d === -1) {
      if (infer >= 0) throw new RangeError(`${op}: only one dimension can be -1, got ${shapeStr(shape)}`);
      infer = i;
    } else if (d < 0) {
      throw new RangeError(`${op}: shape[${i}] must be >= -1, got ${d}`);
    } else known *= d;
  });
  const out = shape.slice();
  if (infer >= 0) {
    if (known === 0 || x.size % known !== 0) {
      throw new RangeError(
        `${op}: shape ${shapeStr(shape)} is invalid for input of shape ${shapeStr(x.shape)} (${x.size} elements)`,
      );
    }
    out[infer] = x.size / known;
  } else if (known !== x.size) {
    throw new RangeError(
      `${op}: shape ${shapeStr(shape)} is invalid for input of shape ${shapeStr(x.shape)} (${x.size} elements)`,
    );
  }
  return out;
}

/** Same data, new shape (one size may be -1); shares the data with x. */
export function reshape(x: Tensor, shape: readonly number[] | number, ...rest: number[]): Tensor {
  checkTensor('reshape: input', x);
  return shareView('reshape', x, inferShape('reshape', x, sizesArg('reshape', shape, rest)));
}

/** Alias of reshape (every tensor is contiguous, so a view always exists). */
export function view(x: Tensor, shape: readonly number[] | number, ...rest: number[]): Tensor {
  checkTensor('view: input', x);
  return shareView('view', x, inferShape('view', x, sizesArg('view', shape, rest)));
}

/** Merges dimensions startDim..endDim into one (torch.flatten); a 0-d tensor becomes [1]. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten: input', x);
  if (x.ndim === 0) return shareView('flatten', x, [1]);
  const s = normDim('flatten: startDim', startDim, x.ndim);
  const e = normDim('flatten: endDim', endDim, x.ndim);
  if (s > e) throw new RangeError(`flatten: startDim (${startDim}) must not come after endDim (${endDim})`);
  const shape = [...x.shape.slice(0, s), numelOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return shareView('flatten', x, shape);
}

/** Drops size-1 dimensions: all of them, or those in dim (others are left alone, as torch). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  checkTensor('squeeze: input', x);
  let drop: Set<number>;
  if (dim === undefined || dim === null) {
    drop = new Set(x.shape.map((_, i) => i));
  } else {
    const list = typeof dim === 'number' ? [dim] : dim;
    if (!Array.isArray(list)) throw typeError('squeeze: dim', 'an integer or an array of integers', dim);
    drop = new Set(list.map((d) => normDim('squeeze: dim', d, x.ndim)));
  }
  return shareView(
    'squeeze',
    x,
    x.shape.filter((s, i) => !(s === 1 && drop.has(i))),
  );
}

/** Inserts a size-1 dimension at dim (in [-rank-1, rank]). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze: input', x);
  const d = normDim('unsqueeze: dim', dim, x.ndim + 1);
  const shape = x.shape.slice();
  shape.splice(d, 0, 1);
  return shareView('unsqueeze', x, shape);
}

// ---------------------------------------------------------------------------------------------
// Copies

/** Reorders dimensions: out.shape[i] = x.shape[dims[i]] (torch.permute), as a copy. */
export function permute(x: Tensor, dims: readonly number[] | number, ...rest: number[]): Tensor {
  checkTensor('permute: input', x);
  const list = Array.isArray(dims) ? dims : [dims, ...rest];
  if (list.length !== x.ndim) {
    throw new RangeError(
      `permute: dims ${shapeStr(list as number[])} must list each of the ${x.ndim} dimensions of input of shape ${shapeStr(x.shape)} once`,
    );
  }
  const perm = (list as number[]).map((d) => normDim('permute: dims', d, x.ndim));
  if (new Set(perm).size !== perm.length) {
    throw new RangeError(`permute: dims ${shapeStr(list as number[])} repeat a dimension`);
  }
  const inStrides = contiguousStrides(x.shape);
  const shape = perm.map((d) => x.shape[d]);
  const out = alloc(x, x.size);
  stridedCopy(
    out,
    0,
    contiguousStrides(shape),
    x.storage,
    0,
    perm.map((d) => inStrides[d]),
    shape,
  );
  const inverse = new Array<number>(perm.length);
  perm.forEach((d, i) => (inverse[d] = i));
  return fromOp('permute', out, shape, [x], (g) => [permute(g, inverse)]);
}

/** Swaps two dimensions (a copy). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose: input', x);
  const a = normDim('transpose: dim0', dim0, x.ndim);
  const b = normDim('transpose: dim1', dim1, x.ndim);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Transpose of a matrix; 0-d and 1-D tensors come back as they are (torch.t). */
export function t(x: Tensor): Tensor {
  checkTensor('t: input', x);
  if (x.ndim > 2) throw new RangeError(`t: input must have at most 2 dimensions, got shape ${shapeStr(x.shape)}`);
  return x.ndim < 2 ? x : transpose(x, 0, 1);
}

/**
 * Broadcasts x to `shape` (a materialised copy). -1 keeps a size; new leading dimensions may be
 * added (torch.expand). The gradient is summed back.
 */
export function expand(x: Tensor, shape: readonly number[] | number, ...rest: number[]): Tensor {
  checkTensor('expand: input', x);
  const target = sizesArg('expand', shape, rest);
  const lead = target.length - x.ndim;
  const bad = (): RangeError =>
    new RangeError(`expand: input of shape ${shapeStr(x.shape)} cannot be expanded to ${shapeStr(target)}`);
  if (lead < 0) throw bad();
  const out = target.map((d, i) => {
    const src = i >= lead ? x.shape[i - lead] : undefined;
    if (d === -1) {
      if (src === undefined) throw bad();
      return src;
    }
    if (d < 0) throw bad();
    if (src !== undefined && src !== d && src !== 1) throw bad();
    return d;
  });
  if (out.length === x.ndim && out.every((d, i) => d === x.shape[i])) return x;
  const inStrides = contiguousStrides(x.shape);
  const srcStrides = out.map((_, i) => (i < lead || x.shape[i - lead] === 1 ? 0 : inStrides[i - lead]));
  const data = alloc(x, numelOf(out));
  stridedCopy(data, 0, contiguousStrides(out), x.storage, 0, srcStrides, out);
  return fromOp('expand', data, out, [x], (g) => [sumToShape(g, x.shape)]);
}

/** expand to a full shape (torch.broadcast_to). */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return expand(x, shape as number[]);
}

/** Every tensor is contiguous: returns x itself, as torch does for a contiguous tensor. */
export function contiguous(x: Tensor): Tensor {
  checkTensor('contiguous: input', x);
  return x;
}

/** A copy with its own data; gradients pass through. */
export function clone(x: Tensor): Tensor {
  checkTensor('clone: input', x);
  return fromOp('clone', copyStorage(x.storage, x.device), x.shape, [x], (g) => [g]);
}

function sliceBounds(
  op: string,
  n: number,
  start: number | null | undefined,
  end: number | null | undefined,
  step: number,
): [number, number] {
  const clampIdx = (name: string, v: number | null | undefined, dflt: number): number => {
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(`${op}: ${name}`, 'an integer', v);
    const w = v < 0 ? v + n : v;
    return Math.min(Math.max(w, 0), n);
  };
  if (typeof step !== 'number' || !Number.isInteger(step)) throw typeError(`${op}: step`, 'an integer', step);
  if (step <= 0) throw new RangeError(`${op}: step must be positive, got ${step}`);
  const s = clampIdx('start', start, 0);
  const e = clampIdx('end', end, n);
  return [s, Math.max(0, Math.ceil((e - s) / step))];
}

function sliceRaw(x: Tensor, d: number, start: number, len: number, step: number): Storage {
  const strides = contiguousStrides(x.shape);
  const shape = x.shape.slice();
  shape[d] = len;
  const src = strides.slice();
  src[d] *= step;
  const out = alloc(x, numelOf(shape));
  stridedCopy(out, 0, contiguousStrides(shape), x.storage, start * strides[d], src, shape);
  return out;
}

/**
 * x[..., start:end:step, ...] along dim, with Python slicing rules: negative indices count from
 * the end, out-of-range ones are clamped, step > 0. A copy; the gradient scatters into zeros.
 */
export function slice(x: Tensor, dim: number, start?: number | null, end?: number | null, step = 1): Tensor {
  checkTensor('slice: input', x);
  if (x.ndim === 0) throw new RangeError('slice: input must have at least one dimension, got a 0-d tensor');
  const d = normDim('slice: dim', dim, x.ndim);
  const [s, len] = sliceBounds('slice', x.shape[d], start, end, step);
  const shape = x.shape.slice();
  shape[d] = len;
  const out = sliceRaw(x, d, s, len, step);
  return fromOp('slice', out, shape, [x], (g) => {
    const dx = allocStorage(g.device, 'float32', x.size, true);
    const strides = contiguousStrides(x.shape);
    const dst = strides.slice();
    dst[d] *= step;
    stridedCopy(dx, s * strides[d], dst, g.storage, 0, contiguousStrides(shape), shape);
    return [new Tensor(dx, x.shape)];
  });
}

/** length elements of dim from start (torch.narrow); start may be negative. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor('narrow: input', x);
  const d = normDim('narrow: dim', dim, x.ndim);
  const n = x.shape[d];
  if (!Number.isInteger(start) || start < -n || start > n)
    throw new RangeError(`narrow: start must be in [${-n}, ${n}], got ${start}`);
  const s = start < 0 ? start + n : start;
  if (!Number.isInteger(length) || length < 0 || s + length > n) {
    throw new RangeError(`narrow: start (${s}) + length (${length}) exceeds dimension size (${n})`);
  }
  return slice(x, d, s, s + length);
}

/** Joins tensors along an existing dimension (torch.cat); all other sizes must match. */
export function concat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors as unknown)) throw typeError('concat: tensors', 'an array of Tensors', tensors);
  if (tensors.length === 0) throw new RangeError('concat: tensors must not be empty');
  tensors.forEach((x, i) => checkTensor(`concat: tensors[${i}]`, x));
  const first = tensors[0];
  if (first.ndim === 0) throw new RangeError('concat: zero-dimensional tensors cannot be concatenated');
  const d = normDim('concat: dim', dim, first.ndim);
  const device: Device = sameDevice('concat', Object.fromEntries(tensors.map((x, i) => [`tensors[${i}]`, x])));
  tensors.forEach((x, i) => {
    if (x.dtype !== first.dtype)
      throw new TypeError(`concat: tensors[${i}] is ${x.dtype}, tensors[0] is ${first.dtype}`);
    const ok = x.ndim === first.ndim && x.shape.every((s, k) => k === d || s === first.shape[k]);
    if (!ok) {
      throw new RangeError(
        `concat: tensors[${i}] has shape ${shapeStr(x.shape)}, which does not match tensors[0] of shape ${shapeStr(first.shape)} outside dim ${d}`,
      );
    }
  });
  const outer = numelOf(first.shape.slice(0, d));
  const inner = numelOf(first.shape.slice(d + 1));
  const total = tensors.reduce((acc, x) => acc + x.shape[d], 0);
  const shape = first.shape.slice();
  shape[d] = total;
  const out = alloc(first, numelOf(shape));
  const offsets: number[] = [];
  let off = 0;
  for (const x of tensors) {
    offsets.push(off);
    const w = x.shape[d] * inner;
    stridedCopy(out, off * inner, [total * inner, 1], x.storage, 0, [w, 1], [outer, w]);
    off += x.shape[d];
  }
  return fromOp('concat', out, shape, tensors, (g) =>
    tensors.map((x, k) => {
      if (!x.requiresGrad) return null;
      const w = x.shape[d] * inner;
      const dx = allocStorage(device, 'float32', x.size);
      stridedCopy(dx, 0, [w, 1], g.storage, offsets[k] * inner, [total * inner, 1], [outer, w]);
      return new Tensor(dx, x.shape);
    }),
  );
}
export { concat as cat };

/** Joins same-shape tensors along a new dimension (torch.stack). */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors as unknown)) throw typeError('stack: tensors', 'an array of Tensors', tensors);
  if (tensors.length === 0) throw new RangeError('stack: tensors must not be empty');
  tensors.forEach((x, i) => checkTensor(`stack: tensors[${i}]`, x));
  const first = tensors[0];
  tensors.forEach((x, i) => {
    if (x.ndim !== first.ndim || x.shape.some((s, k) => s !== first.shape[k])) {
      throw new RangeError(
        `stack: tensors[${i}] has shape ${shapeStr(x.shape)}, tensors[0] has shape ${shapeStr(first.shape)}`,
      );
    }
  });
  const d = normDim('stack: dim', dim, first.ndim + 1);
  return concat(
    tensors.map((x) => unsqueeze(x, d)),
    d,
  );
}

/** Pieces of splitSize along dim (the last may be smaller), or pieces of the listed sizes (torch.split). */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  checkTensor('split: input', x);
  const d = normDim('split: dim', dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof splitSizeOrSections === 'number') {
    const s = splitSizeOrSections;
    if (!Number.isInteger(s) || s < 0 || (s === 0 && n !== 0))
      throw new RangeError(`split: splitSize must be a positive integer, got ${s}`);
    sizes = [];
    for (let at = 0; at < n; at += s) sizes.push(Math.min(s, n - at));
    if (n === 0) sizes.push(0);
  } else if (Array.isArray(splitSizeOrSections)) {
    sizes = splitSizeOrSections.slice();
    const total = sizes.reduce((a, b) => a + b, 0);
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || total !== n) {
      throw new RangeError(
        `split: sizes ${shapeStr(sizes)} must be non-negative integers summing to ${n} (dim ${d} of shape ${shapeStr(x.shape)})`,
      );
    }
  } else {
    throw typeError('split: splitSizeOrSections', 'an integer or an array of integers', splitSizeOrSections);
  }
  const parts: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    parts.push(slice(x, d, at, at + s));
    at += s;
  }
  return parts;
}

/** Up to `chunks` pieces of ceil(n / chunks) along dim (torch.chunk). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  checkTensor('chunk: input', x);
  if (!Number.isInteger(chunks) || chunks < 1)
    throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const d = normDim('chunk: dim', dim, x.ndim);
  const n = x.shape[d];
  return split(x, Math.max(1, Math.ceil(n / chunks)), d);
}

/** Tiles x: sizes has at least x.ndim entries, leading extra ones add dimensions (torch.repeat). */
export function repeat(x: Tensor, sizes: readonly number[] | number, ...rest: number[]): Tensor {
  checkTensor('repeat: input', x);
  const reps = sizesArg('repeat', sizes, rest);
  if (reps.length < x.ndim) {
    throw new RangeError(
      `repeat: sizes ${shapeStr(reps)} must have at least ${x.ndim} entries for input of shape ${shapeStr(x.shape)}`,
    );
  }
  reps.forEach((r, i) => {
    if (r < 0) throw new RangeError(`repeat: sizes[${i}] must be non-negative, got ${r}`);
  });
  const padded = [...new Array<number>(reps.length - x.ndim).fill(1), ...x.shape];
  const interleavedIn = padded.flatMap((s) => [1, s]);
  const interleavedOut = padded.flatMap((s, i) => [reps[i], s]);
  const tiled = expand(reshape(x, interleavedIn), interleavedOut);
  return reshape(
    tiled,
    padded.map((s, i) => s * reps[i]),
  );
}

// ---------------------------------------------------------------------------------------------
// Tensor methods

const proto = Tensor.prototype;
proto.reshape = function (this: Tensor, shape: readonly number[] | number, ...rest: number[]) {
  return reshape(this, shape, ...rest);
};
proto.view = function (this: Tensor, shape: readonly number[] | number, ...rest: number[]) {
  return view(this, shape, ...rest);
};
proto.flatten = function (this: Tensor, startDim?: number, endDim?: number) {
  return flatten(this, startDim, endDim);
};
proto.squeeze = function (this: Tensor, dim?: number | readonly number[]) {
  return squeeze(this, dim);
};
proto.unsqueeze = function (this: Tensor, dim: number) {
  return unsqueeze(this, dim);
};
proto.transpose = function (this: Tensor, dim0: number, dim1: number) {
  return transpose(this, dim0, dim1);
};
proto.permute = function (this: Tensor, dims: readonly number[] | number, ...rest: number[]) {
  return permute(this, dims, ...rest);
};
proto.t = function (this: Tensor) {
  return t(this);
};
proto.expand = function (this: Tensor, shape: readonly number[] | number, ...rest: number[]) {
  return expand(this, shape, ...rest);
};
proto.broadcastTo = function (this: Tensor, shape: readonly number[]) {
  return broadcastTo(this, shape);
};
proto.contiguous = function (this: Tensor) {
  return contiguous(this);
};
proto.clone = function (this: Tensor) {
  return clone(this);
};
proto.slice = function (this: Tensor, dim: number, start?: number | null, end?: number | null, step?: number) {
  return slice(this, dim, start, end, step);
};
proto.narrow = function (this: Tensor, dim: number, start: number, length: number) {
  return narrow(this, dim, start, length);
};
proto.split = function (this: Tensor, splitSizeOrSections: number | readonly number[], dim?: number) {
  return split(this, splitSizeOrSections, dim);
};
proto.chunk = function (this: Tensor, chunks: number, dim?: number) {
  return chunk(this, chunks, dim);
};
proto.repeat = function (this: Tensor, sizes: readonly number[] | number, ...rest: number[]) {
  return repeat(this, sizes, ...rest);
};

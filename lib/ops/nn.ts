// Neural-network ops with native kernels: softmax, logSoftmax, layerNorm, embedding, indexSelect,
// gather, dropout. Each op keeps its forward call and backward closure together; the backward
// passes are native too (native/kernels/{softmax,layernorm,embedding}.cc). On CUDA tensors the same
// calls go to the device exports of the same names (cuda/softmax.h, cuda/layernorm.h,
// cuda/indexing.h), which take the same arguments over device buffers.
import { cudaKernels } from '../cuda/runtime';
import { checkNumber, checkOptions, rangeError, shapeStr, typeError } from '../errors';
import { native } from '../native';
import { RandomOptions, resolveGenerator } from '../random';
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
} from '../tensor';
import { checkIndexRange, IndexInput, toIndices } from './nnutil';
import type { NativeAddon } from '../native';
import type { OnDevice } from '../cuda/runtime';

declare module '../native' {
  interface NativeAddon {
    softmaxForward(y: Float32Array, x: Float32Array, outer: number, dim: number, inner: number, log: boolean): void;
    softmaxBackward(
      dx: Float32Array,
      dy: Float32Array,
      y: Float32Array,
      outer: number,
      dim: number,
      inner: number,
      log: boolean,
    ): void;
    layerNormForward(
      y: Float32Array,
      mean: Float32Array,
      rstd: Float32Array,
      x: Float32Array,
      weight: Float32Array | null,
      bias: Float32Array | null,
      M: number,
      N: number,
      eps: number,
    ): void;
    layerNormBackward(
      dx: Float32Array | null,
      dweight: Float32Array | null,
      dbias: Float32Array | null,
      dy: Float32Array,
      x: Float32Array,
      mean: Float32Array,
      rstd: Float32Array,
      weight: Float32Array | null,
      M: number,
      N: number,
    ): void;
    indexSelectForward(
      out: Float32Array | Int32Array,
      x: Float32Array | Int32Array,
      index: Int32Array,
      outer: number,
      nSrc: number,
      nIdx: number,
      inner: number,
    ): void;
    indexSelectBackward(
      dx: Float32Array,
      dy: Float32Array,
      index: Int32Array,
      outer: number,
      nSrc: number,
      nIdx: number,
      inner: number,
      skip: number,
    ): void;
    gatherForward(
      out: Float32Array | Int32Array,
      x: Float32Array | Int32Array,
      index: Int32Array,
      xShape: number[],
      indexShape: number[],
      dim: number,
    ): void;
    gatherBackward(
      dx: Float32Array,
      dy: Float32Array,
      index: Int32Array,
      xShape: number[],
      indexShape: number[],
      dim: number,
    ): void;
    mulMask(out: Float32Array, x: Float32Array, mask: Float32Array, n: number): void;
  }
}

// The device twins: the same arguments with device buffers for the arrays.
declare module '../cuda/runtime' {
  // The CPU signatures above with device buffers for the arrays.
  interface CudaKernels {
    softmaxForward: OnDevice<NativeAddon['softmaxForward']>;
    softmaxBackward: OnDevice<NativeAddon['softmaxBackward']>;
    layerNormForward: OnDevice<NativeAddon['layerNormForward']>;
    layerNormBackward: OnDevice<NativeAddon['layerNormBackward']>;
    indexSelectForward: OnDevice<NativeAddon['indexSelectForward']>;
    indexSelectBackward: OnDevice<NativeAddon['indexSelectBackward']>;
    gatherForward: OnDevice<NativeAddon['gatherForward']>;
    gatherBackward: OnDevice<NativeAddon['gatherBackward']>;
    mulMask: OnDevice<NativeAddon['mulMask']>;
  }
}

declare module '../tensor' {
  interface Tensor {
    softmax(dim: number): Tensor;
    logSoftmax(dim: number): Tensor;
    indexSelect(dim: number, index: IndexInput): Tensor;
    gather(dim: number, index: IndexInput): Tensor;
    dropout(p?: number, opts?: DropoutOptions): Tensor;
    layerNorm(
      normalizedShape: number | readonly number[],
      weight?: Tensor | null,
      bias?: Tensor | null,
      eps?: number,
    ): Tensor;
  }
}

type NnExport =
  | 'softmaxForward'
  | 'softmaxBackward'
  | 'layerNormForward'
  | 'layerNormBackward'
  | 'indexSelectForward'
  | 'indexSelectBackward'
  | 'gatherForward'
  | 'gatherBackward'
  | 'mulMask';

/**
 * Calls the CPU export `name` or its device twin, by `device`, with storages unwrapped: typed
 * arrays for the CPU, device buffers for CUDA (the callers put every storage on that device).
 */
function call(device: Device, name: NnExport, ...args: unknown[]): void {
  if (device === 'cuda') {
    const k = cudaKernels() as unknown as Record<NnExport, (...a: unknown[]) => void>;
    k[name](...args.map((a) => (a instanceof CudaStorage ? a.buffer : a)));
  } else {
    (native as unknown as Record<NnExport, (...a: unknown[]) => void>)[name](...args);
  }
}

function f32(device: Device, n: number, zero = false): Storage {
  return allocStorage(device, 'float32', n, zero);
}

/** [outer, dim, inner] sizes of x around dimension d. */
function split3(shape: readonly number[], d: number): [number, number, number] {
  if (shape.length === 0) return [1, 1, 1];
  return [numelOf(shape.slice(0, d)), shape[d], numelOf(shape.slice(d + 1))];
}

function softmaxImpl(name: string, x: Tensor, dim: number, log: boolean): Tensor {
  checkTensor('x', x, 'float32');
  const d = normDim('dim', dim, x.ndim);
  const [outer, n, inner] = split3(x.shape, d);
  const device = x.device;
  const y = f32(device, x.size);
  call(device, 'softmaxForward', y, x.storage, outer, n, inner, log);
  return fromOp(name, y, x.shape, [x], (g) => {
    const dx = f32(device, x.size);
    call(device, 'softmaxBackward', dx, g.storage, y, outer, n, inner, log);
    return [new Tensor(dx, x.shape)];
  });
}

/**
 * torch.softmax(x, dim): exp(x - max) / sum(exp(x - max)) along dim (negative dims count from the
 * end). A slice of only -inf gives NaN, as in PyTorch; NaN propagates through its slice.
 */
export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl('softmax', x, dim, false);
}

/** torch.log_softmax(x, dim): x - max - log(sum(exp(x - max))) along dim, stable for large logits. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl('logSoftmax', x, dim, true);
}

function normalizedShapeOf(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (!Array.isArray(v)) throw typeError('normalizedShape', 'an integer or an array of integers', v);
  for (let i = 0; i < v.length; i++) {
    const s = v[i];
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0) {
      throw rangeError(`normalizedShape[${i}]`, 'a non-negative integer', s);
    }
  }
  return v.slice() as number[];
}

/**
 * torch.nn.functional.layer_norm(x, normalizedShape, weight, bias, eps): normalises over the
 * trailing dims given by normalizedShape with the biased variance; weight and bias (optional, of
 * shape normalizedShape) scale and shift. Gradients flow to x, weight and bias.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  checkTensor('x', x, 'float32');
  const ns = normalizedShapeOf(normalizedShape);
  if (ns.length === 0) throw new RangeError('normalizedShape must have at least one dimension');
  const tail = x.shape.slice(x.ndim - ns.length);
  if (ns.length > x.ndim || tail.some((s, i) => s !== ns[i])) {
    throw new RangeError(`normalizedShape ${shapeStr(ns)} does not match the trailing dims of x ${shapeStr(x.shape)}`);
  }
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t === null || t === undefined) continue;
    checkTensor(name, t, 'float32');
    if (t.shape.length !== ns.length || t.shape.some((s, i) => s !== ns[i])) {
      throw new RangeError(`${name} has shape ${shapeStr(t.shape)}, expected normalizedShape ${shapeStr(ns)}`);
    }
  }
  checkNumber('eps', eps, 0);
  const w = weight ?? null;
  const b = bias ?? null;
  const device = sameDevice('layerNorm', { x, weight: w, bias: b });
  const N = numelOf(ns);
  const M = N === 0 ? numelOf(x.shape.slice(0, x.ndim - ns.length)) : x.size / N;
  const y = f32(device, x.size);
  const mean = f32(device, M);
  const rstd = f32(device, M);
  call(device, 'layerNormForward', y, mean, rstd, x.storage, w ? w.storage : null, b ? b.storage : null, M, N, eps);
  return fromOp('layerNorm', y, x.shape, [x, w, b], (g) => {
    const dx = x.requiresGrad ? f32(device, x.size) : null;
    const dw = w && w.requiresGrad ? f32(device, N) : null;
    const db = b && b.requiresGrad ? f32(device, N) : null;
    call(device, 'layerNormBackward', dx, dw, db, g.storage, x.storage, mean, rstd, w ? w.storage : null, M, N);
    return [dx && new Tensor(dx, x.shape), dw && new Tensor(dw, ns), db && new Tensor(db, ns)];
  });
}

export interface EmbeddingOptions {
  /** Rows with this id get no gradient (negative counts from the end, as in PyTorch). */
  paddingIdx?: number | null;
}

/** Indices as read for an op: on the CPU (host, any accepted form) or a CUDA int32 tensor (dev). */
interface IndexArg {
  shape: number[];
  length: number;
  host: Int32Array | null;
  dev: Tensor | null;
}

/**
 * Reads an op's indices. A tensor of indices must be on the op's device (`on`: the data tensor, by
 * its argument name), as in PyTorch; arrays and Int32Arrays go to whichever device the data is on.
 */
function readIndices(op: string, name: string, v: IndexInput, on: Record<string, Tensor>): IndexArg {
  if (v instanceof Tensor) {
    sameDevice(op, { ...on, [name]: v });
    if (v.device === 'cuda') {
      if (v.dtype !== 'int32') {
        throw new TypeError(
          `${name} must be an int32 tensor of indices, got a ${v.dtype} tensor of shape ${shapeStr(v.shape)}`,
        );
      }
      return { shape: v.shape.slice(), length: v.size, host: null, dev: v };
    }
  }
  const idx = toIndices(name, v);
  return { shape: idx.shape, length: idx.data.length, host: idx.data, dev: null };
}

/**
 * The indices' own copy on `device` (the caller's array may change after the call; the backward
 * needs these values), range-checked: here for host indices, with the position named; by the device
 * export for a CUDA tensor of ids (a host copy of them, checked before any kernel reads them: a
 * RangeError naming index[k]).
 */
function placeIndices(a: IndexArg, name: string, n: number, what: string, device: Device): Storage {
  if (a.dev) return copyStorage(a.dev.storage, 'cuda');
  const host = a.host as Int32Array;
  checkIndexRange(name, { data: host, shape: a.shape }, n, what);
  return device === 'cuda' ? copyStorage(host, 'cuda') : host.slice();
}

/**
 * torch.nn.functional.embedding(ids, weight, padding_idx): rows of weight [V, D] for each id; the
 * result has shape [...ids.shape, D]. ids: an int32 tensor (on weight's device), Int32Array or
 * (nested) array of ids in [0, V). The weight gradient is a deterministic scatter-add that skips
 * paddingIdx (on the device too: no atomics, the CPU's summation order).
 */
export function embedding(ids: IndexInput, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('weight', weight, 'float32');
  if (weight.ndim !== 2)
    throw new RangeError(`weight must be 2-D [numEmbeddings, dim], got shape ${shapeStr(weight.shape)}`);
  const idx = readIndices('embedding', 'ids', ids, { weight });
  const [V, D] = weight.shape;
  let pad = -1;
  if (opts.paddingIdx !== undefined && opts.paddingIdx !== null) {
    const p = opts.paddingIdx;
    if (typeof p !== 'number' || !Number.isInteger(p)) throw typeError('paddingIdx', 'an integer', p);
    if (p < -V || p >= V) throw rangeError('paddingIdx', `in [${-V}, ${V - 1}] for ${V} embeddings`, p);
    pad = p < 0 ? p + V : p;
  }
  const device = weight.device;
  const index = placeIndices(idx, 'ids', V, `an embedding of ${V} rows`, device);
  const n = idx.length;
  const out = f32(device, n * D);
  call(device, 'indexSelectForward', out, weight.storage, index, 1, V, n, D);
  return fromOp('embedding', out, [...idx.shape, D], [weight], (g) => {
    const dw = f32(device, V * D);
    call(device, 'indexSelectBackward', dw, g.storage, index, 1, V, n, D, pad);
    return [new Tensor(dw, weight.shape)];
  });
}

/** torch.index_select(x, dim, index): slices of x along dim at a 1-D (or 0-d) list of indices. */
export function indexSelect(x: Tensor, dim: number, index: IndexInput): Tensor {
  checkTensor('x', x);
  const d = normDim('dim', dim, x.ndim);
  const idx = readIndices('indexSelect', 'index', index, { x });
  if (idx.shape.length > 1) throw new RangeError(`index must be 1-D or 0-d, got shape ${shapeStr(idx.shape)}`);
  if (x.ndim === 0 && idx.length !== 1) {
    throw new RangeError(`index must have exactly one value for a 0-d x, got ${idx.length}`);
  }
  const [outer, nSrc, inner] = split3(x.shape, d);
  const device = x.device;
  const saved = placeIndices(idx, 'index', nSrc, `dim ${d} of size ${nSrc}`, device);
  const nIdx = idx.length;
  const outShape = x.shape.slice();
  if (x.ndim > 0) outShape[d] = nIdx;
  // The forward moves 32-bit words: int32 x takes the same path (no gradient).
  const out = allocStorage(device, x.dtype, outer * nIdx * inner);
  call(device, 'indexSelectForward', out, x.storage, saved, outer, nSrc, nIdx, inner);
  if (x.dtype === 'int32') return new Tensor(out, outShape);
  return fromOp('indexSelect', out, outShape, [x], (g) => {
    const dx = f32(device, x.size);
    call(device, 'indexSelectBackward', dx, g.storage, saved, outer, nSrc, nIdx, inner, -1);
    return [new Tensor(dx, x.shape)];
  });
}

/**
 * torch.gather(x, dim, index): out[i][j][k] = x[i][index[i][j][k]][k] (for dim 1). index has x's
 * rank and is no larger than x in the other dims; the result has index's shape.
 */
export function gather(x: Tensor, dim: number, index: IndexInput): Tensor {
  checkTensor('x', x);
  const d = normDim('dim', dim, x.ndim);
  const idx = readIndices('gather', 'index', index, { x });
  if (idx.shape.length !== x.ndim) {
    throw new RangeError(
      `index must have the same rank as x: got index ${shapeStr(idx.shape)} for x ${shapeStr(x.shape)}`,
    );
  }
  for (let k = 0; k < x.ndim; k++) {
    if (k !== d && idx.shape[k] > x.shape[k]) {
      throw new RangeError(`index ${shapeStr(idx.shape)} is larger than x ${shapeStr(x.shape)} in dim ${k}`);
    }
  }
  const size = x.ndim === 0 ? 1 : x.shape[d];
  const device = x.device;
  const saved = placeIndices(idx, 'index', size, `dim ${d} of size ${size}`, device);
  // The kernels only move 32-bit words, so int32 data takes the same path (no gradient).
  const out = allocStorage(device, x.dtype, idx.length);
  call(device, 'gatherForward', out, x.storage, saved, x.shape, idx.shape, d);
  if (x.dtype === 'int32') return new Tensor(out, idx.shape);
  return fromOp('gather', out, idx.shape, [x], (g) => {
    const dx = f32(device, x.size);
    call(device, 'gatherBackward', dx, g.storage, saved, x.shape, idx.shape, d);
    return [new Tensor(dx, x.shape)];
  });
}

export interface DropoutOptions extends RandomOptions {
  /** false: identity (evaluation mode). Default true, as torch.nn.functional.dropout. */
  training?: boolean;
}

/**
 * torch.nn.functional.dropout(x, p, training): zeroes each element with probability p and scales
 * the rest by 1 / (1 - p). The mask comes from a seeded Philox generator ({ seed } or
 * { generator }, else the default one), so draws differ from PyTorch's; p = 1 gives zeros. A CUDA
 * tensor gets the mask the CPU would for the same generator state.
 */
export function dropout(x: Tensor, p = 0.5, opts: DropoutOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('x', x, 'float32');
  if (typeof p !== 'number' || Number.isNaN(p)) throw typeError('p', 'a number', p);
  if (p < 0 || p > 1) throw rangeError('p', 'a probability in [0, 1]', p);
  const training = opts.training ?? true;
  if (typeof training !== 'boolean') throw typeError('training', 'a boolean', training);
  if (!training) return x;
  // The mask is drawn on the CPU from the same generator whatever x's device (and copied there), so
  // one seed gives one mask on both devices.
  // bernoulliMask writes every element; with p = 1 the mask is all zeros.
  const host = f32('cpu', x.size, p >= 1) as Float32Array;
  if (p < 1) resolveGenerator(opts).bernoulliMask(host, p, 1 / (1 - p));
  const device = x.device;
  const mask = device === 'cuda' ? copyStorage(host, 'cuda') : host;
  const y = f32(device, x.size);
  call(device, 'mulMask', y, x.storage, mask, x.size);
  return fromOp('dropout', y, x.shape, [x], (g) => {
    const dx = f32(device, x.size);
    call(device, 'mulMask', dx, g.storage, mask, x.size);
    return [new Tensor(dx, x.shape)];
  });
}

Tensor.prototype.softmax = function (this: Tensor, dim: number) {
  return softmax(this, dim);
};
Tensor.prototype.logSoftmax = function (this: Tensor, dim: number) {
  return logSoftmax(this, dim);
};
Tensor.prototype.indexSelect = function (this: Tensor, dim: number, index: IndexInput) {
  return indexSelect(this, dim, index);
};
Tensor.prototype.gather = function (this: Tensor, dim: number, index: IndexInput) {
  return gather(this, dim, index);
};
Tensor.prototype.dropout = function (this: Tensor, p?: number, opts?: DropoutOptions) {
  return dropout(this, p, opts);
};
Tensor.prototype.layerNorm = function (
  this: Tensor,
  normalizedShape: number | readonly number[],
  weight?: Tensor | null,
  bias?: Tensor | null,
  eps?: number,
) {
  return layerNorm(this, normalizedShape, weight, bias, eps);
};

export type { IndexInput } from './nnutil';

// Neural-network ops with native kernels: softmax, logSoftmax, layerNorm, embedding, indexSelect,
// gather, dropout. Each op keeps its forward call and backward closure together; the backward
// passes are native too (native/kernels/{softmax,layernorm,embedding}.cc).
import { checkNumber, checkOptions, rangeError, shapeStr, typeError } from '../errors';
import { native } from '../native';
import { RandomOptions, resolveGenerator } from '../random';
import { checkTensor, fromOp, normDim, numelOf, Tensor } from '../tensor';
import { checkIndexRange, IndexInput, toIndices } from './nnutil';

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
      out: Float32Array,
      x: Float32Array,
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
      out: Float32Array,
      x: Float32Array,
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

/** [outer, dim, inner] sizes of x around dimension d. */
function split3(shape: readonly number[], d: number): [number, number, number] {
  if (shape.length === 0) return [1, 1, 1];
  return [numelOf(shape.slice(0, d)), shape[d], numelOf(shape.slice(d + 1))];
}

function softmaxImpl(name: string, x: Tensor, dim: number, log: boolean): Tensor {
  checkTensor('x', x, 'float32');
  const d = normDim('dim', dim, x.ndim);
  const [outer, n, inner] = split3(x.shape, d);
  const y = new Float32Array(x.size);
  native.softmaxForward(y, x.f32, outer, n, inner, log);
  return fromOp(name, y, x.shape, [x], (g) => {
    const dx = new Float32Array(x.size);
    native.softmaxBackward(dx, g.f32, y, outer, n, inner, log);
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
  const N = numelOf(ns);
  const M = N === 0 ? numelOf(x.shape.slice(0, x.ndim - ns.length)) : x.size / N;
  const y = new Float32Array(x.size);
  const mean = new Float32Array(M);
  const rstd = new Float32Array(M);
  native.layerNormForward(y, mean, rstd, x.f32, w ? w.f32 : null, b ? b.f32 : null, M, N, eps);
  return fromOp('layerNorm', y, x.shape, [x, w, b], (g) => {
    const dx = x.requiresGrad ? new Float32Array(x.size) : null;
    const dw = w && w.requiresGrad ? new Float32Array(N) : null;
    const db = b && b.requiresGrad ? new Float32Array(N) : null;
    native.layerNormBackward(dx, dw, db, g.f32, x.f32, mean, rstd, w ? w.f32 : null, M, N);
    return [dx && new Tensor(dx, x.shape), dw && new Tensor(dw, ns), db && new Tensor(db, ns)];
  });
}

export interface EmbeddingOptions {
  /** Rows with this id get no gradient (negative counts from the end, as in PyTorch). */
  paddingIdx?: number | null;
}

/**
 * torch.nn.functional.embedding(ids, weight, padding_idx): rows of weight [V, D] for each id; the
 * result has shape [...ids.shape, D]. ids: an int32 tensor, Int32Array or (nested) array of ids in
 * [0, V). The weight gradient is a deterministic scatter-add that skips paddingIdx.
 */
export function embedding(ids: IndexInput, weight: Tensor, opts: EmbeddingOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('weight', weight, 'float32');
  if (weight.ndim !== 2)
    throw new RangeError(`weight must be 2-D [numEmbeddings, dim], got shape ${shapeStr(weight.shape)}`);
  const idx = toIndices('ids', ids);
  const [V, D] = weight.shape;
  let pad = -1;
  if (opts.paddingIdx !== undefined && opts.paddingIdx !== null) {
    const p = opts.paddingIdx;
    if (typeof p !== 'number' || !Number.isInteger(p)) throw typeError('paddingIdx', 'an integer', p);
    if (p < -V || p >= V) throw rangeError('paddingIdx', `in [${-V}, ${V - 1}] for ${V} embeddings`, p);
    pad = p < 0 ? p + V : p;
  }
  checkIndexRange('ids', idx, V, `an embedding of ${V} rows`);
  const n = idx.data.length;
  const out = new Float32Array(n * D);
  native.indexSelectForward(out, weight.f32, idx.data, 1, V, n, D);
  const index = idx.data.slice(); // the ids may change after the call; the gradient needs these
  return fromOp('embedding', out, [...idx.shape, D], [weight], (g) => {
    const dw = new Float32Array(V * D);
    native.indexSelectBackward(dw, g.f32, index, 1, V, n, D, pad);
    return [new Tensor(dw, weight.shape)];
  });
}

/** torch.index_select(x, dim, index): slices of x along dim at a 1-D (or 0-d) list of indices. */
export function indexSelect(x: Tensor, dim: number, index: IndexInput): Tensor {
  checkTensor('x', x);
  const d = normDim('dim', dim, x.ndim);
  const idx = toIndices('index', index);
  if (idx.shape.length > 1) throw new RangeError(`index must be 1-D or 0-d, got shape ${shapeStr(idx.shape)}`);
  if (x.ndim === 0 && idx.data.length !== 1) {
    throw new RangeError(`index must have exactly one value for a 0-d x, got ${idx.data.length}`);
  }
  const [outer, nSrc, inner] = split3(x.shape, d);
  checkIndexRange('index', idx, nSrc, `dim ${d} of size ${nSrc}`);
  const nIdx = idx.data.length;
  const outShape = x.shape.slice();
  if (x.ndim > 0) outShape[d] = nIdx;
  if (x.dtype === 'int32') {
    const src = x.data as Int32Array;
    const out = new Int32Array(outer * nIdx * inner);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < nIdx; j++) {
        const from = (o * nSrc + idx.data[j]) * inner;
        out.set(src.subarray(from, from + inner), (o * nIdx + j) * inner);
      }
    return new Tensor(out, outShape);
  }
  const out = new Float32Array(outer * nIdx * inner);
  native.indexSelectForward(out, x.f32, idx.data, outer, nSrc, nIdx, inner);
  const saved = idx.data.slice();
  return fromOp('indexSelect', out, outShape, [x], (g) => {
    const dx = new Float32Array(x.size);
    native.indexSelectBackward(dx, g.f32, saved, outer, nSrc, nIdx, inner, -1);
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
  const idx = toIndices('index', index);
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
  checkIndexRange('index', idx, size, `dim ${d} of size ${size}`);
  if (x.dtype === 'int32') {
    // The kernel only moves 32-bit words, so int32 data goes through as float bit patterns.
    const src = x.data as Int32Array;
    const out = new Int32Array(idx.data.length);
    native.gatherForward(
      new Float32Array(out.buffer),
      new Float32Array(src.buffer, src.byteOffset, src.length),
      idx.data,
      x.shape,
      idx.shape,
      d,
    );
    return new Tensor(out, idx.shape);
  }
  const out = new Float32Array(idx.data.length);
  native.gatherForward(out, x.f32, idx.data, x.shape, idx.shape, d);
  const saved = idx.data.slice();
  return fromOp('gather', out, idx.shape, [x], (g) => {
    const dx = new Float32Array(x.size);
    native.gatherBackward(dx, g.f32, saved, x.shape, idx.shape, d);
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
 * { generator }, else the default one), so draws differ from PyTorch's; p = 1 gives zeros.
 */
export function dropout(x: Tensor, p = 0.5, opts: DropoutOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('x', x, 'float32');
  if (typeof p !== 'number' || Number.isNaN(p)) throw typeError('p', 'a number', p);
  if (p < 0 || p > 1) throw rangeError('p', 'a probability in [0, 1]', p);
  const training = opts.training ?? true;
  if (typeof training !== 'boolean') throw typeError('training', 'a boolean', training);
  if (!training) return x;
  const mask = new Float32Array(x.size);
  if (p < 1) resolveGenerator(opts).bernoulliMask(mask, p, 1 / (1 - p));
  const xs = x.f32;
  const y = new Float32Array(x.size);
  for (let i = 0; i < y.length; i++) y[i] = xs[i] * mask[i];
  return fromOp('dropout', y, x.shape, [x], (g) => {
    const gs = g.f32;
    const dx = new Float32Array(x.size);
    for (let i = 0; i < dx.length; i++) dx[i] = gs[i] * mask[i];
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

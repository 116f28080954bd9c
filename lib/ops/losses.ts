// Losses with torch.nn.functional semantics and defaults. Cross-entropy and BCE-with-logits are
// fused native kernels (native/kernels/loss.cc) with native backward passes; nllLoss and the
// elementwise regression losses are short loops here.
//
// Reductions: 'mean' (default) | 'sum' | 'none'; sums are accumulated in double precision.
import { checkNumber, checkOptions, rangeError, shapeStr, typeError } from '../errors';
import { native } from '../native';
import { checkTensor, fromOp, numelOf, sameShape, Tensor } from '../tensor';
import { broadcastTo, checkIndexRange, checkReduction, IndexInput, Indices, sumOf, toIndices } from './nnutil';

declare module '../native' {
  interface NativeAddon {
    crossEntropyForward(
      loss: Float32Array,
      lse: Float32Array,
      logits: Float32Array,
      target: Int32Array,
      weight: Float32Array | null,
      N: number,
      C: number,
      S: number,
      ignoreIndex: number,
      labelSmoothing: number,
    ): number;
    crossEntropyBackward(
      dlogits: Float32Array,
      dloss: Float32Array,
      logits: Float32Array,
      lse: Float32Array,
      target: Int32Array,
      weight: Float32Array | null,
      N: number,
      C: number,
      S: number,
      ignoreIndex: number,
      labelSmoothing: number,
      dlossStride: number,
      scale: number,
    ): void;
    crossEntropyProbForward(
      loss: Float32Array,
      lse: Float32Array,
      logits: Float32Array,
      target: Float32Array,
      weight: Float32Array | null,
      N: number,
      C: number,
      S: number,
      labelSmoothing: number,
    ): void;
    crossEntropyProbBackward(
      dlogits: Float32Array | null,
      dtarget: Float32Array | null,
      dloss: Float32Array,
      logits: Float32Array,
      lse: Float32Array,
      target: Float32Array,
      weight: Float32Array | null,
      N: number,
      C: number,
      S: number,
      labelSmoothing: number,
      dlossStride: number,
      scale: number,
    ): void;
    bceLogitsForward(
      loss: Float32Array,
      x: Float32Array,
      t: Float32Array,
      weight: Float32Array | null,
      posWeight: Float32Array | null,
    ): void;
    bceLogitsBackward(
      dx: Float32Array | null,
      dt: Float32Array | null,
      dloss: Float32Array,
      x: Float32Array,
      t: Float32Array,
      weight: Float32Array | null,
      posWeight: Float32Array | null,
      dlossStride: number,
      scale: number,
    ): void;
  }
}

export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Wraps per-element losses `loss` (shape `shape`) into the reduced result. `backward(dloss, stride,
 * scale)` returns the inputs' gradients for an upstream gradient dloss[i * stride] * scale.
 * `denom` is the 'mean' divisor (default: the element count).
 */
function reduceLoss(
  name: string,
  loss: Float32Array,
  shape: readonly number[],
  reduction: string,
  inputs: (Tensor | null)[],
  backward: (dloss: Float32Array, stride: number, scale: number) => (Tensor | null)[],
  denom = loss.length,
): Tensor {
  if (reduction === 'none') return fromOp(name, loss, shape, inputs, (g) => backward(g.f32, 1, 1));
  const sum = sumOf(loss);
  const value = reduction === 'sum' ? sum : sum / denom;
  const scale = reduction === 'sum' ? 1 : 1 / denom;
  return fromOp(name, Float32Array.of(value), [], inputs, (g) => backward(g.f32, 0, scale));
}

function checkWeight(name: string, w: unknown, C: number): Tensor | null {
  if (w === undefined || w === null) return null;
  const t = checkTensor(name, w, 'float32');
  if (t.ndim !== 1 || t.shape[0] !== C) {
    throw new RangeError(`${name} must have one value per class, shape [${C}], got ${shapeStr(t.shape)}`);
  }
  return t;
}

function checkIgnoreIndex(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError('ignoreIndex', 'an integer', v);
  if (v < -(2 ** 31) || v >= 2 ** 31) throw rangeError('ignoreIndex', 'an int32 integer', v);
  return v;
}

/** [N, C, S] of class-dim-1 input (or [C] as N = 1) and the expected class-index target shape. */
function classLayout(name: string, x: Tensor): { N: number; C: number; S: number; targetShape: number[] } {
  if (x.ndim === 0) throw new RangeError(`${name} must have a class dimension, got a 0-d tensor`);
  if (x.ndim === 1) return { N: 1, C: x.shape[0], S: 1, targetShape: [] };
  const [N, C, ...rest] = x.shape;
  return { N, C, S: numelOf(rest), targetShape: [N, ...rest] };
}

/** Class-index targets: shape must be the input's minus the class dim (a flat array of that size is also taken). */
function classTargets(name: string, target: unknown, expected: number[]): Indices {
  const idx = toIndices(name, target);
  const n = numelOf(expected);
  const fromFlat = !(target instanceof Tensor) && idx.shape.length <= 1 && idx.data.length === n;
  if (!sameShape(idx.shape, expected) && !fromFlat) {
    throw new RangeError(
      `${name} has shape ${shapeStr(idx.shape)}, expected ${shapeStr(expected)} (the input without its class dim)`,
    );
  }
  return { data: idx.data, shape: expected };
}

export interface CrossEntropyOptions {
  /** Per-class rescaling, shape [C]. */
  weight?: Tensor | null;
  /** Targets equal to this get no loss and no gradient, and do not count in 'mean'. Default -100. */
  ignoreIndex?: number;
  reduction?: Reduction;
  /** In [0, 1]: mixes the target with the uniform distribution, as PyTorch. Default 0. */
  labelSmoothing?: number;
}

/**
 * torch.nn.functional.cross_entropy: log-softmax over the class dim (dim 1, or 0 for a 1-D input)
 * and negative log-likelihood, fused in one native kernel.
 *  - logits [N, C], [N, C, d1, ...] or [C].
 *  - target: class indices of shape [N] / [N, d1, ...] / [] (int32 tensor, Int32Array or array),
 *    or class probabilities: a float32 tensor of the logits' shape.
 *  - 'mean' divides by the summed weight of the non-ignored targets (NaN when all are ignored, as
 *    in PyTorch); with probabilities it divides by the number of samples N * d1 * ....
 */
export function crossEntropy(logits: Tensor, target: IndexInput | Tensor, opts: CrossEntropyOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('logits', logits, 'float32');
  const reduction = checkReduction(opts.reduction ?? 'mean');
  const ignoreIndex = checkIgnoreIndex(opts.ignoreIndex ?? -100);
  const eps = checkNumber('labelSmoothing', opts.labelSmoothing ?? 0, 0, 1);
  const { N, C, S, targetShape } = classLayout('logits', logits);
  const weight = checkWeight('weight', opts.weight, C);
  const wData = weight ? weight.f32 : null;
  const samples = N * S;
  const loss = new Float32Array(samples);
  const lse = new Float32Array(samples);
  const x = logits.f32;
  if (target instanceof Tensor && target.dtype === 'float32') {
    if (!sameShape(target.shape, logits.shape)) {
      throw new RangeError(
        `target of class probabilities must have the logits' shape ${shapeStr(logits.shape)}, got ${shapeStr(target.shape)}` +
          ` (class indices must be an int32 tensor of shape ${shapeStr(targetShape)})`,
      );
    }
    const t = target.f32;
    native.crossEntropyProbForward(loss, lse, x, t, wData, N, C, S, eps);
    const denom = samples === 0 ? NaN : samples;
    return reduceLoss(
      'crossEntropy',
      loss,
      targetShape,
      reduction,
      [logits, target],
      (dl, stride, scale) => {
        const dx = logits.requiresGrad ? new Float32Array(x.length) : null;
        const dt = target.requiresGrad ? new Float32Array(x.length) : null;
        native.crossEntropyProbBackward(dx, dt, dl, x, lse, t, wData, N, C, S, eps, stride, scale);
        return [dx && new Tensor(dx, logits.shape), dt && new Tensor(dt, logits.shape)];
      },
      denom,
    );
  }
  const idx = classTargets('target', target, targetShape);
  checkIndexRange('target', idx, C, `${C} classes`, ignoreIndex);
  const tData = idx.data.slice();
  const denom = native.crossEntropyForward(loss, lse, x, tData, wData, N, C, S, ignoreIndex, eps);
  return reduceLoss(
    'crossEntropy',
    loss,
    targetShape,
    reduction,
    [logits],
    (dl, stride, scale) => {
      const dx = new Float32Array(x.length);
      native.crossEntropyBackward(dx, dl, x, lse, tData, wData, N, C, S, ignoreIndex, eps, stride, scale);
      return [new Tensor(dx, logits.shape)];
    },
    denom,
  );
}

export interface NllLossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}

/**
 * torch.nn.functional.nll_loss(logProbs, target): -weight[t] * logProbs[n, t] for input [N, C],
 * [N, C, d1, ...] or [C]; 'mean' divides by the summed weight of the non-ignored targets.
 */
export function nllLoss(logProbs: Tensor, target: IndexInput, opts: NllLossOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('logProbs', logProbs, 'float32');
  const reduction = checkReduction(opts.reduction ?? 'mean');
  const ignoreIndex = checkIgnoreIndex(opts.ignoreIndex ?? -100);
  const { N, C, S, targetShape } = classLayout('logProbs', logProbs);
  const weight = checkWeight('weight', opts.weight, C);
  const idx = classTargets('target', target, targetShape);
  checkIndexRange('target', idx, C, `${C} classes`, ignoreIndex);
  const t = idx.data.slice();
  const x = logProbs.f32;
  const loss = new Float32Array(N * S);
  let denom = 0;
  for (let n = 0; n < N; n++)
    for (let s = 0; s < S; s++) {
      const i = n * S + s;
      const y = t[i];
      if (y === ignoreIndex) continue;
      const w = weight ? weight.f32[y] : 1;
      loss[i] = -x[(n * C + y) * S + s] * w;
      denom += w;
    }
  return reduceLoss(
    'nllLoss',
    loss,
    targetShape,
    reduction,
    [logProbs],
    (dl, stride, scale) => {
      const dx = new Float32Array(x.length);
      for (let n = 0; n < N; n++)
        for (let s = 0; s < S; s++) {
          const i = n * S + s;
          const y = t[i];
          if (y === ignoreIndex) continue;
          const w = weight ? weight.f32[y] : 1;
          dx[(n * C + y) * S + s] = -w * dl[i * stride] * scale;
        }
      return [new Tensor(dx, logProbs.shape)];
    },
    denom,
  );
}

export interface BceWithLogitsOptions {
  /** Rescales each element's loss; broadcast to the input's shape. */
  weight?: Tensor | null;
  /** Weight of the positive term, broadcast to the input's shape (typically [C] for the last dim). */
  posWeight?: Tensor | null;
  reduction?: Reduction;
}

/**
 * torch.nn.functional.binary_cross_entropy_with_logits: (1 - t) * x - (1 + (pw - 1) * t) *
 * logsigmoid(x), times weight; stable for any |x|. input and target have the same shape.
 * Gradients flow to input and target (not to weight or posWeight).
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, opts: BceWithLogitsOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('input', input, 'float32');
  checkTensor('target', target, 'float32');
  const reduction = checkReduction(opts.reduction ?? 'mean');
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(
      `target has shape ${shapeStr(target.shape)}, expected the input's shape ${shapeStr(input.shape)}`,
    );
  }
  const expand = (name: string, v: unknown): Float32Array | null => {
    if (v === undefined || v === null) return null;
    const t = checkTensor(name, v, 'float32');
    return broadcastTo(name, t.f32, t.shape, input.shape);
  };
  const w = expand('weight', opts.weight);
  const pw = expand('posWeight', opts.posWeight);
  const x = input.f32;
  const t = target.f32;
  const loss = new Float32Array(x.length);
  native.bceLogitsForward(loss, x, t, w, pw);
  return reduceLoss(
    'binaryCrossEntropyWithLogits',
    loss,
    input.shape,
    reduction,
    [input, target],
    (dl, stride, scale) => {
      const dx = input.requiresGrad ? new Float32Array(x.length) : null;
      const dt = target.requiresGrad ? new Float32Array(x.length) : null;
      native.bceLogitsBackward(dx, dt, dl, x, t, w, pw, stride, scale);
      return [dx && new Tensor(dx, input.shape), dt && new Tensor(dt, input.shape)];
    },
  );
}

export interface ReductionOptions {
  reduction?: Reduction;
}

/** Shared shape of the pointwise regression losses: f(d = input - target) and f'(d). */
function pointwiseLoss(
  name: string,
  input: Tensor,
  target: Tensor,
  reduction: string,
  f: (x: number, t: number) => number,
  df: (x: number, t: number) => [number, number],
): Tensor {
  checkTensor('input', input, 'float32');
  checkTensor('target', target, 'float32');
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(
      `target has shape ${shapeStr(target.shape)}, expected the input's shape ${shapeStr(input.shape)}`,
    );
  }
  const x = input.f32;
  const t = target.f32;
  const loss = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) loss[i] = f(x[i], t[i]);
  return reduceLoss(name, loss, input.shape, reduction, [input, target], (dl, stride, scale) => {
    const dx = new Float32Array(x.length);
    const dt = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const g = dl[i * stride] * scale;
      const [a, b] = df(x[i], t[i]);
      dx[i] = g * a;
      dt[i] = g * b;
    }
    return [new Tensor(dx, input.shape), new Tensor(dt, input.shape)];
  });
}

/** torch.nn.functional.mse_loss: (input - target)^2. input and target have the same shape. */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  return pointwiseLoss(
    'mseLoss',
    input,
    target,
    reduction,
    (x, t) => Math.fround(Math.fround(x - t) * Math.fround(x - t)),
    (x, t) => [2 * (x - t), -2 * (x - t)],
  );
}

/** torch.nn.functional.l1_loss: |input - target|; the gradient at 0 is 0, as in PyTorch. */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  return pointwiseLoss(
    'l1Loss',
    input,
    target,
    reduction,
    (x, t) => Math.abs(Math.fround(x - t)),
    (x, t) => {
      const s = Math.sign(x - t);
      return [s, -s];
    },
  );
}

export interface SmoothL1Options extends ReductionOptions {
  /** Where the loss turns from quadratic to linear; default 1. beta = 0 is l1Loss. */
  beta?: number;
}

/** torch.nn.functional.smooth_l1_loss: 0.5 d^2 / beta for |d| < beta, else |d| - beta / 2. */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1Options = {}): Tensor {
  opts = checkOptions('opts', opts);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  const beta = checkNumber('beta', opts.beta ?? 1, 0);
  return pointwiseLoss(
    'smoothL1Loss',
    input,
    target,
    reduction,
    (x, t) => {
      const d = Math.fround(x - t);
      const a = Math.abs(d);
      return a < beta ? (0.5 * d * d) / beta : a - 0.5 * beta;
    },
    (x, t) => {
      const d = Math.fround(x - t);
      const g = Math.abs(d) < beta ? d / beta : Math.sign(d);
      return [g, -g];
    },
  );
}

export interface KlDivOptions {
  /** 'mean' (over all elements, PyTorch's default), 'batchmean' (sum / input.shape[0]), 'sum', 'none'. */
  reduction?: Reduction | 'batchmean';
  /** target holds log-probabilities. Default false. */
  logTarget?: boolean;
}

/**
 * torch.nn.functional.kl_div(input, target): input holds log-probabilities; pointwise
 * target * (log(target) - input) (0 where target is 0), or exp(t) * (t - input) with logTarget.
 * 'batchmean' is the mathematically correct KL divergence per sample.
 */
export function klDiv(input: Tensor, target: Tensor, opts: KlDivOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const reduction = checkReduction(opts.reduction ?? 'mean', ['mean', 'batchmean', 'sum', 'none']);
  const logTarget = opts.logTarget ?? false;
  if (typeof logTarget !== 'boolean') throw typeError('logTarget', 'a boolean', logTarget);
  // PyTorch: xlogy(t, t) - t * x; d/dx = -t, d/dt = log(t) + 1 - x (NaN at t = 0, as there).
  const f = logTarget
    ? (x: number, t: number) => Math.exp(t) * (t - x)
    : (x: number, t: number) => (t === 0 ? 0 : t * Math.log(t)) - t * x;
  const df = logTarget
    ? (x: number, t: number): [number, number] => [-Math.exp(t), Math.exp(t) * (t - x + 1)]
    : // At t = 0 PyTorch's xlogy(t, t) backward gives 0 * log(0) + t / t = NaN; so do we.
      (x: number, t: number): [number, number] => [-t, t === 0 ? NaN : Math.log(t) + 1 - x];
  if (reduction === 'batchmean') {
    checkTensor('input', input, 'float32');
    const batch = input.ndim === 0 ? 1 : input.shape[0];
    const summed = pointwiseLoss('klDiv', input, target, 'sum', f, df);
    return batchDivide(summed, batch);
  }
  return pointwiseLoss('klDiv', input, target, reduction, f, df);
}

function batchDivide(x: Tensor, batch: number): Tensor {
  const v = Float32Array.of(x.f32[0] / batch);
  return fromOp('klDivBatchmean', v, [], [x], (g) => [new Tensor(Float32Array.of(g.f32[0] / batch), [])]);
}

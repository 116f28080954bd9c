// Losses with torch.nn.functional semantics and defaults. Cross-entropy and BCE-with-logits are
// fused native kernels (native/kernels/loss.cc) with native backward passes; nllLoss and the
// pointwise regression losses (mse, l1, smoothL1, klDiv) are short native loops
// (native/binding/loss.cc, math/loss.h) with the arithmetic their JavaScript loops had.
//
// Every loss runs on either device: the device exports (cuda/binding/loss.cc, kernels in
// cuda/loss.cu) take the CPU exports' arguments over device buffers, so each call picks the export
// object by the inputs' device and passes their storage. Class-index targets on the device are
// range-checked there (a RangeError naming the first bad target); targets given as arrays are
// checked here and copied to the logits' device.
//
// Reductions: 'mean' (default) | 'sum' | 'none'; sums are accumulated in double precision.
import { checkNumber, checkOptions, rangeError, shapeStr, typeError } from '../errors';
import {
  allocStorage,
  checkTensor,
  copyStorage,
  Device,
  fromOp,
  numelOf,
  sameDevice,
  sameShape,
  Storage,
  Tensor,
} from '../tensor';
import { broadcastTo, checkIndexRange, checkReduction, IndexInput, Indices, sumOf, toIndices } from './nnutil';
import { Kernels, kernelsOn as kernelsFor } from '../cuda/dispatch';
import { broadcastStorage, kernelsOn, Raw, raw } from './reduce_kernels';

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
    /** loss[i] = -logProbs[n, target, s] * weight[target] (0 if ignored); returns the 'mean' denominator. */
    nllLossForward(
      loss: Float32Array,
      logProbs: Float32Array,
      target: Int32Array,
      weight: Float32Array | null,
      N: number,
      C: number,
      S: number,
      ignoreIndex: number,
    ): number;
    nllLossBackward(
      dx: Float32Array,
      dloss: Float32Array,
      target: Int32Array,
      weight: Float32Array | null,
      N: number,
      C: number,
      S: number,
      ignoreIndex: number,
      dlossStride: number,
      scale: number,
    ): void;
    /** kind: 0 mse, 1 l1, 2 smoothL1 (beta), 3 klDiv, 4 klDiv with log targets. */
    pointwiseLossForward(kind: number, loss: Float32Array, x: Float32Array, t: Float32Array, beta: number): void;
    pointwiseLossBackward(
      kind: number,
      dx: Float32Array | null,
      dt: Float32Array | null,
      dloss: Float32Array,
      x: Float32Array,
      t: Float32Array,
      beta: number,
      dlossStride: number,
      scale: number,
    ): void;
  }
}

// The device exports take the CPU signatures above with device buffers for the arrays (class
// targets are range-checked on the host first): lib/cuda/dispatch.ts types both.
function lossKernels(device: Device): Kernels {
  return kernelsFor(device);
}

const rawOrNull = (s: Storage | null): Raw | null => (s === null ? null : raw(s));

export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Wraps per-element losses `loss` (shape `shape`, on `device`) into the reduced result.
 * `backward(dloss, stride, scale)` returns the inputs' gradients for an upstream gradient
 * dloss[i * stride] * scale. `denom` is the 'mean' divisor (default: the element count). On the CPU
 * the sum is a double loop here; on cuda a sumForward (double accumulators, then
 * float(float(sum) / denom): at most one float rounding away from the CPU's).
 */
function reduceLoss(
  name: string,
  device: Device,
  loss: Storage,
  shape: readonly number[],
  reduction: string,
  inputs: (Tensor | null)[],
  backward: (dloss: Storage, stride: number, scale: number) => (Tensor | null)[],
  denom = loss.length,
): Tensor {
  if (reduction === 'none') return fromOp(name, loss, shape, inputs, (g) => backward(g.storage, 1, 1));
  const scale = reduction === 'sum' ? 1 : 1 / denom;
  let out: Storage;
  if (loss instanceof Float32Array) {
    const sum = sumOf(loss);
    out = Float32Array.of(reduction === 'sum' ? sum : sum / denom);
  } else {
    out = allocStorage(device, 'float32', 1);
    kernelsOn(device).sumForward(raw(out), raw(loss), 1, loss.length, 1, reduction === 'sum' ? 1 : denom);
  }
  return fromOp(name, out, [], inputs, (g) => backward(g.storage, 0, scale));
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

/**
 * Class-index targets as int32 storage on `device`. A cuda tensor is taken as it is (its shape and
 * dtype checked here, its values by the kernels' export, which throws a RangeError naming the first
 * bad target); anything else is checked here and copied (to the device when the input is there).
 */
function classTargetStorage(
  name: string,
  target: unknown,
  expected: number[],
  C: number,
  ignoreIndex: number,
  device: Device,
): Storage {
  if (target instanceof Tensor && target.device === 'cuda') {
    if (target.dtype !== 'int32') {
      throw new TypeError(
        `${name} must be an int32 tensor of indices, got a ${target.dtype} tensor of shape ${shapeStr(target.shape)}`,
      );
    }
    if (!sameShape(target.shape, expected)) {
      throw new RangeError(
        `${name} has shape ${shapeStr(target.shape)}, expected ${shapeStr(expected)} (the input without its class dim)`,
      );
    }
    return target.storage;
  }
  const idx = classTargets(name, target, expected);
  checkIndexRange(name, idx, C, `${C} classes`, ignoreIndex);
  return device === 'cuda' ? copyStorage(idx.data, 'cuda') : idx.data.slice();
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
  const device = sameDevice('crossEntropy', {
    logits,
    target: target instanceof Tensor ? target : null,
    weight,
  });
  const k = lossKernels(device);
  const w = weight ? raw(weight.storage) : null;
  const samples = N * S;
  const loss = allocStorage(device, 'float32', samples);
  const lse = allocStorage(device, 'float32', samples);
  const x = raw(logits.storage);
  if (target instanceof Tensor && target.dtype === 'float32') {
    if (!sameShape(target.shape, logits.shape)) {
      throw new RangeError(
        `target of class probabilities must have the logits' shape ${shapeStr(logits.shape)}, got ${shapeStr(target.shape)}` +
          ` (class indices must be an int32 tensor of shape ${shapeStr(targetShape)})`,
      );
    }
    const t = raw(target.storage);
    k.crossEntropyProbForward(raw(loss), raw(lse), x, t, w, N, C, S, eps);
    const denom = samples === 0 ? NaN : samples;
    return reduceLoss(
      'crossEntropy',
      device,
      loss,
      targetShape,
      reduction,
      [logits, target],
      (dl, stride, scale) => {
        const dx = logits.requiresGrad ? allocStorage(device, 'float32', logits.size) : null;
        const dt = target.requiresGrad ? allocStorage(device, 'float32', logits.size) : null;
        k.crossEntropyProbBackward(
          rawOrNull(dx),
          rawOrNull(dt),
          raw(dl),
          x,
          raw(lse),
          t,
          w,
          N,
          C,
          S,
          eps,
          stride,
          scale,
        );
        return [dx && new Tensor(dx, logits.shape), dt && new Tensor(dt, logits.shape)];
      },
      denom,
    );
  }
  const tData = classTargetStorage('target', target, targetShape, C, ignoreIndex, device);
  const denom = k.crossEntropyForward(raw(loss), raw(lse), x, raw(tData), w, N, C, S, ignoreIndex, eps);
  return reduceLoss(
    'crossEntropy',
    device,
    loss,
    targetShape,
    reduction,
    [logits],
    (dl, stride, scale) => {
      const dx = allocStorage(device, 'float32', logits.size);
      k.crossEntropyBackward(raw(dx), raw(dl), x, raw(lse), raw(tData), w, N, C, S, ignoreIndex, eps, stride, scale);
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
  const device = sameDevice('nllLoss', { logProbs, target: target instanceof Tensor ? target : null, weight });
  const k = lossKernels(device);
  const t = classTargetStorage('target', target, targetShape, C, ignoreIndex, device);
  const w = weight ? raw(weight.storage) : null;
  const x = raw(logProbs.storage);
  const loss = allocStorage(device, 'float32', N * S);
  const denom = k.nllLossForward(raw(loss), x, raw(t), w, N, C, S, ignoreIndex);
  return reduceLoss(
    'nllLoss',
    device,
    loss,
    targetShape,
    reduction,
    [logProbs],
    (dl, stride, scale) => {
      const dx = allocStorage(device, 'float32', logProbs.size);
      k.nllLossBackward(raw(dx), raw(dl), raw(t), w, N, C, S, ignoreIndex, stride, scale);
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
  const wt = opts.weight === undefined || opts.weight === null ? null : checkTensor('weight', opts.weight, 'float32');
  const pwt =
    opts.posWeight === undefined || opts.posWeight === null
      ? null
      : checkTensor('posWeight', opts.posWeight, 'float32');
  const device = sameDevice('binaryCrossEntropyWithLogits', { input, target, weight: wt, posWeight: pwt });
  const k = lossKernels(device);
  // Weights broadcast to the input's shape: on the CPU by nnutil's loop (no copy when the shape
  // already matches), on cuda by sumBackward broadcasts (reduce.ts).
  const expand = (name: string, v: Tensor | null): Raw | null => {
    if (v === null) return null;
    if (device === 'cpu') return broadcastTo(name, v.f32, v.shape, input.shape);
    if (sameShape(v.shape, input.shape)) return raw(v.storage);
    return raw(broadcastStorage(name, device, v.storage, v.shape, input.shape));
  };
  const w = expand('weight', wt);
  const pw = expand('posWeight', pwt);
  const x = raw(input.storage);
  const t = raw(target.storage);
  const loss = allocStorage(device, 'float32', input.size);
  k.bceLogitsForward(raw(loss), x, t, w, pw);
  return reduceLoss(
    'binaryCrossEntropyWithLogits',
    device,
    loss,
    input.shape,
    reduction,
    [input, target],
    (dl, stride, scale) => {
      const dx = input.requiresGrad ? allocStorage(device, 'float32', input.size) : null;
      const dt = target.requiresGrad ? allocStorage(device, 'float32', input.size) : null;
      k.bceLogitsBackward(rawOrNull(dx), rawOrNull(dt), raw(dl), x, t, w, pw, stride, scale);
      return [dx && new Tensor(dx, input.shape), dt && new Tensor(dt, input.shape)];
    },
  );
}

export interface ReductionOptions {
  reduction?: Reduction;
}

/** The pointwise regression losses' kinds (math::PointwiseLossKind in textkernels/math/loss.h). */
const enum LossKind {
  Mse = 0,
  L1 = 1,
  SmoothL1 = 2,
  KlDiv = 3,
  KlDivLogTarget = 4,
}

/** Shared shape of the pointwise regression losses: loss(x, t) per element, on either device. */
function pointwiseLoss(
  name: string,
  kind: LossKind,
  input: Tensor,
  target: Tensor,
  reduction: string,
  beta = 0,
): Tensor {
  checkTensor('input', input, 'float32');
  checkTensor('target', target, 'float32');
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(
      `target has shape ${shapeStr(target.shape)}, expected the input's shape ${shapeStr(input.shape)}`,
    );
  }
  const device = sameDevice(name, { input, target });
  const k = lossKernels(device);
  const x = raw(input.storage);
  const t = raw(target.storage);
  const loss = allocStorage(device, 'float32', input.size);
  k.pointwiseLossForward(kind, raw(loss), x, t, beta);
  return reduceLoss(name, device, loss, input.shape, reduction, [input, target], (dl, stride, scale) => {
    const dx = input.requiresGrad ? allocStorage(device, 'float32', input.size) : null;
    const dt = target.requiresGrad ? allocStorage(device, 'float32', input.size) : null;
    k.pointwiseLossBackward(kind, rawOrNull(dx), rawOrNull(dt), raw(dl), x, t, beta, stride, scale);
    return [dx && new Tensor(dx, input.shape), dt && new Tensor(dt, input.shape)];
  });
}

/** torch.nn.functional.mse_loss: (input - target)^2. input and target have the same shape. */
export function mseLoss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  return pointwiseLoss('mseLoss', LossKind.Mse, input, target, reduction);
}

/** torch.nn.functional.l1_loss: |input - target|; the gradient at 0 is 0, as in PyTorch. */
export function l1Loss(input: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  return pointwiseLoss('l1Loss', LossKind.L1, input, target, reduction);
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
  return pointwiseLoss('smoothL1Loss', LossKind.SmoothL1, input, target, reduction, beta);
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
  const kind = logTarget ? LossKind.KlDivLogTarget : LossKind.KlDiv;
  if (reduction === 'batchmean') {
    checkTensor('input', input, 'float32');
    const batch = input.ndim === 0 ? 1 : input.shape[0];
    const summed = pointwiseLoss('klDiv', kind, input, target, 'sum');
    return batchDivide(summed, batch);
  }
  return pointwiseLoss('klDiv', kind, input, target, reduction);
}

/** x / batch for a 0-d x, on its device (sumForward / sumBackward with a divisor). */
function batchDivide(x: Tensor, batch: number): Tensor {
  const device = x.device;
  const k = kernelsOn(device);
  const v = allocStorage(device, 'float32', 1);
  k.sumForward(raw(v), raw(x.storage), 1, 1, 1, batch);
  return fromOp('klDivBatchmean', v, [], [x], (g) => {
    const dx = allocStorage(device, 'float32', 1);
    k.sumBackward(raw(dx), raw(g.storage), 1, 1, 1, batch);
    return [new Tensor(dx, [])];
  });
}

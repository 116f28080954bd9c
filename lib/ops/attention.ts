// Scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention) on the fused
// native kernel of native/kernels/attention.cc: FlashAttention-style tiles with an online softmax,
// so memory grows linearly with the sequence length; the backward recomputes the probabilities from
// the saved per-row log-sum-exp (or, for short sequences on the CPU, reads those the forward kept:
// keepsProbabilities), and regenerates any dropout mask from its Philox seed and offset.
// On CUDA tensors the same calls go to the device exports of the same name (cuda/binding/
// attention.cc: the fused kernels of cuda/attention.cu), which draw the same dropout mask from the
// same Philox stream.
import { kernelsOn, Raw, raw } from '../cuda/dispatch';
import { checkOptions, rangeError, shapeStr, typeError } from '../errors';
import { RandomOptions, resolveGenerator } from '../random';
import { native } from '../native';
import {
  allocStorage,
  checkTensor,
  copyStorage,
  fromOp,
  gradGraphRetained,
  handOver,
  isGradEnabled,
  numelOf,
  sameDevice,
  Tensor,
} from '../tensor';

// The CPU signatures; the device exports take the same with device buffers for the arrays (the
// key-padding bytes stay a host Uint8Array, copied per call): see lib/cuda/dispatch.ts.
declare module '../native' {
  interface NativeAddon {
    attentionForward(
      out: Float32Array,
      lse: Float32Array,
      q: Float32Array,
      k: Float32Array,
      v: Float32Array,
      mask: Float32Array | null,
      maskShape: number[],
      keyPadding: Uint8Array | null,
      B: number,
      H: number,
      Tq: number,
      Tk: number,
      D: number,
      scale: number,
      isCausal: boolean,
      dropoutP: number,
      seed: number,
      offset: number,
      probs?: Float32Array | null,
    ): void;
    attentionBackward(
      dq: Float32Array,
      dk: Float32Array,
      dv: Float32Array,
      dout: Float32Array,
      q: Float32Array,
      k: Float32Array,
      v: Float32Array,
      out: Float32Array,
      lse: Float32Array,
      mask: Float32Array | null,
      maskShape: number[],
      keyPadding: Uint8Array | null,
      B: number,
      H: number,
      Tq: number,
      Tk: number,
      D: number,
      scale: number,
      isCausal: boolean,
      dropoutP: number,
      seed: number,
      offset: number,
      probs?: Float32Array | null,
    ): void;
    /** The longest key sequence for which the CPU kernel can keep the probabilities (`probs`). */
    readonly attentionWholeRowMaxTk: number;
  }
}

/** The head sizes the CUDA kernels support (cuda/attention.cu keeps a row slice per lane). */
const MAX_CUDA_HEAD_SIZE = 128;

/**
 * A mask: a float32 tensor (added to the scores), or a boolean mask as an int32 0/1 tensor, a
 * Uint8Array (flat, read as [Tq, Tk] for an attention mask and [B, Tk] for a key padding mask) or
 * nested boolean arrays. What `true` means depends on the function (see each one).
 */
export type AttentionMaskInput =
  | Tensor
  | Uint8Array
  | readonly boolean[]
  | readonly (readonly boolean[])[]
  | readonly (readonly (readonly boolean[])[])[]
  | readonly (readonly (readonly (readonly boolean[])[])[])[];

/** A mask in one of the two forms the kernel takes. */
export type NormalizedMask =
  { kind: 'bool'; data: Uint8Array; shape: number[] } | { kind: 'float'; data: Float32Array; shape: number[] };

function nestedShape(name: string, v: unknown, depth = 0): number[] {
  if (!Array.isArray(v)) {
    if (typeof v !== 'boolean' && v !== 0 && v !== 1) throw typeError(name, 'nested arrays of booleans', v);
    return [];
  }
  if (depth > 4) throw new RangeError(`${name} has more than 4 dimensions`);
  if (v.length === 0) return [0];
  const inner = nestedShape(name, v[0], depth + 1);
  for (let i = 1; i < v.length; i++) {
    const s = nestedShape(name, v[i], depth + 1);
    if (s.length !== inner.length || s.some((d, j) => d !== inner[j])) {
      throw new RangeError(`${name} is ragged: element ${i} has shape ${shapeStr(s)}, element 0 ${shapeStr(inner)}`);
    }
  }
  return [v.length, ...inner];
}

/**
 * Reads a mask argument. `flatShape` is the shape a flat Uint8Array takes. Int32 tensors and
 * boolean arrays must hold only 0/1 (true/false); float32 tensors are additive masks.
 */
export function normalizeMask(name: string, m: unknown, flatShape: number[]): NormalizedMask {
  if (m instanceof Tensor) {
    if (m.device !== 'cpu') {
      throw new TypeError(
        `${name} is a ${m.dtype} tensor on ${m.device}: masks are read on the host (a float32 attnMask may stay on the device); move it with .cpu()`,
      );
    }
    if (m.dtype === 'float32') return { kind: 'float', data: m.f32, shape: m.shape.slice() };
    const d = m.data;
    const out = new Uint8Array(d.length);
    for (let i = 0; i < d.length; i++) {
      if (d[i] !== 0 && d[i] !== 1)
        throw new RangeError(`${name} must hold only 0 and 1 as an int32 tensor, got ${d[i]}`);
      out[i] = d[i];
    }
    return { kind: 'bool', data: out, shape: m.shape.slice() };
  }
  if (m instanceof Uint8Array) {
    if (m.length !== numelOf(flatShape)) {
      throw new RangeError(
        `${name} as a Uint8Array must have ${numelOf(flatShape)} elements (shape ${shapeStr(flatShape)}), got ${m.length}`,
      );
    }
    return { kind: 'bool', data: Uint8Array.from(m, (x) => (x ? 1 : 0)), shape: flatShape.slice() };
  }
  if (Array.isArray(m)) {
    const shape = nestedShape(name, m);
    const flat = (m as unknown[]).flat(4) as (boolean | number)[];
    return { kind: 'bool', data: Uint8Array.from(flat, (x) => (x ? 1 : 0)), shape };
  }
  throw typeError(name, 'a Tensor (float32 additive or int32 0/1), a Uint8Array or nested boolean arrays', m);
}

/**
 * The mask's shape left-padded to rank 4, checked to broadcast to [B, H, Tq, Tk] (every dim 1 or
 * the full size, as the kernel reads it).
 */
export function maskShape4(name: string, shape: readonly number[], full: readonly number[]): number[] {
  const fullStr = shapeStr(full);
  if (shape.length > 4)
    throw new RangeError(
      `${name} of shape ${shapeStr(shape)} has more than 4 dims; expected one broadcastable to ${fullStr}`,
    );
  const s = [...new Array<number>(4 - shape.length).fill(1), ...shape];
  for (let d = 0; d < 4; d++) {
    if (s[d] !== 1 && s[d] !== full[d]) {
      throw new RangeError(`${name} of shape ${shapeStr(shape)} does not broadcast to ${fullStr}`);
    }
  }
  return s;
}

/** Inverts (or not) a boolean mask into the additive form: 0 where allowed, -inf where masked. */
export function boolToAdditive(data: Uint8Array, maskedWhen: 0 | 1): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] === maskedWhen ? -Infinity : 0;
  return out;
}

export interface ScaledDotProductAttentionOptions extends RandomOptions {
  /**
   * Broadcastable to [B, H, Tq, Tk]. Boolean (int32 0/1 tensor, Uint8Array, boolean arrays):
   * true = may attend, as torch. Float32 tensor: added to the scaled scores (no gradient).
   */
  attnMask?: AttentionMaskInput | null;
  /** Query i attends to keys j <= i (top-left aligned, as torch). Not together with attnMask. */
  isCausal?: boolean;
  /** Dropout on the attention probabilities (applied whenever > 0, as torch's functional). */
  dropoutP?: number;
  /** Multiplies q k^T; default 1 / sqrt(d). */
  scale?: number | null;
  /** [B, Tk], true = that key is masked out for every query and head (an extension of torch's API). */
  keyPaddingMask?: AttentionMaskInput | null;
}

interface Dims {
  B: number;
  H: number;
  Tq: number;
  Tk: number;
  D: number;
}

function attentionDims(q: Tensor, k: Tensor, v: Tensor): Dims {
  const r = q.ndim;
  if (r !== 3 && r !== 4) {
    throw new RangeError(
      `scaledDotProductAttention: q must be [B, heads, Tq, d] or [B, Tq, d], got ${shapeStr(q.shape)}`,
    );
  }
  if (k.ndim !== r || v.ndim !== r) {
    throw new RangeError(
      `scaledDotProductAttention: q, k and v must have the same rank, got q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)}, v ${shapeStr(v.shape)}`,
    );
  }
  const lead = (t: Tensor): number[] => t.shape.slice(0, r - 2);
  const same = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(lead(q), lead(k)) || !same(lead(q), lead(v))) {
    throw new RangeError(
      `scaledDotProductAttention: batch and head dims of q ${shapeStr(q.shape)}, k ${shapeStr(k.shape)} and v ${shapeStr(v.shape)} differ`,
    );
  }
  const D = q.shape[r - 1];
  if (k.shape[r - 1] !== D) {
    throw new RangeError(
      `scaledDotProductAttention: head size of k ${shapeStr(k.shape)} differs from q ${shapeStr(q.shape)}`,
    );
  }
  if (v.shape[r - 1] !== D) {
    throw new RangeError(
      `scaledDotProductAttention: v ${shapeStr(v.shape)} must have the head size of q ${shapeStr(q.shape)} (a different value size is not supported)`,
    );
  }
  if (k.shape[r - 2] !== v.shape[r - 2]) {
    throw new RangeError(
      `scaledDotProductAttention: k ${shapeStr(k.shape)} and v ${shapeStr(v.shape)} have different lengths`,
    );
  }
  return {
    B: q.shape[0],
    H: r === 4 ? q.shape[1] : 1,
    Tq: q.shape[r - 2],
    Tk: k.shape[r - 2],
    D,
  };
}

/** A prepared additive mask and key padding for the kernel. */
export interface KernelMasks {
  mask: Float32Array | null;
  /** Instead of `mask`: an additive float32 mask that lives on the inputs' (CUDA) device. */
  deviceMask?: Tensor | null;
  maskShape: number[];
  keyPadding: Uint8Array | null;
}

/**
 * torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale):
 * softmax(q k^T * scale + mask) v over the last two dims of q [B, heads, Tq, d] (or [B, Tq, d]) and
 * k, v [B, heads, Tk, d]. Gradients flow to q, k and v (not to a float mask).
 *
 * Rows in which every key is masked give zeros and zero gradients. (PyTorch's result for such rows
 * depends on the version and backend: NaN from its math path, zeros from its flash kernels.)
 * Dropout masks come from our Philox generator, so they differ from PyTorch's draws.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  opts: ScaledDotProductAttentionOptions = {},
): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('q', q, 'float32');
  checkTensor('k', k, 'float32');
  checkTensor('v', v, 'float32');
  const dims = attentionDims(q, k, v);
  const isCausal = opts.isCausal ?? false;
  if (typeof isCausal !== 'boolean') throw typeError('isCausal', 'a boolean', isCausal);
  const hasMask = opts.attnMask !== undefined && opts.attnMask !== null;
  if (isCausal && hasMask) {
    throw new RangeError('scaledDotProductAttention: attnMask must not be given together with isCausal (as torch)');
  }
  const masks: KernelMasks = { mask: null, maskShape: [1, 1, 1, 1], keyPadding: null };
  const full = [dims.B, dims.H, dims.Tq, dims.Tk];
  if (hasMask) {
    const am = opts.attnMask;
    // A float32 mask on the device is passed as it is (the device kernels read it there).
    const onDevice = am instanceof Tensor && am.device !== 'cpu' && am.dtype === 'float32';
    if (onDevice) sameDevice('scaledDotProductAttention', { q, attnMask: am });
    const m: { kind: 'float' | 'bool'; shape: number[] } = onDevice
      ? { kind: 'float', shape: am.shape.slice() }
      : normalizeMask('attnMask', am, [dims.Tq, dims.Tk]);
    // A rank-3 q has no head dim: the mask broadcasts against [B, Tq, Tk].
    const shape = q.ndim === 3 && m.shape.length === 3 ? [m.shape[0], 1, m.shape[1], m.shape[2]] : m.shape;
    if (q.ndim === 3 && m.shape.length > 3) {
      throw new RangeError(`attnMask of shape ${shapeStr(m.shape)} has more dims than q ${shapeStr(q.shape)}`);
    }
    masks.maskShape = maskShape4('attnMask', shape, full);
    if (onDevice) masks.deviceMask = am;
    else {
      const nm = m as NormalizedMask;
      masks.mask = nm.kind === 'float' ? nm.data : boolToAdditive(nm.data, 0);
    }
  }
  if (opts.keyPaddingMask !== undefined && opts.keyPaddingMask !== null) {
    masks.keyPadding = keyPaddingOf(opts.keyPaddingMask, dims.B, dims.Tk);
  }
  const dropoutP = opts.dropoutP ?? 0;
  if (typeof dropoutP !== 'number' || Number.isNaN(dropoutP)) throw typeError('dropoutP', 'a number', dropoutP);
  if (dropoutP < 0 || dropoutP > 1) throw new RangeError(`dropoutP must be in [0, 1], got ${dropoutP}`);
  let scale = opts.scale ?? null;
  if (scale === null) scale = dims.D > 0 ? 1 / Math.sqrt(dims.D) : 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw typeError('scale', 'a finite number', scale);
  return attentionCore(q, k, v, dims, masks, isCausal, dropoutP, scale, opts);
}

/** A [B, Tk] boolean key padding mask (true = masked out) as bytes. */
export function keyPaddingOf(m: AttentionMaskInput, B: number, Tk: number): Uint8Array {
  const kp = normalizeMask('keyPaddingMask', m, [B, Tk]);
  if (kp.kind !== 'bool') {
    throw new TypeError('keyPaddingMask must be boolean (an int32 0/1 tensor, a Uint8Array or boolean arrays)');
  }
  if (kp.shape.length !== 2 || kp.shape[0] !== B || kp.shape[1] !== Tk) {
    throw new RangeError(`keyPaddingMask must have shape ${shapeStr([B, Tk])}, got ${shapeStr(kp.shape)}`);
  }
  return kp.data;
}

// Keeping the probabilities costs B*H*Tq*Tk floats and saves the backward one of its five tile
// products and all of its exp(): worth it for the short key rows the CPU kernel takes whole, within
// a budget. Longer sequences recompute them, so memory stays linear in T.
let keptProbsBudget = 1 << 24;

/**
 * Sets the most attention probabilities (floats, B*H*Tq*Tk) one CPU attention call may keep for its
 * backward, and returns the previous budget (default 2^24, 64 MB). 0 always recomputes them, as for
 * key sequences longer than 512, whose memory then grows linearly with the sequence length.
 */
export function setAttentionProbsBudget(maxFloats: number): number {
  if (typeof maxFloats !== 'number' || !Number.isInteger(maxFloats))
    throw typeError('maxFloats', 'an integer', maxFloats);
  if (maxFloats < 0) throw rangeError('maxFloats', '>= 0', maxFloats);
  const prev = keptProbsBudget;
  keptProbsBudget = maxFloats;
  probsPool.length = 0;
  pooledFloats = 0;
  return prev;
}

// Kept-probability buffers whose backward has run (and will not run again), for the next forward
// of the same size: a fresh array of tens of MB pays its page faults inside the kernel, about 5% of
// a training step at two threads. Holds at most the budget; the oldest go first.
const probsPool: Float32Array[] = [];
let pooledFloats = 0;

function takeProbs(n: number): Float32Array {
  const i = probsPool.findIndex((b) => b.length === n);
  if (i < 0) return new Float32Array(n);
  pooledFloats -= n;
  return probsPool.splice(i, 1)[0];
}

function poolProbs(buf: Float32Array): void {
  if (buf.length > keptProbsBudget) return;
  while (pooledFloats + buf.length > keptProbsBudget) pooledFloats -= probsPool.shift()!.length;
  probsPool.push(buf);
  pooledFloats += buf.length;
}

/** Whether the CPU kernel keeps the attention probabilities of a call of these sizes for its backward. */
function keepsProbabilities(dims: Dims): boolean {
  const { B, H, Tq, Tk } = dims;
  return Tk <= native.attentionWholeRowMaxTk && B * H * Tq * Tk <= keptProbsBudget;
}

/** The kernel call and its backward, for callers that validated their inputs (MultiheadAttention). */
export function attentionCore(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  dims: Dims,
  masks: KernelMasks,
  isCausal: boolean,
  dropoutP: number,
  scale: number,
  random: RandomOptions,
): Tensor {
  const { B, H, Tq, Tk, D } = dims;
  const device = sameDevice('scaledDotProductAttention', { q, k, v });
  if (device !== 'cpu' && D > MAX_CUDA_HEAD_SIZE) {
    throw new RangeError(
      `scaledDotProductAttention: head size ${D} is above ${MAX_CUDA_HEAD_SIZE}, the most the CUDA kernels support; run it on the CPU`,
    );
  }
  let seed = 0;
  let offset = 0;
  if (dropoutP > 0) {
    const gen = resolveGenerator(random);
    ({ seed, offset } = gen.getState());
    gen.setState({ seed, offset: offset + Math.ceil((B * H * Tq * Tk) / 4) });
  }
  const kern = kernelsOn(device);
  let mask: Raw | null = null;
  if (masks.deviceMask) {
    sameDevice('scaledDotProductAttention', { q, attnMask: masks.deviceMask });
    mask = raw(masks.deviceMask.storage);
  } else if (masks.mask) {
    // A host mask goes to the device once, for the forward and the backward.
    mask = device === 'cpu' ? masks.mask : raw(copyStorage(masks.mask, device));
  }
  const out = allocStorage(device, 'float32', B * H * Tq * D);
  const lse = allocStorage(device, 'float32', B * H * Tq);
  // On the CPU, short sequences keep the probabilities for the backward (see keepsProbabilities).
  // Every element the backward reads is written by the forward, so a pooled buffer needs no clearing.
  let probs =
    device === 'cpu' &&
    isGradEnabled() &&
    (q.requiresGrad || k.requiresGrad || v.requiresGrad) &&
    keepsProbabilities(dims)
      ? takeProbs(B * H * Tq * Tk)
      : null;
  kern.attentionForward(
    raw(out),
    raw(lse),
    raw(q.storage),
    raw(k.storage),
    raw(v.storage),
    mask,
    masks.maskShape,
    masks.keyPadding,
    B,
    H,
    Tq,
    Tk,
    D,
    scale,
    isCausal,
    dropoutP,
    seed,
    offset,
    probs,
  );
  return fromOp('scaledDotProductAttention', out, q.shape, [q, k, v], (g) => {
    const dq = allocStorage(device, 'float32', q.size);
    const dk = allocStorage(device, 'float32', k.size);
    const dv = allocStorage(device, 'float32', v.size);
    kern.attentionBackward(
      raw(dq),
      raw(dk),
      raw(dv),
      raw(g.storage),
      raw(q.storage),
      raw(k.storage),
      raw(v.storage),
      raw(out),
      raw(lse),
      mask,
      masks.maskShape,
      masks.keyPadding,
      B,
      H,
      Tq,
      Tk,
      D,
      scale,
      isCausal,
      dropoutP,
      seed,
      offset,
      probs,
    );
    if (probs && !gradGraphRetained()) {
      // A backward of a graph not retained is this one's last: the next forward may reuse the buffer.
      poolProbs(probs);
      probs = null;
    }
    return [handOver(new Tensor(dq, q.shape)), handOver(new Tensor(dk, k.shape)), handOver(new Tensor(dv, v.shape))];
  });
}

/** A causal [Tq, Tk] boolean mask, true where query i may see key j (j <= i), as torch's tril. */
export function causalMask(Tq: number, Tk: number = Tq): Tensor {
  const d = new Int32Array(Tq * Tk);
  for (let i = 0; i < Tq; i++) for (let j = 0; j <= Math.min(i, Tk - 1); j++) d[i * Tk + j] = 1;
  return new Tensor(d, [Tq, Tk]);
}

declare module '../tensor' {
  interface Tensor {
    scaledDotProductAttention(k: Tensor, v: Tensor, opts?: ScaledDotProductAttentionOptions): Tensor;
  }
}

Tensor.prototype.scaledDotProductAttention = function (
  this: Tensor,
  k: Tensor,
  v: Tensor,
  opts?: ScaledDotProductAttentionOptions,
) {
  return scaledDotProductAttention(this, k, v, opts);
};

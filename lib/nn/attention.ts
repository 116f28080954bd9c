// Attention layers: MultiheadAttention (torch.nn.MultiheadAttention: same parameter names, masks
// and outputs) on the fused scaled-dot-product kernel, and the AttentionPooling of the
// sentence-embedding seed (a learned softmax-weighted sum over the sequence).
import { checkInt, checkNumber, checkOptions, shapeStr, typeError } from '../errors';
import { zeros } from '../creation';
import { Generator, RandomOptions } from '../random';
import { checkTensor, Tensor } from '../tensor';
import { linear } from '../ops/matmul';
import { add, maskedFill, mul } from '../ops/elementwise';
import { softmax } from '../ops/nn';
import { mean, sum } from '../ops/reduce';
import { narrow, permute, reshape, squeeze, transpose, unsqueeze } from '../ops/shape';
import { matmul } from '../ops/matmul';
import {
  attentionCore,
  AttentionMaskInput,
  boolToAdditive,
  KernelMasks,
  maskShape4,
  normalizeMask,
} from '../ops/attention';
import { Module, Parameter, Sequential } from './module';
import { GELU, LayerNorm, Linear } from './layers';
import * as init from './init';

export interface MultiheadAttentionOptions extends RandomOptions {
  embedDim: number;
  numHeads: number;
  /** Dropout on the attention probabilities in training mode (default 0). */
  dropout?: number;
  /** Biases on the input and output projections (default true). */
  bias?: boolean;
  /** Feature sizes of key and value (default embedDim); if either differs, q/k/v projections are separate. */
  kdim?: number;
  vdim?: number;
  /** Inputs are [B, L, E] (default true); false: [L, B, E]. */
  batchFirst?: boolean;
}

export interface MultiheadAttentionForwardOptions {
  /** [B, S]: boolean true = that key is ignored (padding), or float added to the scores. */
  keyPaddingMask?: AttentionMaskInput | null;
  /** [L, S] or [B * numHeads, L, S]: boolean true = not allowed to attend, or float added. */
  attnMask?: AttentionMaskInput | null;
  /**
   * Causal self-attention. torch treats this as a hint that attnMask is the causal mask (and
   * requires attnMask); here, with no attnMask, it applies the causal mask itself, and with one it
   * is ignored in favour of attnMask, as in torch.
   */
  isCausal?: boolean;
  /** Also return the attention probabilities (default true, as torch). */
  needWeights?: boolean;
  /** Average the weights over heads (default true): [B, L, S]; else [B, numHeads, L, S]. */
  averageAttnWeights?: boolean;
}

export interface MultiheadAttentionOutput {
  output: Tensor;
  /** The attention probabilities (before dropout), or null when needWeights is false. */
  weights: Tensor | null;
}

/**
 * torch.nn.MultiheadAttention. Parameters: in_proj_weight [3E, E] and in_proj_bias [3E] (or
 * q_proj_weight [E, E], k_proj_weight [E, kdim], v_proj_weight [E, vdim] when kdim or vdim differ
 * from E), out_proj.weight [E, E], out_proj.bias [E]. Init as torch: xavier_uniform projections,
 * zero biases.
 *
 * The output always comes from the fused kernel; weights (when needWeights) are computed
 * separately from q and k with the ordinary ops, so they are differentiable too. Rows whose every
 * key is masked give zeros in the output (torch: NaN or zeros, by version and path) and NaN weights
 * (as torch).
 */
export class MultiheadAttention extends Module {
  declare in_proj_weight: Tensor | null;
  declare q_proj_weight: Tensor | null;
  declare k_proj_weight: Tensor | null;
  declare v_proj_weight: Tensor | null;
  declare in_proj_bias: Tensor | null;
  declare out_proj: Linear;
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  private readonly random: RandomOptions;

  constructor(opts: MultiheadAttentionOptions) {
    super();
    if (opts === null || typeof opts !== 'object') throw typeError('options', '{ embedDim, numHeads, ... }', opts);
    this.embedDim = checkInt('embedDim', opts.embedDim, 1);
    this.numHeads = checkInt('numHeads', opts.numHeads, 1);
    if (this.embedDim % this.numHeads !== 0) {
      throw new RangeError(`embedDim (${this.embedDim}) must be divisible by numHeads (${this.numHeads})`);
    }
    this.headDim = this.embedDim / this.numHeads;
    this.kdim = checkInt('kdim', opts.kdim ?? this.embedDim, 1);
    this.vdim = checkInt('vdim', opts.vdim ?? this.embedDim, 1);
    this.dropout = checkNumber('dropout', opts.dropout ?? 0, 0, 1);
    this.batchFirst = opts.batchFirst ?? true;
    if (typeof this.batchFirst !== 'boolean') throw typeError('batchFirst', 'a boolean', this.batchFirst);
    const bias = opts.bias ?? true;
    const E = this.embedDim;
    const random: RandomOptions = { seed: opts.seed, generator: opts.generator };
    if (this.kdim === E && this.vdim === E) {
      this.registerParameter('in_proj_weight', Parameter(zeros([3 * E, E])));
      this.registerParameter('q_proj_weight', null);
      this.registerParameter('k_proj_weight', null);
      this.registerParameter('v_proj_weight', null);
    } else {
      this.registerParameter('in_proj_weight', null);
      this.registerParameter('q_proj_weight', Parameter(zeros([E, E])));
      this.registerParameter('k_proj_weight', Parameter(zeros([E, this.kdim])));
      this.registerParameter('v_proj_weight', Parameter(zeros([E, this.vdim])));
    }
    this.registerParameter('in_proj_bias', bias ? Parameter(zeros([3 * E])) : null);
    const gen = opts.seed !== undefined ? new Generator(opts.seed) : opts.generator;
    this.registerModule('out_proj', new Linear(E, E, { bias, ...(gen ? { generator: gen } : {}) }));
    for (const w of [this.in_proj_weight, this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) {
      if (w) init.xavierUniform_(w, 1, gen ? { generator: gen } : random);
    }
    if (this.out_proj.bias) init.zeros_(this.out_proj.bias);
    // A seed gives this layer its own generator for dropout, so successive masks differ but replay.
    this.random = gen ? { generator: gen } : {};
  }

  private project(x: Tensor, which: 0 | 1 | 2): Tensor {
    const E = this.embedDim;
    const w = this.in_proj_weight
      ? narrow(this.in_proj_weight, 0, which * E, E)
      : [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight][which]!;
    const b = this.in_proj_bias ? narrow(this.in_proj_bias, 0, which * E, E) : null;
    return linear(x, w, b);
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    opts: MultiheadAttentionForwardOptions = {},
  ): MultiheadAttentionOutput {
    opts = checkOptions('opts', opts);
    checkTensor('query', query, 'float32');
    checkTensor('key', key, 'float32');
    checkTensor('value', value, 'float32');
    const batched = query.ndim === 3;
    if (query.ndim !== 2 && query.ndim !== 3) {
      throw new RangeError(`MultiheadAttention: query must be [B, L, E] or [L, E], got ${shapeStr(query.shape)}`);
    }
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new RangeError(
        `MultiheadAttention: query ${shapeStr(query.shape)}, key ${shapeStr(key.shape)} and value ${shapeStr(value.shape)} must have the same rank`,
      );
    }
    let q = batched ? query : unsqueeze(query, 0);
    let k = batched ? key : unsqueeze(key, 0);
    let v = batched ? value : unsqueeze(value, 0);
    if (batched && !this.batchFirst) {
      q = transpose(q, 0, 1);
      k = transpose(k, 0, 1);
      v = transpose(v, 0, 1);
    }
    const [B, L, Eq] = q.shape;
    const S = k.shape[1];
    const E = this.embedDim;
    const H = this.numHeads;
    const hd = this.headDim;
    if (Eq !== E) throw new RangeError(`MultiheadAttention: query has ${Eq} features, expected embedDim ${E}`);
    if (k.shape[2] !== this.kdim)
      throw new RangeError(`MultiheadAttention: key has ${k.shape[2]} features, expected kdim ${this.kdim}`);
    if (v.shape[2] !== this.vdim)
      throw new RangeError(`MultiheadAttention: value has ${v.shape[2]} features, expected vdim ${this.vdim}`);
    if (k.shape[0] !== B || v.shape[0] !== B || v.shape[1] !== S) {
      throw new RangeError(
        `MultiheadAttention: key ${shapeStr(key.shape)} and value ${shapeStr(value.shape)} do not match query ${shapeStr(query.shape)} in batch or length`,
      );
    }
    const masks = this.buildMasks(opts, B, L, S, batched);
    const isCausal = (opts.isCausal ?? false) && masks.mask === null && (opts.attnMask ?? null) === null;
    if (typeof (opts.isCausal ?? false) !== 'boolean') throw typeError('isCausal', 'a boolean', opts.isCausal);
    const heads = (x: Tensor, T: number): Tensor => permute(reshape(x, [B, T, H, hd]), [0, 2, 1, 3]);
    const qh = heads(this.project(q, 0), L);
    const kh = heads(this.project(k, 1), S);
    const vh = heads(this.project(v, 2), S);
    const p = this.training ? this.dropout : 0;
    const scale = 1 / Math.sqrt(hd);
    const attn = attentionCore(qh, kh, vh, { B, H, Tq: L, Tk: S, D: hd }, masks, isCausal, p, scale, this.random);
    let output = this.out_proj.forward(reshape(permute(attn, [0, 2, 1, 3]), [B, L, E]));
    if (batched && !this.batchFirst) output = transpose(output, 0, 1);
    if (!batched) output = squeeze(output, 0);
    let weights: Tensor | null = null;
    if (opts.needWeights ?? true) {
      // The masks are built on the host and go to the query's device with the scores.
      const device = query.device;
      let s = mul(matmul(qh, transpose(kh, -1, -2)), scale);
      if (masks.mask) s = add(s, new Tensor(masks.mask, masks.maskShape, { device }));
      if (masks.keyPadding) {
        s = maskedFill(s, new Tensor(Int32Array.from(masks.keyPadding), [B, 1, 1, S], { device }), -Infinity);
      }
      if (isCausal) {
        const c = new Int32Array(L * S);
        for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) c[i * S + j] = 1;
        s = maskedFill(s, new Tensor(c, [L, S], { device }), -Infinity);
      }
      weights = softmax(s, -1);
      if (opts.averageAttnWeights ?? true) weights = mean(weights, 1);
      if (!batched) weights = squeeze(weights, 0);
    }
    return { output, weights };
  }

  /** torch's merge of key_padding_mask and attn_mask into one additive mask (bool padding kept as bytes). */
  private buildMasks(
    opts: MultiheadAttentionForwardOptions,
    B: number,
    L: number,
    S: number,
    batched: boolean,
  ): KernelMasks {
    const H = this.numHeads;
    const masks: KernelMasks = { mask: null, maskShape: [1, 1, 1, 1], keyPadding: null };
    let add4: Float32Array | null = null;
    let shape4 = [1, 1, 1, 1];
    if (opts.attnMask !== undefined && opts.attnMask !== null) {
      const m = normalizeMask('attnMask', hostMask('MultiheadAttention', 'attnMask', opts.attnMask), [L, S]);
      let shape: number[];
      if (m.shape.length === 2) {
        if (m.shape[0] !== L || m.shape[1] !== S) {
          throw new RangeError(
            `attnMask must have shape ${shapeStr([L, S])} or ${shapeStr([B * H, L, S])}, got ${shapeStr(m.shape)}`,
          );
        }
        shape = [1, 1, L, S];
      } else if (m.shape.length === 3) {
        if (m.shape[0] !== B * H || m.shape[1] !== L || m.shape[2] !== S) {
          throw new RangeError(
            `attnMask must have shape ${shapeStr([L, S])} or ${shapeStr([B * H, L, S])}, got ${shapeStr(m.shape)}`,
          );
        }
        shape = [B, H, L, S];
      } else {
        throw new RangeError(`attnMask must be 2-D [L, S] or 3-D [B * numHeads, L, S], got ${shapeStr(m.shape)}`);
      }
      add4 = m.kind === 'float' ? m.data : boolToAdditive(m.data, 1);
      shape4 = maskShape4('attnMask', shape, [B, H, L, S]);
    }
    if (opts.keyPaddingMask !== undefined && opts.keyPaddingMask !== null) {
      const kp = normalizeMask(
        'keyPaddingMask',
        hostMask('MultiheadAttention', 'keyPaddingMask', opts.keyPaddingMask),
        [B, S],
      );
      const want = batched ? [B, S] : [S];
      if (kp.shape.length !== want.length || kp.shape.some((d, i) => d !== want[i])) {
        throw new RangeError(`keyPaddingMask must have shape ${shapeStr(want)}, got ${shapeStr(kp.shape)}`);
      }
      if (kp.kind === 'bool') {
        masks.keyPadding = kp.data;
      } else if (add4 === null) {
        add4 = kp.data;
        shape4 = [B, 1, 1, S];
      } else {
        // Both float pieces: the sum, broadcast to [B, h, L, S] (h = 1 unless attnMask is per head).
        const h = shape4[1];
        const merged = new Float32Array(B * h * L * S);
        for (let b = 0; b < B; b++)
          for (let hh = 0; hh < h; hh++)
            for (let i = 0; i < L; i++) {
              const src = shape4[0] === 1 ? (hh * L + i) * S : ((b * h + hh) * L + i) * S;
              const dst = ((b * h + hh) * L + i) * S;
              for (let j = 0; j < S; j++) merged[dst + j] = add4[src + j] + kp.data[b * S + j];
            }
        add4 = merged;
        shape4 = [B, h, L, S];
      }
    }
    masks.mask = add4;
    masks.maskShape = shape4;
    return masks;
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, dropout=${this.dropout}, batchFirst=${this.batchFirst}`;
  }
}

/**
 * The mask, refused with a TypeError saying what to do when it is a CUDA tensor: masks are read on
 * the host (the attention kernels take them as host arrays and the layers build the device copies
 * they need), and a device mask would need a silent copy back.
 */
function hostMask(layer: string, name: string, m: AttentionMaskInput): AttentionMaskInput {
  if (m instanceof Tensor && m.device !== 'cpu') {
    throw new TypeError(
      `${layer}: ${name} is on ${m.device}, but masks are read on the host: pass it on the CPU (${name}.cpu()) ` +
        'or as nested boolean arrays; the layer puts what it needs on the input device',
    );
  }
  return m;
}

export interface AttentionPoolingOptions extends RandomOptions {
  hiddenDim: number;
  outputDim: number;
}

/**
 * The attention pooling of the sentence-embedding seed (003): a linear score per token
 * (attn: Linear(hiddenDim, 1)), masked softmax over the sequence (masked scores set to -1e9, as
 * the seed), and the weighted sum of proj(x) = LayerNorm(GELU(Linear(hiddenDim, outputDim)(x))).
 * Parameters: attn.weight, attn.bias, proj.0.weight, proj.0.bias, proj.2.weight, proj.2.bias.
 */
export class AttentionPooling extends Module {
  declare attn: Linear;
  declare proj: Sequential;
  readonly hiddenDim: number;
  readonly outputDim: number;

  constructor(opts: AttentionPoolingOptions) {
    super();
    if (opts === null || typeof opts !== 'object') throw typeError('options', '{ hiddenDim, outputDim }', opts);
    this.hiddenDim = checkInt('hiddenDim', opts.hiddenDim, 1);
    this.outputDim = checkInt('outputDim', opts.outputDim, 1);
    const gen = opts.seed !== undefined ? new Generator(opts.seed) : opts.generator;
    const r = gen ? { generator: gen } : {};
    this.registerModule('attn', new Linear(this.hiddenDim, 1, r));
    this.registerModule(
      'proj',
      new Sequential(new Linear(this.hiddenDim, this.outputDim, r), new GELU(), new LayerNorm(this.outputDim)),
    );
  }

  /**
   * x [B, T, hiddenDim] → [B, outputDim]. mask [B, T]: 1 / true = a real token, 0 / false =
   * padding (the seed's convention: `mask == 0` is masked out).
   */
  forward(x: Tensor, mask: AttentionMaskInput | null = null): Tensor {
    checkTensor('x', x, 'float32');
    if (x.ndim !== 3 || x.shape[2] !== this.hiddenDim) {
      throw new RangeError(`AttentionPooling: x must be [B, T, ${this.hiddenDim}], got ${shapeStr(x.shape)}`);
    }
    const [B, T] = x.shape;
    let scores = squeeze(this.attn.forward(x), -1);
    if (mask !== null && mask !== undefined) {
      const m = normalizeMask('mask', hostMask('AttentionPooling', 'mask', mask), [B, T]);
      if (m.shape.length !== 2 || m.shape[0] !== B || m.shape[1] !== T) {
        throw new RangeError(`AttentionPooling: mask must have shape ${shapeStr([B, T])}, got ${shapeStr(m.shape)}`);
      }
      const pad = new Int32Array(B * T);
      for (let i = 0; i < pad.length; i++) pad[i] = m.data[i] === 0 ? 1 : 0;
      scores = maskedFill(scores, new Tensor(pad, [B, T], { device: x.device }), -1e9);
    }
    const w = softmax(scores, 1);
    return sum(mul(unsqueeze(w, -1), this.proj.forward(x)), 1);
  }
}

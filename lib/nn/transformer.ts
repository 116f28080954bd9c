// Transformer layers with torch.nn's structure and parameter names (self_attn.*, linear1, linear2,
// norm1..3, multihead_attn), so a torch state_dict loads as is; plus the encoder/decoder stacks
// (layers.0.*, ..., norm.*) and two positional encodings.
import { checkInt, checkNumber, checkOptions, shapeStr, typeError } from '../errors';
import { zeros } from '../creation';
import { Generator, RandomOptions } from '../random';
import { checkTensor, Tensor } from '../tensor';
import { add, gelu, relu } from '../ops/elementwise';
import { dropout } from '../ops/nn';
import { narrow } from '../ops/shape';
import { AttentionMaskInput } from '../ops/attention';
import { Module, ModuleList, Parameter } from './module';
import { LayerNorm, Linear } from './layers';
import { MultiheadAttention } from './attention';
import * as init from './init';

export interface TransformerLayerOptions extends RandomOptions {
  dModel: number;
  nhead: number;
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  layerNormEps?: number;
  batchFirst?: boolean;
  /** Pre-norm (LayerNorm before each block) instead of torch's default post-norm. */
  normFirst?: boolean;
  bias?: boolean;
}

interface Resolved {
  dModel: number;
  nhead: number;
  dimFeedforward: number;
  dropout: number;
  activation: 'relu' | 'gelu';
  eps: number;
  batchFirst: boolean;
  normFirst: boolean;
  bias: boolean;
  random: RandomOptions;
}

function resolve(opts: TransformerLayerOptions): Resolved {
  if (opts === null || typeof opts !== 'object') throw typeError('options', '{ dModel, nhead, ... }', opts);
  const activation = opts.activation ?? 'relu';
  if (activation !== 'relu' && activation !== 'gelu') throw typeError('activation', "'relu' or 'gelu'", activation);
  const gen = opts.seed !== undefined ? new Generator(opts.seed) : opts.generator;
  const batchFirst = opts.batchFirst ?? true;
  const normFirst = opts.normFirst ?? false;
  if (typeof batchFirst !== 'boolean') throw typeError('batchFirst', 'a boolean', batchFirst);
  if (typeof normFirst !== 'boolean') throw typeError('normFirst', 'a boolean', normFirst);
  return {
    dModel: checkInt('dModel', opts.dModel, 1),
    nhead: checkInt('nhead', opts.nhead, 1),
    dimFeedforward: checkInt('dimFeedforward', opts.dimFeedforward ?? 2048, 1),
    dropout: checkNumber('dropout', opts.dropout ?? 0.1, 0, 1),
    activation,
    eps: checkNumber('layerNormEps', opts.layerNormEps ?? 1e-5, 0),
    batchFirst,
    normFirst,
    bias: opts.bias ?? true,
    random: gen ? { generator: gen } : {},
  };
}

/** Shared pieces of the encoder and decoder layers: feed-forward block and dropouts. */
abstract class TransformerLayerBase extends Module {
  declare linear1: Linear;
  declare linear2: Linear;
  readonly dModel: number;
  readonly nhead: number;
  readonly normFirst: boolean;
  readonly activation: 'relu' | 'gelu';
  readonly dropoutP: number;
  readonly batchFirst: boolean;
  protected readonly random: RandomOptions;

  constructor(o: Resolved) {
    super();
    this.dModel = o.dModel;
    this.nhead = o.nhead;
    this.normFirst = o.normFirst;
    this.activation = o.activation;
    this.dropoutP = o.dropout;
    this.batchFirst = o.batchFirst;
    this.random = o.random;
  }

  protected makeAttention(o: Resolved): MultiheadAttention {
    return new MultiheadAttention({
      embedDim: o.dModel,
      numHeads: o.nhead,
      dropout: o.dropout,
      bias: o.bias,
      batchFirst: o.batchFirst,
      ...o.random,
    });
  }

  protected makeFeedforward(o: Resolved): void {
    this.registerModule('linear1', new Linear(o.dModel, o.dimFeedforward, { bias: o.bias, ...o.random }));
    this.registerModule('linear2', new Linear(o.dimFeedforward, o.dModel, { bias: o.bias, ...o.random }));
  }

  protected drop(x: Tensor): Tensor {
    return this.training && this.dropoutP > 0 ? dropout(x, this.dropoutP, this.random) : x;
  }

  protected ff(x: Tensor): Tensor {
    const h = this.linear1.forward(x);
    return this.drop(this.linear2.forward(this.drop(this.activation === 'relu' ? relu(h) : gelu(h))));
  }

  protected checkInput(name: string, x: Tensor): void {
    checkTensor(name, x, 'float32');
    const last = x.shape[x.ndim - 1];
    if ((x.ndim !== 2 && x.ndim !== 3) || last !== this.dModel) {
      throw new RangeError(
        `${name} must be [B, T, ${this.dModel}] (or unbatched [T, ${this.dModel}]), got ${shapeStr(x.shape)}`,
      );
    }
  }

  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}, activation=${this.activation}, normFirst=${this.normFirst}`;
  }
}

export interface EncoderLayerForwardOptions {
  /** [T, T] or [B * nhead, T, T]; boolean true = not allowed, or float added (MultiheadAttention's convention). */
  srcMask?: AttentionMaskInput | null;
  /** [B, T], true = padding. */
  srcKeyPaddingMask?: AttentionMaskInput | null;
  /** Causal self-attention (without srcMask: the layer applies the causal mask itself). */
  isCausal?: boolean;
}

/** torch.nn.TransformerEncoderLayer: self-attention and a feed-forward block, each with a residual. */
export class TransformerEncoderLayer extends TransformerLayerBase {
  declare self_attn: MultiheadAttention;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;

  constructor(opts: TransformerLayerOptions) {
    const o = resolve(opts);
    super(o);
    this.registerModule('self_attn', this.makeAttention(o));
    this.makeFeedforward(o);
    this.registerModule('norm1', new LayerNorm(o.dModel, { eps: o.eps, bias: o.bias }));
    this.registerModule('norm2', new LayerNorm(o.dModel, { eps: o.eps, bias: o.bias }));
  }

  private sa(x: Tensor, opts: EncoderLayerForwardOptions): Tensor {
    const { output } = this.self_attn.forward(x, x, x, {
      attnMask: opts.srcMask,
      keyPaddingMask: opts.srcKeyPaddingMask,
      isCausal: opts.isCausal,
      needWeights: false,
    });
    return this.drop(output);
  }

  forward(src: Tensor, opts: EncoderLayerForwardOptions = {}): Tensor {
    opts = checkOptions('opts', opts);
    this.checkInput('src', src);
    let x = src;
    if (this.normFirst) {
      x = add(x, this.sa(this.norm1.forward(x), opts));
      x = add(x, this.ff(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(add(x, this.sa(x, opts)));
      x = this.norm2.forward(add(x, this.ff(x)));
    }
    return x;
  }
}

export interface DecoderLayerForwardOptions {
  tgtMask?: AttentionMaskInput | null;
  memoryMask?: AttentionMaskInput | null;
  tgtKeyPaddingMask?: AttentionMaskInput | null;
  memoryKeyPaddingMask?: AttentionMaskInput | null;
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

/** torch.nn.TransformerDecoderLayer: masked self-attention, cross-attention to memory, feed-forward. */
export class TransformerDecoderLayer extends TransformerLayerBase {
  declare self_attn: MultiheadAttention;
  declare multihead_attn: MultiheadAttention;
  declare norm1: LayerNorm;
  declare norm2: LayerNorm;
  declare norm3: LayerNorm;

  constructor(opts: TransformerLayerOptions) {
    const o = resolve(opts);
    super(o);
    this.registerModule('self_attn', this.makeAttention(o));
    this.registerModule('multihead_attn', this.makeAttention(o));
    this.makeFeedforward(o);
    for (const n of ['norm1', 'norm2', 'norm3'])
      this.registerModule(n, new LayerNorm(o.dModel, { eps: o.eps, bias: o.bias }));
  }

  private sa(x: Tensor, o: DecoderLayerForwardOptions): Tensor {
    const { output } = this.self_attn.forward(x, x, x, {
      attnMask: o.tgtMask,
      keyPaddingMask: o.tgtKeyPaddingMask,
      isCausal: o.tgtIsCausal,
      needWeights: false,
    });
    return this.drop(output);
  }

  private mha(x: Tensor, mem: Tensor, o: DecoderLayerForwardOptions): Tensor {
    const { output } = this.multihead_attn.forward(x, mem, mem, {
      attnMask: o.memoryMask,
      keyPaddingMask: o.memoryKeyPaddingMask,
      isCausal: o.memoryIsCausal,
      needWeights: false,
    });
    return this.drop(output);
  }

  forward(tgt: Tensor, memory: Tensor, opts: DecoderLayerForwardOptions = {}): Tensor {
    opts = checkOptions('opts', opts);
    this.checkInput('tgt', tgt);
    this.checkInput('memory', memory);
    let x = tgt;
    if (this.normFirst) {
      x = add(x, this.sa(this.norm1.forward(x), opts));
      x = add(x, this.mha(this.norm2.forward(x), memory, opts));
      x = add(x, this.ff(this.norm3.forward(x)));
    } else {
      x = this.norm1.forward(add(x, this.sa(x, opts)));
      x = this.norm2.forward(add(x, this.mha(x, memory, opts)));
      x = this.norm3.forward(add(x, this.ff(x)));
    }
    return x;
  }
}

export interface TransformerStackOptions extends TransformerLayerOptions {
  numLayers: number;
  /** A final LayerNorm after the last layer (torch's `norm` argument; default false). */
  finalNorm?: boolean;
}

/** torch.nn.TransformerEncoder: numLayers encoder layers (layers.0, layers.1, ...) and an optional norm. */
export class TransformerEncoder extends Module {
  declare layers: ModuleList;
  declare norm: LayerNorm | null;

  constructor(opts: TransformerStackOptions) {
    super();
    const n = checkInt('numLayers', opts.numLayers, 1);
    const gen = opts.seed !== undefined ? new Generator(opts.seed) : opts.generator;
    const layerOpts = { ...opts, seed: undefined, ...(gen ? { generator: gen } : {}) };
    this.registerModule(
      'layers',
      new ModuleList(Array.from({ length: n }, () => new TransformerEncoderLayer(layerOpts))),
    );
    this.registerModule('norm', opts.finalNorm ? new LayerNorm(opts.dModel, { eps: opts.layerNormEps ?? 1e-5 }) : null);
  }

  forward(src: Tensor, opts: EncoderLayerForwardOptions = {}): Tensor {
    opts = checkOptions('opts', opts);
    let x = src;
    for (const layer of this.layers) x = (layer as TransformerEncoderLayer).forward(x, opts);
    return this.norm ? this.norm.forward(x) : x;
  }
}

/** torch.nn.TransformerDecoder: numLayers decoder layers and an optional final norm. */
export class TransformerDecoder extends Module {
  declare layers: ModuleList;
  declare norm: LayerNorm | null;

  constructor(opts: TransformerStackOptions) {
    super();
    const n = checkInt('numLayers', opts.numLayers, 1);
    const gen = opts.seed !== undefined ? new Generator(opts.seed) : opts.generator;
    const layerOpts = { ...opts, seed: undefined, ...(gen ? { generator: gen } : {}) };
    this.registerModule(
      'layers',
      new ModuleList(Array.from({ length: n }, () => new TransformerDecoderLayer(layerOpts))),
    );
    this.registerModule('norm', opts.finalNorm ? new LayerNorm(opts.dModel, { eps: opts.layerNormEps ?? 1e-5 }) : null);
  }

  forward(tgt: Tensor, memory: Tensor, opts: DecoderLayerForwardOptions = {}): Tensor {
    opts = checkOptions('opts', opts);
    let x = tgt;
    for (const layer of this.layers) x = (layer as TransformerDecoderLayer).forward(x, memory, opts);
    return this.norm ? this.norm.forward(x) : x;
  }
}

export interface PositionalEncodingOptions {
  dModel: number;
  /** Longest sequence (default 5000). */
  maxLen?: number;
  /** Dropout after adding the encoding, in training mode (default 0). */
  dropout?: number;
  seed?: number;
  generator?: Generator;
}

/**
 * x + PE[offset : offset + T] with the fixed sinusoids of "Attention Is All You Need":
 * PE[pos, 2i] = sin(pos / 10000^(2i / dModel)), PE[pos, 2i + 1] = cos(...). x is [B, T, dModel]
 * (or [T, dModel]). The table is a non-persistent buffer `pe` [maxLen, dModel].
 */
export class SinusoidalPositionalEncoding extends Module {
  declare pe: Tensor;
  readonly dModel: number;
  readonly maxLen: number;
  readonly p: number;
  private readonly random: RandomOptions;

  constructor(opts: PositionalEncodingOptions) {
    super();
    this.dModel = checkInt('dModel', opts.dModel, 1);
    this.maxLen = checkInt('maxLen', opts.maxLen ?? 5000, 1);
    this.p = checkNumber('dropout', opts.dropout ?? 0, 0, 1);
    const d = this.dModel;
    const pe = new Float32Array(this.maxLen * d);
    for (let pos = 0; pos < this.maxLen; pos++) {
      for (let i = 0; i < d; i += 2) {
        // exp(2i * -ln(10000) / d) as the PyTorch tutorial computes it.
        const div = Math.exp(i * (-Math.log(10000) / d));
        pe[pos * d + i] = Math.sin(pos * div);
        if (i + 1 < d) pe[pos * d + i + 1] = Math.cos(pos * div);
      }
    }
    this.registerBuffer('pe', new Tensor(pe, [this.maxLen, d]), { persistent: false });
    const gen = opts.seed !== undefined ? new Generator(opts.seed) : opts.generator;
    this.random = gen ? { generator: gen } : {};
  }

  forward(x: Tensor, offset = 0): Tensor {
    const T = positionsOf('SinusoidalPositionalEncoding', x, this.dModel, this.maxLen, offset);
    const y = add(x, narrow(this.pe, 0, offset, T));
    return this.training && this.p > 0 ? dropout(y, this.p, this.random) : y;
  }
}

function positionsOf(name: string, x: Tensor, d: number, maxLen: number, offset: number): number {
  checkTensor('x', x, 'float32');
  if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 1] !== d) {
    throw new RangeError(`${name}: x must be [B, T, ${d}] or [T, ${d}], got ${shapeStr(x.shape)}`);
  }
  checkInt('offset', offset, 0);
  const T = x.shape[x.ndim - 2];
  if (offset + T > maxLen) throw new RangeError(`${name}: positions up to ${offset + T} exceed maxLen ${maxLen}`);
  return T;
}

/** x + weight[offset : offset + T] with a learned table `weight` [maxLen, dModel] ~ N(0, 1) (as nn.Embedding). */
export class LearnedPositionalEmbedding extends Module {
  declare weight: Tensor;
  readonly dModel: number;
  readonly maxLen: number;

  constructor(opts: { maxLen: number; dModel: number } & RandomOptions) {
    super();
    this.dModel = checkInt('dModel', opts.dModel, 1);
    this.maxLen = checkInt('maxLen', opts.maxLen, 1);
    this.registerParameter('weight', Parameter(zeros([this.maxLen, this.dModel])));
    init.normal_(this.weight, 0, 1, { seed: opts.seed, generator: opts.generator });
  }

  forward(x: Tensor, offset = 0): Tensor {
    const T = positionsOf('LearnedPositionalEmbedding', x, this.dModel, this.maxLen, offset);
    return add(x, narrow(this.weight, 0, offset, T));
  }
}

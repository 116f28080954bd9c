// Layers on Module, with PyTorch's constructor argument order, parameter names, shapes and
// default initialisation (so a torch state_dict loads under the same names and a fresh layer
// draws from the same distributions). Options beyond the positional ones go in one object.
import { checkInt, checkNumber, checkOptions, typeError } from '../errors';
import { zeros, ones } from '../creation';
import { Generator, RandomOptions } from '../random';
import { Tensor } from '../tensor';
import { linear } from '../ops/matmul';
import { relu, gelu, tanh, sigmoid, div } from '../ops/elementwise';
import { softmax, logSoftmax, layerNorm, embedding, dropout } from '../ops/nn';
import { flatten } from '../ops/shape';
import { CsrMatrix, spmm } from '../sparse';
import { copyInto, Module, Parameter } from './module';
import * as init from './init';

export interface LinearOptions extends RandomOptions {
  bias?: boolean;
}

/** y = x W^T + b; weight [out, in], bias [out]. Init: kaiming_uniform(a = sqrt(5)), bias U(+-1/sqrt(in)). */
export class Linear extends Module {
  declare weight: Tensor;
  declare bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    opts = checkOptions('opts', opts);
    super();
    this.inFeatures = checkInt('inFeatures', inFeatures);
    this.outFeatures = checkInt('outFeatures', outFeatures);
    this.registerParameter('weight', Parameter(zeros([outFeatures, inFeatures])));
    this.registerParameter('bias', opts.bias === false ? null : Parameter(zeros([outFeatures])));
    this.resetParameters(opts);
  }

  resetParameters(opts: RandomOptions = {}): void {
    opts = checkOptions('opts', opts);
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5), ...opts });
    if (this.bias) {
      const bound = this.inFeatures > 0 ? 1 / Math.sqrt(this.inFeatures) : 0;
      init.uniform_(this.bias, -bound, bound, opts);
    }
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

export interface EmbeddingModuleOptions extends RandomOptions {
  paddingIdx?: number | null;
}

/** A lookup table [num, dim] ~ N(0, 1), the paddingIdx row zeroed and given no gradient. */
export class Embedding extends Module {
  declare weight: Tensor;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingModuleOptions = {}) {
    opts = checkOptions('opts', opts);
    super();
    this.numEmbeddings = checkInt('numEmbeddings', numEmbeddings);
    this.embeddingDim = checkInt('embeddingDim', embeddingDim);
    let p = opts.paddingIdx ?? null;
    if (p !== null) {
      checkInt('paddingIdx', p, -numEmbeddings, numEmbeddings - 1);
      if (p < 0) p += numEmbeddings;
    }
    this.paddingIdx = p;
    this.registerParameter('weight', Parameter(zeros([numEmbeddings, embeddingDim])));
    this.resetParameters(opts);
  }

  resetParameters(opts: RandomOptions = {}): void {
    opts = checkOptions('opts', opts);
    // A CUDA weight gets the values a CPU one would (drawn on the host, padding row zeroed, one copy).
    const w = this.weight.device === 'cpu' ? this.weight : zeros(this.weight.shape);
    init.normal_(w, 0, 1, opts);
    if (this.paddingIdx !== null) {
      const d = this.embeddingDim;
      w.f32.fill(0, this.paddingIdx * d, (this.paddingIdx + 1) * d);
    }
    if (w !== this.weight) copyInto(this.weight, w);
  }

  /** ids: int32 tensor, Int32Array or (nested) arrays of ids; returns [...ids.shape, dim]. */
  forward(ids: Tensor | Int32Array | number[] | number[][]): Tensor {
    return embedding(ids, this.weight, { paddingIdx: this.paddingIdx });
  }

  /** An Embedding holding `weights` (torch.nn.Embedding.from_pretrained); frozen unless freeze is false. */
  static fromPretrained(weights: Tensor, opts: { freeze?: boolean; paddingIdx?: number | null } = {}): Embedding {
    if (!(weights instanceof Tensor) || weights.ndim !== 2) throw typeError('weights', 'a 2-D tensor', weights);
    if (weights.dtype !== 'float32') throw new TypeError(`weights must be a float32 tensor, got ${weights.dtype}`);
    const e = new Embedding(weights.shape[0], weights.shape[1], { paddingIdx: opts.paddingIdx, seed: 0 });
    // On the device of `weights`, as torch's (whose weight is the given tensor).
    e.weight.moveTo_(weights.device);
    copyInto(e.weight, weights);
    e.weight.setRequiresGrad(opts.freeze === false);
    return e;
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, paddingIdx=${this.paddingIdx}` : ''}`;
  }
}

export interface EmbeddingBagOptions extends RandomOptions {
  /** 'sum' weighs each entry by its CSR value (torch's per_sample_weights); 'mean' averages the rows. */
  mode?: 'sum' | 'mean';
}

/**
 * torch.nn.EmbeddingBag over sparse bags: a CsrMatrix [B, num] of (id, weight) entries per row
 * gives [B, dim]. With mode 'sum' and TF-IDF or count values this is the first layer of a
 * bag-of-words model, computed by a sparse-dense product without densifying the batch.
 */
export class EmbeddingBag extends Module {
  declare weight: Tensor;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly mode: 'sum' | 'mean';

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingBagOptions = {}) {
    opts = checkOptions('opts', opts);
    super();
    this.numEmbeddings = checkInt('numEmbeddings', numEmbeddings);
    this.embeddingDim = checkInt('embeddingDim', embeddingDim);
    const mode = opts.mode ?? 'mean';
    if (mode !== 'sum' && mode !== 'mean') throw typeError('mode', "'sum' or 'mean'", mode);
    this.mode = mode;
    this.registerParameter('weight', Parameter(zeros([numEmbeddings, embeddingDim])));
    init.normal_(this.weight, 0, 1, opts);
  }

  forward(bags: CsrMatrix): Tensor {
    if (!(bags instanceof CsrMatrix)) throw typeError('bags', 'a tk.sparse.CsrMatrix', bags);
    if (bags.cols !== this.numEmbeddings) {
      throw new RangeError(`bags have ${bags.cols} columns, the EmbeddingBag has ${this.numEmbeddings} embeddings`);
    }
    if (this.mode === 'sum') return spmm(bags, this.weight);
    // 'mean' ignores the values, as torch does without per_sample_weights.
    const ones = new Float32Array(bags.values.length).fill(1);
    const unit = new CsrMatrix(bags.rows, bags.cols, bags.indptr, bags.indices, ones);
    const counts = new Float32Array(bags.rows);
    for (let r = 0; r < bags.rows; r++) counts[r] = Math.max(1, bags.indptr[r + 1] - bags.indptr[r]);
    return div(spmm(unit, this.weight), new Tensor(counts, [bags.rows, 1], { device: this.weight.device }));
  }
}

export interface LayerNormOptions {
  eps?: number;
  elementwiseAffine?: boolean;
  bias?: boolean;
}

export class LayerNorm extends Module {
  declare weight: Tensor | null;
  declare bias: Tensor | null;
  readonly normalizedShape: number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormOptions = {}) {
    opts = checkOptions('opts', opts);
    super();
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    shape.forEach((d, i) => checkInt(`normalizedShape[${i}]`, d));
    this.normalizedShape = shape;
    this.eps = checkNumber('eps', opts.eps ?? 1e-5, 0);
    const affine = opts.elementwiseAffine ?? true;
    this.registerParameter('weight', affine ? Parameter(ones(shape)) : null);
    this.registerParameter('bias', affine && opts.bias !== false ? Parameter(zeros(shape)) : null);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}

/** Inverted dropout in training mode, identity in eval mode; draws from { seed } / { generator } or the default. */
export class Dropout extends Module {
  readonly p: number;
  private readonly random: RandomOptions;

  constructor(p = 0.5, opts: RandomOptions = {}) {
    opts = checkOptions('opts', opts);
    super();
    this.p = checkNumber('p', p, 0, 1);
    // A seed makes a generator owned by this layer, so successive masks differ but replay.
    this.random = opts.seed !== undefined ? { generator: new Generator(opts.seed) } : opts;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, ...this.random });
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    opts = checkOptions('opts', opts);
    super();
    this.approximate = opts.approximate ?? 'none';
  }
  forward(x: Tensor): Tensor {
    return gelu(x, { approximate: this.approximate });
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
}

export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

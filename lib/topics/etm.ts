// ETM (Dieng, Ruiz & Blei 2020): topics as points in a word-embedding space.
//   encoder MLP on the normalised bag of words -> mu, logvar; theta = softmax(mu + sigma eps);
//   beta_k = softmax_V(rho alpha_k) with word embeddings rho [V, E] (trained, or frozen vectors
//   from Word2Vec) and topic embeddings alpha [K, E];
//   loss = mean_b(-sum_v x_v log (theta beta)_v) with raw counts x + KL(N(mu, sigma^2) || N(0, I)).
// theta beta is evaluated only at the words a document has (mixtureRecon), never as [B, V].
import { checkNumber, shapeStr, typeError } from '../errors';
import { CsrMatrix } from '../sparse';
import { noGrad, Tensor } from '../tensor';
import { add, exp, mul, neg } from '../ops/elementwise';
import { linear } from '../ops/matmul';
import { softmax } from '../ops/nn';
import { mean } from '../ops/reduce';
import { contiguous, transpose } from '../ops/shape';
import { randn, zeros } from '../creation';
import { Linear } from '../nn/layers';
import { Parameter } from '../nn/module';
import * as init from '../nn/init';
import { Adam } from '../optim/adam';
import { Optimizer } from '../optim/optimizer';
import { KeyedVectors } from '../embeddings/keyed-vectors';
import { gaussianKL } from '../ops/topic-losses';
import {
  checkHidden,
  LossParts,
  ModelConfig,
  registerTopicModel,
  StepNoise,
  TopicModel,
  TopicModelOptions,
  TopicWordOptions,
  checkTopicWordOptions,
} from './base';
import { MlpEncoder, mixtureRecon, normalizeRows } from './layers';

export interface ETMOptions extends TopicModelOptions {
  /** Encoder hidden sizes, ReLU after each (default [800, 800]). */
  hidden?: number[];
  /**
   * Word embeddings: KeyedVectors (rows looked up by the model's vocab; words it lacks start
   * N(0, 0.6^2)) or a tensor [V, E]. Default: trained from a random start.
   */
  embeddings?: KeyedVectors | Tensor;
  /** Train the word embeddings (default: true without `embeddings`, false with them). */
  trainEmbeddings?: boolean;
  /** E without `embeddings` (default 300). */
  embeddingDim?: number;
  /** Adam's (L2) weight decay (default 1.2e-6, ETM's wdecay). */
  weightDecay?: number;
}

export class ETM extends TopicModel {
  declare encoder: MlpEncoder;
  declare mu: Linear;
  declare logvar: Linear;
  /** Word embeddings [V, E]. */
  declare rho: Tensor;
  /** Topic embeddings: alphas.weight [K, E]. */
  declare alphas: Linear;
  readonly hidden: number[];
  readonly embeddingDim: number;
  readonly trainEmbeddings: boolean;
  readonly weightDecay: number;
  /** Vocabulary words the KeyedVectors lacked (random start), when built from KeyedVectors. */
  readonly missingWords: number;
  protected readonly kind = 'ETM';
  protected readonly trainDefaults = { epochs: 50, batchSize: 1000, lr: 5e-3 };

  constructor(opts: ETMOptions) {
    super(opts);
    this.hidden = checkHidden('hidden', opts.hidden, [800, 800]);
    this.weightDecay = checkNumber('weightDecay', opts.weightDecay ?? 1.2e-6, 0);
    const emb = opts.embeddings;
    if (emb !== undefined && !(emb instanceof KeyedVectors) && !(emb instanceof Tensor)) {
      throw typeError('embeddings', 'a KeyedVectors or a tensor [vocabSize, E]', emb);
    }
    const train = opts.trainEmbeddings ?? emb === undefined;
    if (typeof train !== 'boolean') throw typeError('trainEmbeddings', 'a boolean', train);
    this.trainEmbeddings = train;
    const V = this.vocabSize;
    const K = this.numTopics;
    const r = { generator: this.generator };
    this.registerModule('encoder', new MlpEncoder(V, this.hidden, 'relu', r));
    const h = this.hidden[this.hidden.length - 1];
    this.registerModule('mu', new Linear(h, K, r));
    this.registerModule('logvar', new Linear(h, K, r));
    let E: number;
    let rho: Tensor;
    let missing = 0;
    if (emb instanceof KeyedVectors) {
      if (this.vocab === null) throw new TypeError('vocab is required to look the words up in KeyedVectors embeddings');
      E = emb.dim;
      rho = zeros([V, E]);
      const R = rho.f32;
      const noise = randn([V, E], r).f32;
      for (let v = 0; v < V; v++) {
        const row = emb.indexOf(this.vocab[v]);
        if (row >= 0) R.set(emb.vectors.subarray(row * E, (row + 1) * E), v * E);
        else {
          missing++;
          for (let j = 0; j < E; j++) R[v * E + j] = 0.6 * noise[v * E + j];
        }
      }
    } else if (emb instanceof Tensor) {
      if (emb.dtype !== 'float32' || emb.ndim !== 2 || emb.shape[0] !== V) {
        throw new RangeError(`embeddings must be a float32 tensor [${V}, E], got ${shapeStr(emb.shape)}`);
      }
      E = emb.shape[1];
      rho = new Tensor(emb.cpu().f32.slice(), [V, E]);
    } else {
      E = opts.embeddingDim ?? 300;
      if (!Number.isInteger(E) || E < 1) throw new RangeError(`embeddingDim must be a positive integer, got ${E}`);
      rho = zeros([V, E]);
      // ETM's nn.Linear(E, V, bias=False).weight: U(+-1/sqrt(E)).
      init.uniform_(rho, -1 / Math.sqrt(E), 1 / Math.sqrt(E), r);
    }
    this.embeddingDim = E;
    this.missingWords = missing;
    this.registerParameter('rho', Parameter(rho, train), { requiresGrad: train });
    this.registerModule('alphas', new Linear(E, K, { ...r, bias: false }));
    this.placeOn(opts.device);
  }

  protected config(): ModelConfig {
    return {
      vocabSize: this.vocabSize,
      numTopics: this.numTopics,
      hidden: this.hidden,
      embeddingDim: this.embeddingDim,
      trainEmbeddings: this.trainEmbeddings,
      weightDecay: this.weightDecay,
    };
  }

  protected override makeOptimizer(lr: number): Optimizer {
    return new Adam(
      this.parameters().filter((p) => p.requiresGrad),
      { lr, weightDecay: this.weightDecay },
    );
  }

  /** beta transposed, [V, K]: softmax over the vocabulary of rho alpha^T. */
  betaT(): Tensor {
    return softmax(linear(this.rho, this.alphas.weight), 0);
  }

  protected drawNoise(B: number): StepNoise {
    return { eps: randn([B, this.numTopics], { generator: this.generator }) };
  }

  protected batchLoss(x: CsrMatrix, noise: StepNoise): LossParts {
    const h = this.encoder.forward(normalizeRows(x));
    const mu = this.mu.forward(h);
    const logvar = this.logvar.forward(h);
    const eps = this.onDevice(noise.eps ?? this.drawNoise(x.rows).eps!);
    const theta = softmax(add(mu, mul(exp(mul(logvar, 0.5)), eps)), 1);
    const recon = mean(mixtureRecon(theta, this.betaT(), x));
    const kl = gaussianKL(mu, logvar);
    return { loss: add(recon, kl), terms: { recon, kl } };
  }

  protected thetaOf(x: CsrMatrix): Tensor {
    return softmax(this.mu.forward(this.encoder.forward(normalizeRows(x))), 1);
  }

  protected docLogLikelihood(theta: Tensor, x: CsrMatrix): Float32Array {
    return neg(mixtureRecon(theta, this.betaT(), x)).cpu().f32;
  }

  /** beta [K, V]; ETM's topics have no bias, so `bias` changes nothing (it is still validated). */
  topicWord(opts?: TopicWordOptions): Tensor {
    checkTopicWordOptions(opts);
    return noGrad(() => contiguous(transpose(this.betaT(), 0, 1)));
  }
}

registerTopicModel('ETM', (c) => new ETM(c as unknown as ETMOptions));

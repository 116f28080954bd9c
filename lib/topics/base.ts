// The shared part of the neural topic models (NVDM, WLDA, ETM, GMNTM): option and corpus checks,
// the mini-batch training loop (seeded shuffling, Adam, non-finite loss detection, progress
// events, cancellation through an AbortSignal, a yield to the event loop after every batch),
// transform / topics / topicWord / perplexity, and save / load (safetensors with the JSON config,
// vocabulary included, in the file's metadata).
//
// A model lives on one device ({ device: 'cuda' } or model.to('cuda'), as any Module): training and
// inference run there. Noise and Dirichlet samples are drawn on the CPU from the model's generator
// and moved (so a device model draws exactly what the same model on the CPU draws); transform()
// returns its tensor on the model's device; topicIds/topics/perplexity copy what they read to the
// host (topicWord [K, V] once per call, the per-document log-likelihoods [B]).
//
// A subclass defines its modules in its constructor, and implements `drawNoise` (the random
// inputs of one training step: Gaussian eps, Dirichlet samples), `batchLoss` (the training loss of
// a batch given that noise), `thetaOf` (noise-free topic proportions), `topicWord` and
// `docLogLikelihood`. The step itself is public as `_step(batch, noise)` so that tests can inject
// the noise and compare one step with PyTorch.
import { checkInt, checkNumber, checkOptions, typeError } from '../errors';
import { CsrMatrix } from '../sparse';
import { allFiniteStorage } from '../ops/reduce_kernels';
import { checkDevice, Device, noGrad, Tensor } from '../tensor';
import { Generator, GeneratorState } from '../random';
import { Module } from '../nn/module';
import { Adam } from '../optim/adam';
import { Optimizer } from '../optim/optimizer';
import { concat } from '../ops/shape';
import { mean } from '../ops/reduce';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from '../io/safetensors';
import type { BowData } from './types';
import { rowSums, sparseGradFinite } from './layers';

/** Options every model takes. */
export interface TopicModelOptions {
  /** Number of words V; the corpus must have V columns. */
  vocabSize: number;
  /** Number of topics K, 2 <= K <= V. */
  numTopics: number;
  /** Column id -> word; taken from the first corpus fit() sees when not given. */
  vocab?: readonly string[];
  /** Seed of the initialisation, shuffling and noise (default 0). */
  seed?: number;
  /**
   * Where the parameters live and training runs: 'cpu' (default) or 'cuda'. The parameters are
   * initialised on the CPU (the same values on either device) and then moved, as model.to(device).
   */
  device?: Device;
}

/** Options of topicWord / topicIds / topics. */
export interface TopicWordOptions {
  /**
   * Add the decoder's bias to each topic's logits (default true). W-LDA's code reports two word lists:
   * "Top Words" from the decoder's output for a topic, its weight column plus the bias (true), and
   * "Top Words2" from the weight column alone (false). The bias is shared by all topics and learns the
   * corpus's background word frequencies, so `bias: false` ranks the words that set a topic apart from
   * that background. Models whose topics have no bias (ETM) give the same either way.
   */
  bias?: boolean;
}

/** Validated TopicWordOptions with the default filled in. */
export function checkTopicWordOptions(opts: TopicWordOptions | undefined): Required<TopicWordOptions> {
  const o = checkOptions('opts', opts);
  const bias = o.bias === undefined ? true : o.bias;
  if (typeof bias !== 'boolean') throw typeError('bias', 'a boolean', bias);
  return { bias };
}

export interface FitProgress {
  /** 'pretrain' for GMNTM's autoencoder stage, otherwise 'train'. */
  stage: 'pretrain' | 'train';
  /** 1-based epoch within the stage, and the stage's epoch count. */
  epoch: number;
  epochs: number;
  /** 1-based step within the epoch, and the steps per epoch. */
  step: number;
  stepsPerEpoch: number;
  /** The batch loss (NaN or infinite for a skipped step). */
  loss: number;
  /** The loss's terms (e.g. { recon, kl }). */
  terms: Record<string, number>;
  /** True when the loss or a gradient was not finite and the update was skipped. */
  skipped: boolean;
  /** Skipped steps so far in this fit() call. */
  skippedSteps: number;
  /** True on the last step of an epoch; then epochLoss is the epoch's mean loss over applied steps. */
  epochEnd: boolean;
  epochLoss?: number;
  /** Seconds since fit() started. */
  seconds: number;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  lr?: number;
  onProgress?: (p: FitProgress) => void;
  signal?: AbortSignal;
  /** Re-seeds the model's generator (shuffling and noise) before training. */
  seed?: number;
  /** Consecutive non-finite steps after which training stops with an Error (default 5). */
  maxNonFiniteSteps?: number;
}

export interface FitResult {
  /** Epochs run (all stages). */
  epochs: number;
  /** Optimizer steps applied. */
  steps: number;
  /** Steps skipped because of a non-finite loss or gradient. */
  skippedSteps: number;
  /** Mean loss of each epoch (applied steps only), in order. */
  losses: number[];
  /** Wall-clock seconds of each epoch. */
  epochSeconds: number[];
  seconds: number;
}

/** Random inputs of one training step; which fields a model reads is up to it. */
export interface StepNoise {
  /** N(0, 1) draws [B, J] for the reparameterisation. */
  eps?: Tensor;
  /** Dirichlet prior samples [B, K] (WLDA's MMD target). */
  prior?: Tensor;
  /** Dirichlet samples [B, K] mixed into theta (WLDA's latent noise). */
  mix?: Tensor;
}

export interface StepResult {
  loss: number;
  terms: Record<string, number>;
  skipped: boolean;
}

export interface LossParts {
  loss: Tensor;
  terms: Record<string, Tensor>;
}

export interface TrainDefaults {
  epochs: number;
  batchSize: number;
  lr: number;
}

/** Everything needed to rebuild a model: its options plus learned state that is not a tensor. */
export type ModelConfig = Record<string, unknown> & { vocabSize: number; numTopics: number };

function abortError(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  if (r instanceof Error && r.name === 'AbortError') return r;
  const e = new Error(r instanceof Error ? `training was aborted: ${r.message}` : 'training was aborted');
  e.name = 'AbortError';
  return e;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function checkHidden(name: string, v: unknown, fallback: readonly number[]): number[] {
  if (v === undefined) return fallback.slice();
  if (!Array.isArray(v) || v.length === 0) throw typeError(name, 'a non-empty array of layer sizes', v);
  return v.map((h, i) => checkInt(`${name}[${i}]`, h, 1));
}

/** The registry load() dispatches on. */
const modelClasses = new Map<string, (config: ModelConfig) => TopicModel>();

export function registerTopicModel(kind: string, make: (config: ModelConfig) => TopicModel): void {
  modelClasses.set(kind, make);
}

export abstract class TopicModel extends Module {
  readonly vocabSize: number;
  readonly numTopics: number;
  readonly seed: number;
  /** Column id -> word (null until given or taken from a corpus). */
  vocab: readonly string[] | null;
  /** Draws the shuffling and the noise; initialisation draws from it first. */
  readonly generator: Generator;
  protected optimizer: Optimizer | null = null;
  private fitting = false;
  protected abstract readonly kind: string;
  protected abstract readonly trainDefaults: TrainDefaults;

  constructor(opts: TopicModelOptions) {
    super();
    if (opts === null || typeof opts !== 'object') throw typeError('options', 'an object', opts);
    this.vocabSize = checkInt('vocabSize', opts.vocabSize, 1);
    const K = opts.numTopics;
    if (typeof K !== 'number' || !Number.isInteger(K)) throw typeError('numTopics', 'an integer', K);
    if (K < 2) throw new RangeError(`numTopics must be at least 2, got ${K}`);
    if (K > this.vocabSize) {
      throw new RangeError(`numTopics (${K}) must not exceed vocabSize (${this.vocabSize})`);
    }
    this.numTopics = K;
    this.seed = checkInt('seed', opts.seed ?? 0);
    this.vocab = null;
    if (opts.vocab !== undefined && opts.vocab !== null) this.vocab = checkVocab('vocab', opts.vocab, this.vocabSize);
    this.generator = new Generator(this.seed);
  }

  /** The device of the parameters (model.to(device) moves them). */
  get device(): Device {
    const p = this.parameters();
    return p.length > 0 ? p[0].device : 'cpu';
  }

  /** Ends a subclass constructor: moves the freshly initialised parameters to opts.device. */
  protected placeOn(device: unknown): void {
    if (device === undefined) return;
    const d = checkDevice('device', device);
    if (d !== 'cpu') this.to(d);
  }

  /** A tensor drawn on the CPU (noise, samples) or given by the caller, on the model's device. */
  protected onDevice(t: Tensor): Tensor;
  protected onDevice(t: Tensor | undefined): Tensor | undefined;
  protected onDevice(t: Tensor | undefined): Tensor | undefined {
    if (t === undefined) return t;
    const d = this.device;
    return t.device === d ? t : t.to(d);
  }

  /** The options (and non-tensor learned state) that rebuild this model. */
  protected abstract config(): ModelConfig;

  /** The random inputs of a training step on a batch of B documents. */
  protected abstract drawNoise(B: number): StepNoise;

  /** The training loss of a batch (counts [B, V]) given the noise. */
  protected abstract batchLoss(batch: CsrMatrix, noise: StepNoise): LossParts;

  /** Noise-free topic proportions [B, K] of a batch (eval mode, no graph). */
  protected abstract thetaOf(batch: CsrMatrix): Tensor;

  /** Per document: sum_v x_v log p(v | theta), the log-likelihood of counts x [B, V] under theta [B, K]. */
  protected abstract docLogLikelihood(theta: Tensor, x: CsrMatrix): Float32Array;

  /** Topic-word distributions [K, V]; each row sums to 1 (`bias`: see TopicWordOptions). */
  abstract topicWord(opts?: TopicWordOptions): Tensor;

  forward(x: CsrMatrix): Tensor {
    return this.thetaOf(x);
  }

  /** Called once per fit() before the first epoch, with the training documents (non-empty rows). */
  protected prepare(_counts: CsrMatrix): void {}

  /** The optimizer of the trainable parameters (Adam by default); kept across fit() calls. */
  protected makeOptimizer(lr: number): Optimizer {
    return new Adam(
      this.parameters().filter((p) => p.requiresGrad),
      { lr },
    );
  }

  protected ensureOptimizer(lr?: number): Optimizer {
    if (this.optimizer === null) this.optimizer = this.makeOptimizer(lr ?? this.trainDefaults.lr);
    if (lr !== undefined) for (const g of this.optimizer.paramGroups) g.lr = lr;
    return this.optimizer;
  }

  /**
   * One training step on a batch: loss, backward, and an optimizer update unless the loss or a
   * gradient is not finite. `noise` defaults to fresh draws (tests pass fixed ones). Gradients
   * stay in each parameter's .grad until the next step.
   */
  _step(batch: CsrMatrix, noise?: StepNoise, lr?: number): StepResult {
    const opt = this.ensureOptimizer(lr);
    this.train();
    opt.zeroGrad();
    const n = noise ?? this.drawNoise(batch.rows);
    const placed: StepNoise = { eps: this.onDevice(n.eps), prior: this.onDevice(n.prior), mix: this.onDevice(n.mix) };
    const { loss, terms } = this.batchLoss(batch, placed);
    const value = loss.item();
    const termValues: Record<string, number> = {};
    for (const [k, t] of Object.entries(terms)) termValues[k] = t.item();
    if (!Number.isFinite(value)) return { loss: value, terms: termValues, skipped: true };
    loss.backward();
    let finite = true;
    for (const p of opt.paramGroups.flatMap((g) => g.params)) {
      const g = p.grad?.storage;
      if (!g) continue;
      const known = sparseGradFinite.get(p);
      if (known !== undefined) {
        sparseGradFinite.delete(p);
        finite &&= known;
        continue;
      }
      finite &&= allFiniteStorage(g);
    }
    if (!finite) {
      opt.zeroGrad();
      return { loss: value, terms: termValues, skipped: true };
    }
    opt.step();
    return { loss: value, terms: termValues, skipped: false };
  }

  /**
   * Trains on the corpus (BowData or a CsrMatrix of counts [numDocs, vocabSize]); empty documents
   * are left out. Resolves when done; rejects with an AbortError (the model stays usable, with
   * the updates made so far) when `signal` aborts, and with an Error after `maxNonFiniteSteps`
   * consecutive non-finite steps.
   */
  async fit(corpus: BowData | CsrMatrix, opts: FitOptions = {}): Promise<FitResult> {
    if (opts === null || typeof opts !== 'object') throw typeError('options', 'an object', opts);
    const counts = this.checkCorpus('corpus', corpus, true);
    const d = this.trainDefaults;
    const epochs = checkInt('epochs', opts.epochs ?? d.epochs, 0);
    const batchSize = checkInt('batchSize', opts.batchSize ?? d.batchSize, 1);
    const lr = checkNumber('lr', opts.lr ?? d.lr, 0);
    const maxBad = checkInt('maxNonFiniteSteps', opts.maxNonFiniteSteps ?? 5, 1);
    if (opts.onProgress !== undefined && typeof opts.onProgress !== 'function') {
      throw typeError('onProgress', 'a function', opts.onProgress);
    }
    if (opts.signal !== undefined && (opts.signal === null || typeof opts.signal.aborted !== 'boolean')) {
      throw typeError('signal', 'an AbortSignal', opts.signal);
    }
    if (opts.seed !== undefined) this.generator.manualSeed(checkInt('seed', opts.seed));
    const lengths = rowSums(counts);
    const docs: number[] = [];
    for (let r = 0; r < counts.rows; r++) if (lengths[r] > 0) docs.push(r);
    const train = docs.length === counts.rows ? counts : counts.selectRows(docs);
    this.prepare(train);
    this.ensureOptimizer(lr);
    if (this.fitting) throw new Error('fit() is already running on this model; await it (or abort it) first');
    const run: FitRun = {
      counts: train,
      batchSize,
      lr,
      maxBad,
      onProgress: opts.onProgress,
      signal: opts.signal,
      start: Date.now(),
      result: { epochs: 0, steps: 0, skippedSteps: 0, losses: [], epochSeconds: [], seconds: 0 },
      consecutiveBad: 0,
    };
    this.fitting = true;
    try {
      await this.trainStages(run, epochs);
    } finally {
      this.fitting = false;
      this.eval();
      run.result.seconds = (Date.now() - run.start) / 1000;
    }
    return run.result;
  }

  /** The training schedule: `epochs` epochs of batchLoss (GMNTM adds its stages). */
  protected async trainStages(run: FitRun, epochs: number): Promise<void> {
    await this.runEpochs(run, 'train', epochs);
  }

  protected async runEpochs(run: FitRun, stage: 'pretrain' | 'train', epochs: number): Promise<void> {
    const N = run.counts.rows;
    const B = Math.min(run.batchSize, N);
    const stepsPerEpoch = Math.ceil(N / B);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const t0 = Date.now();
      const order = this.generator.permutation(N);
      let sum = 0;
      let applied = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (run.signal?.aborted) throw abortError(run.signal);
        const ids = order.subarray(s * B, Math.min(N, (s + 1) * B));
        const r = this._step(run.counts.selectRows(ids), undefined, run.lr);
        if (r.skipped) {
          run.result.skippedSteps++;
          run.consecutiveBad++;
        } else {
          run.consecutiveBad = 0;
          run.result.steps++;
          sum += r.loss;
          applied++;
        }
        const epochEnd = s === stepsPerEpoch - 1;
        if (epochEnd) {
          run.result.epochs++;
          run.result.losses.push(applied > 0 ? sum / applied : NaN);
          run.result.epochSeconds.push((Date.now() - t0) / 1000);
        }
        run.onProgress?.({
          stage,
          epoch,
          epochs,
          step: s + 1,
          stepsPerEpoch,
          loss: r.loss,
          terms: r.terms,
          skipped: r.skipped,
          skippedSteps: run.result.skippedSteps,
          epochEnd,
          epochLoss: epochEnd ? run.result.losses[run.result.losses.length - 1] : undefined,
          seconds: (Date.now() - run.start) / 1000,
        });
        if (run.consecutiveBad >= run.maxBad) {
          throw new Error(
            `training stopped: the loss or its gradient was not finite for ${run.consecutiveBad} consecutive steps ` +
              `(${stage} epoch ${epoch}, step ${s + 1}; last loss ${r.loss}); those updates were skipped. ` +
              'Try a lower learning rate or check the corpus.',
          );
        }
        await yieldToEventLoop();
      }
    }
    if (run.signal?.aborted) throw abortError(run.signal);
  }

  /** Topic proportions [D, K] of documents (mean of the encoder, no noise), on the model's device. */
  transform(docs: BowData | CsrMatrix, opts: { batchSize?: number } = {}): Tensor {
    const counts = this.checkCorpus('docs', docs, false);
    const bs = checkInt('batchSize', opts.batchSize ?? 2048, 1);
    const wasTraining = this.training;
    this.eval();
    try {
      return noGrad(() => {
        if (counts.rows <= bs) return this.thetaOf(counts);
        const parts: Tensor[] = [];
        for (let s = 0; s < counts.rows; s += bs) {
          const ids = new Int32Array(Math.min(bs, counts.rows - s)).map((_, i) => s + i);
          parts.push(this.thetaOf(counts.selectRows(ids)));
        }
        return concat(parts, 0);
      });
    } finally {
      this.train(wasTraining);
    }
  }

  /** Word ids of the k most probable words of each topic (`bias`: see TopicWordOptions). */
  topicIds(k = 10, opts?: TopicWordOptions): number[][] {
    checkInt('k', k, 1);
    const o = checkTopicWordOptions(opts);
    // topicWord() [K, V] is read on the host: on the device it is copied once per call.
    const beta = noGrad(() => this.topicWord(o).cpu());
    const V = this.vocabSize;
    const n = Math.min(k, V);
    const out: number[][] = [];
    for (let t = 0; t < this.numTopics; t++) {
      const row = beta.f32.subarray(t * V, (t + 1) * V);
      const ids = Array.from({ length: V }, (_, i) => i);
      ids.sort((a, b) => row[b] - row[a] || a - b);
      out.push(ids.slice(0, n));
    }
    return out;
  }

  /**
   * The k most probable words of each topic (word ids as strings when there is no vocabulary);
   * `bias`: see TopicWordOptions.
   */
  topics(k = 10, opts?: TopicWordOptions): string[][] {
    const vocab = this.vocab;
    return this.topicIds(k, opts).map((ids) => ids.map((i) => (vocab ? vocab[i] : String(i))));
  }

  /**
   * Held-out perplexity by document completion (ETM's protocol): theta from the first halves,
   * then exp(mean over documents of -sum_v n_v log p(v | theta) / N2) on the second halves.
   * Documents whose second half is empty are left out.
   */
  perplexity(first: BowData | CsrMatrix, second: BowData | CsrMatrix): number {
    const a = this.checkCorpus('first', first, false);
    const b = this.checkCorpus('second', second, false);
    if (a.rows !== b.rows) {
      throw new RangeError(`first and second must hold the same documents, got ${a.rows} and ${b.rows} rows`);
    }
    const lengths = rowSums(b);
    const keep: number[] = [];
    for (let r = 0; r < b.rows; r++) if (lengths[r] > 0) keep.push(r);
    if (keep.length === 0) throw new RangeError('second has no words: perplexity needs held-out tokens');
    const bs = 2048;
    let total = 0;
    const wasTraining = this.training;
    this.eval();
    try {
      noGrad(() => {
        for (let s = 0; s < keep.length; s += bs) {
          const ids = keep.slice(s, s + bs);
          const theta = this.thetaOf(a.selectRows(ids));
          const ll = this.docLogLikelihood(theta, b.selectRows(ids));
          for (let i = 0; i < ids.length; i++) total += -ll[i] / lengths[ids[i]];
        }
      });
    } finally {
      this.train(wasTraining);
    }
    return Math.exp(total / keep.length);
  }

  /** Writes the weights and the config (with the vocabulary) to one .safetensors file. */
  save(path: string): void {
    const config = {
      ...this.config(),
      kind: this.kind,
      vocab: this.vocab,
      seed: this.seed,
      generator: this.generator.getState(),
    };
    saveSafetensors(path, this.stateDict(), { format: 'textkernels.topics', config: JSON.stringify(config) });
  }

  /**
   * Reads a model written by save(). Called on a model class (NVDM.load) it checks the kind;
   * TopicModel.load returns whichever model the file holds.
   */
  static load(path: string, opts: { device?: Device } = {}): TopicModel {
    const header = readSafetensorsHeader(path);
    const raw = header.metadata?.config;
    if (header.metadata?.format !== 'textkernels.topics' || typeof raw !== 'string') {
      throw new TypeError(`${path} is not a topic model saved by textkernels (no topic-model config in its metadata)`);
    }
    const config = JSON.parse(raw) as ModelConfig & { kind: string; generator?: GeneratorState };
    const make = modelClasses.get(config.kind);
    if (!make) throw new TypeError(`${path} holds an unknown topic model kind '${config.kind}'`);
    if (this !== TopicModel && this.name !== config.kind) {
      throw new TypeError(`${path} holds a ${config.kind} model, not a ${this.name}`);
    }
    const model = make(config);
    model.loadStateDict(loadSafetensors(path));
    if (config.generator) model.generator.setState(config.generator);
    if (opts.device !== undefined) model.placeOn(opts.device);
    model.eval();
    return model;
  }

  /** The counts of a corpus argument, checked against the model (and the vocabulary adopted). */
  protected checkCorpus(name: string, docs: unknown, training: boolean): CsrMatrix {
    let counts: CsrMatrix;
    let vocab: readonly string[] | undefined;
    if (docs instanceof CsrMatrix) counts = docs;
    else if (docs !== null && typeof docs === 'object' && (docs as BowData).counts instanceof CsrMatrix) {
      counts = (docs as BowData).counts;
      vocab = (docs as BowData).vocab;
    } else {
      throw typeError(name, 'a BowData ({ counts: CsrMatrix, vocab }) or a tk.sparse.CsrMatrix', docs);
    }
    if (counts.cols !== this.vocabSize) {
      throw new RangeError(
        `${name} has ${counts.cols} words (columns), the model's vocabSize is ${this.vocabSize}: the vocabularies differ`,
      );
    }
    if (vocab !== undefined && vocab !== null) {
      const v = checkVocab(`${name}.vocab`, vocab, this.vocabSize);
      if (this.vocab === null) {
        if (training) this.vocab = v;
      } else if (v !== this.vocab) {
        for (let i = 0; i < v.length; i++) {
          if (v[i] !== this.vocab[i]) {
            throw new RangeError(
              `${name}.vocab differs from the model's vocabulary at id ${i} ('${v[i]}' vs '${this.vocab[i]}')`,
            );
          }
        }
      }
    }
    if (training && counts.rows === 0) throw new RangeError(`${name} has no documents`);
    let total = 0;
    const vals = counts.values;
    for (let i = 0; i < vals.length; i++) {
      const x = vals[i];
      if (!(x >= 0) || x === Infinity) {
        throw new RangeError(`${name} counts must be finite and non-negative, got ${x} at entry ${i}`);
      }
      total += x;
    }
    if (training && total === 0) throw new RangeError(`${name} is empty: no document has any words`);
    return counts;
  }
}

/** The state of one fit() call that the training stages share. */
export interface FitRun {
  counts: CsrMatrix;
  batchSize: number;
  lr: number;
  maxBad: number;
  onProgress?: (p: FitProgress) => void;
  signal?: AbortSignal;
  start: number;
  result: FitResult;
  consecutiveBad: number;
}

function checkVocab(name: string, v: unknown, V: number): readonly string[] {
  if (!Array.isArray(v)) throw typeError(name, 'an array of strings', v);
  if (v.length !== V) throw new RangeError(`${name} has ${v.length} words, the model's vocabSize is ${V}`);
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string') throw typeError(`${name}[${i}]`, 'a string', v[i]);
  return v as readonly string[];
}

/** Mean of a per-document loss [B] (the reduction every model's reconstruction uses). */
export function batchMean(perDoc: Tensor): Tensor {
  return mean(perDoc);
}

// W-LDA (Nan et al. 2019): a deterministic softmax encoder, a Dirichlet prior matched by MMD with
// the information diffusion kernel, and Dirichlet noise mixed into theta before decoding.
//   theta_hat = softmax(Enc(x)); theta_tilde = (1 - eta) theta_hat + eta Dir(alpha) sample;
//   loss = reconWeight * mean_b(-sum_v x_v log softmax(Dec(theta_tilde))_v)
//          + mmd(theta_hat, Dir(alpha) samples of the batch size)
// reconWeight defaults to 1 / (mean document length * ln V) of the first training corpus.
// theta_hat is noise-free, so the MMD reads the same encoder output as the reconstruction (the
// reference code runs the encoder a second time for it; the values and gradients are the same).
import { checkNumber } from '../errors';
import { CsrMatrix } from '../sparse';
import { Tensor } from '../tensor';
import { add, mul, neg } from '../ops/elementwise';
import { softmax } from '../ops/nn';
import { mean } from '../ops/reduce';
import { Linear } from '../nn/layers';
import { xavierUniform_, zeros_ } from '../nn/init';
import { mmd, MmdKernel } from '../ops/topic-losses';
import { dirichlet } from '../ops/sampling';
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
import { decoderTopicWord, MlpEncoder, rowSums, decoderRecon } from './layers';

export interface WLDAOptions extends TopicModelOptions {
  /** Encoder hidden sizes, softplus after each (default [100, 100]). */
  hidden?: number[];
  /** Symmetric Dirichlet prior concentration (default 0.1). */
  alpha?: number;
  /** Weight eta of the Dirichlet noise mixed into theta (default 0.2; 0 turns it off). */
  latentNoise?: number;
  /** MMD kernel (default 'diffusion') and its bandwidth t (default 1). */
  kernel?: MmdKernel;
  bandwidth?: number;
  /** Weight of the reconstruction term (default 1 / (mean document length * ln V), set by fit()). */
  reconWeight?: number;
  /**
   * Parameter initialisation: 'torch' (default; torch.nn.Linear's, as the PyTorch peer of the benchmark
   * and the one-step fixtures use) or 'xavier' (W-LDA's code: MXNet's mx.init.Xavier() on every layer,
   * each weight U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), each bias 0).
   */
  init?: WLDAInit;
}

export type WLDAInit = 'torch' | 'xavier';

export class WLDA extends TopicModel {
  declare encoder: MlpEncoder;
  declare out: Linear;
  declare decoder: Linear;
  readonly hidden: number[];
  readonly alpha: number;
  readonly latentNoise: number;
  readonly kernel: MmdKernel;
  readonly bandwidth: number;
  readonly init: WLDAInit;
  /** null until given or computed from the first corpus fit() sees. */
  reconWeight: number | null;
  protected readonly kind = 'WLDA';
  protected readonly trainDefaults = { epochs: 50, batchSize: 200, lr: 2e-3 };

  constructor(opts: WLDAOptions) {
    super(opts);
    this.hidden = checkHidden('hidden', opts.hidden, [100, 100]);
    this.alpha = checkNumber('alpha', opts.alpha ?? 0.1, Number.MIN_VALUE);
    this.latentNoise = checkNumber('latentNoise', opts.latentNoise ?? 0.2, 0, 1);
    const kernel = opts.kernel ?? 'diffusion';
    if (kernel !== 'diffusion' && kernel !== 'rbf' && kernel !== 'imq') {
      throw new TypeError(`kernel must be 'diffusion', 'rbf' or 'imq', got ${String(kernel)}`);
    }
    this.kernel = kernel;
    this.bandwidth = checkNumber('bandwidth', opts.bandwidth ?? 1, Number.MIN_VALUE);
    this.reconWeight =
      opts.reconWeight === undefined || opts.reconWeight === null
        ? null
        : checkNumber('reconWeight', opts.reconWeight, 0);
    const r = { generator: this.generator };
    this.registerModule('encoder', new MlpEncoder(this.vocabSize, this.hidden, 'softplus', r));
    this.registerModule('out', new Linear(this.hidden[this.hidden.length - 1], this.numTopics, r));
    this.registerModule('decoder', new Linear(this.numTopics, this.vocabSize, r));
    const how = opts.init ?? 'torch';
    if (how !== 'torch' && how !== 'xavier')
      throw new TypeError(`init must be 'torch' or 'xavier', got ${String(how)}`);
    this.init = how;
    if (how === 'xavier') {
      for (const [name, p] of this.namedParameters()) {
        if (name.endsWith('bias')) zeros_(p);
        else xavierUniform_(p, 1, r);
      }
    }
    this.placeOn(opts.device);
  }

  protected config(): ModelConfig {
    return {
      vocabSize: this.vocabSize,
      numTopics: this.numTopics,
      hidden: this.hidden,
      alpha: this.alpha,
      latentNoise: this.latentNoise,
      kernel: this.kernel,
      bandwidth: this.bandwidth,
      reconWeight: this.reconWeight,
      init: this.init,
    };
  }

  protected override prepare(counts: CsrMatrix): void {
    if (this.reconWeight !== null) return;
    const lengths = rowSums(counts);
    let total = 0;
    for (let i = 0; i < lengths.length; i++) total += lengths[i];
    this.reconWeight = 1 / ((total / counts.rows) * Math.log(this.vocabSize));
  }

  private priorSamples(B: number): Tensor {
    return dirichlet(new Array<number>(this.numTopics).fill(this.alpha), B, { generator: this.generator });
  }

  protected drawNoise(B: number): StepNoise {
    return { mix: this.latentNoise > 0 ? this.priorSamples(B) : undefined, prior: this.priorSamples(B) };
  }

  protected batchLoss(x: CsrMatrix, noise: StepNoise): LossParts {
    const thetaHat = softmax(this.out.forward(this.encoder.forward(x)), 1);
    const eta = this.latentNoise;
    let thetaTilde = thetaHat;
    if (eta > 0) {
      const mix = this.onDevice(noise.mix ?? this.priorSamples(x.rows));
      thetaTilde = add(mul(thetaHat, 1 - eta), mul(mix, eta));
    }
    const w = this.reconWeight ?? 1 / Math.log(this.vocabSize);
    const recon = mul(mean(decoderRecon(thetaTilde, this.decoder.weight, this.decoder.bias, x)), w);
    const prior = this.onDevice(noise.prior ?? this.priorSamples(x.rows));
    const m = mmd(thetaHat, prior, { kernel: this.kernel, bandwidth: this.bandwidth });
    return { loss: add(recon, m), terms: { recon, mmd: m } };
  }

  protected thetaOf(x: CsrMatrix): Tensor {
    return softmax(this.out.forward(this.encoder.forward(x)), 1);
  }

  protected docLogLikelihood(theta: Tensor, x: CsrMatrix): Float32Array {
    return neg(decoderRecon(theta, this.decoder.weight, this.decoder.bias, x)).cpu().f32;
  }

  topicWord(opts?: TopicWordOptions): Tensor {
    return decoderTopicWord(this.decoder, checkTopicWordOptions(opts).bias);
  }
}

registerTopicModel('WLDA', (c) => new WLDA(c as unknown as WLDAOptions));

// GMNTM: a neural topic model with a Gaussian-mixture prior (GMVAE / VaDE; seed eq. 12-18).
//   encoder MLP -> mu, logvar (J = K); theta = softmax(Linear(K, K)(z)); p = softmax(Linear(K, V)(theta)).
// Training has three stages (the first fit() runs all three; later calls only stage 3):
//   1. autoencoder pretraining, `pretrainEpochs` epochs of the reconstruction with z = mu;
//   2. a diagonal GMM (EM, k-means++ start) on the mu of every training document sets the
//      component means and log-variances; the mixture weights start uniform;
//   3. `epochs` epochs of reconstruction + gaussianMixtureKL (eq. 17 with eta from eq. 18), with
//      learnable means, log-variances and mixture logits.
// Topic k's word distribution is softmax(Dec(softmax(Linear(K, K)(means_k)))).
import { checkInt } from '../errors';
import { CsrMatrix } from '../sparse';
import { noGrad, Tensor } from '../tensor';
import { add, exp, mul, neg } from '../ops/elementwise';
import { logSoftmax, softmax } from '../ops/nn';
import { mean } from '../ops/reduce';
import { concat } from '../ops/shape';
import { randn, zeros } from '../creation';
import { linear } from '../ops/matmul';
import { Linear } from '../nn/layers';
import { Parameter } from '../nn/module';
import { gaussianMixtureKL } from '../ops/topic-losses';
import {
  checkHidden,
  FitRun,
  LossParts,
  ModelConfig,
  registerTopicModel,
  StepNoise,
  TopicModel,
  TopicModelOptions,
  TopicWordOptions,
  checkTopicWordOptions,
} from './base';
import { MlpEncoder, decoderRecon } from './layers';
import { GaussianMixture } from './gmm';

export interface GMNTMOptions extends TopicModelOptions {
  /** Encoder hidden sizes, ReLU after each (default [500, 500]). */
  hidden?: number[];
  /** Autoencoder pretraining epochs before the GMM (default 10). */
  pretrainEpochs?: number;
  /** EM iterations of the GMM (default 100). */
  gmmIterations?: number;
}

export class GMNTM extends TopicModel {
  declare encoder: MlpEncoder;
  declare mu: Linear;
  declare logvar: Linear;
  declare fc: Linear;
  declare decoder: Linear;
  /** Mixture component means [K, J], log-variances [K, J] and mixture logits [K]. */
  declare means: Tensor;
  declare logvars: Tensor;
  declare piLogits: Tensor;
  readonly hidden: number[];
  readonly pretrainEpochs: number;
  readonly gmmIterations: number;
  /** True once stages 1 and 2 have run (the mixture prior is set). */
  pretrained: boolean;
  protected readonly kind = 'GMNTM';
  protected readonly trainDefaults = { epochs: 50, batchSize: 200, lr: 2e-3 };

  constructor(opts: GMNTMOptions & { pretrained?: boolean }) {
    super(opts);
    this.hidden = checkHidden('hidden', opts.hidden, [500, 500]);
    this.pretrainEpochs = checkInt('pretrainEpochs', opts.pretrainEpochs ?? 10);
    this.gmmIterations = checkInt('gmmIterations', opts.gmmIterations ?? 100, 1);
    this.pretrained = opts.pretrained === true;
    const K = this.numTopics;
    const r = { generator: this.generator };
    const h = this.hidden[this.hidden.length - 1];
    this.registerModule('encoder', new MlpEncoder(this.vocabSize, this.hidden, 'relu', r));
    this.registerModule('mu', new Linear(h, K, r));
    this.registerModule('logvar', new Linear(h, K, r));
    this.registerModule('fc', new Linear(K, K, r));
    this.registerModule('decoder', new Linear(K, this.vocabSize, r));
    this.registerParameter('means', Parameter(zeros([K, K])));
    this.registerParameter('logvars', Parameter(zeros([K, K])));
    this.registerParameter('piLogits', Parameter(zeros([K])));
    this.placeOn(opts.device);
  }

  protected config(): ModelConfig {
    return {
      vocabSize: this.vocabSize,
      numTopics: this.numTopics,
      hidden: this.hidden,
      pretrainEpochs: this.pretrainEpochs,
      gmmIterations: this.gmmIterations,
      pretrained: this.pretrained,
    };
  }

  protected drawNoise(B: number): StepNoise {
    return this.pretrained ? { eps: randn([B, this.numTopics], { generator: this.generator }) } : {};
  }

  protected batchLoss(x: CsrMatrix, noise: StepNoise): LossParts {
    const h = this.encoder.forward(x);
    const mu = this.mu.forward(h);
    if (!this.pretrained) {
      const recon = mean(decoderRecon(softmax(this.fc.forward(mu), 1), this.decoder.weight, this.decoder.bias, x));
      return { loss: recon, terms: { recon } };
    }
    const logvar = this.logvar.forward(h);
    const eps = this.onDevice(noise.eps ?? this.drawNoise(x.rows).eps!);
    const z = add(mu, mul(exp(mul(logvar, 0.5)), eps));
    const recon = mean(decoderRecon(softmax(this.fc.forward(z), 1), this.decoder.weight, this.decoder.bias, x));
    const kl = gaussianMixtureKL(z, mu, logvar, this.means, this.logvars, logSoftmax(this.piLogits, 0));
    return { loss: add(recon, kl), terms: { recon, kl } };
  }

  protected override async trainStages(run: FitRun, epochs: number): Promise<void> {
    if (!this.pretrained) {
      await this.runEpochs(run, 'pretrain', this.pretrainEpochs);
      this.initPrior(run.counts);
    }
    await this.runEpochs(run, 'train', epochs);
  }

  /** Stage 2: a GMM on the latent means of the documents sets the mixture prior. */
  initPrior(counts: CsrMatrix): void {
    const K = this.numTopics;
    const mus = noGrad(() => {
      const parts: Tensor[] = [];
      for (let s = 0; s < counts.rows; s += 2048) {
        const ids = new Int32Array(Math.min(2048, counts.rows - s)).map((_, i) => s + i);
        parts.push(this.mu.forward(this.encoder.forward(counts.selectRows(ids))));
      }
      return parts.length === 1 ? parts[0] : concat(parts, 0);
    });
    if (counts.rows < K) throw new RangeError(`GMNTM needs at least numTopics (${K}) documents, got ${counts.rows}`);
    // The GMM runs on the CPU (EM over [N, K] latent means, K small): a model on the device copies
    // the means there once, and its fitted prior back.
    const gmm = new GaussianMixture({ numComponents: K, maxIter: this.gmmIterations, generator: this.generator }).fit(
      mus.cpu(),
    );
    const device = this.device;
    for (const p of [this.means, this.logvars, this.piLogits]) p.moveTo_('cpu');
    this.means.f32.set(gmm.means);
    const lv = this.logvars.f32;
    for (let i = 0; i < lv.length; i++) lv[i] = Math.log(gmm.variances[i]);
    this.piLogits.f32.fill(0);
    // The encoder's log-variance head gets no gradient in pretraining (z = mu there), so it still
    // gives q(z|x) variances near 1 while the mixture's, fitted to codes that were never noised, can be
    // orders of magnitude smaller: the first stage-3 steps then see (z - mean_c)^2 / var_c in the
    // millions per dimension (epoch-mean losses of 1e16, K = 50 on Brown). Starting the head at a
    // constant, each dimension's mean mixture log-variance, puts q's noise at the prior's scale.
    // (A departure from the reference GMNTM/VaDE code, which shows the same first-epoch spike.)
    const lvHead = this.logvar;
    for (const p of [lvHead.weight, lvHead.bias]) if (p) p.moveTo_('cpu');
    lvHead.weight.f32.fill(0);
    if (lvHead.bias) {
      const b = lvHead.bias.f32;
      for (let j = 0; j < K; j++) {
        let sum = 0;
        for (let c = 0; c < K; c++) sum += lv[c * K + j];
        b[j] = sum / K;
      }
    }
    const moved = [this.means, this.logvars, this.piLogits, lvHead.weight, ...(lvHead.bias ? [lvHead.bias] : [])];
    if (device !== 'cpu') for (const p of moved) p.moveTo_(device);
    this.pretrained = true;
    // The optimizer's moments of the new prior parameters (and of the re-initialised head) start from zero.
    const opt = this.optimizer;
    if (opt) for (const p of moved) opt.state.delete(p);
  }

  protected thetaOf(x: CsrMatrix): Tensor {
    return softmax(this.fc.forward(this.mu.forward(this.encoder.forward(x))), 1);
  }

  protected docLogLikelihood(theta: Tensor, x: CsrMatrix): Float32Array {
    return neg(decoderRecon(theta, this.decoder.weight, this.decoder.bias, x)).cpu().f32;
  }

  topicWord(opts?: TopicWordOptions): Tensor {
    const { bias } = checkTopicWordOptions(opts);
    return noGrad(() => {
      const code = softmax(this.fc.forward(this.means), 1);
      return softmax(linear(code, this.decoder.weight, bias ? this.decoder.bias : null), 1);
    });
  }
}

registerTopicModel('GMNTM', (c) => new GMNTM(c as unknown as GMNTMOptions & { pretrained?: boolean }));

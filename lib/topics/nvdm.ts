// NVDM-GSM (Miao et al. 2017, Gaussian-softmax): encoder MLP -> mu, logvar; z = mu + sigma eps;
// theta = softmax(Linear(K, K)(z)); p(w | theta) = softmax(Linear(K, V)(theta)).
// loss = -sum_v x_v log p_v (batch mean) + KL(N(mu, sigma^2) || N(0, I)).
import { CsrMatrix } from '../sparse';
import { Tensor } from '../tensor';
import { add, exp, mul, neg } from '../ops/elementwise';
import { softmax } from '../ops/nn';
import { mean } from '../ops/reduce';
import { randn } from '../creation';
import { Linear } from '../nn/layers';
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
import { decoderTopicWord, MlpEncoder, decoderRecon } from './layers';

export interface NVDMOptions extends TopicModelOptions {
  /** Encoder hidden sizes, ReLU after each (default [1024, 512]). */
  hidden?: number[];
}

export class NVDM extends TopicModel {
  declare encoder: MlpEncoder;
  declare mu: Linear;
  declare logvar: Linear;
  declare fc: Linear;
  declare decoder: Linear;
  readonly hidden: number[];
  protected readonly kind = 'NVDM';
  protected readonly trainDefaults = { epochs: 50, batchSize: 512, lr: 1e-3 };

  constructor(opts: NVDMOptions) {
    super(opts);
    this.hidden = checkHidden('hidden', opts.hidden, [1024, 512]);
    const K = this.numTopics;
    const r = { generator: this.generator };
    const h = this.hidden[this.hidden.length - 1];
    this.registerModule('encoder', new MlpEncoder(this.vocabSize, this.hidden, 'relu', r));
    this.registerModule('mu', new Linear(h, K, r));
    this.registerModule('logvar', new Linear(h, K, r));
    this.registerModule('fc', new Linear(K, K, r));
    this.registerModule('decoder', new Linear(K, this.vocabSize, r));
    this.placeOn(opts.device);
  }

  protected config(): ModelConfig {
    return { vocabSize: this.vocabSize, numTopics: this.numTopics, hidden: this.hidden };
  }

  protected drawNoise(B: number): StepNoise {
    return { eps: randn([B, this.numTopics], { generator: this.generator }) };
  }

  protected batchLoss(x: CsrMatrix, noise: StepNoise): LossParts {
    const h = this.encoder.forward(x);
    const mu = this.mu.forward(h);
    const logvar = this.logvar.forward(h);
    const eps = this.onDevice(noise.eps ?? this.drawNoise(x.rows).eps!);
    const z = add(mu, mul(exp(mul(logvar, 0.5)), eps));
    const theta = softmax(this.fc.forward(z), 1);
    const recon = mean(decoderRecon(theta, this.decoder.weight, this.decoder.bias, x));
    const kl = gaussianKL(mu, logvar);
    return { loss: add(recon, kl), terms: { recon, kl } };
  }

  protected thetaOf(x: CsrMatrix): Tensor {
    return softmax(this.fc.forward(this.mu.forward(this.encoder.forward(x))), 1);
  }

  protected docLogLikelihood(theta: Tensor, x: CsrMatrix): Float32Array {
    return neg(decoderRecon(theta, this.decoder.weight, this.decoder.bias, x)).cpu().f32;
  }

  topicWord(opts?: TopicWordOptions): Tensor {
    return decoderTopicWord(this.decoder, checkTopicWordOptions(opts).bias);
  }
}

registerTopicModel('NVDM', (c) => new NVDM(c as unknown as NVDMOptions));

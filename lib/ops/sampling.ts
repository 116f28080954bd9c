// Sampling for the topic models (issue 6): Gamma (Marsaglia-Tsang), Dirichlet (normalised gammas)
// and the reparameterised Gaussian.
//
// gamma and dirichlet draw from the Philox generator of `{ seed }` / `{ generator }` (lib/random.ts)
// with one Philox stream per sample (native/include/textkernels/math/topics.h): the rejection loop
// uses as many numbers as it needs without shifting any other sample, so results are the same
// whatever the thread count (and on CUDA, up to libm rounding). Each call advances the generator's
// offset by exactly 1 block; its streams have the top bit set, so they never meet the uniform /
// normal fills (stream 0) of the same generator.
//
// With `{ device: 'cuda' }` the samples are drawn on the device by the exports of the same name
// (cuda/binding/topic_losses.cc: gamma_sample_cuda / dirichlet_sample_cuda), from the same Philox
// streams, so one seed gives the CPU's samples (bit-identical in the emulated tests; on a GPU up to
// device-libm rounding, see cuda/topic_losses.h).
import { cudaKernels, DeviceBuffer } from '../cuda/runtime';
import { checkInt, checkOptions, rangeError, shapeStr, typeError } from '../errors';
import { native } from '../native';
import { RandomOptions, resolveGenerator, Generator } from '../random';
import {
  allocStorage,
  checkDevice,
  checkShape,
  checkTensor,
  CudaStorage,
  Device,
  numelOf,
  sameDevice,
  Tensor,
} from '../tensor';
import { randn } from '../creation';
import { add, exp, mul } from './elementwise';

declare module '../native' {
  interface NativeAddon {
    gammaSample(out: Float32Array, concentration: number, seed: number, offset: number): number;
    dirichletSample(
      out: Float32Array,
      concentration: Float32Array,
      numSamples: number,
      K: number,
      seed: number,
      offset: number,
    ): number;
  }
}

declare module '../cuda/runtime' {
  interface CudaKernels {
    gammaSample(out: DeviceBuffer, concentration: number, seed: number, offset: number): number;
    /** concentration stays a host Float32Array, as for the CPU export (copied for the call). */
    dirichletSample(
      out: DeviceBuffer,
      concentration: Float32Array,
      numSamples: number,
      K: number,
      seed: number,
      offset: number,
    ): number;
  }
}

/** Options of the samplers: the generator, and the device the samples are drawn on (default 'cpu'). */
export interface SampleOptions extends RandomOptions {
  device?: Device;
}

function deviceOf(opts: SampleOptions): Device {
  return opts.device === undefined ? 'cpu' : checkDevice('device', opts.device);
}

function checkConcentration(name: string, v: unknown): number {
  if (typeof v !== 'number') throw typeError(name, 'a number', v);
  if (!(v > 0) || !Number.isFinite(v) || !(Math.fround(v) > 0) || !Number.isFinite(Math.fround(v))) {
    throw rangeError(name, 'positive and finite (in float32)', v);
  }
  return v;
}

/** Runs a draw at the generator's state and advances its offset by the blocks the draw reports. */
function drawWith(gen: Generator, draw: (seed: number, offset: number) => number): void {
  const { seed, offset } = gen.getState();
  const used = draw(seed, offset);
  gen.setState({ seed, offset: offset + used });
}

/** Samples of Gamma(concentration, 1) (rate 1), Marsaglia-Tsang with the U^(1/alpha) boost below 1. */
export function gamma(shape: readonly number[], concentration: number, opts: SampleOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const s = checkShape('shape', shape);
  const alpha = checkConcentration('concentration', concentration);
  const device = deviceOf(opts);
  const gen = resolveGenerator(opts);
  if (device !== 'cpu') {
    const outD = allocStorage(device, 'float32', numelOf(s)) as CudaStorage;
    drawWith(gen, (seed, offset) => cudaKernels().gammaSample(outD.buffer, alpha, seed, offset));
    return new Tensor(outD, s);
  }
  const out = new Float32Array(numelOf(s));
  drawWith(gen, (seed, offset) => native.gammaSample(out, alpha, seed, offset));
  return new Tensor(out, s);
}

/**
 * numSamples draws from Dirichlet(concentration) as a [numSamples, K] tensor whose rows sum to 1.
 * concentration: K >= 1 positive values (array, Float32Array or a 1-D float32 tensor). Rows are
 * normalised in log space, so small concentrations (whose gammas underflow float) still give rows
 * that sum to 1.
 */
export function dirichlet(
  concentration: readonly number[] | Float32Array | Tensor,
  numSamples: number,
  opts: SampleOptions = {},
): Tensor {
  opts = checkOptions('opts', opts);
  const device = deviceOf(opts);
  let conc: Float32Array;
  if (concentration instanceof Tensor) {
    checkTensor('concentration', concentration, 'float32');
    if (concentration.device !== 'cpu') {
      throw new TypeError(
        `dirichlet: concentration is on ${concentration.device}, but its values are checked on the host: pass a CPU tensor or an array (with { device: '${concentration.device}' } for samples there)`,
      );
    }
    if (concentration.ndim !== 1) {
      throw new RangeError(`concentration must be 1-D [K], got shape ${shapeStr(concentration.shape)}`);
    }
    conc = concentration.f32.slice();
  } else if (concentration instanceof Float32Array || Array.isArray(concentration)) {
    conc = new Float32Array(concentration.length);
    for (let k = 0; k < concentration.length; k++) {
      conc[k] = checkConcentration(`concentration[${k}]`, concentration[k]);
    }
  } else {
    throw typeError('concentration', 'an array, a Float32Array or a 1-D tensor', concentration);
  }
  const K = conc.length;
  if (K < 1) throw new RangeError('concentration must have at least one value (K >= 1), got none');
  for (let k = 0; k < K; k++) checkConcentration(`concentration[${k}]`, conc[k]);
  const n = checkInt('numSamples', numSamples);
  const gen = resolveGenerator(opts);
  if (device !== 'cpu') {
    const outD = allocStorage(device, 'float32', n * K) as CudaStorage;
    drawWith(gen, (seed, offset) => cudaKernels().dirichletSample(outD.buffer, conc, n, K, seed, offset));
    return new Tensor(outD, [n, K]);
  }
  const out = new Float32Array(n * K);
  drawWith(gen, (seed, offset) => native.dirichletSample(out, conc, n, K, seed, offset));
  return new Tensor(out, [n, K]);
}

/**
 * mu + exp(0.5 * logvar) * eps with eps ~ N(0, 1) of mu's shape from the generator: differentiable
 * in mu and logvar (composite ops). mu and logvar must have the same shape.
 */
export function reparameterize(mu: Tensor, logvar: Tensor, opts: RandomOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('mu', mu, 'float32');
  checkTensor('logvar', logvar, 'float32');
  if (mu.shape.length !== logvar.shape.length || mu.shape.some((s, i) => s !== logvar.shape[i])) {
    throw new RangeError(`logvar must have the shape of mu ${shapeStr(mu.shape)}, got ${shapeStr(logvar.shape)}`);
  }
  // eps is drawn on the host (as randn does for either device) and placed with mu; the composite ops
  // then run where mu and logvar are.
  const device = sameDevice('reparameterize', { mu, logvar });
  const eps = randn(mu.shape, { ...opts, device });
  return add(mu, mul(exp(mul(logvar, 0.5)), eps));
}

// Sampling for the topic models (issue 6): Gamma (Marsaglia-Tsang), Dirichlet (normalised gammas)
// and the reparameterised Gaussian.
//
// gamma and dirichlet draw from the Philox generator of `{ seed }` / `{ generator }` (lib/random.ts)
// with one Philox stream per sample (native/include/textkernels/math/topics.h): the rejection loop
// uses as many numbers as it needs without shifting any other sample, so results are the same
// whatever the thread count (and on CUDA, up to libm rounding). Each call advances the generator's
// offset by exactly 1 block; its streams have the top bit set, so they never meet the uniform /
// normal fills (stream 0) of the same generator.
import { checkInt, checkOptions, rangeError, shapeStr, typeError } from '../errors';
import { native } from '../native';
import { RandomOptions, resolveGenerator, Generator } from '../random';
import { checkShape, checkTensor, numelOf, Tensor } from '../tensor';
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
export function gamma(shape: readonly number[], concentration: number, opts: RandomOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const s = checkShape('shape', shape);
  const alpha = checkConcentration('concentration', concentration);
  const gen = resolveGenerator(opts);
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
  opts: RandomOptions = {},
): Tensor {
  opts = checkOptions('opts', opts);
  let conc: Float32Array;
  if (concentration instanceof Tensor) {
    checkTensor('concentration', concentration, 'float32');
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
  const eps = randn(mu.shape, opts);
  return add(mu, mul(exp(mul(logvar, 0.5)), eps));
}

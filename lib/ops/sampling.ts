// TEMPORARY (topic-models branch): the spec'd signatures of lib/ops/sampling.ts, written in plain
// JS over the Philox generator so the topic models can be built and tested before the native
// version (tk-kernels branch) lands; at merge that version replaces this file.
import { checkInt, checkNumber, shapeStr, typeError } from '../errors';
import { Generator, RandomOptions, resolveGenerator } from '../random';
import { checkShape, checkTensor, numelOf, Tensor } from '../tensor';
import { add, exp, mul } from './elementwise';

/** Marsaglia-Tsang Gamma(alpha, 1) draws in double precision (alpha < 1 via the U^(1/alpha) boost). */
function gammaDraws(gen: Generator, alpha: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const boost = alpha < 1;
  const a = boost ? alpha + 1 : alpha;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  const normals = new Float32Array(64);
  const uniforms = new Float32Array(64);
  let ni = 64;
  let ui = 64;
  const normal = (): number => {
    if (ni === 64) {
      gen.normal(normals);
      ni = 0;
    }
    return normals[ni++];
  };
  const uniform = (): number => {
    if (ui === 64) {
      gen.uniform(uniforms);
      ui = 0;
    }
    // (0, 1]: log(0) never happens.
    return 1 - uniforms[ui++];
  };
  for (let i = 0; i < n; i++) {
    let g = 0;
    for (;;) {
      const x = normal();
      const v0 = 1 + c * x;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0;
      const u = uniform();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
        g = d * v;
        break;
      }
    }
    if (boost) g *= Math.pow(uniform(), 1 / alpha);
    out[i] = g;
  }
  return out;
}

/** Gamma(concentration, 1) draws of the given shape. */
export function gamma(shape: readonly number[], concentration: number, opts: RandomOptions = {}): Tensor {
  const s = checkShape('shape', shape);
  const alpha = checkNumber('concentration', concentration, Number.MIN_VALUE);
  const g = gammaDraws(resolveGenerator(opts), alpha, numelOf(s));
  return new Tensor(Float32Array.from(g), s);
}

/** [numSamples, K] rows drawn from Dirichlet(concentration), each summing to 1. */
export function dirichlet(
  concentration: readonly number[] | Float32Array | Tensor,
  numSamples: number,
  opts: RandomOptions = {},
): Tensor {
  let alpha: ArrayLike<number>;
  if (concentration instanceof Tensor) {
    checkTensor('concentration', concentration, 'float32');
    if (concentration.ndim !== 1) {
      throw new RangeError(`concentration must be 1-D [K], got shape ${shapeStr(concentration.shape)}`);
    }
    alpha = concentration.f32;
  } else if (Array.isArray(concentration) || concentration instanceof Float32Array) {
    alpha = concentration;
  } else {
    throw typeError('concentration', 'an array, a Float32Array or a 1-D tensor', concentration);
  }
  const K = alpha.length;
  if (K === 0) throw new RangeError('concentration must have at least one entry');
  for (let k = 0; k < K; k++) checkNumber(`concentration[${k}]`, alpha[k], Number.MIN_VALUE);
  const n = checkInt('numSamples', numSamples);
  const gen = resolveGenerator(opts);
  const cols: Float64Array[] = [];
  for (let k = 0; k < K; k++) cols.push(gammaDraws(gen, alpha[k], n));
  const out = new Float32Array(n * K);
  for (let i = 0; i < n; i++) {
    let s = 0;
    let best = 0;
    for (let k = 0; k < K; k++) {
      s += cols[k][i];
      if (cols[k][i] > cols[best][i]) best = k;
    }
    if (s > 0) for (let k = 0; k < K; k++) out[i * K + k] = cols[k][i] / s;
    else out[i * K + best] = 1;
  }
  return new Tensor(out, [n, K]);
}

/** mu + exp(0.5 logvar) * eps with eps ~ N(0, 1), differentiable in mu and logvar. */
export function reparameterize(mu: Tensor, logvar: Tensor, opts: RandomOptions = {}): Tensor {
  checkTensor('mu', mu, 'float32');
  checkTensor('logvar', logvar, 'float32');
  const eps = new Tensor(resolveGenerator(opts).normal(new Float32Array(mu.size)), mu.shape);
  return add(mu, mul(exp(mul(logvar, 0.5)), eps));
}

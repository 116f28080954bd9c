// A Gaussian mixture with diagonal covariances fitted by EM (sklearn's
// GaussianMixture(covariance_type='diag')), initialised by k-means++ seeding and a hard assignment
// of every point to its nearest seed. GMNTM uses it to set its prior from the latent codes of the
// pretrained autoencoder. Arithmetic is in double precision; the results are Float32Arrays.
import { checkInt, checkNumber, shapeStr, typeError } from '../errors';
import { Generator, RandomOptions, resolveGenerator } from '../random';
import { Tensor } from '../tensor';
import { native } from '../native';
import '../ops/matmul';

export interface GaussianMixtureOptions extends RandomOptions {
  numComponents: number;
  /** EM iterations at most (default 100). */
  maxIter?: number;
  /** Stop when the mean log-likelihood improves by less than this (default 1e-3, as sklearn). */
  tol?: number;
  /** Added to every variance (default 1e-6). */
  regCovar?: number;
}

export class GaussianMixture {
  readonly numComponents: number;
  readonly maxIter: number;
  readonly tol: number;
  readonly regCovar: number;
  /** [C, D] after fit(). */
  means: Float32Array = new Float32Array(0);
  variances: Float32Array = new Float32Array(0);
  /** [C] mixture weights, summing to 1. */
  weights: Float32Array = new Float32Array(0);
  dim = 0;
  iterations = 0;
  converged = false;
  /** Mean log-likelihood per point at the end of fit(). */
  logLikelihood = NaN;
  private readonly gen: Generator;

  constructor(opts: GaussianMixtureOptions) {
    if (opts === null || typeof opts !== 'object') throw typeError('options', 'an object', opts);
    this.numComponents = checkInt('numComponents', opts.numComponents, 1);
    this.maxIter = checkInt('maxIter', opts.maxIter ?? 100, 1);
    this.tol = checkNumber('tol', opts.tol ?? 1e-3, 0);
    this.regCovar = checkNumber('regCovar', opts.regCovar ?? 1e-6, 0);
    this.gen = opts.seed === undefined && opts.generator === undefined ? new Generator(0) : resolveGenerator(opts);
  }

  private static rows(name: string, x: Tensor | Float32Array, dim?: number): { X: Float32Array; N: number; D: number } {
    if (x instanceof Tensor) {
      if (x.dtype !== 'float32' || x.ndim !== 2)
        throw new RangeError(`${name} must be a float32 tensor [N, D], got ${shapeStr(x.shape)}`);
      return { X: x.f32, N: x.shape[0], D: x.shape[1] };
    }
    if (!(x instanceof Float32Array) || dim === undefined) throw typeError(name, 'a float32 tensor [N, D]', x);
    return { X: x, N: x.length / dim, D: dim };
  }

  /** Fits to the rows of x [N, D] (N >= numComponents). */
  fit(x: Tensor): this {
    const { X, N, D } = GaussianMixture.rows('x', x);
    const C = this.numComponents;
    if (N < C) throw new RangeError(`x has ${N} points, fewer than numComponents (${C})`);
    for (let i = 0; i < X.length; i++)
      if (!Number.isFinite(X[i])) throw new RangeError(`x has a non-finite value at ${i}`);
    this.dim = D;
    // Responsibilities [N, C]; the sums over points and dimensions run as native GEMMs, with the
    // expansion sum_j (x - m)^2 / v = x^2 . (1/v) - 2 x . (m/v) + m^2 . (1/v) (as sklearn's diag case).
    const resp = new Float32Array(N * C);
    const X2 = Float32Array.from(X, (v) => v * v);
    // k-means++ seeding, then each point to its nearest seed.
    const seeds = this.kmeansPlusPlus(X, N, D, C);
    for (let n = 0; n < N; n++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < C; c++) {
        const d = sqDist(X, n * D, seeds, c * D, D);
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      resp[n * C + best] = 1;
    }
    const means = new Float64Array(C * D);
    const vars = new Float64Array(C * D);
    const weights = new Float64Array(C);
    // Global variance: the fallback of a component that holds no points.
    const globalVar = new Float64Array(D);
    const globalMean = new Float64Array(D);
    for (let n = 0; n < N; n++) for (let j = 0; j < D; j++) globalMean[j] += X[n * D + j] / N;
    for (let n = 0; n < N; n++) for (let j = 0; j < D; j++) globalVar[j] += (X[n * D + j] - globalMean[j]) ** 2 / N;
    const sx = new Float32Array(C * D); // resp^T X
    const sx2 = new Float32Array(C * D); // resp^T X^2
    const mStep = (): void => {
      native.sgemm(true, false, C, D, N, 1, resp, 0, C, X, 0, D, 0, sx, 0, D);
      native.sgemm(true, false, C, D, N, 1, resp, 0, C, X2, 0, D, 0, sx2, 0, D);
      const nks = new Float64Array(C);
      for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) nks[c] += resp[n * C + c];
      for (let c = 0; c < C; c++) {
        const nk = nks[c];
        weights[c] = (nk + 1e-10) / (N + C * 1e-10);
        for (let j = 0; j < D; j++) {
          const i = c * D + j;
          if (nk <= 1e-10) {
            means[i] = seeds[i];
            vars[i] = globalVar[j] + this.regCovar;
            continue;
          }
          const m = sx[i] / nk;
          means[i] = m;
          vars[i] = Math.max(sx2[i] / nk - m * m, 0) + this.regCovar;
        }
      }
    };
    const prec = new Float32Array(C * D);
    const mp = new Float32Array(C * D);
    const t1 = new Float32Array(N * C);
    const t2 = new Float32Array(N * C);
    const eStep = (): number => {
      let total = 0;
      const base = new Float64Array(C);
      const half = 0.5 * D * Math.log(2 * Math.PI);
      for (let c = 0; c < C; c++) {
        let logDet = 0;
        let mm = 0;
        for (let j = 0; j < D; j++) {
          const i = c * D + j;
          logDet += Math.log(vars[i]);
          prec[i] = 1 / vars[i];
          mp[i] = means[i] / vars[i];
          mm += (means[i] * means[i]) / vars[i];
        }
        base[c] = Math.log(weights[c]) - half - 0.5 * (logDet + mm);
      }
      native.sgemm(false, true, N, C, D, 1, X2, 0, D, prec, 0, D, 0, t1, 0, C);
      native.sgemm(false, true, N, C, D, 1, X, 0, D, mp, 0, D, 0, t2, 0, C);
      const row = new Float64Array(C);
      for (let n = 0; n < N; n++) {
        let mx = -Infinity;
        for (let c = 0; c < C; c++) {
          const q = Math.max(t1[n * C + c] - 2 * t2[n * C + c], -0.5 * Number.MAX_VALUE);
          row[c] = base[c] - 0.5 * q;
          if (row[c] > mx) mx = row[c];
        }
        let s = 0;
        for (let c = 0; c < C; c++) s += Math.exp(row[c] - mx);
        const lse = mx + Math.log(s);
        total += lse;
        for (let c = 0; c < C; c++) resp[n * C + c] = Math.exp(row[c] - lse);
      }
      return total / N;
    };
    mStep();
    let prev = -Infinity;
    this.converged = false;
    for (let it = 1; it <= this.maxIter; it++) {
      const ll = eStep();
      mStep();
      this.iterations = it;
      this.logLikelihood = ll;
      if (Math.abs(ll - prev) < this.tol) {
        this.converged = true;
        break;
      }
      prev = ll;
    }
    this.means = Float32Array.from(means);
    this.variances = Float32Array.from(vars);
    this.weights = Float32Array.from(weights);
    return this;
  }

  /** Responsibilities p(c | x) [N, C]. */
  predictProba(x: Tensor): Tensor {
    if (this.dim === 0) throw new Error('predictProba() before fit()');
    const { X, N, D } = GaussianMixture.rows('x', x);
    if (D !== this.dim) throw new RangeError(`x has ${D} columns, the mixture was fitted on ${this.dim}`);
    const C = this.numComponents;
    const out = new Float32Array(N * C);
    const row = new Float64Array(C);
    for (let n = 0; n < N; n++) {
      let mx = -Infinity;
      for (let c = 0; c < C; c++) {
        let q = Math.log(this.weights[c]);
        for (let j = 0; j < D; j++) {
          const v = this.variances[c * D + j];
          const t = X[n * D + j] - this.means[c * D + j];
          q -= 0.5 * (Math.log(2 * Math.PI * v) + (t * t) / v);
        }
        row[c] = q;
        if (q > mx) mx = q;
      }
      let s = 0;
      for (let c = 0; c < C; c++) s += Math.exp(row[c] - mx);
      for (let c = 0; c < C; c++) out[n * C + c] = Math.exp(row[c] - mx) / s;
    }
    return new Tensor(out, [N, C]);
  }

  /** The most likely component of each row [N] (int32). */
  predict(x: Tensor): Tensor {
    const p = this.predictProba(x);
    const [N, C] = p.shape;
    const out = new Int32Array(N);
    for (let n = 0; n < N; n++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (p.f32[n * C + c] > p.f32[n * C + best]) best = c;
      out[n] = best;
    }
    return new Tensor(out, [N]);
  }

  /** k-means++: the first seed uniform, each next one with probability proportional to D(x)^2. */
  private kmeansPlusPlus(X: Float32Array, N: number, D: number, C: number): Float64Array {
    const seeds = new Float64Array(C * D);
    const closest = new Float64Array(N).fill(Infinity);
    let pick = this.gen.randint(N);
    const u = new Float32Array(C);
    this.gen.uniform(u);
    for (let c = 0; c < C; c++) {
      for (let j = 0; j < D; j++) seeds[c * D + j] = X[pick * D + j];
      let total = 0;
      for (let n = 0; n < N; n++) {
        const d = sqDist(X, n * D, seeds, c * D, D);
        if (d < closest[n]) closest[n] = d;
        total += closest[n];
      }
      if (c + 1 === C) break;
      if (total <= 0) {
        pick = this.gen.randint(N);
        continue;
      }
      let target = u[c + 1] * total;
      pick = N - 1;
      for (let n = 0; n < N; n++) {
        target -= closest[n];
        if (target < 0) {
          pick = n;
          break;
        }
      }
    }
    return seeds;
  }
}

function sqDist(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, D: number): number {
  let s = 0;
  for (let j = 0; j < D; j++) {
    const t = a[ao + j] - b[bo + j];
    s += t * t;
  }
  return s;
}

// TEMPORARY (topic-models branch): the spec'd signatures of lib/ops/topic-losses.ts (mmd,
// gaussianKL, gaussianMixtureKL) built from existing ops and plain JS loops, so the topic models
// can be written and tested before the fused native versions (tk-kernels branch) land; at merge
// that version replaces this file.
import { checkNumber, shapeStr, typeError } from '../errors';
import { fromOp, isGradEnabled, checkTensor, Tensor } from '../tensor';
import { native } from '../native';
import './matmul';
import { add, exp, mul, neg, square, sub } from './elementwise';
import { logSoftmax, softmax } from './nn';
import { mean, sum } from './reduce';
import { unsqueeze } from './shape';

export type MmdKernel = 'diffusion' | 'rbf' | 'imq';

export interface MmdOptions {
  kernel?: MmdKernel;
  bandwidth?: number;
}

type Reduction = 'mean' | 'sum' | 'none';

function reduceRows(name: string, perRow: Tensor, reduction: Reduction | undefined): Tensor {
  const r = reduction ?? 'mean';
  if (r === 'none') return perRow;
  if (r === 'sum') return sum(perRow);
  if (r === 'mean') return mean(perRow);
  throw new RangeError(`${name}: reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
}

/** C [p, q] = A [p, d] B[q, d]^T through the native GEMM. */
function abT(A: Float32Array, p: number, B: Float32Array, q: number, d: number): Float32Array {
  const C = new Float32Array(p * q);
  if (p > 0 && q > 0 && d > 0) native.sgemm(false, true, p, q, d, 1, A, 0, d, B, 0, d, 0, C, 0, q);
  return C;
}

/** out [p, d] += C [p, q] B [q, d] (transC: C is [q, p] and used transposed). */
function addCB(
  out: Float64Array,
  C: Float32Array,
  transC: boolean,
  p: number,
  q: number,
  B: Float32Array,
  d: number,
): void {
  const t = new Float32Array(p * d);
  if (p > 0 && q > 0 && d > 0) native.sgemm(transC, false, p, d, q, 1, C, 0, transC ? p : q, B, 0, d, 0, t, 0, d);
  for (let i = 0; i < t.length; i++) out[i] += t[i];
}

/**
 * Sum over pairs (i, j) (i != j when `same`) of w * k(a_i, b_j), accumulating w * dk/da_i into ga
 * and w * dk/db_j into gb (either may be null). Inner products come from GEMMs; the per-pair
 * kernel values and derivatives are computed here.
 */
function kernelBlock(
  kernel: MmdKernel,
  h: number,
  A: Float32Array,
  p: number,
  B: Float32Array,
  q: number,
  d: number,
  w: number,
  same: boolean,
  ga: Float64Array | null,
  gb: Float64Array | null,
): number {
  let total = 0;
  const want = ga !== null || gb !== null;
  const coef = want ? new Float32Array(p * q) : null; // w * dk/ds (diffusion) or w * dk/dr2 (others)
  if (kernel === 'diffusion') {
    // Inputs clipped to >= 1e-6 before the square root, as W-LDA's reference code does.
    const sa = Float32Array.from(A, (v) => Math.sqrt(Math.max(v, 1e-6)));
    const sb = Float32Array.from(B, (v) => Math.sqrt(Math.max(v, 1e-6)));
    const S = abT(sa, p, sb, q, d);
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < q; j++) {
        if (same && i === j) continue;
        const s = S[i * q + j];
        const c = Math.min(Math.max(s, 0), 1);
        const ac = Math.acos(c);
        const k = Math.exp((-ac * ac) / h);
        total += w * k;
        if (!coef || s <= 0 || s >= 1) continue;
        // d k / d s = 2 k acos(s) / (h sqrt(1 - s^2)); acos(s) / sqrt(1 - s^2) -> 1 as s -> 1.
        const om = 1 - c;
        const ratio = om < 1e-7 ? 1 + om / 3 : ac / Math.sqrt(1 - c * c);
        coef[i * q + j] = (w * 2 * k * ratio) / h;
      }
    }
    if (coef && ga) {
      const acc = new Float64Array(p * d);
      addCB(acc, coef, false, p, q, sb, d);
      for (let i = 0; i < p * d; i++) if (A[i] > 1e-6) ga[i] += (0.5 * acc[i]) / sa[i];
    }
    if (coef && gb) {
      const acc = new Float64Array(q * d);
      addCB(acc, coef, true, q, p, sa, d);
      for (let i = 0; i < q * d; i++) if (B[i] > 1e-6) gb[i] += (0.5 * acc[i]) / sb[i];
    }
    return total;
  }
  const dots = abT(A, p, B, q, d);
  const na = new Float64Array(p);
  const nb = new Float64Array(q);
  for (let i = 0; i < p; i++) for (let l = 0; l < d; l++) na[i] += A[i * d + l] * A[i * d + l];
  for (let j = 0; j < q; j++) for (let l = 0; l < d; l++) nb[j] += B[j * d + l] * B[j * d + l];
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < q; j++) {
      if (same && i === j) continue;
      const r2 = Math.max(na[i] + nb[j] - 2 * dots[i * q + j], 0);
      let k: number;
      let dk: number; // d k / d r2
      if (kernel === 'rbf') {
        k = Math.exp(-r2 / (2 * h * h));
        dk = -k / (2 * h * h);
      } else {
        k = h / (h + r2);
        dk = -h / ((h + r2) * (h + r2));
      }
      total += w * k;
      if (coef) coef[i * q + j] = 2 * w * dk;
    }
  }
  // d r2 / d a_i = 2 (a_i - b_j): ga_i += sum_j coef_ij (a_i - b_j), gb_j -= sum_i coef_ij (a_i - b_j).
  if (coef && ga) {
    for (let i = 0; i < p; i++) {
      let rs = 0;
      for (let j = 0; j < q; j++) rs += coef[i * q + j];
      for (let l = 0; l < d; l++) ga[i * d + l] += rs * A[i * d + l];
    }
    const neg = Float32Array.from(coef, (v) => -v);
    addCB(ga, neg, false, p, q, B, d);
  }
  if (coef && gb) {
    for (let j = 0; j < q; j++) {
      let cs = 0;
      for (let i = 0; i < p; i++) cs += coef[i * q + j];
      for (let l = 0; l < d; l++) gb[j * d + l] += cs * B[j * d + l];
    }
    const neg = Float32Array.from(coef, (v) => -v);
    addCB(gb, neg, true, q, p, A, d);
  }
  return total;
}

/**
 * Unbiased MMD^2 between samples x [n, d] and y [m, d]:
 * sum_{i!=j} k(x_i,x_j)/(n(n-1)) + sum_{i!=j} k(y_i,y_j)/(m(m-1)) - 2 sum_{i,j} k(x_i,y_j)/(nm).
 */
export function mmd(x: Tensor, y: Tensor, opts: MmdOptions = {}): Tensor {
  checkTensor('x', x, 'float32');
  checkTensor('y', y, 'float32');
  if (x.ndim !== 2) throw new RangeError(`x must be 2-D [n, d], got shape ${shapeStr(x.shape)}`);
  if (y.ndim !== 2 || y.shape[1] !== x.shape[1]) {
    throw new RangeError(`y must be 2-D [m, ${x.shape[1]}], got shape ${shapeStr(y.shape)}`);
  }
  const kernel = opts.kernel ?? 'diffusion';
  if (kernel !== 'diffusion' && kernel !== 'rbf' && kernel !== 'imq') {
    throw typeError('kernel', "'diffusion', 'rbf' or 'imq'", kernel);
  }
  const h = checkNumber('bandwidth', opts.bandwidth ?? 1, Number.MIN_VALUE);
  const [n, d] = x.shape;
  const m = y.shape[0];
  if (n < 2 || m < 2) throw new RangeError(`mmd needs at least 2 samples in x and y, got ${n} and ${m}`);
  const X = x.f32;
  const Y = y.f32;
  const wantGrad = isGradEnabled() && (x.requiresGrad || y.requiresGrad);
  const gx = wantGrad && x.requiresGrad ? new Float64Array(n * d) : null;
  const gy = wantGrad && y.requiresGrad ? new Float64Array(m * d) : null;
  let v = kernelBlock(kernel, h, X, n, X, n, d, 1 / (n * (n - 1)), true, gx, gx);
  v += kernelBlock(kernel, h, Y, m, Y, m, d, 1 / (m * (m - 1)), true, gy, gy);
  v += kernelBlock(kernel, h, X, n, Y, m, d, -2 / (n * m), false, gx, gy);
  return fromOp('mmd', Float32Array.of(v), [], [x, y], (g) => {
    const s = g.f32[0];
    const scale = (a: Float64Array | null, shape: number[]): Tensor | null =>
      a
        ? new Tensor(
            Float32Array.from(a, (e) => e * s),
            shape,
          )
        : null;
    return [scale(gx, x.shape), scale(gy, y.shape)];
  });
}

/** KL(N(mu, exp(logvar)) || N(0, I)) per row: -0.5 sum_j (1 + logvar - mu^2 - exp(logvar)). */
export function gaussianKL(mu: Tensor, logvar: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  checkTensor('mu', mu, 'float32');
  checkTensor('logvar', logvar, 'float32');
  if (mu.ndim !== 2 || logvar.ndim !== 2 || mu.shape[0] !== logvar.shape[0] || mu.shape[1] !== logvar.shape[1]) {
    throw new RangeError(`mu and logvar must both be [B, J], got ${shapeStr(mu.shape)} and ${shapeStr(logvar.shape)}`);
  }
  const inner = sub(sub(add(logvar, 1), square(mu)), exp(logvar));
  const perRow = mul(sum(inner, 1), -0.5);
  return reduceRows('gaussianKL', perRow, opts.reduction);
}

/**
 * Minus the KL part of the GMVAE ELBO (seed eq. 17) with responsibilities eta from eq. 18, per row:
 * 0.5 sum_c eta_c sum_j (lv_cj + exp(logvar_j - lv_cj) + (mu_j - m_cj)^2 / exp(lv_cj))
 *   - sum_c eta_c (logPi_c - log eta_c) - 0.5 sum_j (1 + logvar_j).
 */
export function gaussianMixtureKL(
  z: Tensor,
  mu: Tensor,
  logvar: Tensor,
  means: Tensor,
  logvars: Tensor,
  logPi: Tensor,
  opts: { reduction?: Reduction } = {},
): Tensor {
  for (const [name, t] of [
    ['z', z],
    ['mu', mu],
    ['logvar', logvar],
    ['means', means],
    ['logvars', logvars],
    ['logPi', logPi],
  ] as const) {
    checkTensor(name, t, 'float32');
  }
  if (z.ndim !== 2) throw new RangeError(`z must be [B, J], got ${shapeStr(z.shape)}`);
  const [B, J] = z.shape;
  for (const [name, t] of [
    ['mu', mu],
    ['logvar', logvar],
  ] as const) {
    if (t.ndim !== 2 || t.shape[0] !== B || t.shape[1] !== J) {
      throw new RangeError(`${name} must be [${B}, ${J}] like z, got ${shapeStr(t.shape)}`);
    }
  }
  if (means.ndim !== 2 || means.shape[1] !== J)
    throw new RangeError(`means must be [K, ${J}], got ${shapeStr(means.shape)}`);
  const K = means.shape[0];
  if (logvars.ndim !== 2 || logvars.shape[0] !== K || logvars.shape[1] !== J) {
    throw new RangeError(`logvars must be [${K}, ${J}] like means, got ${shapeStr(logvars.shape)}`);
  }
  if (logPi.ndim !== 1 || logPi.shape[0] !== K)
    throw new RangeError(`logPi must be [${K}], got ${shapeStr(logPi.shape)}`);
  const lv = unsqueeze(logvars, 0); // [1, K, J]
  const m = unsqueeze(means, 0);
  const ivar = exp(neg(lv));
  // log N(z; m_c, exp(lv_c)) = -0.5 sum_j (log 2pi + lv + (z - m)^2 / exp(lv))
  const zd = square(sub(unsqueeze(z, 1), m)); // [B, K, J]
  const logN = mul(sum(add(add(mul(zd, ivar), lv), Math.log(2 * Math.PI)), 2), -0.5); // [B, K]
  const logits = add(logN, logPi);
  const eta = softmax(logits, 1);
  const logEta = logSoftmax(logits, 1);
  const md = square(sub(unsqueeze(mu, 1), m)); // [B, K, J]
  const varRatio = exp(sub(unsqueeze(logvar, 1), lv));
  const inner = sum(add(add(lv, varRatio), mul(md, ivar)), 2); // [B, K]
  const t1 = mul(sum(mul(eta, inner), 1), 0.5);
  const t2 = sum(mul(eta, sub(logPi, logEta)), 1);
  const t3 = mul(sum(add(logvar, 1), 1), 0.5);
  const perRow = sub(sub(t1, t2), t3);
  return reduceRows('gaussianMixtureKL', perRow, opts.reduction);
}

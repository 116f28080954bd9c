import * as tk from '../lib';
import { expectClose, gradcheck, expectThrowNamed as expectThrow } from './helpers';

// digamma and trigamma by recurrence up to x >= 6 and their asymptotic series (error < 1e-10).
function digamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  return r + Math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))));
}
function trigamma(x: number): number {
  let r = 0;
  while (x < 6) {
    r += 1 / (x * x);
    x += 1;
  }
  const f = 1 / (x * x);
  return r + 1 / x + f / 2 + (f / x) * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f / 30)));
}

function moments(a: ArrayLike<number>): { mean: number; variance: number; logMean: number; logVar: number } {
  let s = 0;
  let s2 = 0;
  let l = 0;
  let l2 = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i];
    s2 += a[i] * a[i];
    const lv = Math.log(a[i]);
    l += lv;
    l2 += lv * lv;
  }
  const n = a.length;
  const mean = s / n;
  const logMean = l / n;
  return { mean, variance: s2 / n - mean * mean, logMean, logVar: l2 / n - logMean * logMean };
}

describe('gamma', () => {
  const N = 200000;
  // Tolerances: 5 standard errors of each estimate, so a sampler that is off by a fraction of the
  // spread (e.g. no U^(1/alpha) boost, or Gamma(alpha + 1)) fails while a correct one passes.
  it.each([0.1, 0.5, 1, 2.5, 30])('has the mean, variance and E[log X] of Gamma(%d, 1)', (alpha) => {
    const x = tk.gamma([N], alpha, { seed: 7 });
    expect(x.shape).toEqual([N]);
    const m = moments(x.f32);
    expect(x.f32.every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    expect(Math.abs(m.mean - alpha)).toBeLessThan(5 * Math.sqrt(alpha / N));
    expect(Math.abs(m.variance - alpha)).toBeLessThan(5 * Math.sqrt((2 * alpha * alpha + 6 * alpha) / N));
    if (alpha >= 0.5) {
      // (For alpha = 0.1 a fraction of samples underflow float32 to 0, so log X is -inf there.)
      expect(Math.abs(m.logMean - digamma(alpha))).toBeLessThan(5 * Math.sqrt(trigamma(alpha) / N));
      expect(Math.abs(m.logVar - trigamma(alpha)) / trigamma(alpha)).toBeLessThan(0.03);
    }
  });

  it('puts the right mass below small quantiles for alpha = 0.1 (the boost)', () => {
    // P(X < t) ~ t^alpha / Gamma(alpha + 1) for small t: 1e-10^0.1 / 0.95135 = 0.10512.
    const x = tk.gamma([N], 0.1, { seed: 3 });
    let below = 0;
    for (const v of x.f32) if (v < 1e-10) below++;
    const p = Math.pow(1e-10, 0.1) / 0.9513507698668732;
    expect(Math.abs(below / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
  });

  it('is deterministic: same seed, same samples; a generator advances by one block per call', () => {
    const a = tk.gamma([1000], 0.7, { seed: 11 });
    const b = tk.gamma([1000], 0.7, { seed: 11 });
    expect(Buffer.from(a.f32.buffer).equals(Buffer.from(b.f32.buffer))).toBe(true);
    const g = new tk.Generator(11);
    const c = tk.gamma([1000], 0.7, { generator: g });
    expect(g.getState()).toEqual({ seed: 11, offset: 1 });
    expect(Buffer.from(c.f32.buffer).equals(Buffer.from(a.f32.buffer))).toBe(true);
    const d = tk.gamma([1000], 0.7, { generator: g });
    expect(g.getState().offset).toBe(2);
    let same = 0;
    for (let i = 0; i < 1000; i++) if (c.f32[i] === d.f32[i]) same++;
    expect(same).toBeLessThan(5);
    // Each sample has its own streams: a shorter draw is a prefix of a longer one.
    const e = tk.gamma([10], 0.7, { seed: 11 });
    expect(Array.from(e.f32)).toEqual(Array.from(a.f32.subarray(0, 10)));
  });

  it('gives the same samples on 1 and 2 threads', () => {
    const before = tk.getNumThreads();
    try {
      tk.setNumThreads(1);
      const a = tk.gamma([50000], 0.3, { seed: 5 });
      const da = tk.dirichlet([0.1, 0.2, 3], 20000, { seed: 5 });
      tk.setNumThreads(2);
      const b = tk.gamma([50000], 0.3, { seed: 5 });
      const db = tk.dirichlet([0.1, 0.2, 3], 20000, { seed: 5 });
      expect(Buffer.from(a.f32.buffer).equals(Buffer.from(b.f32.buffer))).toBe(true);
      expect(Buffer.from(da.f32.buffer).equals(Buffer.from(db.f32.buffer))).toBe(true);
    } finally {
      tk.setNumThreads(before);
    }
  });

  it('takes any shape, including empty', () => {
    expect(tk.gamma([2, 3, 4], 2, { seed: 1 }).shape).toEqual([2, 3, 4]);
    expect(tk.gamma([0, 3], 2, { seed: 1 }).size).toBe(0);
    expect(tk.gamma([], 2, { seed: 1 }).shape).toEqual([]);
  });

  it('rejects bad input', () => {
    expectThrow(() => tk.gamma([3], 0), 'RangeError', /^concentration/);
    expectThrow(() => tk.gamma([3], -1), 'RangeError', /^concentration/);
    expectThrow(() => tk.gamma([3], NaN), 'RangeError', /^concentration/);
    expectThrow(() => tk.gamma([3], Infinity), 'RangeError', /^concentration/);
    expectThrow(() => tk.gamma([3], 1e-50), 'RangeError', /^concentration/);
    expectThrow(() => tk.gamma([3], '1' as unknown as number), 'TypeError', /^concentration/);
    expectThrow(() => tk.gamma([-1], 1), 'RangeError', /shape/);
    expectThrow(() => tk.gamma([3], 1, { generator: {} as tk.Generator }), 'TypeError', /generator/);
  });
});

describe('dirichlet', () => {
  it('has the mean and variance of Dirichlet(alpha), rows summing to 1', () => {
    const alpha = [0.1, 0.5, 2, 1, 0.05];
    const a0 = alpha.reduce((s, v) => s + v, 0);
    const n = 100000;
    const x = tk.dirichlet(alpha, n, { seed: 2 });
    expect(x.shape).toEqual([n, alpha.length]);
    const K = alpha.length;
    let worst = 0;
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x.f32[r * K + k];
      worst = Math.max(worst, Math.abs(s - 1));
    }
    expect(worst).toBeLessThan(1e-5);
    alpha.forEach((ak, k) => {
      const col = new Float64Array(n);
      for (let r = 0; r < n; r++) col[r] = x.f32[r * K + k];
      let s = 0;
      let s2 = 0;
      for (const v of col) {
        s += v;
        s2 += v * v;
      }
      const mean = s / n;
      const variance = s2 / n - mean * mean;
      const p = ak / a0;
      const v = (p * (1 - p)) / (a0 + 1);
      expect(Math.abs(mean - p)).toBeLessThan(5 * Math.sqrt(v / n));
      expect(Math.abs(variance - v) / v).toBeLessThan(0.05);
    });
  });

  it("symmetric Dir(0.1) over 50 topics (W-LDA's prior): mean 1/K, E[sum x^2] = (a+1)/(K a + 1)", () => {
    const K = 50;
    const n = 20000;
    const x = tk.dirichlet(new Array(K).fill(0.1), n, { generator: new tk.Generator(3) });
    let s2 = 0;
    let s = 0;
    for (const v of x.f32) {
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / (n * K) - 1 / K)).toBeLessThan(1e-6);
    const expected = (0.1 + 1) / (K * 0.1 + 1);
    expect(Math.abs(s2 / n - expected) / expected).toBeLessThan(0.02);
  });

  it('stays normalised for concentrations whose gammas underflow float', () => {
    const x = tk.dirichlet(new Array(20).fill(1e-3), 200, { seed: 4 });
    expect(x.f32.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    let worst = 0;
    for (let r = 0; r < 200; r++) {
      let s = 0;
      for (let k = 0; k < 20; k++) s += x.f32[r * 20 + k];
      worst = Math.max(worst, Math.abs(s - 1));
    }
    expect(worst).toBeLessThan(1e-5);
  });

  it('takes arrays, Float32Arrays and tensors alike; same seed, same samples', () => {
    const a = tk.dirichlet([0.3, 1, 2], 50, { seed: 9 });
    const b = tk.dirichlet(Float32Array.of(0.3, 1, 2), 50, { seed: 9 });
    const c = tk.dirichlet(tk.tensor([0.3, 1, 2]), 50, { seed: 9 });
    expect(Array.from(b.f32)).toEqual(Array.from(a.f32));
    expect(Array.from(c.f32)).toEqual(Array.from(a.f32));
    expect(tk.dirichlet([1, 1], 0, { seed: 1 }).shape).toEqual([0, 2]);
  });

  it('rejects bad input', () => {
    expectThrow(() => tk.dirichlet([], 3), 'RangeError', /^concentration/);
    expectThrow(() => tk.dirichlet([1, 0], 3), 'RangeError', /^concentration\[1\]/);
    expectThrow(() => tk.dirichlet([1, -2], 3), 'RangeError', /^concentration\[1\]/);
    expectThrow(() => tk.dirichlet([1, NaN], 3), 'RangeError', /^concentration\[1\]/);
    expectThrow(() => tk.dirichlet(Float32Array.of(1, 0), 3), 'RangeError', /^concentration\[1\]/);
    expectThrow(() => tk.dirichlet(tk.tensor([[1, 2]]), 3), 'RangeError', /^concentration must be 1-D/);
    expectThrow(() => tk.dirichlet(tk.tensor([1, 2], { dtype: 'int32' }), 3), 'TypeError', /^concentration/);
    expectThrow(() => tk.dirichlet('1' as unknown as number[], 3), 'TypeError', /^concentration/);
    expectThrow(() => tk.dirichlet([1, 2], -1), 'RangeError', /^numSamples/);
    expectThrow(() => tk.dirichlet([1, 2], 1.5), 'TypeError', /^numSamples/);
  });
});

describe('reparameterize', () => {
  it('draws mu + exp(logvar / 2) * eps with the eps of randn for the same generator state', () => {
    const mu = tk.tensor([
      [1, -2, 0],
      [3, 0.5, -1],
    ]);
    const lv = tk.tensor([
      [0, 1, -1],
      [2, 0, 0.5],
    ]);
    const z = tk.reparameterize(mu, lv, { seed: 12 });
    const eps = tk.randn([2, 3], { seed: 12 });
    const expected = mu.f32.map((m, i) => m + Math.exp(0.5 * lv.f32[i]) * eps.f32[i]);
    expectClose(z, expected, { atol: 1e-6, rtol: 1e-6 });
  });

  it('has mean mu and variance exp(logvar) over many draws', () => {
    const n = 100000;
    const z = tk.reparameterize(tk.full([n], 1.5), tk.full([n], Math.log(0.25)), { seed: 1 });
    const m = moments(z.f32);
    expect(Math.abs(m.mean - 1.5)).toBeLessThan(5 * Math.sqrt(0.25 / n));
    expect(Math.abs(m.variance - 0.25)).toBeLessThan(5 * Math.sqrt((2 * 0.0625) / n));
  });

  it('is differentiable in mu and logvar', () => {
    const mu = tk.randn([3, 2], { seed: 1 }).setRequiresGrad();
    const lv = tk.randn([3, 2], { seed: 2 }).setRequiresGrad();
    gradcheck((a, b) => tk.reparameterize(a, b, { seed: 99 }), [mu, lv]);
  });

  it('rejects bad input', () => {
    expectThrow(() => tk.reparameterize(tk.zeros([2, 3]), tk.zeros([3, 2])), 'RangeError', /^logvar/);
    expectThrow(() => tk.reparameterize(tk.zeros([2]), null as unknown as tk.Tensor), 'TypeError', /^logvar/);
    expectThrow(() => tk.reparameterize([1] as unknown as tk.Tensor, tk.zeros([1])), 'TypeError', /^mu/);
  });
});

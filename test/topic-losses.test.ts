import * as tk from '../lib';
import {
  expectClose,
  FixtureTensor,
  fromFixture,
  gradcheck,
  loadFixture,
  expectThrowNamed as expectThrow,
} from './helpers';

type Case = Record<string, unknown>;
const F = (c: Case, k: string): FixtureTensor => c[k] as FixtureTensor;
const fx = loadFixture<Record<string, Case[]>>('topic_losses');
const FWD = { atol: 1e-5, rtol: 0 };
const GRAD = { atol: 1e-6, rtol: 1e-4 };
type Red = 'mean' | 'sum' | 'none';
type Kernel = 'diffusion' | 'rbf' | 'imq';

/** Rows on the simplex, away from the 1e-6 clip (for finite differences). */
function simplexRows(n: number, d: number, seed: number, scale = 1): tk.Tensor {
  return tk.noGrad(() => tk.softmax(tk.mul(tk.randn([n, d], { seed }), scale), 1));
}

/** Direct O(n^2 d) evaluation in double precision: value and gradients, pair by pair. */
function mmdReference(
  x: Float32Array,
  y: Float32Array,
  n: number,
  m: number,
  d: number,
  kernel: Kernel,
  h: number,
): { loss: number; gx: Float64Array; gy: Float64Array } {
  const feat = (a: Float32Array): Float64Array =>
    Float64Array.from(a, (v) => (kernel === 'diffusion' ? Math.sqrt(Math.min(Math.max(v, Math.fround(1e-6)), 1)) : v));
  const fxs = feat(x);
  const fys = feat(y);
  // d feature / d input: 0.5 / sqrt(x) inside the clip, 0 outside (torch.clamp's rule).
  const lo = Math.fround(1e-6);
  const dfeat = (a: Float32Array, f: Float64Array): Float64Array =>
    f.map((v, i) => (a[i] >= lo && a[i] <= 1 ? 0.5 / v : 0));
  const dfx = dfeat(x, fxs);
  const dfy = dfeat(y, fys);
  const gx = new Float64Array(n * d);
  const gy = new Float64Array(m * d);
  // Adds w * k(a, b) to the loss and w * dk/da into ga (and w * dk/db into gb).
  let loss = 0;
  const pair = (
    fa: Float64Array,
    ra: number,
    fb: Float64Array,
    rb: number,
    ga: Float64Array,
    gb: Float64Array,
    w: number,
    da: Float64Array,
    db: Float64Array,
  ): void => {
    let q = 0;
    for (let l = 0; l < d; l++) {
      const u = fa[ra * d + l];
      const v = fb[rb * d + l];
      q += kernel === 'diffusion' ? u * v : (u - v) * (u - v);
    }
    let k: number;
    if (kernel === 'diffusion') {
      const c = Math.min(Math.max(q, 0), 1);
      const a = Math.acos(c);
      k = Math.exp((-a * a) / h);
      const ratio = a < 1e-4 ? 1 + (a * a) / 6 : a / Math.sin(a);
      const dk = q >= 0 && q <= 1 ? (k * 2 * ratio) / h : 0;
      for (let l = 0; l < d; l++) {
        ga[ra * d + l] += w * dk * fb[rb * d + l] * da[ra * d + l];
        gb[rb * d + l] += w * dk * fa[ra * d + l] * db[rb * d + l];
      }
    } else {
      const dk = kernel === 'rbf' ? -Math.exp(-q / (2 * h * h)) / (2 * h * h) : -h / ((h + q) * (h + q));
      k = kernel === 'rbf' ? Math.exp(-q / (2 * h * h)) : h / (h + q);
      for (let l = 0; l < d; l++) {
        const diff = fa[ra * d + l] - fb[rb * d + l];
        ga[ra * d + l] += w * dk * 2 * diff;
        gb[rb * d + l] -= w * dk * 2 * diff;
      }
    }
    loss += w * k;
  };
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) if (i !== j) pair(fxs, i, fxs, j, gx, gx, 1 / (n * (n - 1)), dfx, dfx);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) if (i !== j) pair(fys, i, fys, j, gy, gy, 1 / (m * (m - 1)), dfy, dfy);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) pair(fxs, i, fys, j, gx, gy, -2 / (n * m), dfx, dfy);
  return { loss, gx, gy };
}

describe('mmd', () => {
  it.each(fx.mmd.map((c, i) => [i, c.label as string, c] as const))('matches PyTorch, case %i: %s', (_i, _l, c) => {
    const x = fromFixture(F(c, 'x'), { requiresGrad: true });
    const y = fromFixture(F(c, 'y'), { requiresGrad: true });
    const loss = tk.mmd(x, y, { kernel: c.kernel as Kernel, bandwidth: c.bandwidth as number });
    expect(loss.shape).toEqual([]);
    expectClose([loss.item()], [c.loss as number], FWD, 'loss');
    loss.backward(c.g as number);
    expectClose(x.grad!, F(c, 'gx'), GRAD, 'gx');
    expectClose(y.grad!, F(c, 'gy'), GRAD, 'gy');
  });

  it.each([
    ['diffusion', 1],
    ['diffusion', 0.3],
    ['rbf', 0.7],
    ['imq', 1.5],
  ] as const)('passes a gradient check: %s h=%d', (kernel, h) => {
    const x = simplexRows(5, 4, 11).setRequiresGrad();
    const y = simplexRows(6, 4, 12).setRequiresGrad();
    gradcheck((a, b) => tk.mmd(a, b, { kernel, bandwidth: h }), [x, y], { eps: 2e-3, atol: 1e-3, rtol: 1e-2 });
  });

  it('gives finite gradients for identical rows (the arccos edge) and duplicated one-hot rows', () => {
    const s = simplexRows(4, 6, 3);
    const x = s.clone().setRequiresGrad();
    const y = tk.concat([s, simplexRows(2, 6, 4)], 0).setRequiresGrad();
    const loss = tk.mmd(x, y);
    loss.backward();
    expect(Number.isFinite(loss.item())).toBe(true);
    for (const g of [x.grad!, y.grad!]) for (const v of g.f32) expect(Number.isFinite(v)).toBe(true);
    const oneHot = tk
      .tensor([
        [1, 0, 0],
        [1, 0, 0],
        [0, 1, 0],
      ])
      .setRequiresGrad();
    const l2 = tk.mmd(
      oneHot,
      tk.tensor([
        [0, 0, 1],
        [1, 0, 0],
      ]),
    );
    l2.backward();
    for (const v of oneHot.grad!.f32) expect(Number.isFinite(v)).toBe(true);
    // Coordinates below the clip get no gradient (torch.clamp's rule).
    expect(oneHot.grad!.f32[1]).toBe(0);
  });

  it('is 2/n (mean off-diagonal k - 1), in [-2/n, 0), for identical samples and positive for different ones', () => {
    const s = simplexRows(40, 5, 8);
    const v = tk.mmd(s, s).item();
    expect(v).toBeLessThan(0);
    expect(v).toBeGreaterThanOrEqual(-2 / 40);
    expect(tk.mmd(s, simplexRows(40, 5, 9, 4)).item()).toBeGreaterThan(0.01);
  });

  it.each(['diffusion', 'rbf', 'imq'] as const)(
    'agrees with a direct double-precision evaluation at n = 600, m = 400 (%s)',
    (kernel) => {
      const n = 600;
      const m = 400;
      const d = 7;
      const x = simplexRows(n, d, 21, 2).setRequiresGrad();
      const y = tk.noGrad(() => tk.dirichlet(new Array(d).fill(0.3), m, { seed: 5 })).setRequiresGrad();
      const h = kernel === 'rbf' ? 0.4 : 1;
      const loss = tk.mmd(x, y, { kernel, bandwidth: h });
      loss.backward();
      const ref = mmdReference(x.f32, y.f32, n, m, d, kernel, h);
      expectClose([loss.item()], [ref.loss], { atol: 2e-6, rtol: 1e-5 }, 'loss');
      const scaleX = Math.max(...ref.gx.map(Math.abs));
      const scaleY = Math.max(...ref.gy.map(Math.abs));
      expectClose(x.grad!, ref.gx, { atol: 1e-4 * scaleX, rtol: 1e-3 }, 'gx');
      expectClose(y.grad!, ref.gy, { atol: 1e-4 * scaleY, rtol: 1e-3 }, 'gy');
    },
  );

  it('agrees with composite tk ops (rbf) at n = 600 with autograd through matmul', () => {
    const n = 600;
    const m = 600;
    const x = simplexRows(n, 12, 31).setRequiresGrad();
    const y = simplexRows(m, 12, 32, 3).setRequiresGrad();
    const h = 0.2;
    const gram = (a: tk.Tensor, b: tk.Tensor): tk.Tensor => {
      const d2 = tk.add(
        tk.sub(tk.sum(tk.square(a), 1, true), tk.mul(tk.matmul(a, tk.transpose(b, 0, 1)), 2)),
        tk.reshape(tk.sum(tk.square(b), 1), [1, -1]),
      );
      return tk.exp(tk.div(tk.neg(tk.clamp(d2, { min: 0 })), 2 * h * h));
    };
    const offDiag = (k: tk.Tensor, r: number): tk.Tensor =>
      tk.div(tk.sub(tk.sum(k), tk.sum(tk.mul(k, eye(r)))), r * (r - 1));
    const composite = tk.sub(tk.add(offDiag(gram(x, x), n), offDiag(gram(y, y), m)), tk.mul(tk.mean(gram(x, y)), 2));
    composite.backward();
    const cgx = x.grad!.f32.slice();
    const cgy = y.grad!.f32.slice();
    x.grad = null;
    y.grad = null;
    const fused = tk.mmd(x, y, { kernel: 'rbf', bandwidth: h });
    fused.backward();
    expectClose([fused.item()], [composite.item()], { atol: 1e-5 }, 'loss');
    const sx = Math.max(...cgx.map(Math.abs));
    expectClose(x.grad!, cgx, { atol: 1e-3 * sx, rtol: 1e-3 }, 'gx');
    expectClose(y.grad!, cgy, { atol: 1e-3 * sx, rtol: 1e-3 }, 'gy');
  });

  it('gives the same bits on 1 and 2 threads', () => {
    const x = simplexRows(300, 9, 41).setRequiresGrad();
    const y = simplexRows(200, 9, 42).setRequiresGrad();
    const run = (threads: number): Float32Array[] => {
      tk.setNumThreads(threads);
      x.grad = null;
      y.grad = null;
      const l = tk.mmd(x, y);
      l.backward();
      return [l.f32.slice(), x.grad!.f32.slice(), y.grad!.f32.slice()];
    };
    const before = tk.getNumThreads();
    try {
      const a = run(1);
      const b = run(2);
      for (let k = 0; k < 3; k++) expect(Buffer.from(b[k].buffer).equals(Buffer.from(a[k].buffer))).toBe(true);
    } finally {
      tk.setNumThreads(before);
    }
  });

  it.each(['diffusion', 'rbf', 'imq'] as const)(
    'agrees between the AVX2 and the scalar per-pair code (%s)',
    (kernel) => {
      const x = simplexRows(77, 6, 51, 3).setRequiresGrad();
      const y = tk.noGrad(() => tk.dirichlet(new Array(6).fill(0.2), 45, { seed: 52 })).setRequiresGrad();
      const before = tk.backend().simd;
      const run = (level: 'avx2' | 'sse2'): Float32Array[] => {
        tk.setSimdLevel(level);
        x.grad = null;
        y.grad = null;
        const l = tk.mmd(x, y, { kernel, bandwidth: 0.8 });
        l.backward();
        return [l.f32.slice(), x.grad!.f32.slice(), y.grad!.f32.slice()];
      };
      try {
        const a = run('sse2');
        const b = run('avx2');
        expectClose(b[0], a[0], { atol: 1e-6, rtol: 1e-6 }, 'loss');
        expectClose(b[1], a[1], { atol: 1e-6, rtol: 1e-4 }, 'gx');
        expectClose(b[2], a[2], { atol: 1e-6, rtol: 1e-4 }, 'gy');
      } finally {
        tk.setSimdLevel(before as 'avx2');
      }
    },
  );

  it('computes gradients only for inputs that require them, and none under noGrad', () => {
    const x = simplexRows(4, 3, 1).setRequiresGrad();
    const y = simplexRows(5, 3, 2);
    tk.mmd(x, y).backward();
    expect(x.grad).not.toBeNull();
    expect(y.grad).toBeNull();
    const l = tk.noGrad(() => tk.mmd(x, y));
    expect(l.requiresGrad).toBe(false);
    expect(tk.losses.mmd).toBe(tk.mmd);
  });

  it('propagates NaN', () => {
    const x = simplexRows(3, 3, 1);
    x.f32[4] = NaN;
    expect(Number.isNaN(tk.mmd(x, simplexRows(3, 3, 2)).item())).toBe(true);
    expect(Number.isNaN(tk.mmd(x, simplexRows(3, 3, 2), { kernel: 'rbf' }).item())).toBe(true);
  });

  it('rejects bad input with errors naming the argument', () => {
    const x = simplexRows(4, 3, 1);
    const y = simplexRows(5, 3, 2);
    expectThrow(() => tk.mmd(x, simplexRows(5, 4, 2)), 'RangeError', /columns/);
    expectThrow(() => tk.mmd(tk.reshape(x, [12]), y), 'RangeError', /^x must be 2-D/);
    expectThrow(() => tk.mmd(x, tk.reshape(y, [1, 5, 3])), 'RangeError', /^y must be 2-D/);
    expectThrow(() => tk.mmd(simplexRows(1, 3, 1), y), 'RangeError', /^x must have at least 2 rows/);
    expectThrow(() => tk.mmd(x, simplexRows(1, 3, 1)), 'RangeError', /^y must have at least 2 rows/);
    expectThrow(() => tk.mmd(tk.zeros([3, 0]), tk.zeros([3, 0])), 'RangeError', /at least one column/);
    expectThrow(
      () =>
        tk.mmd(
          tk.tensor(
            [
              [1, 2],
              [3, 4],
            ],
            { dtype: 'int32' },
          ),
          y,
        ),
      'TypeError',
      /^x must be a float32/,
    );
    expectThrow(() => tk.mmd(x, [[1]] as unknown as tk.Tensor), 'TypeError', /^y must be a Tensor/);
    expectThrow(() => tk.mmd(x, y, { kernel: 'gauss' as Kernel }), 'RangeError', /^kernel/);
    expectThrow(() => tk.mmd(x, y, { kernel: 3 as unknown as Kernel }), 'TypeError', /^kernel/);
    expectThrow(() => tk.mmd(x, y, { bandwidth: 0 }), 'RangeError', /^bandwidth/);
    expectThrow(() => tk.mmd(x, y, { bandwidth: -1 }), 'RangeError', /^bandwidth/);
    expectThrow(() => tk.mmd(x, y, { bandwidth: NaN }), 'RangeError', /^bandwidth/);
    expectThrow(() => tk.mmd(x, y, { bandwidth: Infinity }), 'RangeError', /^bandwidth/);
    expectThrow(() => tk.mmd(x, y, { kernel: 'rbf', bandwidth: 1e-30 }), 'RangeError', /^bandwidth/);
    expectThrow(() => tk.mmd(x, y, { kernel: 'rbf', bandwidth: 1e30 }), 'RangeError', /^bandwidth/);
    expectThrow(() => tk.mmd(x, y, { bandwidth: 1e-40 }), 'RangeError', /^bandwidth/);
    expectThrow(() => tk.mmd(x, y, { bandwidth: '1' as unknown as number }), 'TypeError', /^bandwidth/);
  });
});

function eye(n: number): tk.Tensor {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return new tk.Tensor(data, [n, n]);
}

describe('gaussianKL', () => {
  it.each(fx.gaussianKL.map((c, i) => [i, `${JSON.stringify(F(c, 'mu').shape)} ${c.reduction}`, c] as const))(
    'matches PyTorch, case %i: %s',
    (_i, _l, c) => {
      const mu = fromFixture(F(c, 'mu'), { requiresGrad: true });
      const lv = fromFixture(F(c, 'logvar'), { requiresGrad: true });
      const loss = tk.losses.gaussianKL(mu, lv, { reduction: c.reduction as Red });
      expectClose(loss, F(c, 'loss'), FWD, 'loss');
      loss.backward(fromFixture(F(c, 'g')));
      expectClose(mu.grad!, F(c, 'dmu'), GRAD, 'dmu');
      expectClose(lv.grad!, F(c, 'dlogvar'), GRAD, 'dlogvar');
    },
  );

  it.each(['mean', 'sum', 'none'] as const)('passes a gradient check (%s)', (reduction) => {
    const mu = tk.randn([3, 4], { seed: 1 }).setRequiresGrad();
    const lv = tk
      .mul(tk.randn([3, 4], { seed: 2 }), 0.5)
      .detach()
      .setRequiresGrad();
    gradcheck((a, b) => tk.gaussianKL(a, b, { reduction }), [mu, lv]);
  });

  it('handles an empty batch as torch (mean of nothing is NaN, sum is 0)', () => {
    const e = tk.zeros([0, 3]);
    expect(Number.isNaN(tk.gaussianKL(e, e).item())).toBe(true);
    expect(tk.gaussianKL(e, e, { reduction: 'sum' }).item()).toBe(0);
    expect(tk.gaussianKL(e, e, { reduction: 'none' }).shape).toEqual([0]);
  });

  it('rejects bad input', () => {
    const mu = tk.zeros([2, 3]);
    expectThrow(() => tk.gaussianKL(mu, tk.zeros([2, 4])), 'RangeError', /^logvar must have the shape of mu/);
    expectThrow(() => tk.gaussianKL(tk.zeros([6]), tk.zeros([6])), 'RangeError', /^mu must be 2-D/);
    expectThrow(() => tk.gaussianKL(mu, mu, { reduction: 'avg' as Red }), 'RangeError', /^reduction/);
    expectThrow(() => tk.gaussianKL(mu, null as unknown as tk.Tensor), 'TypeError', /^logvar/);
  });
});

describe('gaussianMixtureKL', () => {
  const names = ['z', 'mu', 'logvar', 'means', 'logvars', 'logPi'];
  it.each(fx.gaussianMixtureKL.map((c, i) => [i, `${c.label} ${c.reduction}`, c] as const))(
    'matches PyTorch, case %i: %s',
    (_i, _l, c) => {
      const ins = names.map((k) => fromFixture(F(c, k), { requiresGrad: true }));
      const loss = tk.losses.gaussianMixtureKL(ins[0], ins[1], ins[2], ins[3], ins[4], ins[5], {
        reduction: c.reduction as Red,
      });
      expectClose(loss, F(c, 'loss'), { atol: 1e-5, rtol: 2e-6 }, 'loss');
      loss.backward(fromFixture(F(c, 'g')));
      names.forEach((k, i) => expectClose(ins[i].grad!, F(c, 'd' + k), { atol: 1e-5, rtol: 1e-4 }, 'd' + k));
    },
  );

  it.each(['mean', 'none'] as const)('passes a gradient check for all six inputs (%s)', (reduction) => {
    const B = 4;
    const J = 3;
    const K = 3;
    const z = tk.randn([B, J], { seed: 1 }).setRequiresGrad();
    const mu = tk.randn([B, J], { seed: 2 }).setRequiresGrad();
    const lv = tk
      .mul(tk.randn([B, J], { seed: 3 }), 0.3)
      .detach()
      .setRequiresGrad();
    const means = tk.randn([K, J], { seed: 4 }).setRequiresGrad();
    const lvs = tk
      .mul(tk.randn([K, J], { seed: 5 }), 0.3)
      .detach()
      .setRequiresGrad();
    const logPi = tk
      .logSoftmax(tk.randn([K], { seed: 6 }), 0)
      .detach()
      .setRequiresGrad();
    gradcheck(
      (...a) => tk.gaussianMixtureKL(a[0], a[1], a[2], a[3], a[4], a[5], { reduction }),
      [z, mu, lv, means, lvs, logPi],
    );
  });

  it('gives the same bits on 1 and 2 threads', () => {
    const [B, J, K] = [300, 8, 6];
    const ins = [
      tk.randn([B, J], { seed: 1 }),
      tk.randn([B, J], { seed: 2 }),
      tk.mul(tk.randn([B, J], { seed: 3 }), 0.3).detach(),
      tk.randn([K, J], { seed: 4 }),
      tk.mul(tk.randn([K, J], { seed: 5 }), 0.3).detach(),
      tk.logSoftmax(tk.randn([K], { seed: 6 }), 0).detach(),
    ].map((t) => t.setRequiresGrad());
    const run = (threads: number): Float32Array[] => {
      tk.setNumThreads(threads);
      ins.forEach((t) => (t.grad = null));
      const l = tk.gaussianMixtureKL(ins[0], ins[1], ins[2], ins[3], ins[4], ins[5]);
      l.backward();
      return [l.f32.slice(), ...ins.map((t) => t.grad!.f32.slice())];
    };
    const before = tk.getNumThreads();
    try {
      const a = run(1);
      const b = run(2);
      a.forEach((v, i) => expect(Buffer.from(b[i].buffer).equals(Buffer.from(v.buffer))).toBe(true));
    } finally {
      tk.setNumThreads(before);
    }
  });

  it('stays finite when responsibilities underflow (far components)', () => {
    const z = tk.tensor([
      [0, 0],
      [100, 100],
    ]);
    const means = tk
      .tensor([
        [0, 0],
        [100, 100],
        [-100, 50],
      ])
      .setRequiresGrad();
    const lvs = tk.full([3, 2], -2).setRequiresGrad();
    const logPi = tk
      .logSoftmax(tk.zeros([3]), 0)
      .detach()
      .setRequiresGrad();
    const loss = tk.gaussianMixtureKL(z, z, tk.zeros([2, 2]), means, lvs, logPi);
    loss.backward();
    expect(Number.isFinite(loss.item())).toBe(true);
    for (const g of [means.grad!, lvs.grad!, logPi.grad!]) for (const v of g.f32) expect(Number.isFinite(v)).toBe(true);
  });

  it('rejects bad input', () => {
    const z = tk.zeros([2, 3]);
    const m = tk.zeros([4, 3]);
    const p = tk.zeros([4]);
    expectThrow(
      () => tk.gaussianMixtureKL(z, tk.zeros([2, 2]), z, m, m, p),
      'RangeError',
      /^mu must have the shape of z/,
    );
    expectThrow(() => tk.gaussianMixtureKL(z, z, z, tk.zeros([4, 2]), tk.zeros([4, 2]), p), 'RangeError', /^means/);
    expectThrow(() => tk.gaussianMixtureKL(z, z, z, m, tk.zeros([3, 3]), p), 'RangeError', /^logvars/);
    expectThrow(() => tk.gaussianMixtureKL(z, z, z, m, m, tk.zeros([3])), 'RangeError', /^logPi/);
    expectThrow(
      () => tk.gaussianMixtureKL(z, z, z, tk.zeros([0, 3]), tk.zeros([0, 3]), tk.zeros([0])),
      'RangeError',
      /component/,
    );
    expectThrow(() => tk.gaussianMixtureKL(tk.zeros([6]), z, z, m, m, p), 'RangeError', /^z must be 2-D/);
    expectThrow(
      () => tk.gaussianMixtureKL(z, z, z, m, m, tk.zeros([4], { dtype: 'int32' })),
      'TypeError',
      /^logPi must be a float32/,
    );
  });
});

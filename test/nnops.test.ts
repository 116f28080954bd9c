import * as tk from '../lib';
import {
  expectClose,
  FixtureTensor,
  fromFixture,
  gradcheck,
  loadFixture,
  expectThrowNamed as throwsNamed,
} from './helpers';

type Case = Record<string, unknown>;
const F = (c: Case, k: string): FixtureTensor => c[k] as FixtureTensor;
const fx = loadFixture<Record<string, Case[]> & { softmaxInf: Case }>('nnops');
const GRAD = { atol: 1e-5, rtol: 1e-4 };

describe('softmax / logSoftmax', () => {
  it.each(fx.softmax.map((c, i) => [i, c] as const))('matches PyTorch, case %i', (_i, c) => {
    const x = fromFixture(F(c, 'x'), { requiresGrad: true });
    const dim = c.dim as number;
    const y = c.log ? tk.logSoftmax(x, dim) : x.softmax(dim);
    expectClose(y, fromFixture(F(c, 'y')), { atol: 1e-5, rtol: 1e-5 }, 'forward');
    y.backward(fromFixture(F(c, 'g')));
    expectClose(x.grad!, F(c, 'gx'), GRAD, 'grad');
  });

  it('gives NaN for rows of -inf and propagates NaN, as PyTorch', () => {
    const c = fx.softmaxInf;
    const x = fromFixture(F(c, 'x'));
    expectClose(tk.softmax(x, 1), fromFixture(F(c, 'softmax')));
    expectClose(tk.logSoftmax(x, 1), fromFixture(F(c, 'logSoftmax')));
    expect(Number.isNaN(tk.softmax(x, 1).data[0])).toBe(true);
  });

  it('does not overflow for logits of 1e4 and sums to 1', () => {
    const x = tk.tensor([[1e4, -1e4, 0, 1e4 - 1]]);
    const y = tk.softmax(x, -1);
    expect(y.data.every((v) => Number.isFinite(v))).toBe(true);
    expect(Array.from(y.data).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });

  it('handles 0-d, size-1 and empty dims', () => {
    expect(tk.softmax(tk.tensor(3), 0).item()).toBe(1);
    expect(tk.logSoftmax(tk.tensor([[2], [5]]), 1).toArray()).toEqual([[0], [0]]);
    expect(tk.softmax(tk.zeros([0, 3]), 1).shape).toEqual([0, 3]);
    expect(tk.softmax(tk.zeros([2, 0]), 1).shape).toEqual([2, 0]);
  });

  it('passes gradcheck over a strided dim', () => {
    const x = tk.randn([2, 3, 4], { seed: 3, requiresGrad: true });
    gradcheck((a) => tk.softmax(a, 1), [x]);
    gradcheck((a) => tk.logSoftmax(a, 0), [x]);
  });

  it('rejects bad arguments', () => {
    expect(() => tk.softmax(tk.zeros([2, 3]), 2)).toThrow(/dim/);
    expect(() => tk.softmax(tk.zeros([2, 3]), 2)).toThrow(RangeError);
    expect(() => tk.softmax(tk.tensor(new Int32Array([1, 2]), [2]), 0)).toThrow(TypeError);
    expect(() => tk.softmax([1, 2] as unknown as tk.Tensor, 0)).toThrow(/x must be a Tensor/);
  });
});

describe('layerNorm', () => {
  it.each(fx.layerNorm.map((c, i) => [i, c] as const))('matches PyTorch, case %i', (_i, c) => {
    const x = fromFixture(F(c, 'x'), { requiresGrad: true });
    const w = c.w ? fromFixture(F(c, 'w'), { requiresGrad: true }) : null;
    const b = c.b ? fromFixture(F(c, 'b'), { requiresGrad: true }) : null;
    const y = tk.layerNorm(x, c.normalizedShape as number[], w, b);
    expectClose(y, fromFixture(F(c, 'y')), { atol: 1e-5, rtol: 1e-5 }, 'forward');
    y.backward(fromFixture(F(c, 'g')));
    expectClose(x.grad!, F(c, 'gx'), { atol: 1e-4, rtol: 1e-4 }, 'grad x');
    // With one normalised element x - mean is exactly 0 here but rounding noise (~1e-8) in
    // PyTorch's Welford moments, which rstd = 1/sqrt(eps) magnifies to ~1e-5 in the weight grad.
    const wTol = F(c, 'x').shape[F(c, 'x').shape.length - 1] === 1 ? { atol: 1e-4, rtol: 1e-4 } : GRAD;
    if (w) expectClose(w.grad!, F(c, 'gw'), wTol, 'grad weight');
    if (b) expectClose(b.grad!, F(c, 'gb'), GRAD, 'grad bias');
  });

  it('passes gradcheck for x, weight and bias', () => {
    const x = tk.randn([3, 5], { seed: 4, requiresGrad: true });
    const w = tk.randn([5], { seed: 5, requiresGrad: true });
    const b = tk.randn([5], { seed: 6, requiresGrad: true });
    gradcheck((a, ww, bb) => a.layerNorm(5, ww, bb), [x, w, b]);
  });

  it('rejects mismatched shapes', () => {
    const x = tk.zeros([2, 4]);
    expect(() => tk.layerNorm(x, [3])).toThrow(/normalizedShape/);
    expect(() => tk.layerNorm(x, [4], tk.zeros([3]))).toThrow(/weight/);
    expect(() => tk.layerNorm(x, [4], null, tk.zeros([4, 1]))).toThrow(RangeError);
    expect(() => tk.layerNorm(x, [4], null, null, -1)).toThrow(/eps/);
  });
});

describe('embedding', () => {
  it.each(fx.embedding.map((c, i) => [i, c] as const))('matches PyTorch, case %i', (_i, c) => {
    const w = fromFixture(F(c, 'w'), { requiresGrad: true });
    const ids = fromFixture(F(c, 'ids'));
    const y = tk.embedding(ids, w, { paddingIdx: c.paddingIdx as number | null });
    expectClose(y, fromFixture(F(c, 'y')), { atol: 0, rtol: 0 }, 'forward');
    y.backward(fromFixture(F(c, 'g')));
    expectClose(w.grad!, F(c, 'gw'), GRAD, 'grad');
  });

  it('takes Int32Array and nested arrays of ids', () => {
    const w = tk.randn([5, 3], { seed: 1 });
    expect(tk.embedding(new Int32Array([4, 0]), w).shape).toEqual([2, 3]);
    const y = tk.embedding([[4], [0]], w);
    expect(y.shape).toEqual([2, 1, 3]);
    expect(Array.from(y.data.subarray(0, 3))).toEqual(Array.from(w.data.subarray(12, 15)));
    expect(tk.embedding(2, w).shape).toEqual([3]);
  });

  it('sums repeated ids deterministically across thread counts', () => {
    const w = tk.randn([3, 300], { seed: 2, requiresGrad: true });
    const ids = new Int32Array(5000).map((_, i) => (i * 7) % 3);
    const g = tk.randn([5000, 300], { seed: 3 });
    const run = (threads: number): Float32Array => {
      tk.setNumThreads(threads);
      w.grad = null;
      tk.embedding(ids, w).backward(g);
      return w.grad!.f32.slice();
    };
    const one = run(1);
    const two = run(2);
    tk.setNumThreads(0);
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
  });

  it('passes gradcheck', () => {
    const w = tk.randn([4, 3], { seed: 7, requiresGrad: true });
    gradcheck((ww) => tk.embedding([1, 3, 1], ww), [w]);
  });

  it('names the bad id and its position', () => {
    const w = tk.zeros([4, 2]);
    expect(() =>
      tk.embedding(
        [
          [0, 1],
          [4, 2],
        ],
        w,
      ),
    ).toThrow(/ids\[1, 0\] = 4 is out of range/);
    expect(() => tk.embedding([-1], w)).toThrow(RangeError);
    expect(() => tk.embedding(tk.tensor([1, 2]), w)).toThrow(TypeError);
    expect(() => tk.embedding([1.5], w)).toThrow(/ids\[0\]/);
    expect(() => tk.embedding([1], w, { paddingIdx: 4 })).toThrow(/paddingIdx/);
    expect(() => tk.embedding([1], tk.zeros([4]))).toThrow(/weight must be 2-D/);
  });
});

describe('indexSelect / gather', () => {
  it.each(fx.indexSelect.map((c, i) => [i, c] as const))('indexSelect matches PyTorch, case %i', (_i, c) => {
    const x = fromFixture(F(c, 'x'), { requiresGrad: true });
    const y = x.indexSelect(c.dim as number, fromFixture(F(c, 'index')));
    expectClose(y, fromFixture(F(c, 'y')), { atol: 0, rtol: 0 }, 'forward');
    y.backward(fromFixture(F(c, 'g')));
    expectClose(x.grad!, F(c, 'gx'), GRAD, 'grad');
  });

  it.each(fx.gather.map((c, i) => [i, c] as const))('gather matches PyTorch, case %i', (_i, c) => {
    const x = fromFixture(F(c, 'x'), { requiresGrad: true });
    const y = tk.gather(x, c.dim as number, fromFixture(F(c, 'index')));
    expectClose(y, fromFixture(F(c, 'y')), { atol: 0, rtol: 0 }, 'forward');
    y.backward(fromFixture(F(c, 'g')));
    expectClose(x.grad!, F(c, 'gx'), GRAD, 'grad');
  });

  it('passes gradcheck', () => {
    const x = tk.randn([3, 4], { seed: 8, requiresGrad: true });
    gradcheck((a) => a.indexSelect(1, [3, 3, 0]), [x]);
    gradcheck(
      (a) =>
        a.gather(0, [
          [2, 0, 1, 2],
          [2, 2, 2, 0],
        ]),
      [x],
    );
  });

  it('works on int32 tensors (no gradient)', () => {
    const ids = tk.tensor(new Int32Array([10, 20, 30, 40]), [2, 2]);
    expect(ids.indexSelect(0, [1]).toArray()).toEqual([[30, 40]]);
    expect(ids.gather(1, [[1], [0]]).toArray()).toEqual([[20], [30]]);
    // 0x7fa00001 is a signalling-NaN bit pattern as a float: it must come through unchanged.
    const big = tk.tensor(new Int32Array([2 ** 30 + 1, -(2 ** 31), 0x7fa00001]), [3]);
    expect(big.gather(0, [1, 0, 2]).toArray()).toEqual([-(2 ** 31), 2 ** 30 + 1, 0x7fa00001]);
    expect(big.indexSelect(0, [0]).toArray()).toEqual([2 ** 30 + 1]);
  });

  it('rejects bad indices', () => {
    const x = tk.zeros([3, 4]);
    expect(() => x.indexSelect(1, [4])).toThrow(/index\[0\] = 4 is out of range/);
    expect(() => x.indexSelect(0, [[0]])).toThrow(/1-D/);
    expect(() => tk.tensor(3).indexSelect(0, [0, 0])).toThrow(/exactly one value/);
    expect(tk.tensor(3).indexSelect(0, [0]).item()).toBe(3);
    expect(tk.tensor(3).gather(0, 0).item()).toBe(3);
    expect(() => x.gather(1, [0, 1])).toThrow(/same rank/);
    expect(() => x.gather(1, [[0], [1], [2], [0]])).toThrow(/larger/);
    expect(() => x.gather(1, [[0, 5]])).toThrow(/index\[0, 1\] = 5/);
  });
});

describe('dropout', () => {
  it('zeroes about p of the elements and scales the rest by 1 / (1 - p)', () => {
    const x = tk.ones([10000], { requiresGrad: true });
    const y = tk.dropout(x, 0.3, { seed: 1 });
    const kept = Array.from(y.data).filter((v) => v !== 0);
    expect(kept.length / 10000).toBeGreaterThan(0.67);
    expect(kept.length / 10000).toBeLessThan(0.73);
    expect(kept.every((v) => Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    y.backward(tk.full([10000], 2));
    for (let i = 0; i < 10000; i++) expect(x.grad!.data[i]).toBeCloseTo(2 * y.data[i], 6);
  });

  it('is reproducible from a seed or a generator and identity in eval', () => {
    const x = tk.randn([64], { seed: 1 });
    expect(tk.dropout(x, 0.5, { seed: 9 }).toArray()).toEqual(x.dropout(0.5, { seed: 9 }).toArray());
    const g1 = new tk.Generator(5);
    const g2 = new tk.Generator(5);
    expect(tk.dropout(x, 0.5, { generator: g1 }).toArray()).toEqual(tk.dropout(x, 0.5, { generator: g2 }).toArray());
    expect(tk.dropout(x, 0.5, { training: false })).toBe(x);
    expect(tk.dropout(x, 1).data.every((v) => v === 0)).toBe(true);
    expect(tk.dropout(x, 0).toArray()).toEqual(x.toArray());
  });

  it('rejects bad p', () => {
    const x = tk.zeros([2]);
    expect(() => tk.dropout(x, 1.5)).toThrow(RangeError);
    expect(() => tk.dropout(x, -0.1)).toThrow(/p must be/);
    expect(() => tk.dropout(x, NaN)).toThrow(TypeError);
  });
});

describe('native exports reject malformed arguments', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const n = require('../lib/native').native;
  it('checks lengths, indices and aliasing', () => {
    const a = new Float32Array(6);
    throwsNamed(() => n.softmaxForward(a, new Float32Array(5), 2, 3, 1, false), 'RangeError', /x has 5/);
    throwsNamed(() => n.softmaxForward(a, a, 2, 3, 1, false), 'RangeError', /share memory/);
    throwsNamed(() => n.softmaxForward(a, [1], 2, 3, 1, false), 'TypeError', /x must be/);
    throwsNamed(
      () => n.indexSelectForward(a, new Float32Array(9), new Int32Array([0, 9]), 1, 3, 2, 3),
      'RangeError',
      /out of range/,
    );
    throwsNamed(
      () => n.gatherForward(a, new Float32Array(6), new Int32Array(6).fill(7), [2, 3], [2, 3], 1),
      'RangeError',
    );
    throwsNamed(() => n.gatherForward(a, new Float32Array(6), new Int32Array(6), [2, 3], [2, 3, 1], 1), 'RangeError');
    throwsNamed(
      () => n.layerNormForward(a, new Float32Array(1), new Float32Array(2), a.slice(), null, null, 2, 3, 1e-5),
      'RangeError',
      /mean/,
    );
    throwsNamed(() => n.indexSelectBackward(a, a.slice(), new Int32Array(2), 1, 2, 2, -3, -1), 'RangeError');
    throwsNamed(() => n.softmaxBackward(a, a.slice(), a.slice(), 2, 3, 1), 'TypeError');
  });
});

describe('native exports under random arguments', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fuzzNative = require('../lib/native').native as Record<string, (...args: unknown[]) => void>;
  let s = 12345;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const ri = (a: number, b: number) => a + Math.floor(rnd() * (b - a + 1));
  const jit = (len: number) => Math.max(0, rnd() < 0.85 ? len : len + ri(-1, 1));
  const F = (len: number) => (rnd() < 0.05 ? null : new Float32Array(jit(len)).map(() => rnd() * 4 - 2));
  const I = (len: number, hi: number) =>
    new Int32Array(jit(len)).map(() => (rnd() < 0.9 ? ri(0, hi - 1) : ri(-3, hi + 2)));
  const sz = () => (rnd() < 0.95 ? ri(0, 4) : ri(-1, 6));
  const gens: Record<string, () => unknown[]> = {
    softmaxForward: () => {
      const [o, d, i] = [sz(), sz(), sz()];
      return [F(o * d * i), F(o * d * i), o, d, i, rnd() < 0.5];
    },
    softmaxBackward: () => {
      const [o, d, i] = [sz(), sz(), sz()];
      return [F(o * d * i), F(o * d * i), F(o * d * i), o, d, i, rnd() < 0.5];
    },
    layerNormForward: () => {
      const [M, N] = [sz(), sz()];
      return [F(M * N), F(M), F(M), F(M * N), F(N), F(N), M, N, rnd()];
    },
    layerNormBackward: () => {
      const [M, N] = [sz(), sz()];
      return [F(M * N), F(N), F(N), F(M * N), F(M * N), F(M), F(M), F(N), M, N];
    },
    indexSelectForward: () => {
      const [o, a, b, i] = [sz(), sz(), sz(), sz()];
      return [F(o * b * i), F(o * a * i), I(b, a), o, a, b, i];
    },
    indexSelectBackward: () => {
      const [o, a, b, i] = [sz(), sz(), sz(), sz()];
      return [F(o * a * i), F(o * b * i), I(b, a), o, a, b, i, ri(-2, 4)];
    },
    gatherForward: () => {
      const r = ri(0, 3);
      const xs = Array.from({ length: r }, sz);
      const is = xs.map((v) => (rnd() < 0.8 ? Math.max(0, v - ri(0, 1)) : sz()));
      const d = ri(-1, r);
      const ni = is.reduce((a, b) => a * b, 1);
      const nx = xs.reduce((a, b) => a * b, 1);
      return [F(ni), F(nx), I(ni, xs[d] ?? 1), xs, is, d];
    },
    gatherBackward: () => {
      const a = gens.gatherForward();
      return [a[1], a[0], ...a.slice(2)];
    },
    crossEntropyForward: () => {
      const [N, C, S] = [sz(), sz(), sz()];
      return [F(N * S), F(N * S), F(N * C * S), I(N * S, C), F(C), N, C, S, ri(-101, 3), rnd()];
    },
    crossEntropyBackward: () => {
      const [N, C, S] = [sz(), sz(), sz()];
      const st = ri(0, 1);
      return [
        F(N * C * S),
        F(st ? N * S : 1),
        F(N * C * S),
        F(N * S),
        I(N * S, C),
        F(C),
        N,
        C,
        S,
        ri(-101, 3),
        rnd(),
        st,
        rnd(),
      ];
    },
    crossEntropyProbForward: () => {
      const [N, C, S] = [sz(), sz(), sz()];
      return [F(N * S), F(N * S), F(N * C * S), F(N * C * S), F(C), N, C, S, rnd()];
    },
    crossEntropyProbBackward: () => {
      const [N, C, S] = [sz(), sz(), sz()];
      const st = ri(0, 1);
      return [
        F(N * C * S),
        F(N * C * S),
        F(st ? N * S : 1),
        F(N * C * S),
        F(N * S),
        F(N * C * S),
        F(C),
        N,
        C,
        S,
        rnd(),
        st,
        rnd(),
      ];
    },
    bceLogitsForward: () => {
      const m = sz();
      return [F(m), F(m), F(m), F(m), F(m)];
    },
    bceLogitsBackward: () => {
      const m = sz();
      const st = ri(0, 1);
      return [F(m), F(m), F(st ? m : 1), F(m), F(m), F(m), F(m), st, rnd()];
    },
    spmm: () => {
      const [R, C, H] = [sz(), sz(), sz()];
      const nnz = ri(0, 6);
      const p = new Int32Array(Math.max(0, R + 1));
      for (let i = 1; i <= R; i++) p[i] = Math.min(nnz, p[i - 1] + ri(0, 2));
      if (R >= 0 && rnd() < 0.8) p[R] = nnz;
      return [F(R * H), p, I(nnz, C), F(nnz), F(C * H), R, C, H];
    },
    spmmTransposed: () => {
      const a = gens.spmm();
      const [R, C, H] = [a[5] as number, a[6] as number, a[7] as number];
      return [F(C * H), a[1], a[2], a[3], F(R * H), R, C, H];
    },
  };
  it('survive structured random arguments (lengths off by one, indices out of range, nulls)', () => {
    const counts: Record<string, [number, number]> = {};
    for (let it = 0; it < 16000; it++) {
      const names = Object.keys(gens);
      const name = names[it % names.length];
      const args = gens[name]();
      counts[name] ??= [0, 0];
      try {
        fuzzNative[name](...args);
        counts[name][0]++;
      } catch {
        counts[name][1]++;
      }
    }
    // Both outcomes must occur for every export, or the generator tests nothing.
    for (const [name, [ok, bad]] of Object.entries(counts)) expect([name, ok > 0, bad > 0]).toEqual([name, true, true]);
  });
});

describe('SIMD paths agree', () => {
  it('softmax, logSoftmax and crossEntropy give the same results at every supported level', () => {
    const supported = tk.backend().simdSupported;
    const x = tk.randn([37, 133], { seed: 21 });
    const d = x.f32;
    for (let i = 0; i < d.length; i += 17) d[i] = -Infinity;
    d[5] = 300;
    d[133 * 3 + 7] = -300;
    d.fill(-Infinity, 133 * 4, 133 * 5); // a fully masked row: NaN
    d[133 * 6 + 1] = NaN;
    const g = tk.randn([37, 133], { seed: 22 });
    const target = new Int32Array(37).map((_, i) => (i * 31) % 133);
    const run = (): Float32Array[] => {
      const out: Float32Array[] = [];
      for (const log of [false, true]) {
        const xr = x.detach().setRequiresGrad();
        const y = log ? tk.logSoftmax(xr, 1) : tk.softmax(xr, 1);
        y.backward(g);
        out.push(y.f32, xr.grad!.f32);
      }
      const xs = tk.tensor(
        x.f32.map((v) => (Number.isFinite(v) ? v : 0)),
        [37, 133],
        { requiresGrad: true },
      );
      const loss = tk.crossEntropy(xs, target, { labelSmoothing: 0.1, reduction: 'none' });
      loss.backward(tk.randn([37], { seed: 23 }));
      out.push(loss.f32, xs.grad!.f32);
      return out;
    };
    const levels = ['sse2', supported].filter((v, i, a) => a.indexOf(v) === i && v !== 'scalar');
    const results = levels.map((level) => {
      tk.setSimdLevel(level as 'sse2');
      return run();
    });
    tk.setSimdLevel(supported as 'sse2');
    for (let k = 1; k < results.length; k++) {
      results[k].forEach((r, j) =>
        expectClose(r, results[0][j], { atol: 1e-6, rtol: 1e-5 }, `output ${j} at ${levels[k]}`),
      );
    }
    expect(Number.isNaN(results[0][0][133 * 4])).toBe(true);
    expect(Number.isNaN(results[0][0][133 * 6])).toBe(true);
    expect(results[0][0][0]).toBe(0);
  });
});

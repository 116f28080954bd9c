import * as tk from '../lib';

describe('backend', () => {
  it('reports the SIMD level, threads and why CUDA is not in use', () => {
    const b = tk.backend();
    expect(b.device).toBe('cpu');
    expect(['avx512', 'avx2', 'sse2', 'neon', 'scalar']).toContain(b.simd);
    expect(b.threads).toBeGreaterThan(0);
    expect(b.cuda.compiled).toBe(false);
    expect(b.cuda.devices).toBe(0);
    expect(b.addon).toBe('cpu');
    expect(b.cuda.reason).toMatch(/no NVIDIA driver found|TEXTKERNELS_CUDA=off|no CUDA build is installed/);
    expect(b.cuda.reason).toMatch(/running on the CPU$/);
  });

  it('sets the thread count and rejects bad values', () => {
    const before = tk.getNumThreads();
    expect(tk.setNumThreads(1)).toBe(1);
    expect(tk.backend().threads).toBe(1);
    tk.setNumThreads(0);
    expect(tk.getNumThreads()).toBe(before);
    expect(() => tk.setNumThreads(-1)).toThrow(RangeError);
    expect(() => tk.setNumThreads(1.5)).toThrow(TypeError);
  });
});

describe('tensor creation', () => {
  it('infers shapes from nested arrays and round-trips through toArray', () => {
    const t = tk.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tk.tensor(3).shape).toEqual([]);
    expect(tk.tensor(3).item()).toBe(3);
  });

  it('keeps int32 data for token ids', () => {
    const ids = tk.tensor(new Int32Array([3, 1, 4]), [3]);
    expect(ids.dtype).toBe('int32');
    expect(() => ids.setRequiresGrad()).toThrow(TypeError);
  });

  it('rejects ragged arrays, bad shapes and length mismatches', () => {
    expect(() => tk.tensor([[1, 2], [3]])).toThrow(RangeError);
    expect(() => tk.tensor([1, 2, 3], [2, 2])).toThrow(RangeError);
    expect(() => tk.zeros([2, -1])).toThrow(RangeError);
    expect(() => tk.zeros([NaN])).toThrow(RangeError);
    expect(() => tk.tensor('abc' as unknown as number)).toThrow(TypeError);
  });
});

describe('random numbers', () => {
  it('gives the same tensor for the same seed and different ones otherwise', () => {
    const a = tk.randn([1000], { seed: 7 });
    const b = tk.randn([1000], { seed: 7 });
    const c = tk.randn([1000], { seed: 8 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
  });

  it('draws N(0,1) and U[0,1) with the right moments', () => {
    const n = 200000;
    const z = tk.randn([n], { seed: 1 }).data;
    let m = 0;
    let v = 0;
    for (const x of z) m += x;
    m /= n;
    for (const x of z) v += (x - m) ** 2;
    v /= n;
    expect(Math.abs(m)).toBeLessThan(0.01);
    expect(Math.abs(v - 1)).toBeLessThan(0.02);
    const u = tk.rand([n], { seed: 2 }).data;
    let lo = Infinity;
    let hi = -Infinity;
    let mu = 0;
    for (const x of u) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
      mu += x;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(Math.abs(mu / n - 0.5)).toBeLessThan(0.005);
  });

  it('does not depend on the thread count', () => {
    tk.setNumThreads(1);
    const a = tk.randn([50000], { seed: 3 });
    tk.setNumThreads(2);
    const b = tk.randn([50000], { seed: 3 });
    tk.setNumThreads(0);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('saves and restores generator state exactly', () => {
    const g = new tk.Generator(123);
    tk.randn([10], { generator: g });
    const state = g.getState();
    const x = tk.randn([17], { generator: g });
    const g2 = new tk.Generator(0).setState(state);
    const y = tk.randn([17], { generator: g2 });
    expect(Array.from(x.data)).toEqual(Array.from(y.data));
  });

  it('permutes without repeats', () => {
    const p = new tk.Generator(5).permutation(1000);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});

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

// Philox4x32-10 written out in JavaScript from Salmon et al. (SC'11), independent of the native code:
// word w of (seed, offset) is lane w % 4 of the block with counter (offset + w / 4, stream 0).
function philoxWordsJs(seed: bigint, offset: bigint, n: number): Uint32Array {
  const out = new Uint32Array(n);
  const mulhilo = (a: number, b: number): [number, number] => {
    const p = BigInt(a) * BigInt(b);
    return [Number(p & 0xffffffffn), Number(p >> 32n)];
  };
  for (let w = 0; w < n; w += 4) {
    const block = offset + BigInt(w / 4);
    let c0 = Number(block & 0xffffffffn);
    let c1 = Number((block >> 32n) & 0xffffffffn);
    let c2 = 0;
    let c3 = 0;
    let k0 = Number(seed & 0xffffffffn);
    let k1 = Number(seed >> 32n);
    for (let r = 0; r < 10; r++) {
      const [lo0, hi0] = mulhilo(0xd2511f53, c0);
      const [lo1, hi1] = mulhilo(0xcd9e8d57, c2);
      [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
      k0 = (k0 + 0x9e3779b9) >>> 0;
      k1 = (k1 + 0xbb67ae85) >>> 0;
    }
    [c0, c1, c2, c3].forEach((v, lane) => {
      if (w + lane < n) out[w + lane] = v;
    });
  }
  return out;
}

describe('Philox generator', () => {
  it("matches Random123's known-answer vector (zero key and counter)", () => {
    const g = new tk.Generator(0);
    expect(Array.from(g.uint32(4))).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
  });

  it('gives the reference words for any offset, length and thread count (vector and scalar paths)', () => {
    const before = tk.getNumThreads();
    const simd = tk.backend().simd;
    try {
      for (const [threads, level] of [
        [1, simd],
        [2, simd],
        [2, 'sse2'],
      ] as const) {
        tk.setNumThreads(threads);
        tk.setSimdLevel(level as 'sse2');
        for (const [seed, offset, n] of [
          [1, 0, 1],
          [7, 3, 31],
          [0xdeadbeefcafe, 5, 4101], // several chunks of 1024 words, a ragged tail
          [99, 0xfffffffd, 70], // the block counter carries into its high word
          [2 ** 52 + 5, 2 ** 40 - 1, 37],
        ]) {
          const g = new tk.Generator(0).setState({ seed, offset });
          const got = g.uint32(n);
          expect(Array.from(got)).toEqual(Array.from(philoxWordsJs(BigInt(seed), BigInt(offset), n)));
          expect(g.getState().offset).toBe(offset + Math.ceil(n / 4));
        }
      }
    } finally {
      tk.setNumThreads(before);
      tk.setSimdLevel(simd as 'sse2');
    }
  });

  it('turns words into uniforms and dropout masks as documented', () => {
    const words = philoxWordsJs(11n, 0n, 3001);
    const u = tk.rand([3001], { seed: 11 }).data;
    const unit = (w: number) => Math.fround((w >>> 8) / 16777216);
    for (let i = 0; i < words.length; i++) expect(u[i]).toBe(unit(words[i]));
    const mask = new Float32Array(3001);
    new tk.Generator(11).bernoulliMask(mask, 0.3, 2);
    for (let i = 0; i < words.length; i++) expect(mask[i]).toBe(unit(words[i]) >= Math.fround(0.3) ? 2 : 0);
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

// tk.nn.init: gains and fans as torch, distributions (moments and bounds), seeding.
import { init } from '../lib/nn';
import { Generator, manualSeed } from '../lib/random';
import { Tensor } from '../lib/tensor';

const f32 = (shape: number[]): Tensor => new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);

function moments(t: Tensor): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of t.data) {
    s += v;
    s2 += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const n = t.size;
  const mean = s / n;
  return { mean, std: Math.sqrt(s2 / n - mean * mean), min, max };
}

describe('calculateGain and fans (torch values)', () => {
  test('gains', () => {
    expect(init.calculateGain('linear')).toBe(1);
    expect(init.calculateGain('conv1d')).toBe(1);
    expect(init.calculateGain('sigmoid')).toBe(1);
    expect(init.calculateGain('tanh')).toBe(5 / 3);
    expect(init.calculateGain('relu')).toBe(Math.SQRT2);
    expect(init.calculateGain('leaky_relu')).toBe(Math.sqrt(2 / (1 + 0.01 ** 2)));
    expect(init.calculateGain('leaky_relu', 0.2)).toBe(Math.sqrt(2 / 1.04));
    expect(init.calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(() => init.calculateGain('swish' as never)).toThrow(/Unsupported nonlinearity/);
    expect(() => init.calculateGain('leaky_relu', 'x' as never)).toThrow(/not a valid number/);
  });

  test('fan in / fan out', () => {
    expect(init.calculateFanInAndFanOut(f32([4, 3]))).toEqual([3, 4]);
    expect(init.calculateFanInAndFanOut(f32([4, 3, 5]))).toEqual([15, 20]);
    expect(init.calculateFanInAndFanOut(f32([4, 3, 5, 2]))).toEqual([30, 40]);
    expect(() => init.calculateFanInAndFanOut(f32([4]))).toThrow(/fewer than 2 dimensions/);
  });
});

describe('distributions', () => {
  const N = 200 * 500; // 100k draws: sample mean/std within ~1% of the truth

  test('uniform_ and normal_', () => {
    const u = init.uniform_(f32([N]), -2, 4, { seed: 1 });
    const mu = moments(u);
    expect(mu.min).toBeGreaterThanOrEqual(-2);
    expect(mu.max).toBeLessThan(4);
    expect(mu.mean).toBeCloseTo(1, 1);
    expect(mu.std).toBeCloseTo(6 / Math.sqrt(12), 1);
    const n = init.normal_(f32([N]), 3, 0.5, { seed: 2 });
    const mn = moments(n);
    expect(mn.mean).toBeCloseTo(3, 2);
    expect(Math.abs(mn.std / 0.5 - 1)).toBeLessThan(0.01);
  });

  test('constant_, zeros_, ones_', () => {
    expect(Array.from(init.constant_(f32([3]), 2.5).data)).toEqual([2.5, 2.5, 2.5]);
    expect(Array.from(init.ones_(f32([2])).data)).toEqual([1, 1]);
    expect(Array.from(init.zeros_(init.ones_(f32([2]))).data)).toEqual([0, 0]);
  });

  test("kaimingUniform_ with a = sqrt(5) (torch's Linear default) and the bias bound", () => {
    const w = init.kaimingUniform_(f32([200, 500]), { a: Math.sqrt(5), seed: 3 });
    const bound = 1 / Math.sqrt(500); // gain sqrt(2 / 6) * sqrt(3 / 500)
    const m = moments(w);
    expect(m.max).toBeLessThanOrEqual(bound);
    expect(m.min).toBeGreaterThanOrEqual(-bound);
    expect(m.max).toBeGreaterThan(bound * 0.999);
    expect(Math.abs(m.std / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.01);
    const [fanIn] = init.calculateFanInAndFanOut(w);
    const b = init.uniform_(f32([500]), -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn), { seed: 4 });
    expect(moments(b).max).toBeLessThanOrEqual(bound);
  });

  test('kaimingNormal_ (fan_out, relu), xavierUniform_, xavierNormal_', () => {
    const k = init.kaimingNormal_(f32([250, 400]), { mode: 'fan_out', nonlinearity: 'relu', seed: 5 });
    expect(Math.abs(moments(k).std / (Math.SQRT2 / Math.sqrt(250)) - 1)).toBeLessThan(0.01);
    const k2 = init.kaimingNormal_(f32([250, 400]), { mode: 'fanIn', nonlinearity: 'relu', seed: 5 });
    expect(Math.abs(moments(k2).std / (Math.SQRT2 / Math.sqrt(400)) - 1)).toBeLessThan(0.01);
    const xu = init.xavierUniform_(f32([300, 200, 2]), 2, { seed: 6 });
    const a = 2 * Math.sqrt(6 / (400 + 600));
    const mx = moments(xu);
    expect(mx.max).toBeLessThanOrEqual(a);
    expect(mx.min).toBeGreaterThanOrEqual(-a);
    expect(Math.abs(mx.std / (a / Math.sqrt(3)) - 1)).toBeLessThan(0.01);
    const xn = init.xavierNormal_(f32([300, 400]), 1, { seed: 7 });
    expect(Math.abs(moments(xn).std / Math.sqrt(2 / 700) - 1)).toBeLessThan(0.01);
  });

  test('truncNormal_ stays in [a, b] with the truncated moments (both sampling paths)', () => {
    const t = init.truncNormal_(f32([N]), 0, 1, -2, 2, { seed: 8 });
    const m = moments(t);
    expect(m.min).toBeGreaterThanOrEqual(-2);
    expect(m.max).toBeLessThanOrEqual(2);
    // Std of N(0,1) truncated to [-2, 2]: 0.8796.
    expect(m.std).toBeCloseTo(0.8796, 2);
    // A narrow window in the tail (p < 0.3): uniform proposals accepted by density.
    const tail = init.truncNormal_(f32([N]), 0, 1, 1, 1.5, { seed: 9 });
    const mt = moments(tail);
    expect(mt.min).toBeGreaterThanOrEqual(1);
    expect(mt.max).toBeLessThanOrEqual(1.5);
    // Mean of N(0,1) truncated to [1, 1.5]: (phi(1) - phi(1.5)) / (Phi(1.5) - Phi(1)) = 1.2243.
    expect(mt.mean).toBeCloseTo(1.2243, 2);
  });
});

describe('orthogonal_', () => {
  test.each([[[6, 4]], [[4, 6]], [[3, 2, 4]], [[5, 5]]])(
    'shape %j: orthonormal columns (tall) or rows (wide), times gain',
    (shape) => {
      const t = init.orthogonal_(f32(shape), 2, { seed: 11 });
      const rows = shape[0];
      const cols = t.size / rows;
      const tall = rows >= cols;
      const k = tall ? cols : rows;
      const len = tall ? rows : cols;
      const at = (v: number, i: number): number => (tall ? t.data[i * cols + v] : t.data[v * cols + i]);
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) {
          let dot = 0;
          for (let i = 0; i < len; i++) dot += at(a, i) * at(b, i);
          expect(Math.abs(dot - (a === b ? 4 : 0))).toBeLessThan(1e-5);
        }
      }
      expect(Array.from(init.orthogonal_(f32(shape), 2, { seed: 11 }).data)).toEqual(Array.from(t.data));
      expect(() => init.orthogonal_(f32([3]))).toThrow(/2 or more dimensions/);
    },
  );
});

describe('seeding and errors', () => {
  test('the same seed gives the same values; a generator advances; the default generator is seeded', () => {
    const a = init.kaimingUniform_(f32([8, 8]), { seed: 42 });
    const b = init.kaimingUniform_(f32([8, 8]), { seed: 42 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    const g = new Generator(42);
    const c = init.kaimingUniform_(f32([8, 8]), { generator: g });
    const d = init.kaimingUniform_(f32([8, 8]), { generator: g });
    expect(Array.from(c.data)).toEqual(Array.from(a.data));
    expect(Array.from(d.data)).not.toEqual(Array.from(c.data));
    manualSeed(7);
    const e = init.normal_(f32([16]));
    manualSeed(7);
    expect(Array.from(init.normal_(f32([16])).data)).toEqual(Array.from(e.data));
    expect(Array.from(init.normal_(f32([16]), 0, 1, { seed: 9 }).data)).not.toEqual(Array.from(e.data));
  });

  test('bad arguments', () => {
    expect(() => init.uniform_(new Tensor(new Int32Array(2), [2]))).toThrow(TypeError);
    expect(() => init.uniform_(f32([2]), 1, 0)).toThrow(/a <= b/);
    expect(() => init.normal_(f32([2]), 0, -1)).toThrow(RangeError);
    expect(() => init.kaimingUniform_(f32([2, 2]), { mode: 'fan_avg' as never })).toThrow(/'fan_in' or 'fan_out'/);
    expect(() => init.kaimingUniform_(f32([2]))).toThrow(/fewer than 2 dimensions/);
    expect(() => init.xavierUniform_(f32([3]))).toThrow(/fewer than 2 dimensions/);
    expect(() => init.constant_(f32([2]), 'x' as never)).toThrow(TypeError);
    expect(() => init.uniform_({} as never)).toThrow(TypeError);
    expect(init.kaimingUniform_(f32([0, 3])).size).toBe(0); // empty: a no-op, as torch
  });
});

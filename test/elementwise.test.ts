import * as tk from '../lib';
import { native } from '../lib/native';
import { Tensor } from '../lib/tensor';
import { arg, loadDecoded, OpCase } from './ewfixture';
import { expectClose, fromFixture, gradcheck, expectThrowNamed as throwsNamed } from './helpers';

type Args = Record<string, Tensor | number>;
const T = (v: Tensor | number): Tensor => v as Tensor;

const ops: Record<string, (a: Args, p: Record<string, unknown>) => Tensor> = {
  add: (a, p) => tk.add(a.input, a.other, p.alpha !== undefined ? { alpha: p.alpha as number } : undefined),
  sub: (a, p) => tk.sub(a.input, a.other, p.alpha !== undefined ? { alpha: p.alpha as number } : undefined),
  mul: (a) => tk.mul(a.input, a.other),
  div: (a) => tk.div(a.input, a.other),
  pow: (a) => tk.pow(a.input, a.other),
  maximum: (a) => tk.maximum(a.input, a.other),
  minimum: (a) => tk.minimum(a.input, a.other),
  neg: (a) => tk.neg(T(a.input)),
  exp: (a) => tk.exp(T(a.input)),
  log: (a) => tk.log(T(a.input)),
  sqrt: (a) => tk.sqrt(T(a.input)),
  rsqrt: (a) => tk.rsqrt(T(a.input)),
  abs: (a) => tk.abs(T(a.input)),
  sin: (a) => tk.sin(T(a.input)),
  cos: (a) => tk.cos(T(a.input)),
  tanh: (a) => tk.tanh(T(a.input)),
  sigmoid: (a) => tk.sigmoid(T(a.input)),
  relu: (a) => tk.relu(T(a.input)),
  square: (a) => tk.square(T(a.input)),
  gelu: (a, p) => tk.gelu(T(a.input), p as { approximate: 'none' | 'tanh' }),
  softplus: (a, p) => tk.softplus(T(a.input), p),
  leakyRelu: (a, p) =>
    p.negativeSlope === undefined ? T(a.input).leakyRelu() : tk.leakyRelu(T(a.input), p.negativeSlope as number),
  clamp: (a, p) => tk.clamp(T(a.input), p),
  eq: (a) => tk.eq(a.input, a.other),
  ne: (a) => tk.ne(a.input, a.other),
  lt: (a) => tk.lt(a.input, a.other),
  le: (a) => tk.le(a.input, a.other),
  gt: (a) => tk.gt(a.input, a.other),
  ge: (a) => tk.ge(a.input, a.other),
  where: (a) => tk.where(T(a.condition), a.input, a.other),
  maskedFill: (a, p) => tk.maskedFill(T(a.input), T(a.mask), p.value as number),
};

const fixture = loadDecoded<{ cases: OpCase[] }>('elementwise');

function runCase(c: OpCase): void {
  const args: Args = {};
  for (const [k, v] of Object.entries(c.inputs)) args[k] = arg(v, c.w !== null);
  const out = ops[c.op](args, c.params);
  expect(out.shape).toEqual(c.out.shape);
  if (c.out.dtype === 'int32' || c.out.dtype === 'bool') expect(out.dtype).toBe('int32');
  expectClose(out, c.out, { atol: 1e-5, rtol: 1e-5 }, `${c.name} forward`);
  if (c.w === null) return;
  out.backward(fromFixture(c.w));
  for (const [k, g] of Object.entries(c.grads)) {
    const x = args[k];
    if (g === null || !(x instanceof Tensor)) continue;
    expect(x.grad).not.toBeNull();
    expectClose(x.grad as Tensor, g, { atol: 1e-5, rtol: 1e-4 }, `${c.name} grad of ${k}`);
  }
}

// Every case runs at the best SIMD level this CPU has and again on the generic (SSE2) path.
const levels = Array.from(new Set([tk.backend().simdSupported, 'sse2']));
for (const level of levels) {
  describe(`elementwise ops against PyTorch (simd ${level})`, () => {
    let before = '';
    beforeAll(() => {
      before = tk.backend().simd;
      tk.setSimdLevel(level as 'sse2');
    });
    afterAll(() => {
      tk.setSimdLevel(before as 'sse2');
    });
    it('has cases for every op', () => {
      const seen = new Set(fixture.cases.map((c) => c.op));
      for (const op of Object.keys(ops)) expect([op, seen.has(op)]).toEqual([op, true]);
    });
    for (const c of fixture.cases) {
      it(c.name, () => runCase(c));
    }
  });
}

describe('vectorised exp, sigmoid, tanh and gelu', () => {
  it('agree with the generic path to a few ulp over the whole float range', () => {
    const current = tk.backend().simd;
    if (current !== 'avx2' && current !== 'avx512') return; // no vector path at this level
    const n = 40000;
    const x = new Float32Array(n + 16);
    for (let i = 0; i < n; i++) x[i] = -110 + (220 * i) / n;
    x.set(
      [0, -0, 1e-30, -1e-30, 0.625, -0.625, 0.62499, 88.72, 88.73, -87.3, -103.9, Infinity, -Infinity, NaN, 1e-5, 9],
      n,
    );
    const xt = new Tensor(x, [x.length]);
    for (const f of [tk.exp, tk.sigmoid, tk.tanh]) {
      const fast = f(xt);
      tk.setSimdLevel('sse2');
      let slow: Tensor;
      try {
        slow = f(xt);
      } finally {
        tk.setSimdLevel(current as 'avx2');
      }
      // 4 ulp relative; denormal results (below 2^-126) absolutely.
      expectClose(fast, slow, { atol: 1e-37, rtol: 5e-7 }, f.name);
    }
    // GELU's vector erf is PyTorch's approximation, within 1.5e-7 of erf: compare against
    // max(1, |x|) (the error scales with x, plus an output rounding).
    const g = new Tensor(
      x.map((v) => v / 8),
      [x.length],
    );
    const fastGelu = tk.gelu(g);
    tk.setSimdLevel('sse2');
    let slowGelu: Tensor;
    try {
      slowGelu = tk.gelu(g);
    } finally {
      tk.setSimdLevel(current as 'avx2');
    }
    const tol = new Float32Array(g.size);
    for (let i = 0; i < g.size; i++) {
      const [f, sl] = [fastGelu.data[i], slowGelu.data[i]];
      if (f === sl || (Number.isNaN(f) && Number.isNaN(sl))) continue;
      tol[i] = Math.abs(f - sl) / Math.max(1, Math.abs(g.data[i]));
    }
    expectClose(tol, new Float32Array(g.size), { atol: 5e-7, rtol: 0 }, 'gelu');
  });
});

describe('vectorised relu', () => {
  it('gives the generic path bit for bit: NaN kept, -0 to +0, ragged tails; backward likewise', () => {
    const current = tk.backend().simd;
    if (current !== 'avx2' && current !== 'avx512') return;
    const special = [0, -0, NaN, -NaN, Infinity, -Infinity, 1e-40, -1e-40, 3, -3];
    for (const n of [1, 7, 8, 9, 70001]) {
      const x = tk.randn([n], { seed: n });
      x.data.set(special.slice(0, Math.min(n, special.length)));
      const g = tk.randn([n], { seed: n + 1 });
      const run = () => {
        const xg = x.detach().setRequiresGrad();
        const y = tk.relu(xg);
        y.backward(g);
        return [y.f32.slice(), xg.grad!.f32.slice()];
      };
      const [yFast, gFast] = run();
      tk.setSimdLevel('sse2');
      let slow: Float32Array[];
      try {
        slow = run();
      } finally {
        tk.setSimdLevel(current as 'avx2');
      }
      expect(sameBits(yFast, slow[0])).toBe(true);
      expect(sameBits(gFast, slow[1])).toBe(true);
      if (n >= special.length) {
        expect(Object.is(yFast[1], 0)).toBe(true); // relu(-0) is +0, as torch's clamp_min gives
        expect(Number.isNaN(yFast[2])).toBe(true);
      }
    }
  });
});

// jest's toEqual is slow on long typed arrays.
function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('single-threaded runs give the same bits', () => {
  it('on a broadcast binary op large enough to be split across threads', () => {
    const a = tk.randn([257, 301], { seed: 1 });
    const b = tk.randn([301], { seed: 2 });
    const many = tk.mul(a, b).data.slice();
    const before = tk.getNumThreads();
    tk.setNumThreads(1);
    try {
      expect(sameBits(tk.mul(a, b).data, many)).toBe(true);
    } finally {
      tk.setNumThreads(before);
    }
    // And agrees with a plain loop.
    const ref = new Float32Array(a.size);
    for (let i = 0; i < 257; i++)
      for (let j = 0; j < 301; j++) ref[i * 301 + j] = Math.fround(a.data[i * 301 + j] * b.data[j]);
    expect(sameBits(many, ref)).toBe(true);
  });
});

describe('gradcheck', () => {
  const r = (shape: number[], seed: number, lo = -2, hi = 2): Tensor =>
    tk.uniform(shape, lo, hi, { seed, requiresGrad: true });
  it('binary ops with broadcasting', () => {
    gradcheck((a, b) => tk.add(a, b, { alpha: 1.5 }), [r([2, 3], 1), r([3], 2)]);
    gradcheck((a, b) => tk.sub(a, b, { alpha: 0.5 }), [r([2, 1], 3), r([2, 3], 4)]);
    gradcheck((a, b) => tk.mul(a, b), [r([2, 3, 1], 5), r([4], 6)]);
    gradcheck((a, b) => tk.div(a, b), [r([2, 3], 7), r([2, 1], 8, 0.8, 2)]);
    gradcheck((a, b) => tk.pow(a, b), [r([2, 3], 9, 0.5, 2), r([3], 10, -1, 2)]);
    gradcheck((a) => tk.pow(a, 3), [r([5], 11)]);
    // Values kept apart by more than the finite-difference step (no ties: max has a kink there).
    const a = (): Tensor =>
      tk.tensor(
        [
          [0.1, 1.5, -1.2],
          [2.0, -0.3, 0.7],
        ],
        { requiresGrad: true },
      );
    gradcheck((x, y) => tk.maximum(x, y), [a(), tk.tensor([0.5, 1.0, -2.0], { requiresGrad: true })]);
    gradcheck((x, y) => tk.minimum(x, y), [a(), tk.tensor([[0.2], [1.1]], { requiresGrad: true })]);
  });
  it('unary ops', () => {
    const x = (seed: number): Tensor => r([3, 4], seed);
    const pos = (seed: number): Tensor => r([3, 4], seed, 0.5, 3);
    gradcheck((a) => tk.neg(a), [x(20)]);
    gradcheck((a) => tk.exp(a), [x(21)]);
    gradcheck((a) => tk.log(a), [pos(22)]);
    gradcheck((a) => tk.sqrt(a), [pos(23)]);
    gradcheck((a) => tk.rsqrt(a), [pos(24)]);
    gradcheck((a) => tk.abs(a), [pos(25)]);
    gradcheck((a) => tk.sin(a), [x(26)]);
    gradcheck((a) => tk.cos(a), [x(27)]);
    gradcheck((a) => tk.tanh(a), [x(28)]);
    gradcheck((a) => tk.sigmoid(a), [x(29)]);
    gradcheck((a) => tk.relu(a), [pos(30)]);
    gradcheck((a) => tk.gelu(a), [x(31)]);
    gradcheck((a) => tk.gelu(a, { approximate: 'tanh' }), [x(32)]);
    gradcheck((a) => tk.softplus(a, { beta: 2 }), [x(33)]);
    gradcheck((a) => tk.leakyRelu(a, 0.1), [pos(34)]);
    gradcheck((a) => tk.clamp(a, { min: -5, max: 5 }), [x(35)]);
    gradcheck((a) => tk.square(a), [x(36)]);
  });
  it('where and maskedFill', () => {
    const cond = tk.tensor([1, 0, 1], { dtype: 'int32' }).reshape(3, 1);
    gradcheck((a, b) => tk.where(cond, a, b), [r([4], 40), r([3, 4], 41)]);
    gradcheck((a) => tk.maskedFill(a, [true, false, false, true], 7), [r([2, 4], 42)]);
  });
  it('sumToShape sums over broadcast dimensions', () => {
    const g = tk.arange(24).reshape(2, 3, 4);
    expectClose(tk.sumToShape(g, [3, 1]), [
      0 + 1 + 2 + 3 + 12 + 13 + 14 + 15,
      4 + 5 + 6 + 7 + 16 + 17 + 18 + 19,
      8 + 9 + 10 + 11 + 20 + 21 + 22 + 23,
    ]);
    expect(tk.sumToShape(g, [2, 3, 4])).toBe(g);
    expect(tk.sumToShape(g, [1, 1, 1, 1].slice(0, 0)).item()).toBe(276);
    expect(() => tk.sumToShape(g, [2])).toThrow(RangeError);
    gradcheck((a) => tk.sumToShape(a, [1, 3]), [r([2, 2, 3], 43)]);
  });
});

describe('types and promotion', () => {
  it('promotes int32 operands of arithmetic to float32', () => {
    const mask = tk.tensor([1, 0, 1], { dtype: 'int32' });
    const x = tk.tensor([2, 3, 4], { requiresGrad: true });
    const y = tk.mul(mask, x);
    expect(y.dtype).toBe('float32');
    expect(Array.from(y.data)).toEqual([2, 0, 4]);
    y.sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 0, 1]);
  });
  it('keeps int32 in where and maskedFill when all values are integers', () => {
    const ids = tk.tensor([5, 6, 7], { dtype: 'int32' });
    expect(tk.where([true, false, true], ids, -1).dtype).toBe('int32');
    expect(Array.from(tk.where([true, false, true], ids, -1).data)).toEqual([5, -1, 7]);
    expect(Array.from(tk.maskedFill(ids, new Uint8Array([0, 1, 0]), 0).data)).toEqual([5, 0, 7]);
    expect(tk.where([true, false, true], ids, 0.5).dtype).toBe('float32');
  });
  it('accepts float 0/1 tensors and nested booleans as conditions', () => {
    const x = tk.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      tk
        .where(
          tk.tensor([
            [1, 0],
            [0, 1],
          ]),
          x,
          0,
        )
        .toArray(),
    ).toEqual([
      [1, 0],
      [0, 4],
    ]);
    expect(
      tk
        .where(
          [
            [false, true],
            [true, false],
          ],
          x,
          0,
        )
        .toArray(),
    ).toEqual([
      [0, 2],
      [3, 0],
    ]);
  });
  it('logicalNot and comparisons give int32 without gradients', () => {
    const x = tk.tensor([0, 2, -1], { requiresGrad: true });
    const n = tk.logicalNot(x);
    expect(n.dtype).toBe('int32');
    expect(Array.from(n.data)).toEqual([1, 0, 0]);
    expect(tk.gt(x, 0).requiresGrad).toBe(false);
    expect(Array.from(x.ge(0).data)).toEqual([1, 1, 0]);
  });
  it('methods match the functions', () => {
    const x = tk.tensor([
      [-1, 0.5],
      [2, -3],
    ]);
    expect(x.relu().toArray()).toEqual(tk.relu(x).toArray());
    expect(x.add(1, { alpha: 2 }).toArray()).toEqual([
      [1, 2.5],
      [4, -1],
    ]);
    expect(x.clamp({ min: 0 }).toArray()).toEqual([
      [0, 0.5],
      [2, 0],
    ]);
    expect(x.where(tk.gt(x, 0), 9).toArray()).toEqual([
      [9, 0.5],
      [2, 9],
    ]);
    expect(x.maskedFill(tk.lt(x, 0), 0).toArray()).toEqual([
      [0, 0.5],
      [2, 0],
    ]);
  });
});

describe('bad input', () => {
  const x = tk.ones([2, 3]);
  it('names both shapes when broadcasting fails', () => {
    expect(() => tk.add(x, tk.ones([4]))).toThrow(RangeError);
    expect(() => tk.add(x, tk.ones([4]))).toThrow(/\[2, 3\].*\[4\]/);
    expect(() => tk.where(tk.ones([5]), x, 0)).toThrow(/condition of shape \[5\]/);
    expect(() => tk.maskedFill(x, tk.ones([2, 2, 3]), 0)).toThrow(RangeError);
  });
  it('throws TypeError for wrong types', () => {
    expect(() => tk.add(x, 'a' as unknown as number)).toThrow(TypeError);
    expect(() => tk.mul([1, 2] as unknown as Tensor, x)).toThrow(TypeError);
    expect(() => tk.exp([1, 2] as unknown as Tensor)).toThrow(TypeError);
    expect(() => tk.exp(tk.tensor([1], { dtype: 'int32' }))).toThrow(TypeError);
    expect(() => tk.gelu(x, { approximate: 'fast' as 'tanh' })).toThrow(TypeError);
    expect(() => tk.clamp(x, {})).toThrow(TypeError);
    expect(() => tk.where('yes' as unknown as boolean[], x, 0)).toThrow(TypeError);
    expect(() =>
      tk.maskedFill(
        x,
        [
          [true, false, true],
          [false, true, false],
        ],
        'z' as unknown as number,
      ),
    ).toThrow(TypeError);
  });
  it('native entry points reject lengths that do not match shapes and strides', () => {
    const out = new Float32Array(6);
    const a = new Float32Array(6);
    const b = new Float32Array(3);
    throwsNamed(() => native.binaryForward(0, out, a, b, [2, 3], [3, 1], [1, 1], 1), 'RangeError');
    throwsNamed(() => native.binaryForward(0, out, a, b, [2, 3], [3, 1], [0], 1), 'RangeError');
    throwsNamed(() => native.binaryForward(9, out, a, b, [2, 3], [3, 1], [0, 1], 1), 'RangeError');
    throwsNamed(() => native.binaryForward(0, new Float32Array(5), a, b, [2, 3], [3, 1], [0, 1], 1), 'RangeError');
    throwsNamed(() => native.binaryForward(0, a, a, b, [2, 3], [3, 1], [0, 1], 1), 'RangeError');
    throwsNamed(() => native.unaryForward(99, out, a, 0, 0), 'RangeError');
    throwsNamed(() => native.unaryBackward(1, out, a, null, null, 0, 0), 'TypeError');
    throwsNamed(
      () => native.where(out, new Int32Array(1), a, new Int32Array(6), [2, 3], [0, 0], [3, 1], [3, 1]),
      'TypeError',
    );
    throwsNamed(() => native.compare(0, new Int32Array(6), a, b, [2, 3], [3, 1], [0, 2]), 'RangeError', /too short/);
  });
});

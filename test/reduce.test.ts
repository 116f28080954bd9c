import * as tk from '../lib';
import { native } from '../lib/native';
import { Tensor } from '../lib/tensor';
import { arg, loadDecoded, OpCase } from './ewfixture';
import { expectClose, FixtureTensor, fromFixture, gradcheck } from './helpers';

interface ReduceCase extends Omit<OpCase, 'inputs'> {
  inputs: { input: FixtureTensor | string };
  indices?: FixtureTensor;
}
const fixture = loadDecoded<{ shared: Record<string, FixtureTensor>; cases: ReduceCase[] }>('reduce');

type P = { dim?: number | number[] | null; keepdim?: boolean; correction?: number };

function apply(op: string, x: Tensor, p: P): { out: Tensor; indices?: Tensor } {
  const dim = p.dim ?? undefined;
  switch (op) {
    case 'sum':
      return { out: dim === undefined ? tk.sum(x) : tk.sum(x, dim, p.keepdim) };
    case 'mean':
      return { out: dim === undefined ? x.mean() : x.mean(dim, { keepdim: p.keepdim }) };
    case 'logsumexp':
      return { out: tk.logsumexp(x, dim as number | number[], p.keepdim) };
    case 'var':
      return { out: tk.variance(x, dim, { correction: p.correction, keepdim: p.keepdim }) };
    case 'std':
      return { out: x.std(dim, { correction: p.correction, keepdim: p.keepdim }) };
    case 'max':
    case 'min': {
      if (dim === undefined) return { out: op === 'max' ? tk.max(x) : x.min() };
      const r = op === 'max' ? x.max(dim as number, p.keepdim) : tk.min(x, dim as number, { keepdim: p.keepdim });
      return { out: r.values, indices: r.indices };
    }
    case 'argmax':
      return { out: tk.argmax(x, dim as number | undefined, p.keepdim) };
    case 'argmin':
      return { out: x.argmin(dim as number | undefined, p.keepdim) };
    default:
      throw new Error(`unknown op ${op}`);
  }
}

describe('reductions against PyTorch', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const src = typeof c.inputs.input === 'string' ? fixture.shared[c.inputs.input] : c.inputs.input;
      const x = arg(src, c.w !== null) as Tensor;
      const { out, indices } = apply(c.op, x, c.params as P);
      expect(out.shape).toEqual(c.out.shape);
      expectClose(out, c.out, { atol: 1e-5, rtol: 1e-5 }, `${c.name} forward`);
      if (c.indices) {
        expect(indices!.dtype).toBe('int32');
        expect(Array.from(indices!.data)).toEqual(c.indices.data);
      }
      if (c.out.dtype === 'int32') expect(out.dtype).toBe('int32');
      if (c.w === null) return;
      out.backward(fromFixture(c.w));
      expectClose(x.grad!, c.grads.input!, { atol: 1e-5, rtol: 1e-4 }, `${c.name} grad`);
    });
  }
});

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('long reductions', () => {
  const withThreads = <T>(n: number, fn: () => T): T => {
    const before = tk.getNumThreads();
    tk.setNumThreads(n);
    try {
      return fn();
    } finally {
      tk.setNumThreads(before);
    }
  };
  it('sums long rows accurately and identically for any thread count', () => {
    const x = tk.randn([3, 70001], { seed: 3 });
    const s = tk.sum(x, 1);
    const all = tk.sum(x.reshape(-1));
    for (let r = 0; r < 3; r++) {
      let ref = 0;
      for (let i = 0; i < 70001; i++) ref += x.data[r * 70001 + i];
      expect(Math.abs(s.data[r] - ref)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref)));
    }
    expect(sameBits(withThreads(1, () => tk.sum(x, 1)).data, s.data)).toBe(true);
    expect(sameBits(withThreads(1, () => tk.sum(x.reshape(-1))).data, all.data)).toBe(true);
    expect(sameBits(withThreads(3, () => tk.sum(x.reshape(-1))).data, all.data)).toBe(true);
  });
  it('sums columns of many rows', () => {
    const x = tk.randn([5000, 300], { seed: 4 });
    const s = tk.sum(x, 0);
    const ref = new Float64Array(300);
    for (let i = 0; i < 5000; i++) for (let j = 0; j < 300; j++) ref[j] += x.data[i * 300 + j];
    expectClose(s, ref, { atol: 1e-4, rtol: 1e-5 });
    expect(sameBits(withThreads(1, () => tk.sum(x, 0)).data, s.data)).toBe(true);
  });
  it('reduces separated dimensions with several kernel calls', () => {
    const x = tk.randn([4, 3, 5, 2], { seed: 6 });
    const s = tk.sum(x, [0, 2]);
    expect(s.shape).toEqual([3, 2]);
    const ref = new Float64Array(6);
    for (let a = 0; a < 4; a++)
      for (let b = 0; b < 3; b++)
        for (let c = 0; c < 5; c++) for (let d = 0; d < 2; d++) ref[b * 2 + d] += x.data[((a * 3 + b) * 5 + c) * 2 + d];
    expectClose(s, ref, { atol: 1e-5 });
  });
});

describe('int32 sums', () => {
  it('count exactly over any dims', () => {
    const m = tk.tensor(
      [
        [
          [1, 0, 1],
          [1, 1, 0],
        ],
        [
          [0, 0, 1],
          [2 ** 30, 2 ** 30, 7],
        ],
      ],
      { dtype: 'int32' },
    );
    expect(tk.sum(m).dtype).toBe('int32');
    expect(tk.sum(m, [0, 1]).toArray()).toEqual([2 ** 30 + 2, 2 ** 30 + 1, 9]);
    expect(tk.sum(m, 2, true).toArray()).toEqual([
      [[2], [2]],
      [[1], [2 ** 31 + 7 - 2 ** 32]],
    ]);
    expect(m.sum(-2).toArray()).toEqual([
      [2, 1, 1],
      [2 ** 30, 2 ** 30, 8],
    ]);
    expect(tk.sum(tk.zeros([2, 0], { dtype: 'int32' }), 1).toArray()).toEqual([0, 0]);
  });
});

describe('gradcheck', () => {
  const r = (shape: number[], seed: number): Tensor => tk.uniform(shape, -2, 2, { seed, requiresGrad: true });
  it('sum, mean and var/std', () => {
    gradcheck((x) => tk.sum(x, [0, 2], true), [r([2, 3, 4], 1)]);
    gradcheck((x) => tk.sum(x), [r([2, 3], 2)]);
    gradcheck((x) => tk.mean(x, -1), [r([2, 3, 4], 3)]);
    gradcheck((x) => x.var(1), [r([3, 5], 4)]);
    gradcheck((x) => tk.std(x, [0, 1], { correction: 0 }), [r([3, 5], 5)]);
  });
  // Distinct values 0.1 apart in shuffled order: no two within the finite-difference step of
  // each other, where max has a kink.
  const spread = (shape: number[], seed: number): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const order = Array.from(tk.rand([n], { seed }).data)
      .map((v, i) => [v, i])
      .sort((a, b) => a[0] - b[0]);
    const data = new Float32Array(n);
    order.forEach(([, i], rank) => (data[i] = rank * 0.1 - 1));
    return tk.tensor(data, shape, { requiresGrad: true });
  };
  it('max, min and logsumexp', () => {
    gradcheck((x) => tk.max(x, 1).values, [spread([3, 6], 6)]);
    gradcheck((x) => tk.min(x, 0, true).values, [spread([3, 6], 7)]);
    gradcheck((x) => tk.max(x), [spread([3, 6], 8)]);
    gradcheck((x) => tk.min(x), [spread([3, 6], 9)]);
    gradcheck((x) => tk.logsumexp(x, 1), [r([3, 6], 10)]);
    gradcheck((x) => tk.logsumexp(x, [0, 2], true), [r([2, 3, 4], 11)]);
  });
});

describe('bad input', () => {
  const x = tk.ones([2, 3]);
  it('throws RangeError for bad dims', () => {
    expect(() => tk.sum(x, 2)).toThrow(RangeError);
    expect(() => tk.sum(x, -3)).toThrow(RangeError);
    expect(() => tk.sum(x, [0, -2])).toThrow(/appears more than once/);
    expect(() => tk.max(x, 5)).toThrow(RangeError);
    expect(() => tk.max(tk.zeros([2, 0]), 1)).toThrow(RangeError);
    expect(() => tk.max(tk.zeros([0]))).toThrow(RangeError);
    expect(() => tk.argmax(tk.zeros([0]))).toThrow(RangeError);
  });
  it('throws TypeError for wrong types', () => {
    expect(() => tk.sum(x, 1.5)).toThrow(TypeError);
    expect(() => tk.sum(x, '1' as unknown as number)).toThrow(TypeError);
    expect(() => tk.mean(tk.tensor([1], { dtype: 'int32' }))).toThrow(TypeError);
    expect(() => tk.mean([1, 2] as unknown as Tensor)).toThrow(TypeError);
    expect(() => tk.logsumexp(x, undefined as unknown as number)).toThrow(TypeError);
    expect(() => tk.sum(x, 0, 'yes' as unknown as boolean)).toThrow(TypeError);
  });
  it('native entry points check sizes and indices', () => {
    const names = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        return (e as Error).name;
      }
      return 'none';
    };
    expect(names(() => native.sumForward(new Float32Array(2), new Float32Array(5), 2, 3, 1))).toBe('RangeError');
    expect(names(() => native.sumForward(new Float32Array(2), new Float32Array(6), 2, 3, -1))).toBe('RangeError');
    expect(
      names(() => native.maxBackward(new Float32Array(6), new Float32Array(2), Int32Array.of(0, 3), 2, 3, 1)),
    ).toBe('RangeError');
    expect(names(() => native.maxForward(true, null, new Int32Array(2), new Float32Array(0), 2, 0, 1))).toBe(
      'RangeError',
    );
    expect(names(() => native.logsumexpForward(new Float32Array(2), new Float32Array(6), 2, 3, 1.5))).toBe(
      'RangeError',
    );
  });
});

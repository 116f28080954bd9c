import { Tensor, matmul, mm, bmm, linear, tensor, randn, noGrad } from '../lib';
import { FixtureTensor, loadFixture, fromFixture, expectClose, gradcheck } from './helpers';

interface MatmulCase {
  name: string;
  a: FixtureTensor;
  b: FixtureTensor;
  out: FixtureTensor;
  w: FixtureTensor;
  grad_a: FixtureTensor;
  grad_b: FixtureTensor;
}
interface LinearCase {
  name: string;
  x: FixtureTensor;
  weight: FixtureTensor;
  bias?: FixtureTensor;
  out: FixtureTensor;
  w: FixtureTensor;
  grad_x: FixtureTensor;
  grad_weight: FixtureTensor;
  grad_bias?: FixtureTensor;
}
const fx = loadFixture<{ matmul: MatmulCase[]; linear: LinearCase[] }>('matmul');

describe('matmul against PyTorch', () => {
  for (const c of fx.matmul) {
    test(c.name, () => {
      const a = fromFixture(c.a, { requiresGrad: true });
      const b = fromFixture(c.b, { requiresGrad: true });
      const out = matmul(a, b);
      expect(out.shape).toEqual(c.out.shape);
      expectClose(out, c.out, { atol: 1e-5, rtol: 1e-5 }, 'out');
      if (out.size > 0) {
        out.backward(fromFixture(c.w));
        expectClose(a.grad!, c.grad_a, { atol: 1e-5, rtol: 1e-4 }, 'grad_a');
        expectClose(b.grad!, c.grad_b, { atol: 1e-5, rtol: 1e-4 }, 'grad_b');
      }
      // The method form gives the same values.
      expectClose(a.matmul(b), out, { atol: 0, rtol: 0 }, 'method');
    });
  }
});

describe('linear against PyTorch', () => {
  for (const c of fx.linear) {
    test(c.name, () => {
      const x = fromFixture(c.x, { requiresGrad: true });
      const weight = fromFixture(c.weight, { requiresGrad: true });
      const bias = c.bias ? fromFixture(c.bias, { requiresGrad: true }) : undefined;
      const out = linear(x, weight, bias);
      expect(out.shape).toEqual(c.out.shape);
      expectClose(out, c.out, { atol: 1e-5, rtol: 1e-5 }, 'out');
      if (out.size > 0) {
        out.backward(fromFixture(c.w));
        expectClose(x.grad!, c.grad_x, { atol: 1e-5, rtol: 1e-4 }, 'grad_x');
        expectClose(weight.grad!, c.grad_weight, { atol: 1e-5, rtol: 1e-4 }, 'grad_weight');
        if (bias) expectClose(bias.grad!, c.grad_bias!, { atol: 1e-5, rtol: 1e-4 }, 'grad_bias');
      }
    });
  }
});

describe('gradcheck', () => {
  const shapes: [number[], number[]][] = [
    [
      [3, 4],
      [4, 2],
    ],
    [[4], [4]],
    [[2, 3, 4], [4]],
    [
      [1, 3, 4],
      [2, 4, 2],
    ],
    [
      [2, 1, 2, 3],
      [3, 3, 2],
    ],
  ];
  for (const [sa, sb] of shapes) {
    test(`matmul ${JSON.stringify(sa)} x ${JSON.stringify(sb)}`, () => {
      const a = randn(sa, { seed: 1 }).setRequiresGrad();
      const b = randn(sb, { seed: 2 }).setRequiresGrad();
      gradcheck(matmul, [a, b]);
    });
  }
  test('mm and bmm', () => {
    gradcheck(mm, [randn([3, 5], { seed: 3 }).setRequiresGrad(), randn([5, 2], { seed: 4 }).setRequiresGrad()]);
    gradcheck(bmm, [randn([2, 3, 4], { seed: 5 }).setRequiresGrad(), randn([2, 4, 3], { seed: 6 }).setRequiresGrad()]);
  });
  test('linear with and without bias', () => {
    const x = randn([2, 3, 5], { seed: 7 }).setRequiresGrad();
    const w = randn([4, 5], { seed: 8 }).setRequiresGrad();
    const b = randn([4], { seed: 9 }).setRequiresGrad();
    gradcheck(linear, [x, w, b]);
    gradcheck((xx: Tensor, ww: Tensor) => linear(xx, ww), [randn([5], { seed: 10 }).setRequiresGrad(), w]);
  });
});

describe('edge cases', () => {
  test('large products overflow to infinity like float32', () => {
    const a = tensor([3e19, 3e19, 3e19], [1, 3]);
    const b = tensor([3e19, -3e19, 3e19, -3e19, 3e19, -3e19], [3, 2]);
    expect(Array.from(matmul(a, b).data)).toEqual([Infinity, -Infinity]);
  });
  test('NaN propagates to its row and column only', () => {
    const a = randn([4, 3], { seed: 11 });
    const b = randn([3, 5], { seed: 12 });
    a.f32[1 * 3 + 2] = NaN;
    const out = matmul(a, b).toArray() as number[][];
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 5; j++) expect([i, j, Number.isNaN(out[i][j])]).toEqual([i, j, i === 1]);
  });
  test('larger products (blocked, threaded path) match a float64 reference', () => {
    const a = randn([3, 70, 300], { seed: 13 });
    const b = randn([300, 90], { seed: 14 });
    const out = matmul(a, b);
    const ref = new Float64Array(out.size);
    for (let r = 0; r < 210; r++)
      for (let j = 0; j < 90; j++) {
        let s = 0;
        for (let p = 0; p < 300; p++) s += a.data[r * 300 + p] * b.data[p * 90 + j];
        ref[r * 90 + j] = s;
      }
    expectClose(out, ref, { atol: 1e-4, rtol: 1e-4 });
  });
  test('no graph under noGrad or without requiresGrad', () => {
    const a = randn([2, 3], { seed: 15 }).setRequiresGrad();
    const b = randn([3, 2], { seed: 16 });
    expect(noGrad(() => matmul(a, b)).requiresGrad).toBe(false);
    expect(matmul(b.detach(), randn([2, 2])).requiresGrad).toBe(false);
    const c = matmul(a, b);
    c.backward(1);
    expect(b.grad).toBeNull();
    expect(a.grad!.shape).toEqual([2, 3]);
  });
});

describe('errors', () => {
  const m23 = randn([2, 3]);
  const m34 = randn([3, 4]);
  test('shape mismatches name both shapes', () => {
    expect(() => matmul(m23, m23)).toThrow(RangeError);
    expect(() => matmul(m23, m23)).toThrow(/\[2, 3\].*\[2, 3\]/);
    expect(() => matmul(randn([2, 2, 3]), randn([3, 3, 4]))).toThrow(/cannot be broadcast/);
    expect(() => matmul(tensor(1), m34)).toThrow(RangeError);
    expect(() => mm(randn([2, 2, 3]), m34)).toThrow(/mm: a must be a 2-D/);
    expect(() => bmm(m23, m34)).toThrow(/bmm: a must be a 3-D/);
    expect(() => bmm(randn([2, 2, 3]), randn([3, 3, 4]))).toThrow(/same batch size/);
    expect(() => linear(randn([2, 4]), randn([3, 5]))).toThrow(/linear: x \[2, 4\] and weight \[3, 5\]/);
    expect(() => linear(randn([2, 4]), randn([3, 4]), randn([4]))).toThrow(/bias must have shape \[3\]/);
    expect(() => linear(randn([4]), randn([4]))).toThrow(/weight must be 2-D/);
  });
  test('wrong types throw TypeError naming the argument', () => {
    expect(() => matmul(m23, [1, 2] as unknown as Tensor)).toThrow(/^b must be a Tensor/);
    expect(() => matmul(tensor([1, 2], { dtype: 'int32' }), m23)).toThrow(TypeError);
    expect(() => m23.mm({} as Tensor)).toThrow(/other must be a Tensor/);
    expect(() => linear(m23, m34.detach(), 3 as unknown as Tensor)).toThrow(/bias must be a Tensor/);
  });
});

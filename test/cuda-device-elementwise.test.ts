// Pointwise ops on the device (lib/ops/elementwise.ts -> cuda/binding/elementwise.cc ->
// cuda/elementwise.cu) against the CPU, on the emulated CUDA backend: binary arithmetic with
// broadcasting and its gradients (including the reduction of broadcast gradients, sumToShape),
// every unary op and its gradient, comparisons, where and maskedFill, NaN/inf, empty tensors,
// int32 operands (promoted to float32 on the device), and the errors (mixed devices, bad arguments reaching a device export).
//
// Tolerances: the emulated kernels call the host's libm, as the CPU kernels do, so ops whose CPU
// path is the scalar formula agree bit for bit (atol 0 here); exp, sigmoid, tanh and gelu run the
// CPU's AVX2 polynomials where the CPU has AVX2, a few ulp from the scalar formula the device runs,
// and reductions of broadcast gradients sum in a different order (1e-5).
import * as tk from '../lib';
import { cudaKernels } from '../lib/cuda/runtime';
import { Tensor } from '../lib/tensor';
import { compareDevices, deviceDescribe, underEmulatorOrders, useEmulatedDevice } from './cuda-device-helpers';
import { errorOf, expectClose, expectThrowNamed } from './helpers';

/** Deterministic values in [lo, hi), optionally rounded to steps of `step` (ties for max/min). */
function values(n: number, seed: number, lo = -2, hi = 2, step = 0): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = lo + ((hi - lo) * s) / 4294967296;
    return step ? Math.round(v / step) * step : v;
  });
}

function leaf(shape: number[], seed: number, opts: { lo?: number; hi?: number; step?: number; grad?: boolean } = {}) {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = new Tensor(values(n, seed, opts.lo, opts.hi, opts.step), shape);
  if (opts.grad ?? true) t.setRequiresGrad(true);
  return t;
}

const EXACT = { atol: 0, rtol: 0 };

deviceDescribe('pointwise ops on the device', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  describe('binary arithmetic with broadcasting, forward and backward', () => {
    const shapes: [number[], number[]][] = [
      [[257], [257]],
      [[1031], []],
      [
        [3, 1, 5],
        [4, 1],
      ],
      [
        [2, 3, 4],
        [3, 1],
      ],
      [[1], [3, 7]],
      [
        [5, 1],
        [1, 6],
      ],
    ];
    const ops: [string, (a: Tensor, b: Tensor) => Tensor, { lo?: number; hi?: number; step?: number }][] = [
      ['add', (a, b) => tk.add(a, b), {}],
      ['add alpha', (a, b) => tk.add(a, b, { alpha: -0.75 }), {}],
      ['sub', (a, b) => tk.sub(a, b), {}],
      ['sub alpha', (a, b) => tk.sub(a, b, { alpha: 2.5 }), {}],
      ['mul', (a, b) => tk.mul(a, b), {}],
      ['div', (a, b) => tk.div(a, b), { lo: 0.5, hi: 3 }],
      ['pow', (a, b) => tk.pow(a, b), { lo: 0.25, hi: 2 }],
      ['maximum', (a, b) => tk.maximum(a, b), { step: 0.5 }],
      ['minimum', (a, b) => tk.minimum(a, b), { step: 0.5 }],
    ];
    for (const [name, f, range] of ops) {
      test(name, () => {
        shapes.forEach(([sa, sb], i) => {
          const a = leaf(sa, 11 + i, range);
          const b = leaf(sb, 29 + i, range);
          // Forward bit for bit; the gradients of broadcast inputs are sums (1e-5).
          compareDevices(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, [a, b], f, EXACT);
          compareDevices(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, [a, b], f, { backward: true });
        });
      });
    }

    test('number operands go to the device; int32 CPU values promote as on the CPU', () => {
      const x = leaf([3, 5], 3, { lo: 0.5, hi: 2 });
      const cases: [string, (t: Tensor) => Tensor][] = [
        ['x + 2.5', (t) => tk.add(t, 2.5)],
        ['3 - x', (t) => tk.sub(3, t)],
        ['x * -1.5', (t) => t.mul(-1.5)],
        ['1 / x', (t) => tk.div(1, t)],
        ['x ** 2', (t) => t.pow(2)],
        ['x ** 0.5', (t) => t.pow(0.5)],
        ['x ** 3.3', (t) => t.pow(3.3)],
        ['2 ** x', (t) => tk.pow(2, t)],
        ['max(x, 1)', (t) => tk.maximum(t, 1)],
        ['min(1, x)', (t) => tk.minimum(1, t)],
      ];
      for (const [label, f] of cases) compareDevices(label, [x], f, { backward: true });
    });

    test('only one input requiring a gradient, and pow at 0', () => {
      const a = leaf([4, 3], 5);
      const b = leaf([3], 6, { grad: false });
      compareDevices('mul, b constant', [a, b], (x, y) => x.mul(y), { backward: true });
      compareDevices('mul, a constant', [b, a], (x, y) => x.mul(y), { backward: true });
      const base = new Tensor(Float32Array.of(0, 0, 2, 0.5), [4]).setRequiresGrad(true);
      const e = new Tensor(Float32Array.of(0, 2, 0, -1), [4]).setRequiresGrad(true);
      compareDevices('pow with zeros', [base, e], (x, y) => tk.pow(x, y), { backward: true });
    });

    test('NaN and infinities propagate as on the CPU', () => {
      const a = new Tensor(Float32Array.of(NaN, 1, Infinity, -Infinity, 0, -0, 2, NaN), [8]);
      const b = new Tensor(Float32Array.of(1, NaN, Infinity, 2, 0, 0, -Infinity, NaN), [8]);
      for (const f of [tk.add, tk.sub, tk.mul, tk.div, tk.pow, tk.maximum, tk.minimum]) {
        compareDevices(`${f.name} with NaN/inf`, [a, b], (x, y) => f(x, y), EXACT);
      }
      const big = new Tensor(Float32Array.of(3e38, -3e38, 1e-45), [3]);
      compareDevices('overflow', [big], (x) => x.mul(10).add(x), EXACT);
    });

    test('empty tensors', () => {
      const a = leaf([0, 3], 1);
      const b = leaf([3], 2);
      const { cuda } = compareDevices('add [0,3] + [3]', [a, b], (x, y) => x.mul(y).add(y), { backward: true });
      expect(cuda.shape).toEqual([0, 3]);
      compareDevices('mul [2,0] * [2,1]', [leaf([2, 0], 3), leaf([2, 1], 4)], (x, y) => x.mul(y), {
        backward: true,
      });
    });
  });

  describe('sumToShape on the device', () => {
    const cases: [number[], number[]][] = [
      [[3, 7], [7]],
      [
        [3, 7],
        [3, 1],
      ],
      [
        [2, 3, 4, 5],
        [3, 1, 5],
      ],
      [
        [2, 3, 4, 5],
        [1, 3, 4, 1],
      ],
      [[300, 5], [5]],
      [
        [5, 300],
        [5, 1],
      ],
      [[1031], []],
      [
        [4, 1, 6],
        [1, 1],
      ],
      [
        [0, 3],
        [1, 3],
      ],
      [
        [3, 0],
        [1, 0],
      ],
    ];
    test('matches the CPU (thread and block kernels, several thread orders)', () => {
      underEmulatorOrders((order) => {
        cases.forEach(([from, to], i) => {
          const g = leaf(from, 40 + i);
          const { cuda } = compareDevices(`${order}: ${JSON.stringify(from)} -> ${JSON.stringify(to)}`, [g], (x) =>
            tk.sumToShape(x, to),
          );
          expect(cuda.shape).toEqual(to);
        });
      });
    });
    test('is differentiable (its gradient broadcasts back) and refuses non-broadcasts', () => {
      const g = leaf([4, 3, 5], 7);
      compareDevices('sumToShape backward', [g], (x) => tk.sumToShape(x, [3, 1]).mul(2), { backward: true });
      const d = g.to('cuda');
      expectThrowNamed(() => tk.sumToShape(d, [4, 1]), 'RangeError', 'not a broadcast');
      expect(tk.sumToShape(d, [4, 3, 5])).toBe(d);
    });
  });

  describe('unary ops, forward and backward', () => {
    const ops: [string, (t: Tensor) => Tensor, number, number][] = [
      ['neg', (t) => t.neg(), -3, 3],
      ['exp', (t) => t.exp(), -5, 5],
      ['log', (t) => t.log(), 0.1, 5],
      ['sqrt', (t) => t.sqrt(), 0.1, 5],
      ['rsqrt', (t) => t.rsqrt(), 0.1, 5],
      ['abs', (t) => t.abs(), -3, 3],
      ['sin', (t) => t.sin(), -6, 6],
      ['cos', (t) => t.cos(), -6, 6],
      ['tanh', (t) => t.tanh(), -4, 4],
      ['sigmoid', (t) => t.sigmoid(), -8, 8],
      ['relu', (t) => t.relu(), -3, 3],
      ['gelu', (t) => t.gelu(), -4, 4],
      ['gelu tanh', (t) => t.gelu({ approximate: 'tanh' }), -4, 4],
      ['softplus', (t) => t.softplus(), -30, 30],
      ['softplus beta 2 threshold 5', (t) => t.softplus({ beta: 2, threshold: 5 }), -6, 6],
      ['leakyRelu', (t) => t.leakyRelu(0.2), -3, 3],
      ['clamp', (t) => t.clamp({ min: -0.5, max: 1 }), -3, 3],
      ['clamp min only', (t) => t.clamp({ min: 0.25 }), -3, 3],
      ['clamp min > max', (t) => t.clamp({ min: 1, max: -1 }), -3, 3],
      ['square', (t) => t.square(), -3, 3],
    ];
    // The CPU's AVX2 exp/sigmoid/tanh are a few ulp from the scalar formulas; its gelu uses an erf
    // approximation within 1.5e-7 * |x| (native/kernels/elementwise.h).
    const vectorised = new Set(['exp', 'sigmoid', 'tanh', 'gelu']);
    for (const [name, f, lo, hi] of ops) {
      test(name, () => {
        [1, 3, 257, 1031].forEach((n, i) => {
          const x = leaf([n], 100 + i, { lo, hi });
          compareDevices(`${name} n ${n}`, [x], f, vectorised.has(name) ? { rtol: 1e-6, atol: 1e-6 } : EXACT);
          compareDevices(`${name} n ${n}`, [x], f, { backward: true });
        });
      });
    }

    test('bit for bit with the CPU scalar path (SIMD capped at sse2)', () => {
      const prev = tk.backend().simd as 'avx512' | 'avx2' | 'sse2' | 'neon' | 'scalar';
      tk.setSimdLevel('sse2');
      try {
        for (const [name, f, lo, hi] of ops) compareDevices(`${name} sse2`, [leaf([257], 7, { lo, hi })], f, EXACT);
      } finally {
        tk.setSimdLevel(prev);
      }
    });

    test('NaN and infinities', () => {
      const x = new Tensor(Float32Array.of(NaN, Infinity, -Infinity, 0, -0, 1e-40, 100, -100), [8]);
      for (const [name, f] of ops) {
        if (name === 'log' || name === 'sqrt' || name === 'rsqrt') continue;
        compareDevices(`${name} NaN/inf`, [x], f, { atol: 1e-6, rtol: 1e-6 });
      }
      const pos = new Tensor(Float32Array.of(NaN, Infinity, 0, 1e-40, -1), [5]);
      for (const f of [tk.log, tk.sqrt, tk.rsqrt]) compareDevices(`${f.name} NaN/inf`, [pos], (t) => f(t), EXACT);
    });

    test('empty and 0-d tensors', () => {
      compareDevices('exp []', [leaf([0], 1)], (t) => t.exp(), { backward: true });
      compareDevices('tanh 0-d', [leaf([], 2)], (t) => t.tanh(), { backward: true });
    });
  });

  describe('comparisons', () => {
    const cmps = [tk.eq, tk.ne, tk.lt, tk.le, tk.gt, tk.ge];
    test('float32 with broadcasting, numbers and NaN', () => {
      const a = leaf([4, 1, 5], 1, { step: 0.5, grad: false });
      const b = leaf([3, 1], 2, { step: 0.5, grad: false });
      const n = new Tensor(Float32Array.of(NaN, 1, -Infinity, 0), [4]);
      for (const f of cmps) {
        const { cuda } = compareDevices(`${f.name} float`, [a, b], (x, y) => f(x, y), EXACT);
        expect(cuda.dtype).toBe('int32');
        compareDevices(`${f.name} number`, [a], (x) => f(x, 0.5), EXACT);
        compareDevices(`${f.name} NaN`, [n, n], (x, y) => f(x, y), EXACT);
      }
    });
    test('int32 tensors, with integers and with floats', () => {
      const i = new Tensor(
        Int32Array.from({ length: 257 }, (_, k) => (k % 7) - 3),
        [257],
      );
      const j = new Tensor(Int32Array.of(-1, 0, 2), [3, 1]);
      for (const f of cmps) {
        compareDevices(
          `${f.name} int32 broadcast`,
          [new Tensor(i.data.slice(0, 21), [21]), j],
          (x, y) => f(x, y),
          EXACT,
        );
        compareDevices(`${f.name} int32 vs 2`, [i], (x) => f(x, 2), EXACT);
      }
      compareDevices('logicalNot int32', [i], (x) => tk.logicalNot(x), EXACT);
      compareDevices('logicalNot float', [leaf([9], 4, { step: 1, grad: false })], (x) => tk.logicalNot(x), EXACT);
      // int32 compared with a non-integer or a float tensor is promoted to float32 on the device.
      compareDevices('lt int32 vs 0.5', [i], (x) => tk.lt(x, 0.5), EXACT);
      compareDevices('ge int32 vs float', [j, leaf([3], 9, { grad: false })], (x, y) => tk.ge(x, y), EXACT);
    });
  });

  describe('where and maskedFill', () => {
    test('float32 values, broadcast condition, gradients to both', () => {
      const cond = new Tensor(Int32Array.of(1, 0, 0, 1, 1), [5, 1]);
      const a = leaf([5, 4], 1);
      const b = leaf([4], 2);
      compareDevices('where', [cond, a, b], (c, x, y) => tk.where(c, x, y), EXACT);
      compareDevices('where', [cond, a, b], (c, x, y) => tk.where(c, x, y), { backward: true });
      compareDevices('where number other', [cond, a], (c, x) => tk.where(c, x, -1.5), { backward: true });
      compareDevices('where float condition', [leaf([5, 4], 3, { step: 1, grad: false }), a], (c, x) =>
        tk.where(c, x, 0),
      );
    });
    test('int32 values stay int32', () => {
      const cond = new Tensor(
        Int32Array.from({ length: 1031 }, (_, k) => k % 3),
        [1031],
      );
      const a = new Tensor(
        Int32Array.from({ length: 1031 }, (_, k) => k),
        [1031],
      );
      const { cuda } = compareDevices('where int32', [cond, a], (c, x) => tk.where(c, x, -7), EXACT);
      expect(cuda.dtype).toBe('int32');
      compareDevices('maskedFill int32', [a, cond], (x, c) => x.maskedFill(c, 9), EXACT);
    });
    test('conditions given as booleans or a Uint8Array are copied to the device', () => {
      const x = leaf([2, 3], 5);
      const d = x.to('cuda');
      const m = [
        [true, false, true],
        [false, false, true],
      ];
      expectClose(tk.where(m, d, 0).cpu().data, tk.where(m, x, 0).data, EXACT, 'where booleans');
      const u = Uint8Array.of(0, 1, 1);
      expectClose(d.maskedFill(u, -Infinity).cpu().data, x.maskedFill(u, -Infinity).data, EXACT, 'maskedFill u8');
    });
    test('maskedFill with gradients', () => {
      const x = leaf([3, 257], 6);
      const mask = new Tensor(
        Int32Array.from({ length: 257 }, (_, k) => k % 2),
        [257],
      );
      compareDevices('maskedFill', [x, mask], (t, m) => t.maskedFill(m, -1e9), { backward: true });
    });
  });

  describe('errors', () => {
    test('mixed devices are a TypeError naming both tensors', () => {
      const c = tk.ones([3]);
      const d = tk.ones([3], { device: 'cuda' } as { device: 'cuda' });
      expectThrowNamed(() => tk.add(c, d), 'TypeError', 'add', 'input is on cpu', 'other is on cuda');
      expectThrowNamed(() => tk.gt(d, c), 'TypeError', 'gt');
      expectThrowNamed(() => tk.where(tk.tensor([1, 0, 1], { dtype: 'int32' }), d, d), 'TypeError', 'where');
      expectThrowNamed(() => d.maskedFill(tk.tensor([1, 0, 1], { dtype: 'int32' }), 0), 'TypeError', 'maskedFill');
    });
    test('int32 operands of arithmetic promote to float32 on the device, as on the CPU', () => {
      const big = new Tensor(Int32Array.of(0, -1, 7, 16777217, -2147483648, 2147483647), [6]);
      const { cuda } = compareDevices('int32 + float', [big, leaf([6], 3)], (x, y) => tk.add(x, y), {
        backward: true,
      });
      expect(cuda.dtype).toBe('float32');
      compareDevices('int32 * 0.5', [big], (x) => tk.mul(x, 0.5), EXACT);
      compareDevices(
        'where int32, float',
        [new Tensor(Int32Array.of(1, 0, 1, 0, 1, 0), [6]), big],
        (c, x) => tk.where(c, x, 0.25),
        EXACT,
      );
      const i = tk.tensor([1, 2, 3], { dtype: 'int32', device: 'cuda' } as { dtype: 'int32'; device: 'cuda' });
      expectThrowNamed(() => tk.exp(i), 'TypeError', 'exp', 'float32');
    });
    test('a bad argument reaching a device export is a RangeError from the shared checks', () => {
      const k = cudaKernels();
      const a = tk.ones([6], { device: 'cuda' } as { device: 'cuda' });
      const out = tk.zeros([5], { device: 'cuda' } as { device: 'cuda' });
      let e = errorOf(() => k.binaryForward(0, out.buffer, a.buffer, a.buffer, [6], [1], [1], 1));
      expect(e.name).toBe('RangeError');
      expect(e.message).toMatch(/out has 5 elements, shape \[6\] needs 6/);
      e = errorOf(() => k.binaryForward(0, a.buffer, out.buffer, out.buffer, [6], [1], [1], 1));
      expect(e.name).toBe('RangeError');
      expect(e.message).toMatch(/a \(5 elements\) is too short/);
      e = errorOf(() => k.sumToShape(out.buffer, a.buffer, [6], [2]));
      expect(e.name).toBe('RangeError');
      e = errorOf(() => k.unaryForward(99, a.buffer, a.buffer, 0, 0));
      expect(e.name).toBe('RangeError');
      const i = tk.zeros([6], { dtype: 'int32', device: 'cuda' } as { dtype: 'int32'; device: 'cuda' });
      e = errorOf(() => k.compare(0, i.buffer, a.buffer, i.buffer, [6], [1], [1]));
      expect(e.name).toBe('TypeError');
      e = errorOf(() => k.where(out.buffer, i.buffer, a.buffer, a.buffer, [6], [1], [1], [1]));
      expect(e.name).toBe('RangeError');
      e = errorOf(() => k.int32ToFloat32(out.buffer, i.buffer));
      expect(e.name).toBe('RangeError');
      expect(e.message).toMatch(/out has 5 elements, expected 6/);
    });
  });
});

// Reductions (lib/ops/reduce.ts), losses (lib/ops/losses.ts), gradient clipping (lib/nn/utils.ts)
// and allFinite on the device: every op and its backward on the emulated CUDA backend against the
// CPU (cuda/reduce.cu, cuda/loss.cu through cuda/binding/reduce.cc and loss.cc). The block
// reductions (shared memory, barriers, warp shuffles) run under several emulator thread orders.
import * as tk from '../lib';
import { kernelsOn } from '../lib/cuda/dispatch';
import { cudaKernels } from '../lib/cuda/runtime';
import { native } from '../lib/native';
import { CudaStorage, Tensor } from '../lib/tensor';
import { compareDevices, deviceDescribe, underEmulatorOrders, useEmulatedDevice } from './cuda-device-helpers';
import { expectClose, expectThrowNamed } from './helpers';

/** Deterministic values in [-scale, scale) (an LCG), as a CPU float32 tensor. */
function values(shape: number[], seed: number, scale = 2, requiresGrad = true): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 2 ** 32) * 2 * scale - scale;
  }
  return new Tensor(v, shape, { requiresGrad });
}

function ints(shape: number[], seed: number, hi: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Int32Array(n);
  let s = (seed * 40503) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s % hi;
  }
  return new Tensor(v, shape);
}

const cuda = (t: Tensor): Tensor => new Tensor(t.data.slice(), t.shape, { device: 'cuda' });

deviceDescribe('reductions on the device', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  test('sum and mean: sizes around the block size, all dims, negative and separated dims, keepdim', () => {
    underEmulatorOrders((order) => {
      for (const n of [1, 3, 257, 1031]) {
        compareDevices(`sum [${n}] (${order})`, [values([n], n)], (x) => tk.sum(x), { backward: true });
        compareDevices(`mean [${n}] (${order})`, [values([n], n + 1)], (x) => tk.mean(x), { backward: true });
      }
      const x = values([3, 5, 7], 11);
      compareDevices(`sum dim -1 (${order})`, [x], (t) => tk.sum(t, -1), { backward: true });
      compareDevices(`sum dim 1 keepdim (${order})`, [x], (t) => tk.sum(t, 1, true), { backward: true });
      compareDevices(`sum dims [0, 2] (${order})`, [x], (t) => tk.sum(t, [0, 2]), { backward: true });
      compareDevices(`mean dims [0, -1] keepdim (${order})`, [x], (t) => tk.mean(t, [0, -1], { keepdim: true }), {
        backward: true,
      });
      compareDevices(`mean dims [0, 1] (${order})`, [x], (t) => t.mean([0, 1]), { backward: true });
    });
  });

  test('sum: the columns kernel (inner >= 32) and long rows split into chunks', () => {
    underEmulatorOrders((order) => {
      compareDevices(`sum columns (${order})`, [values([4, 5, 40], 3)], (t) => tk.sum(t, 1), { backward: true });
      compareDevices(`mean columns (${order})`, [values([2, 33, 33], 4)], (t) => tk.mean(t, 0), { backward: true });
    });
    // 40000 > the 16384-element chunk: three chunks per row, added in order by a second kernel.
    // Both devices accumulate in double (in different orders), so even these long sums agree to
    // float rounding: the default 1e-5 holds, no looser tolerance is needed.
    const long = compareDevices('sum long rows', [values([2, 40000], 5)], (t) => tk.sum(t, 1), { backward: true });
    expect(long.cuda.shape).toEqual([2]);
    compareDevices('mean long row', [values([40001], 6)], (t) => tk.mean(t), { rtol: 1e-6, atol: 0 });
  });

  test('sum over int32 and over empty dims; NaN and infinity propagate', () => {
    const xi = ints([4, 6], 3, 1000);
    const c = tk.sum(cuda(xi), 1);
    expect(c.device).toBe('cuda');
    expect(c.dtype).toBe('int32');
    expect(Array.from(c.cpu().data)).toEqual(Array.from(tk.sum(xi, 1).data));
    expect(Array.from(tk.sum(cuda(xi)).cpu().data)).toEqual(Array.from(tk.sum(xi).data));
    const big = new Tensor(Int32Array.of(2 ** 31 - 1, 1, 5), [3]);
    expect(Array.from(tk.sum(cuda(big)).cpu().data)).toEqual(Array.from(tk.sum(big).data));
    // Empty: the sum over nothing is 0, the mean NaN.
    compareDevices('sum of empty', [values([0], 1)], (t) => tk.sum(t));
    compareDevices('sum over an empty dim', [values([2, 0, 3], 1)], (t) => tk.sum(t, 1), { backward: true });
    const m = compareDevices('mean over an empty dim', [values([0, 3], 1)], (t) => tk.mean(t, 0));
    expect(Number.isNaN(m.cuda.cpu().data[0])).toBe(true);
    compareDevices('sum of a size-1 dim', [values([3, 1], 2)], (t) => tk.sum(t, 1), { backward: true });
    const special = new Tensor(Float32Array.of(1, NaN, 2, Infinity, 3, 4, -Infinity, 5, Infinity), [3, 3]);
    const s = compareDevices('sum with NaN and inf', [special], (t) => tk.sum(t, 1));
    expect(Array.from(s.cuda.cpu().data).map(String)).toEqual(['NaN', 'Infinity', 'NaN']);
  });

  test('max / min with indices: ties take the first index, NaN wins, -0 and 0 tie; backward', () => {
    underEmulatorOrders((order) => {
      for (const [shape, dim] of [
        [[5, 300], 1],
        [[3, 257, 2], -2],
        [[4, 6, 40], 1],
        [[1031], 0],
      ] as [number[], number][]) {
        for (const op of ['max', 'min'] as const) {
          const x = values(shape, shape[0] + dim);
          const r = compareDevices(`${op} ${shape} dim ${dim} (${order})`, [x], (t) => tk[op](t, dim).values, {
            backward: true,
          });
          expect(r.cuda.device).toBe('cuda');
          const ic = tk[op](x, dim).indices;
          const id = tk[op](cuda(x), dim).indices;
          expect(id.device).toBe('cuda');
          expect(Array.from(id.cpu().data)).toEqual(Array.from(ic.data));
        }
      }
    });
    // Ties (quantised values), NaN and signed zeros, rows (inner < 32) and columns (inner >= 32).
    const q = new Float32Array(2 * 40 * 33).map((_, i) => ((i * 7919) % 5) - 2);
    q[17 * 33 + 4] = NaN;
    q[40 * 33 + 20 * 33 + 4] = NaN;
    q[40 * 33 + 25 * 33 + 4] = NaN;
    q[5] = -0;
    const xq = new Tensor(q, [2, 40, 33]);
    underEmulatorOrders((order) => {
      for (const dim of [0, 1, 2]) {
        for (const op of ['max', 'min', 'argmax', 'argmin'] as const) {
          const c = op.startsWith('arg') ? tk[op as 'argmax'](xq, dim) : tk[op as 'max'](xq, dim).indices;
          const d = op.startsWith('arg') ? tk[op as 'argmax'](cuda(xq), dim) : tk[op as 'max'](cuda(xq), dim).indices;
          expect([order, op, dim, Array.from(d.cpu().data)]).toEqual([order, op, dim, Array.from(c.data)]);
        }
      }
    });
  });

  test('full max / min / argmax: the gradient is shared among ties; keepdim for argmax', () => {
    const x = new Tensor(Float32Array.of(1, 3, -2, 3, 0, 3, -2), [7], { requiresGrad: true });
    underEmulatorOrders((order) => {
      compareDevices(`max (${order})`, [x], (t) => tk.max(t), { backward: true });
      compareDevices(`min (${order})`, [x], (t) => tk.min(t), { backward: true });
    });
    compareDevices('max of 1031', [values([1031], 4)], (t) => t.max(), { backward: true });
    const withNan = new Tensor(Float32Array.of(1, NaN, 5, NaN), [2, 2], { requiresGrad: true });
    const r = compareDevices('max with NaN', [withNan], (t) => tk.max(t), { backward: true });
    expect(Number.isNaN(r.cuda.cpu().data[0])).toBe(true);
    for (const keep of [false, true]) {
      const a = tk.argmax(cuda(values([3, 50], 9)), null, keep);
      expect(a.device).toBe('cuda');
      expect(a.shape).toEqual(keep ? [1, 1] : []);
      expect(Array.from(a.cpu().data)).toEqual(Array.from(tk.argmax(values([3, 50], 9), null, keep).data));
    }
    expect(Array.from(tk.argmin(cuda(x)).cpu().data)).toEqual(Array.from(tk.argmin(x).data));
    expectThrowNamed(() => tk.max(cuda(values([0], 1))), 'RangeError', 'empty');
    expectThrowNamed(() => tk.max(cuda(values([2, 0], 1)), 1), 'RangeError', 'empty');
  });

  test('logsumexp: one dim, adjacent dims, separated dims; infinities and NaN; backward', () => {
    underEmulatorOrders((order) => {
      compareDevices(`logsumexp rows (${order})`, [values([4, 300], 1, 20)], (t) => tk.logsumexp(t, 1), {
        backward: true,
      });
      compareDevices(`logsumexp columns (${order})`, [values([3, 7, 40], 2, 20)], (t) => tk.logsumexp(t, -2, true), {
        backward: true,
      });
    });
    const x = values([3, 4, 5, 6], 3, 5);
    compareDevices('logsumexp adjacent dims', [x], (t) => tk.logsumexp(t, [1, 2]), { backward: true });
    // Separated dims: moved to the end and merged, on both devices.
    compareDevices('logsumexp separated dims', [x], (t) => tk.logsumexp(t, [0, 2]), { backward: true });
    compareDevices('logsumexp separated dims keepdim', [x], (t) => tk.logsumexp(t, [-1, 1], true), {
      backward: true,
    });
    const special = new Tensor(
      Float32Array.of(-Infinity, -Infinity, -Infinity, Infinity, 2, 1, NaN, 3, 4, 5, 1e30, -1e30),
      [4, 3],
    );
    const r = compareDevices('logsumexp special', [special], (t) => tk.logsumexp(t, 1));
    expect(Array.from(r.cuda.cpu().data.slice(0, 3)).map(String)).toEqual(['-Infinity', 'Infinity', 'NaN']);
    compareDevices('logsumexp of an empty dim', [values([2, 0], 1)], (t) => tk.logsumexp(t, 1));
  });

  test('var / std on the device (composed of the elementwise device ops)', () => {
    const x = values([4, 33], 5);
    compareDevices('var', [x], (t) => tk.variance(t, 1), { backward: true });
    compareDevices('std', [x], (t) => tk.std(t, [0, 1], { correction: 0 }), { backward: true });
  });

  test('allFinite, powSum, absMax on device buffers', () => {
    const k = cudaKernels();
    const buf = (a: Float32Array) => (cuda(new Tensor(a, [a.length])).storage as CudaStorage).buffer;
    const base = values([1031], 7).data as Float32Array;
    expect(k.allFinite(buf(base))).toBe(true);
    expect(k.allFinite(buf(new Float32Array(0)))).toBe(true);
    for (const bad of [NaN, Infinity, -Infinity]) {
      for (const at of [0, 256, 1030]) {
        const a = base.slice();
        a[at] = bad;
        expect([bad, at, k.allFinite(buf(a))]).toEqual([bad, at, false]);
      }
    }
    underEmulatorOrders((order) => {
      for (const p of [1, 2, 3, 0.5]) {
        const d = k.powSum(buf(base), p);
        const c = native.powSum(base, p);
        expect([order, p, Math.abs(d - c) <= 1e-12 * Math.abs(c)]).toEqual([order, p, true]);
      }
      expect(k.absMax(buf(base))).toBe(native.absMax(base));
    });
    const withNan = base.slice();
    withNan[700] = NaN;
    expect(Number.isNaN(k.absMax(buf(withNan)))).toBe(true);
    expect(k.absMax(buf(new Float32Array(0)))).toBe(0);
  });

  test('arguments the shared checks refuse reach the device exports as RangeErrors', () => {
    const k = cudaKernels();
    const out = (cuda(values([3], 1)).storage as CudaStorage).buffer;
    const out1 = (cuda(values([1], 1)).storage as CudaStorage).buffer;
    const x = (cuda(values([5], 1)).storage as CudaStorage).buffer;
    expectThrowNamed(() => k.sumForward(out, x, 1, 5, 1), 'RangeError', 'out has 3 elements');
    const idx = (cuda(new Tensor(Int32Array.of(0, 4, 1), [3])).storage as CudaStorage).buffer;
    const g = (cuda(values([3], 2)).storage as CudaStorage).buffer;
    const dx = (cuda(values([9], 3)).storage as CudaStorage).buffer;
    expectThrowNamed(() => k.maxBackward(dx, g, idx, 3, 3, 1), 'RangeError', 'indices[1] is 4');
    expectThrowNamed(() => k.powSum(x, -1), 'RangeError', 'p must be positive');
    expectThrowNamed(() => k.sumForward(x, x, 1, 5, 1), 'RangeError');
    expectThrowNamed(() => k.sumForward(out1, new Float32Array(5) as never, 1, 5, 1), 'TypeError', 'x');
  });
});

deviceDescribe('losses on the device', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  test('crossEntropy with class indices: reductions, weights, ignoreIndex, label smoothing, [C] and [N, C, S]', () => {
    const cases: { shape: number[]; opts: tk.CrossEntropyOptions; label: string; orders?: boolean }[] = [
      { shape: [5, 7], opts: {}, label: 'mean' },
      { shape: [5, 7], opts: { reduction: 'sum' }, label: 'sum' },
      { shape: [5, 7], opts: { reduction: 'none', labelSmoothing: 0.2 }, label: 'none, smoothing' },
      {
        shape: [3, 4, 5],
        opts: { ignoreIndex: 2, labelSmoothing: 0.1 },
        label: 'S 5, ignore, smoothing',
        orders: true,
      },
      { shape: [3, 300], opts: { labelSmoothing: 0.3 }, label: 'C 300', orders: true },
      { shape: [7], opts: {}, label: '[C]' },
    ];
    // The block reductions (logsumexp and smoothing per sample, the denominator) under several
    // thread orders for the cases that use several warps; the rest in the default order.
    const once = (fn: (order: string) => void): void => fn('default order');
    for (const { shape, opts, label, orders } of cases) {
      (orders ? underEmulatorOrders : once)((order) => {
        const C = shape.length === 1 ? shape[0] : shape[1];
        const tShape = shape.length === 1 ? [] : [shape[0], ...shape.slice(2)];
        const target = ints(tShape, C, C);
        for (const weighted of [false, true]) {
          const weight = weighted ? values([C], 3, 1, false).abs() : null;
          compareDevices(
            `crossEntropy ${label}${weighted ? ' weighted' : ''} (${order})`,
            [values(shape, C * 3, 4), target, ...(weight ? [weight] : [])],
            (x, t, w) => tk.crossEntropy(x, t, { ...opts, weight: w ?? null }),
            { backward: true },
          );
        }
      });
    }
    // Targets given as an array are checked on the host and copied to the device.
    const x = values([4, 3], 1);
    const r = tk.crossEntropy(cuda(x), [0, 2, -100, 1]);
    expect(r.device).toBe('cuda');
    expectClose(r.cpu().data, tk.crossEntropy(x, [0, 2, -100, 1]).data, {}, 'array targets');
    // All targets ignored: 'mean' is NaN, as in PyTorch.
    const all = tk.crossEntropy(cuda(x), cuda(new Tensor(Int32Array.of(-100, -100, -100, -100), [4])));
    expect(Number.isNaN(all.cpu().data[0])).toBe(true);
  });

  test('crossEntropy: an out-of-range class index on the device is a RangeError, never an out-of-bounds read', () => {
    const x = cuda(values([4, 7], 1));
    for (const bad of [7, -1, 1000000]) {
      const t = cuda(new Tensor(Int32Array.of(0, 3, bad, 9), [4]));
      expectThrowNamed(() => tk.crossEntropy(x, t), 'RangeError', `target[2] = ${bad} is out of range [0, 7)`);
      expectThrowNamed(() => tk.nllLoss(x, t), 'RangeError', `target[2] = ${bad} is out of range [0, 7)`);
    }
    // The backward export checks again (its targets could be another buffer).
    const k = kernelsOn('cuda');
    const buf = (t: Tensor) => (cuda(t).storage as CudaStorage).buffer;
    expectThrowNamed(
      () =>
        k.crossEntropyBackward(
          buf(values([4, 7], 1)),
          buf(values([1], 1)),
          buf(values([4, 7], 2)),
          buf(values([4], 3)),
          buf(new Tensor(Int32Array.of(0, 1, 2, 70), [4])),
          null,
          4,
          7,
          1,
          -100,
          0,
          0,
          1,
        ),
      'RangeError',
      'target[3] = 70',
    );
    expectThrowNamed(() => tk.crossEntropy(x, cuda(values([4], 1))), 'RangeError', 'class probabilities');
    expectThrowNamed(() => tk.crossEntropy(x, cuda(ints([5], 1, 7))), 'RangeError', 'expected [4]');
  });

  test('crossEntropy with class probabilities, gradients to logits and target', () => {
    underEmulatorOrders((order) => {
      for (const [shape, opts] of [
        [[5, 7], {}],
        [[3, 4, 5], { labelSmoothing: 0.25, reduction: 'sum' }],
        [[2, 260], { reduction: 'none' }],
      ] as [number[], tk.CrossEntropyOptions][]) {
        const probs = tk.softmax(values(shape, 9, 2, false), 1);
        const p = new Tensor(probs.data as Float32Array, shape, { requiresGrad: true });
        compareDevices(
          `crossEntropy probs ${shape} (${order})`,
          [values(shape, 5, 3), p],
          (x, t) => tk.crossEntropy(x, t, opts),
          { backward: true },
        );
        const w = values([shape[1]], 4, 1, false).abs();
        compareDevices(
          `crossEntropy probs weighted ${shape}`,
          [values(shape, 5, 3), p, w],
          (x, t, ww) => tk.crossEntropy(x, t, { ...opts, weight: ww }),
          { backward: true },
        );
      }
    });
  });

  test('nllLoss: reductions, weights, ignoreIndex, [N, C, S]', () => {
    const cases = [
      [[5, 7], {}],
      [[3, 4, 5], { ignoreIndex: 1, reduction: 'sum' }],
      [[9, 3], { reduction: 'none' }],
      [[4], {}],
      [[700, 3], {}],
    ] as [number[], tk.NllLossOptions][];
    cases.forEach(([shape, opts], i) => {
      // The last case's denominator spans several warps: under several thread orders.
      (i === cases.length - 1 ? underEmulatorOrders : (fn: (o: string) => void) => fn('default order'))((order) => {
        const C = shape.length === 1 ? shape[0] : shape[1];
        const t = ints(shape.length === 1 ? [] : [shape[0], ...shape.slice(2)], 7, C);
        const w = values([C], 2, 1, false).abs();
        compareDevices(`nllLoss ${shape} (${order})`, [values(shape, 1), t], (x, tt) => tk.nllLoss(x, tt, opts), {
          backward: true,
        });
        compareDevices(
          `nllLoss weighted ${shape}`,
          [values(shape, 1), t, w],
          (x, tt, ww) => tk.nllLoss(x, tt, { ...opts, weight: ww }),
          { backward: true },
        );
      });
    });
  });

  test('binaryCrossEntropyWithLogits: weight and posWeight broadcast on the device; large |x|', () => {
    const x = values([6, 5], 3, 40);
    const t = values([6, 5], 4, 0.5);
    const tt = new Tensor(
      (t.data as Float32Array).map((v) => v + 0.5),
      [6, 5],
      { requiresGrad: true },
    );
    underEmulatorOrders((order) => {
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        compareDevices(
          `bce ${reduction} (${order})`,
          [x, tt],
          (a, b) => tk.binaryCrossEntropyWithLogits(a, b, { reduction }),
          {
            backward: true,
          },
        );
      }
    });
    const pw = values([5], 5, 1, false).abs();
    const w = values([6, 1], 6, 1, false).abs();
    const full = values([6, 5], 7, 1, false).abs();
    compareDevices(
      'bce posWeight [C]',
      [x, tt, pw],
      (a, b, p) => tk.binaryCrossEntropyWithLogits(a, b, { posWeight: p }),
      {
        backward: true,
      },
    );
    compareDevices(
      'bce weight [N, 1] and posWeight [C]',
      [x, tt, w, pw],
      (a, b, ww, p) => tk.binaryCrossEntropyWithLogits(a, b, { weight: ww, posWeight: p, reduction: 'sum' }),
      { backward: true },
    );
    compareDevices(
      'bce weight of the input shape',
      [x, tt, full],
      (a, b, ww) => tk.binaryCrossEntropyWithLogits(a, b, { weight: ww, reduction: 'none' }),
      { backward: true },
    );
    expectThrowNamed(
      () => tk.binaryCrossEntropyWithLogits(cuda(x), cuda(tt), { weight: cuda(values([4], 1)) }),
      'RangeError',
      'weight of shape [4] cannot broadcast to [6, 5]',
    );
    compareDevices(
      'bce of 1031',
      [values([1031], 1, 30), values([1031], 2, 0.5)],
      (a, b) => tk.binaryCrossEntropyWithLogits(a, b),
      { backward: true },
    );
  });

  test('mse, l1, smoothL1, klDiv (log targets, batchmean): forward and both gradients', () => {
    const x = values([4, 257], 1);
    const t = values([4, 257], 2);
    underEmulatorOrders((order) => {
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        compareDevices(`mse ${reduction} (${order})`, [x, t], (a, b) => tk.mseLoss(a, b, { reduction }), {
          backward: true,
        });
        compareDevices(`l1 ${reduction}`, [x, t], (a, b) => tk.l1Loss(a, b, { reduction }), { backward: true });
        compareDevices(`smoothL1 ${reduction}`, [x, t], (a, b) => tk.smoothL1Loss(a, b, { reduction, beta: 0.5 }), {
          backward: true,
        });
      }
    });
    compareDevices('smoothL1 beta 0', [x, t], (a, b) => tk.smoothL1Loss(a, b, { beta: 0 }), { backward: true });
    const eq = new Tensor(Float32Array.of(1, 2, 3), [3], { requiresGrad: true });
    compareDevices(
      'l1 at 0',
      [eq, new Tensor(Float32Array.of(1, 0, 3), [3], { requiresGrad: true })],
      (a, b) => tk.l1Loss(a, b),
      { backward: true },
    );
    const logp = tk.logSoftmax(values([3, 5], 3, 2, false), 1);
    const lp = new Tensor(logp.data as Float32Array, [3, 5], { requiresGrad: true });
    const tp = new Tensor(Float32Array.of(0.2, 0, 0.3, 0.5, 0, 0.1, 0.1, 0.1, 0.1, 0.6, 1, 0, 0, 0, 0), [3, 5], {
      requiresGrad: true,
    });
    for (const reduction of ['mean', 'sum', 'none', 'batchmean'] as const) {
      // d/dt at t = 0 is NaN, as in PyTorch (xlogy's backward); NaN compares equal here.
      compareDevices(`klDiv ${reduction}`, [lp, tp], (a, b) => tk.klDiv(a, b, { reduction }), { backward: true });
      compareDevices(
        `klDiv logTarget ${reduction}`,
        [lp, lp],
        (a, b) => tk.klDiv(a, b, { reduction, logTarget: true }),
        {
          backward: true,
        },
      );
    }
    compareDevices('mse of empty', [values([0], 1), values([0], 2)], (a, b) => tk.mseLoss(a, b, { reduction: 'sum' }));
    const nan = compareDevices('mse mean of empty', [values([0], 1), values([0], 2)], (a, b) => tk.mseLoss(a, b));
    expect(Number.isNaN(nan.cuda.cpu().data[0])).toBe(true);
  });

  test('mixed devices are a TypeError naming both tensors', () => {
    const x = values([4, 3], 1);
    expectThrowNamed(() => tk.crossEntropy(cuda(x), ints([4], 1, 3)), 'TypeError', 'crossEntropy');
    expectThrowNamed(() => tk.crossEntropy(cuda(x), [0, 1, 2, 0], { weight: values([3], 1) }), 'TypeError', 'weight');
    expectThrowNamed(() => tk.mseLoss(cuda(x), x), 'TypeError', 'mseLoss');
    expectThrowNamed(() => tk.nllLoss(x, cuda(ints([4], 1, 3))), 'TypeError', 'nllLoss');
    expectThrowNamed(
      () => tk.binaryCrossEntropyWithLogits(cuda(x), cuda(x), { posWeight: values([3], 1) }),
      'TypeError',
      'posWeight',
    );
  });
});

deviceDescribe('gradient clipping on the device', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  test('clipGradNorm (p = 2, 1, 3, inf) and clipGradValue scale device gradients in place like the CPU', () => {
    const shapes = [[257], [3, 40], [1031]];
    const make = (device: 'cpu' | 'cuda', scale: number): Tensor[] =>
      shapes.map((s, i) => {
        const p = new Tensor(new Float32Array(s.reduce((a, b) => a * b, 1)), s, { device, requiresGrad: true });
        p.grad = new Tensor(values(s, i + 1, scale, false).data.slice(), s, { device });
        return p;
      });
    underEmulatorOrders((order) => {
      for (const normType of [2, 1, 3, 'inf'] as const) {
        const pc = make('cpu', 3);
        const pd = make('cuda', 3);
        const nc = tk.nn.clipGradNorm(pc, 1.5, { normType });
        const nd = tk.nn.clipGradNorm(pd, 1.5, { normType });
        expectClose([nd.item()], [nc.item()], { rtol: 1e-6, atol: 0 }, `norm ${normType} (${order})`);
        pd.forEach((p, i) => {
          expect((p.grad as Tensor).device).toBe('cuda');
          expectClose((p.grad as Tensor).cpu().data, (pc[i].grad as Tensor).data, { rtol: 1e-6, atol: 0 }, `grad ${i}`);
        });
      }
    });
    const pc = make('cpu', 3);
    const pd = make('cuda', 3);
    tk.nn.clipGradValue(pc, 0.7);
    tk.nn.clipGradValue(pd, 0.7);
    pd.forEach((p, i) =>
      expect(Array.from((p.grad as Tensor).cpu().data)).toEqual(Array.from((pc[i].grad as Tensor).data)),
    );
    // A NaN gradient makes the norm NaN on both devices; errorIfNonfinite throws.
    const bad = make('cuda', 1);
    const g = (bad[1].grad as Tensor).cpu();
    (g.data as Float32Array)[7] = NaN;
    bad[1].grad = g.to('cuda');
    expect(Number.isNaN(tk.nn.clipGradNorm(bad, 1).item())).toBe(true);
    expect(() => tk.nn.clipGradNorm(bad, 1, { errorIfNonfinite: true })).toThrow(/non-finite/);
  });
});

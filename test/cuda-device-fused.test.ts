// The fused kernels on the device (issue 7): scaledDotProductAttention (cuda/attention.cu), the
// recurrent layers LSTM / GRU / RNN (cuda/rnn.cu's layer drivers), the topic-model losses and the
// Gamma / Dirichlet samplers (cuda/topic_losses.cu), against the CPU, on the emulated device backend
// (test/cuda-device-helpers.ts).
import * as tk from '../lib';
import { kernelsOn } from '../lib/cuda/dispatch';
import { cudaKernels } from '../lib/cuda/runtime';
import { Tensor } from '../lib/tensor';
import { compareDevices, deviceDescribe, underEmulatorOrders, useEmulatedDevice } from './cuda-device-helpers';
import { errorOf, expectClose, expectThrowNamed } from './helpers';

/** A float32 tensor of deterministic values in [-scale, scale) (no seeds shared with the tests' draws). */
function vals(shape: number[], seed: number, scale = 1, requiresGrad = true): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  let s = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    d[i] = ((s >>> 8) / 2 ** 24 - 0.5) * 2 * scale;
  }
  const t = new Tensor(d, shape);
  if (requiresGrad) t.setRequiresGrad(true);
  return t;
}

deviceDescribe('fused kernels on the emulated CUDA backend', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  describe('scaledDotProductAttention', () => {
    const sdpa = tk.nn.functional.scaledDotProductAttention;

    test('forward and backward match the CPU (4-D, sizes off the tiles, several thread orders)', () => {
      // Tq = 17, Tk = 33: neither a multiple of the 16-row query tile nor of the 32-key tile.
      const q = vals([2, 3, 17, 24], 1);
      const k = vals([2, 3, 33, 24], 2);
      const v = vals([2, 3, 33, 24], 3);
      underEmulatorOrders((order) => {
        compareDevices(`sdpa ${order}`, [q, k, v], (a, b, c) => sdpa(a, b, c), {
          backward: true,
          atol: 1e-5,
          rtol: 1e-4,
        });
      });
    });

    test('3-D inputs, Tq = 1 and Tk = 1, head size 1 and 128', () => {
      for (const [B, Tq, Tk, D] of [
        [1, 1, 1, 1],
        [3, 1, 5, 7],
        [2, 4, 1, 3],
        [1, 3, 2, 128],
      ]) {
        const q = vals([B, Tq, D], 10 + D);
        const k = vals([B, Tk, D], 20 + D);
        const v = vals([B, Tk, D], 30 + D);
        compareDevices(`sdpa [${B}, ${Tq}, ${Tk}, ${D}]`, [q, k, v], (a, b, c) => sdpa(a, b, c), {
          backward: true,
          atol: 1e-5,
          rtol: 1e-4,
        });
      }
    });

    test('causal, boolean and float masks (host and device), key padding and scale', () => {
      const q = vals([2, 2, 5, 8], 4);
      const k = vals([2, 2, 6, 8], 5);
      const v = vals([2, 2, 6, 8], 6);
      const opts = { backward: true, atol: 1e-5, rtol: 1e-4 };
      compareDevices('causal', [q, k, v], (a, b, c) => sdpa(a, b, c, { isCausal: true, scale: 0.3 }), opts);
      const boolMask = Array.from({ length: 5 }, (_, i) => Array.from({ length: 6 }, (_, j) => (i + j) % 3 !== 0));
      compareDevices('bool mask', [q, k, v], (a, b, c) => sdpa(a, b, c, { attnMask: boolMask }), opts);
      const floatMask = vals([2, 1, 5, 6], 7, 2, false);
      compareDevices('float mask (host)', [q, k, v], (a, b, c) => sdpa(a, b, c, { attnMask: floatMask }), opts);
      compareDevices(
        'float mask (on the device where the inputs are)',
        [q, k, v, floatMask],
        (a, b, c, m) => sdpa(a, b, c, { attnMask: m }),
        opts,
      );
      // Batch 1 has every key padded: zeros and zero gradients on both.
      const kp = new Uint8Array([0, 1, 0, 0, 1, 0, 1, 1, 1, 1, 1, 1]);
      const { cuda } = compareDevices(
        'key padding',
        [q, k, v],
        (a, b, c) => sdpa(a, b, c, { keyPaddingMask: kp }),
        opts,
      );
      expect(Array.from(cuda.cpu().data.subarray(2 * 5 * 8 + 0, 2 * 5 * 8 + 8)).every((x) => x === 0)).toBe(true);
    });

    test('dropout draws the CPU mask from the same Philox stream', () => {
      const q = vals([1, 2, 9, 4], 8);
      const k = vals([1, 2, 9, 4], 9);
      const v = vals([1, 2, 9, 4], 10);
      compareDevices('dropout', [q, k, v], (a, b, c) => sdpa(a, b, c, { dropoutP: 0.3, seed: 17 }), {
        backward: true,
        atol: 1e-5,
        rtol: 1e-4,
      });
    });

    test('NaN propagates as on the CPU; empty batches give empty results', () => {
      const q = vals([1, 1, 3, 4], 11);
      const k = vals([1, 1, 3, 4], 12);
      const v = vals([1, 1, 3, 4], 13, 1, false);
      v.data[5] = NaN;
      compareDevices('NaN in v', [q, k, v], (a, b, c) => sdpa(a, b, c));
      const e = compareDevices(
        'empty',
        [vals([0, 2, 3, 4], 1), vals([0, 2, 3, 4], 2), vals([0, 2, 3, 4], 3)],
        (a, b, c) => sdpa(a, b, c),
      );
      expect(e.cuda.shape).toEqual([0, 2, 3, 4]);
    });

    test('mixed devices, device boolean mask tensors and head sizes above 128 are refused', () => {
      const q = vals([1, 2, 4], 1, 1, false).to('cuda');
      const k = vals([1, 2, 4], 2, 1, false);
      expectThrowNamed(() => sdpa(q, k, k), 'TypeError', 'q', 'k');
      const kd = k.to('cuda');
      expectThrowNamed(
        () => sdpa(q, kd, kd, { attnMask: tk.tensor(new Int32Array(4).fill(1), [2, 2]).to('cuda') }),
        'TypeError',
        'attnMask',
        '.cpu()',
      );
      const kc = k.detach();
      expectThrowNamed(
        () => sdpa(kc, kc, kc, { attnMask: tk.zeros([2, 2], { device: 'cuda' }) }),
        'TypeError',
        'q',
        'attnMask',
      );
      const big = tk.zeros([1, 1, 129], { device: 'cuda' });
      expectThrowNamed(() => sdpa(big, big, big), 'RangeError', '128');
    });

    test('a bad argument reaching the device export is refused by the shared checks', () => {
      const cu = kernelsOn('cuda');
      const buf = (n: number): Tensor => tk.zeros([n], { device: 'cuda' });
      const b = (t: Tensor): never => (t.storage as unknown as { buffer: never }).buffer;
      // out has 7 elements where B * H * Tq * D = 8.
      const e = errorOf(() =>
        cu.attentionForward(
          b(buf(7)),
          b(buf(2)),
          b(buf(8)),
          b(buf(8)),
          b(buf(8)),
          null,
          [1, 1, 1, 1],
          null,
          1,
          1,
          2,
          2,
          4,
          0.5,
          false,
          0,
          0,
          0,
        ),
      );
      expect(e.name).toBe('RangeError');
      expect(e.message).toMatch(/out has 7 elements, expected 8/);
      const e2 = errorOf(() =>
        cu.attentionForward(
          b(buf(8)),
          b(buf(2)),
          b(buf(8)),
          b(buf(8)),
          b(buf(8)),
          null,
          [1, 1, 1, 1],
          new Uint8Array(3),
          1,
          1,
          2,
          2,
          4,
          0.5,
          false,
          0,
          0,
          0,
        ),
      );
      expect(e2.name).toBe('RangeError');
      expect(e2.message).toMatch(/keyPadding/);
    });
  });

  describe('recurrent layers', () => {
    type Ctor = new (o: {
      inputSize: number;
      hiddenSize: number;
      bidirectional?: boolean;
      batchFirst?: boolean;
      bias?: boolean;
      seed?: number;
    }) => tk.nn.Module;
    const layers: [string, Ctor][] = [
      ['LSTM', tk.nn.LSTM as unknown as Ctor],
      ['GRU', tk.nn.GRU as unknown as Ctor],
      ['RNN', tk.nn.RNN as unknown as Ctor],
    ];

    // Runs the module on both devices (same seed; parameters moved with moveTo_) and compares the
    // outputs and every gradient (input, initial states, weights) after backward from each output in
    // turn (output, h, c), with fixed weights: each output's gradient path runs on its own.
    function compareLayer(
      label: string,
      make: () => tk.nn.Module,
      x: Tensor,
      opts: { h0?: Tensor; c0?: Tensor; lengths?: number[] } = {},
    ): void {
      const tol = { atol: 1e-5, rtol: 1e-4 };
      type Out = { output: Tensor; h: Tensor; c?: Tensor };
      const run = (device: 'cpu' | 'cuda', which: 'output' | 'h' | 'c'): { out: Tensor[]; grads: Tensor[] } | null => {
        const m = make();
        for (const p of m.parameters()) p.moveTo_(device);
        const leaf = (t?: Tensor): Tensor | undefined => {
          if (!t) return undefined;
          const l = new Tensor(t.data.slice(), t.shape, { device });
          l.setRequiresGrad(true);
          return l;
        };
        const xi = leaf(x) as Tensor;
        const h0 = leaf(opts.h0);
        const c0 = leaf(opts.c0);
        const r = (m as unknown as { forward(x: Tensor, o: object): Out }).forward(xi, {
          h0,
          c0,
          lengths: opts.lengths,
        });
        const o = r[which];
        if (!o) return null;
        const w = new Float32Array(o.size).map((_, j) => ((j * 7919) % 13) / 6 - 1);
        o.backward(new Tensor(w, o.shape, { device }));
        const outs = [r.output, r.h, ...(r.c ? [r.c] : [])];
        const grads = [xi, h0, c0, ...m.parameters()]
          .filter((t): t is Tensor => !!t)
          .map((t) => (t.grad as Tensor | null) ?? tk.zeros(t.shape));
        return { out: outs, grads };
      };
      for (const which of ['output', 'h', 'c'] as const) {
        const c = run('cpu', which);
        if (!c) continue;
        const d = run('cuda', which) as { out: Tensor[]; grads: Tensor[] };
        c.out.forEach((o, i) => {
          expect(d.out[i].device).toBe('cuda');
          expectClose(d.out[i].cpu().data, o.data, tol, `${label}: output ${i}`);
        });
        c.grads.forEach((g, i) => {
          expectClose(d.grads[i].cpu().data, g.data, tol, `${label} (backward from ${which}): grad ${i}`);
        });
      }
    }

    test('batch-first, stacked layers with dropout, unbatched input (compose with the shape ops)', () => {
      const x = vals([3, 4, 5], 70);
      compareLayer(
        'LSTM batch-first 2 layers',
        () => new tk.nn.LSTM({ inputSize: 5, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 7 }),
        x,
        {
          h0: vals([4, 3, 4], 71),
          c0: vals([4, 3, 4], 72),
        },
      );
      compareLayer(
        'GRU unbatched',
        () => new tk.nn.GRU({ inputSize: 5, hiddenSize: 4, numLayers: 2, seed: 8 }),
        vals([4, 5], 73),
      );
    });

    for (const [name, Ctor] of layers) {
      test(`${name}: one layer, time-major, both directions, with and without initial states`, () => {
        const mk = (bidirectional: boolean) => () =>
          new Ctor({ inputSize: 5, hiddenSize: 7, batchFirst: false, bidirectional, seed: 3 });
        const x = vals([4, 3, 5], 40);
        compareLayer(`${name} uni`, mk(false), x);
        compareLayer(`${name} bi`, mk(true), x);
        const h0 = vals([2, 3, 7], 41);
        const c0 = name === 'LSTM' ? vals([2, 3, 7], 42) : undefined;
        compareLayer(`${name} bi h0`, mk(true), x, { h0, c0 });
        compareLayer(`${name} uni h0`, mk(false), x, { h0: vals([1, 3, 7], 43), c0: c0 && vals([1, 3, 7], 44) });
      });
    }

    test('lengths (padded steps) and no bias', () => {
      const x = vals([5, 3, 4], 50);
      compareLayer(
        'LSTM lengths',
        () => new tk.nn.LSTM({ inputSize: 4, hiddenSize: 6, batchFirst: false, bidirectional: true, seed: 4 }),
        x,
        {
          lengths: [5, 2, 1],
        },
      );
      compareLayer(
        'GRU no bias',
        () => new tk.nn.GRU({ inputSize: 4, hiddenSize: 3, batchFirst: false, bias: false, seed: 5 }),
        x,
        {
          lengths: [1, 5, 3],
        },
      );
    });

    test('RNN with relu and the residual connection', () => {
      const x = vals([4, 2, 3], 55);
      compareLayer(
        'RNN relu residual',
        () =>
          new tk.nn.RNN({
            inputSize: 3,
            hiddenSize: 3,
            batchFirst: false,
            nonlinearity: 'relu',
            residual: true,
            bidirectional: true,
            seed: 9,
          }),
        x,
        {
          h0: vals([2, 2, 3], 56),
          lengths: [2, 4],
        },
      );
    });

    test('a size-1 batch and hidden size 1', () => {
      compareLayer(
        'GRU B=1 H=1',
        () => new tk.nn.GRU({ inputSize: 2, hiddenSize: 1, batchFirst: false, seed: 6 }),
        vals([3, 1, 2], 60),
      );
    });

    test('mixed devices are refused; a bad argument reaching the device export is refused by the shared checks', () => {
      const m = new tk.nn.LSTM({ inputSize: 2, hiddenSize: 3, batchFirst: false });
      const x = vals([2, 1, 2], 61, 1, false).to('cuda');
      expectThrowNamed(() => m.forward(x), 'TypeError', 'input');
      const cu = cudaKernels();
      const b = (n: number): never =>
        (tk.zeros([n], { device: 'cuda' }).storage as unknown as { buffer: never }).buffer;
      // lengths[0] = 3 > T = 2.
      const e = errorOf(() =>
        cu.rnnForward(
          1,
          false,
          false,
          2,
          1,
          2,
          3,
          b(6),
          0,
          3,
          b(3),
          null,
          b(24),
          b(9),
          null,
          b(4),
          null,
          null,
          b(18),
          b(27),
          null,
          null,
          new Int32Array([3]),
        ),
      );
      expect(e.name).toBe('RangeError');
      expect(e.message).toMatch(/lengths\[0\] must be in \[1, 2\]/);
      const e2 = errorOf(() =>
        cu.rnnForward(
          1,
          false,
          false,
          2,
          1,
          2,
          3,
          b(6),
          0,
          3,
          b(3),
          null,
          b(24),
          b(9),
          null,
          b(5),
          null,
          null,
          b(18),
          b(27),
          null,
          null,
          null,
        ),
      );
      expect(e2.name).toBe('RangeError');
      expect(e2.message).toMatch(/x has 5 elements, expected 4/);
    });
  });
  describe('topic-model losses', () => {
    const tol = { backward: true, atol: 1e-5, rtol: 1e-4 };
    /** Rows on the simplex (the diffusion kernel's domain). */
    function simplex(n: number, d: number, seed: number): Tensor {
      const t = vals([n, d], seed, 1, false);
      const a = t.data as Float32Array;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += a[i * d + j] = Math.exp(2 * a[i * d + j]);
        for (let j = 0; j < d; j++) a[i * d + j] /= s;
      }
      t.setRequiresGrad(true);
      return t;
    }

    test('mmd: the three kernels, values and gradients, sizes off the 128-row tiles', () => {
      // The value is a long reduction over row pairs (in double on both sides).
      for (const kernel of ['diffusion', 'rbf', 'imq'] as const) {
        const x = simplex(130, 5, 80);
        const y = simplex(3, 5, 81);
        compareDevices(`mmd ${kernel}`, [x, y], (a, b) => tk.mmd(a, b, { kernel, bandwidth: 0.7 }), tol);
      }
      underEmulatorOrders((order) => {
        compareDevices(`mmd ${order}`, [simplex(2, 3, 82), simplex(4, 3, 83)], (a, b) => tk.mmd(a, b), tol);
      });
      // Only y needs a gradient.
      const x = simplex(5, 4, 84);
      x.setRequiresGrad(false);
      compareDevices('mmd, x constant', [x, simplex(6, 4, 85)], (a, b) => tk.mmd(a, b, { kernel: 'rbf' }), tol);
    });

    test('gaussianKL: every reduction, with backward; a mean over no rows is NaN', () => {
      const mu = vals([7, 5], 90);
      const lv = vals([7, 5], 91);
      for (const reduction of ['none', 'sum', 'mean'] as const) {
        compareDevices(`gaussianKL ${reduction}`, [mu, lv], (a, b) => tk.gaussianKL(a, b, { reduction }), tol);
      }
      const { cuda } = compareDevices('gaussianKL B=0', [vals([0, 3], 1), vals([0, 3], 2)], (a, b) =>
        tk.gaussianKL(a, b),
      );
      expect(Number.isNaN(cuda.item())).toBe(true);
      const lvNan = vals([2, 3], 92, 1, false);
      lvNan.data[4] = NaN;
      compareDevices('gaussianKL NaN', [vals([2, 3], 93), lvNan], (a, b) => tk.gaussianKL(a, b, { reduction: 'none' }));
    });

    test('gaussianMixtureKL: every reduction, gradients to all six inputs', () => {
      const [B, J, K] = [9, 4, 3];
      const inputs = [vals([B, J], 100), vals([B, J], 101), vals([B, J], 102), vals([K, J], 103), vals([K, J], 104)];
      const pi = Float32Array.from([0.2, 0.5, 0.3], Math.log);
      const logPi = new Tensor(pi, [K]);
      logPi.setRequiresGrad(true);
      for (const reduction of ['none', 'sum', 'mean'] as const) {
        compareDevices(
          `gaussianMixtureKL ${reduction}`,
          [...inputs, logPi],
          (z, mu, lv, means, lvs, lp) => tk.gaussianMixtureKL(z, mu, lv, means, lvs, lp, { reduction }),
          tol,
        );
      }
      underEmulatorOrders((order) => {
        compareDevices(
          `gaussianMixtureKL ${order}`,
          [
            vals([3, 2], 105),
            vals([3, 2], 106),
            vals([3, 2], 107),
            vals([1, 2], 108),
            vals([1, 2], 109),
            new Tensor(Float32Array.of(0), [1]),
          ],
          (z, mu, lv, means, lvs, lp) => tk.gaussianMixtureKL(z, mu, lv, means, lvs, lp),
          tol,
        );
      });
    });

    test('mixed devices are refused; a bad argument reaching the device export is refused by the shared checks', () => {
      const mu = vals([2, 3], 110, 1, false).to('cuda');
      expectThrowNamed(() => tk.gaussianKL(mu, vals([2, 3], 111, 1, false)), 'TypeError', 'mu', 'logvar');
      expectThrowNamed(() => tk.mmd(mu, vals([2, 3], 112, 1, false)), 'TypeError', 'x', 'y');
      const cu = cudaKernels();
      const b = (n: number): never =>
        (tk.zeros([n], { device: 'cuda' }).storage as unknown as { buffer: never }).buffer;
      const e = errorOf(() => cu.gaussianKlForward(b(2), b(6), b(5), 2, 3));
      expect(e.name).toBe('RangeError');
      expect(e.message).toMatch(/logvar has 5 elements, expected 6/);
      const e2 = errorOf(() => cu.mmdForward(null, null, b(6), b(6), 2, 2, 3, 0, -1));
      expect(e2.name).toBe('RangeError');
      expect(e2.message).toMatch(/bandwidth/);
      const e3 = errorOf(() => cu.dirichletSample(b(4), Float32Array.of(1, -2), 2, 2, 0, 0));
      expect(e3.name).toBe('RangeError');
      expect(e3.message).toMatch(/concentration\[1\]/);
    });
  });

  describe('samplers', () => {
    test('gamma on the device equals the CPU bit for bit for one seed, and advances the generator alike', () => {
      for (const alpha of [0.05, 0.7, 1, 3.5]) {
        const gc = new tk.Generator(31);
        const gd = new tk.Generator(31);
        const c = tk.gamma([3, 343], alpha, { generator: gc });
        const d = tk.gamma([3, 343], alpha, { generator: gd, device: 'cuda' });
        expect(d.device).toBe('cuda');
        expect(d.shape).toEqual([3, 343]);
        expect(Array.from(d.cpu().data)).toEqual(Array.from(c.data));
        expect(gd.getState()).toEqual(gc.getState());
      }
      expect(tk.gamma([0], 2, { seed: 1, device: 'cuda' }).cpu().shape).toEqual([0]);
    });

    test('dirichlet on the device equals the CPU bit for bit; concentration tensors on the device are refused', () => {
      for (const conc of [[0.5], [0.05, 1, 2.5], Array.from({ length: 20 }, (_, k) => 0.1 + k * 0.2)]) {
        const c = tk.dirichlet(conc, 257, { seed: 5 });
        const d = tk.dirichlet(new Tensor(Float32Array.from(conc), [conc.length]), 257, { seed: 5, device: 'cuda' });
        expect(d.device).toBe('cuda');
        expect(Array.from(d.cpu().data)).toEqual(Array.from(c.data));
      }
      expectThrowNamed(
        () => tk.dirichlet(tk.tensor([1, 2], { device: 'cuda' }), 3, { device: 'cuda' }),
        'TypeError',
        'concentration',
      );
      expectThrowNamed(() => tk.gamma([2], 1, { device: 'gpu' as 'cuda' }), 'TypeError', 'device');
    });

    test('reparameterize keeps the device of mu (composes with the elementwise ops)', () => {
      compareDevices(
        'reparameterize',
        [vals([4, 3], 120), vals([4, 3], 121)],
        (m, l) => tk.reparameterize(m, l, { seed: 9 }),
        {
          backward: true,
        },
      );
    });
  });
});

// Sparse x dense products on the device (issue 7, family SPARSE), against the emulated device backend
// (test/cuda-device-helpers.ts): spmm and spmmTransposed (cuda/sparse.cu through
// cuda/binding/sparse.cc) forward and backward, bit for bit the CPU's (both sum each output element
// in the same order from 0.0f without contraction: the CSR row in order, and for A^T the transpose
// built by the CPU's own stable counting sort), EmbeddingBag on a CUDA module, the host-only
// CsrMatrix builders' refusals, and the shared argument checks reaching the device export.
import * as tk from '../lib';
import { cudaKernels } from '../lib/cuda/runtime';
import { native } from '../lib/native';
import { CsrMatrix, spmm, spmmTransposed } from '../lib/sparse';
import { Tensor } from '../lib/tensor';
import { deviceDescribe, underEmulatorOrders, useEmulatedDevice } from './cuda-device-helpers';
import { errorOf, expectThrowNamed } from './helpers';

/** Every element identical, NaN included (Object.is; -0 and 0 differ). */
function expectBitEqual(actual: Float32Array, expected: Float32Array, label: string): void {
  expect([label, actual.length]).toEqual([label, expected.length]);
  let bad = -1;
  for (let i = 0; i < actual.length && bad < 0; i++) if (!Object.is(actual[i], expected[i])) bad = i;
  if (bad >= 0) {
    throw new Error(`${label}: element ${bad} is ${actual[bad]} on the device, ${expected[bad]} on the CPU`);
  }
}

/** A small deterministic generator (the tests must not depend on Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * A random R x C CSR matrix: each row gets 0..maxPerRow entries (some rows none), columns unsorted
 * and repeated (duplicates add up), values spread over several magnitudes so that the summation
 * order shows in the last bits.
 */
function randomCsr(R: number, C: number, maxPerRow: number, seed: number): CsrMatrix {
  const rnd = lcg(seed);
  const indptr = new Int32Array(R + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let r = 0; r < R; r++) {
    const n = C === 0 || rnd() < 0.2 ? 0 : Math.floor(rnd() * (maxPerRow + 1));
    for (let j = 0; j < n; j++) {
      // A repeat of the row's previous column now and then.
      const c = j > 0 && rnd() < 0.2 ? idx[idx.length - 1] : Math.floor(rnd() * C);
      idx.push(c);
      val.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 5 - 2));
    }
    indptr[r + 1] = idx.length;
  }
  return new CsrMatrix(R, C, indptr, Int32Array.from(idx), Float32Array.from(val));
}

function randomDense(rows: number, H: number, seed: number): Float32Array {
  const rnd = lcg(seed);
  return Float32Array.from({ length: rows * H }, () => (rnd() - 0.5) * 10 ** Math.floor(rnd() * 4 - 1));
}

type Op = typeof spmm;

/**
 * op(a, dense) on the CPU and on the device with the same data: output and dense's gradient (after
 * backward with the same weights) bit-identical.
 */
function compareBits(label: string, op: Op, a: CsrMatrix, dense: Float32Array, H: number): void {
  const rows = op === spmm ? a.cols : a.rows;
  const xc = new Tensor(dense.slice(), [rows, H], { requiresGrad: true });
  const xd = new Tensor(dense.slice(), [rows, H], { device: 'cuda', requiresGrad: true });
  const yc = op(a, xc);
  const yd = op(a, xd);
  expect(yd.device).toBe('cuda');
  expect(yd.shape).toEqual(yc.shape);
  expectBitEqual(yd.cpu().f32, yc.f32, `${label}: output`);
  const w = randomDense(yc.shape[0], H, 977 + rows);
  yc.backward(new Tensor(w.slice(), yc.shape));
  yd.backward(new Tensor(w.slice(), yd.shape, { device: 'cuda' }));
  const gd = xd.grad as Tensor;
  expect(gd).not.toBeNull();
  expect(gd.device).toBe('cuda');
  expect(gd.shape).toEqual([rows, H]);
  expectBitEqual(gd.cpu().f32, (xc.grad as Tensor).f32, `${label}: grad of dense`);
}

deviceDescribe('sparse on the device', () => {
  let ready = false;
  beforeAll(() => {
    ready = useEmulatedDevice() !== null || process.env.TEXTKERNELS_TEST_DEVICE === 'cuda';
  });

  const shapes: [number, number, number, number][] = [
    // R, C, H, max entries per row
    [1, 1, 1, 1],
    [5, 7, 1, 4],
    [6, 4, 3, 6],
    [13, 9, 257, 5],
    [40, 1031, 3, 12],
    [33, 2, 33, 20],
    [3, 50, 1, 40],
  ];

  it.each(shapes)('spmm forward and backward are the CPU bit for bit: R=%i C=%i H=%i', (R, C, H, per) => {
    if (!ready) return;
    const a = randomCsr(R, C, per, R * 131 + C * 7 + H);
    compareBits(`spmm ${R}x${C} H=${H}`, spmm, a, randomDense(C, H, R + H), H);
  });

  it.each(shapes)('spmmTransposed forward and backward are the CPU bit for bit: R=%i C=%i H=%i', (R, C, H, per) => {
    if (!ready) return;
    const a = randomCsr(R, C, per, R * 17 + C * 3 + H);
    compareBits(`spmmTransposed ${R}x${C} H=${H}`, spmmTransposed, a, randomDense(R, H, C + H), H);
  });

  it('sums repeated columns in the CPU order (many terms on one output element)', () => {
    if (!ready) return;
    // Row 0 hits column 2 forty times with values whose sum depends on the order; the transposed
    // product sums column 2's terms over rows 0..R-1 in increasing row order.
    const n = 40;
    const vals = Float32Array.from({ length: n }, (_, k) => (k % 2 ? 1e-3 : 1) * (k % 3 ? 1 : -1e4) * (k + 1));
    const a = new CsrMatrix(1, 4, [0, n], new Int32Array(n).fill(2), vals);
    compareBits('spmm, one column repeated', spmm, a, randomDense(4, 3, 5), 3);
    // n rows of one entry each, all in column 1.
    const t = new CsrMatrix(
      n,
      3,
      Int32Array.from({ length: n + 1 }, (_, i) => i),
      new Int32Array(n).fill(1),
      vals,
    );
    compareBits('spmmTransposed, one column from every row', spmmTransposed, t, randomDense(n, 5, 6), 5);
  });

  it('handles empty matrices, empty rows and H = 0', () => {
    if (!ready) return;
    const cases: [string, CsrMatrix, number][] = [
      ['0 x 0', new CsrMatrix(0, 0, [0], [], []), 4],
      ['0 x 3', new CsrMatrix(0, 3, [0], [], []), 2],
      ['4 x 0', new CsrMatrix(4, 0, [0, 0, 0, 0, 0], [], []), 3],
      ['3 x 5, no entries', new CsrMatrix(3, 5, [0, 0, 0, 0], [], []), 2],
      ['3 x 5, H = 0', randomCsr(3, 5, 3, 9), 0],
      ['only the last row', new CsrMatrix(3, 2, [0, 0, 0, 2], [1, 0], [2, -3]), 3],
    ];
    for (const [label, a, H] of cases) {
      compareBits(`spmm ${label}`, spmm, a, randomDense(a.cols, H, 1), H);
      compareBits(`spmmTransposed ${label}`, spmmTransposed, a, randomDense(a.rows, H, 2), H);
    }
    // Rows without entries give exact zeros (+0, as the CPU's 0.0f start).
    const y = spmm(
      new CsrMatrix(2, 2, [0, 0, 1], [1], [1]),
      new Tensor(Float32Array.of(1, 2, 3, 4), [2, 2], { device: 'cuda' }),
    );
    expectBitEqual(y.cpu().f32, Float32Array.of(0, 0, 3, 4), 'empty row');
  });

  it('propagates NaN and infinity as the CPU does', () => {
    if (!ready) return;
    const a = new CsrMatrix(3, 3, [0, 2, 3, 5], [0, 1, 2, 0, 2], [1, 0, 2, Infinity, -1]);
    const d = Float32Array.of(NaN, 1, 2, 3, Infinity, 5, -Infinity, 7, 8);
    compareBits('spmm NaN/inf', spmm, a, d, 3);
    compareBits('spmmTransposed NaN/inf', spmmTransposed, a, d, 3);
  });

  it('gives the same bits under every emulator thread order', () => {
    if (!ready) return;
    // The kernels use no shared memory, barriers or atomics; this guards that they stay order-free.
    const a = randomCsr(9, 11, 6, 77);
    underEmulatorOrders((order) => {
      compareBits(`spmm (${order})`, spmm, a, randomDense(11, 5, 3), 5);
      compareBits(`spmmTransposed (${order})`, spmmTransposed, a, randomDense(9, 5, 4), 5);
    });
  });

  it('chains with other device ops and trains a weight on the device', () => {
    if (!ready) return;
    const a = randomCsr(7, 12, 5, 21);
    const w0 = randomDense(12, 4, 22);
    const run = (device: 'cpu' | 'cuda'): Float32Array => {
      const w = new Tensor(w0.slice(), [12, 4], { device, requiresGrad: true });
      const opt = new tk.optim.SGD([w], { lr: 0.1 });
      for (let s = 0; s < 3; s++) {
        opt.zeroGrad();
        const loss = tk.sum(tk.mul(spmmTransposed(a, spmm(a, w)), w));
        loss.backward();
        opt.step();
      }
      return (device === 'cpu' ? w : w.cpu()).f32;
    };
    expectBitEqual(run('cuda'), run('cpu'), 'SGD on A^T A w . w');
  });

  describe('EmbeddingBag on a CUDA module', () => {
    it.each(['sum', 'mean'] as const)('mode %s: forward and weight gradient match the CPU', (mode) => {
      if (!ready) return;
      const bags = randomCsr(6, 20, 7, 31);
      const mc = new tk.nn.EmbeddingBag(20, 5, { mode, seed: 3 });
      const md = new tk.nn.EmbeddingBag(20, 5, { mode, seed: 3 }).cuda();
      expect(md.weight.device).toBe('cuda');
      const yc = mc.forward(bags);
      const yd = md.forward(bags);
      expect(yd.device).toBe('cuda');
      // 'sum' is spmm alone; 'mean' divides by the counts on both devices (the same division).
      expectBitEqual(yd.cpu().f32, yc.f32, `EmbeddingBag ${mode} forward`);
      const w = randomDense(6, 5, 8);
      yc.backward(new Tensor(w.slice(), [6, 5]));
      yd.backward(new Tensor(w.slice(), [6, 5], { device: 'cuda' }));
      expect((md.weight.grad as Tensor).device).toBe('cuda');
      expectBitEqual((md.weight.grad as Tensor).cpu().f32, (mc.weight.grad as Tensor).f32, `EmbeddingBag ${mode} grad`);
    });
  });

  describe('refusals', () => {
    it('a device result meets CPU tensors only through an explicit copy (mixed-device TypeError)', () => {
      if (!ready) return;
      const a = randomCsr(3, 4, 3, 41);
      const x = new Tensor(randomDense(4, 2, 1), [4, 2], { device: 'cuda', requiresGrad: true });
      const y = spmm(a, x);
      const cpuT = new Tensor(new Float32Array(6), [3, 2]);
      expectThrowNamed(() => tk.add(y, cpuT), 'TypeError', /cuda|cpu/);
      // A CPU gradient for a device output is refused, not silently mixed into the device kernels.
      expectThrowNamed(() => y.backward(new Tensor(new Float32Array(6).fill(1), [3, 2])), 'TypeError');
    });

    it('CsrMatrix builders from device tensors throw a TypeError saying to move the tensor to the CPU', () => {
      if (!ready) return;
      const x = new Tensor(Float32Array.of(0, 1, 2, 0), [2, 2], { device: 'cuda' });
      expectThrowNamed(() => CsrMatrix.fromDense(x), 'TypeError', 'CsrMatrix.fromDense', '.cpu()');
      const a = new CsrMatrix(2, 2, [0, 1, 2], [1, 0], [1, 2]);
      const rows = new Tensor(Int32Array.of(1, 0), [2], { device: 'cuda' });
      expectThrowNamed(() => a.selectRows(rows), 'TypeError', 'CsrMatrix.selectRows', '.cpu()');
    });

    it('a malformed CSR reaching the device export gets the CPU export RangeError', () => {
      if (!ready) return;
      const k = cudaKernels();
      const H = 2;
      const R = 3;
      const C = 4;
      const good = {
        indptr: Int32Array.of(0, 1, 1, 3),
        indices: Int32Array.of(2, 0, 3),
        values: Float32Array.of(1, 2, 3),
      };
      const bad: [string, Int32Array, Int32Array, Float32Array][] = [
        ['decreasing indptr', Int32Array.of(0, 2, 1, 3), good.indices, good.values],
        ['indptr[0] != 0', Int32Array.of(1, 1, 1, 3), good.indices, good.values],
        ['indptr[R] != nnz', Int32Array.of(0, 1, 1, 2), good.indices, good.values],
        ['index out of range', good.indptr, Int32Array.of(2, 0, 4), good.values],
        ['negative index', good.indptr, Int32Array.of(2, -1, 3), good.values],
        ['values too short', good.indptr, good.indices, Float32Array.of(1, 2)],
      ];
      for (const transposed of [false, true]) {
        const name = transposed ? 'spmmTransposed' : 'spmm';
        const outRows = transposed ? C : R;
        const inRows = transposed ? R : C;
        for (const [label, indptr, indices, values] of bad) {
          const outH = new Float32Array(outRows * H);
          const inH = new Float32Array(inRows * H);
          const outD = tk.zeros([outRows, H]).cuda();
          const inD = tk.zeros([inRows, H]).cuda();
          const eHost = errorOf(() => native[name](outH, indptr, indices, values, inH, R, C, H));
          const eDev = errorOf(() => k[name](outD.buffer, indptr, indices, values, inD.buffer, R, C, H));
          expect([name, label, eDev.name]).toEqual([name, label, 'RangeError']);
          expect([name, label, eDev.message]).toEqual([name, label, eHost.message]);
        }
        // A device buffer of the wrong size: the same message as the typed array's.
        const shortD = tk.zeros([inRows * H - 1]).cuda();
        const eHost = errorOf(() =>
          native[name](
            new Float32Array(outRows * H),
            good.indptr,
            good.indices,
            good.values,
            new Float32Array(inRows * H - 1),
            R,
            C,
            H,
          ),
        );
        const eDev = errorOf(() =>
          k[name](
            tk.zeros([outRows * H]).cuda().buffer,
            good.indptr,
            good.indices,
            good.values,
            shortD.buffer,
            R,
            C,
            H,
          ),
        );
        expect(eDev.name).toBe('RangeError');
        expect(eDev.message).toBe(eHost.message);
        // The CSR arrays must be host arrays on the device export too.
        const eType = errorOf(() =>
          k[name](
            tk.zeros([outRows * H]).cuda().buffer,
            tk.tensor([0, 1, 1, 3], [4], { dtype: 'int32', device: 'cuda' }).buffer as unknown as Int32Array,
            good.indices,
            good.values,
            tk.zeros([inRows * H]).cuda().buffer,
            R,
            C,
            H,
          ),
        );
        expect(eType.name).toBe('TypeError');
        expect(eType.message).toMatch(/indptr/);
      }
    });
  });
});

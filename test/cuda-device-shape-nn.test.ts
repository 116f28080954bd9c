// Shape ops (lib/ops/shape.ts: views, and the copies run by stridedCopy) and nn ops (lib/ops/nn.ts:
// softmax, logSoftmax, layerNorm, embedding, indexSelect, gather, dropout) on the emulated CUDA
// device against the CPU, forward and backward (test/cuda-device-helpers.ts). The kernels with block
// reductions (softmax rows, layerNorm) run under several emulator thread orders.
import * as tk from '../lib';
import { cudaKernels } from '../lib/cuda/runtime';
import { Tensor } from '../lib/tensor';
import { compareDevices, deviceDescribe, underEmulatorOrders, useEmulatedDevice } from './cuda-device-helpers';
import { expectThrowNamed } from './helpers';

const gen = new tk.Generator(11);
const r = (shape: number[], scale = 1): Tensor => {
  const t = tk.randn(shape, { generator: gen });
  return new Tensor(
    t.f32.map((v) => v * scale),
    shape,
    { requiresGrad: true },
  );
};
const ints = (shape: number[]): Tensor =>
  new Tensor(
    Int32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 37) % 23) - 11),
    shape,
  );

deviceDescribe('shape ops on the device', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  test('views share the device storage and pass gradients through', () => {
    const x = tk.randn([2, 3, 4], { seed: 1, device: 'cuda' });
    const v = x.reshape(4, -1);
    expect(v.device).toBe('cuda');
    expect(v.storage).toBe(x.storage);
    expect(x.view([24]).storage).toBe(x.storage);
    expect(x.unsqueeze(-1).shape).toEqual([2, 3, 4, 1]);
    expect(x.unsqueeze(-1).squeeze().storage).toBe(x.storage);
    compareDevices('reshape', [r([2, 3, 4])], (a) => a.reshape([6, 4]).flatten(), { backward: true });
    compareDevices('squeeze/unsqueeze', [r([3, 1, 5])], (a) => a.squeeze(1).unsqueeze(0), { backward: true });
  });

  test('permute, transpose and t match the CPU, forward and backward', () => {
    compareDevices('permute', [r([3, 5, 7])], (a) => a.permute(2, 0, 1), { backward: true });
    compareDevices('permute 4-d', [r([2, 3, 1, 5])], (a) => a.permute([3, 1, 0, 2]), { backward: true });
    compareDevices('transpose negative dims', [r([3, 257])], (a) => a.transpose(-1, 0), { backward: true });
    compareDevices('t', [r([33, 65])], (a) => a.t(), { backward: true });
    compareDevices('contiguous/clone', [r([1031])], (a) => a.contiguous().clone(), { backward: true });
    compareDevices('permute empty', [r([0, 3, 2])], (a) => a.permute(2, 0, 1), { backward: true });
    compareDevices('permute int32', [ints([4, 3, 5])], (a) => a.permute(1, 2, 0));
  });

  test('slice, narrow, split and chunk match the CPU, forward and backward', () => {
    compareDevices('slice step', [r([5, 1031])], (a) => a.slice(1, 3, -2, 3), { backward: true });
    compareDevices('slice negative dim', [r([7, 3])], (a) => a.slice(-2, -5, null, 2), { backward: true });
    compareDevices('slice empty', [r([4, 3])], (a) => a.slice(0, 3, 1), { backward: true });
    compareDevices('narrow', [r([3, 257])], (a) => a.narrow(1, -100, 57), { backward: true });
    compareDevices('split', [r([3, 7, 2])], (a) => tk.concat(tk.split(a, [2, 1, 4], 1).reverse(), 1), {
      backward: true,
    });
    compareDevices('chunk', [r([10, 3])], (a) => tk.concat(tk.chunk(a, 3, 0).reverse(), 0), { backward: true });
    compareDevices('slice int32', [ints([6, 5])], (a) => a.slice(1, 1, 5, 2));
  });

  test('concat and stack match the CPU, forward and backward, with empty and int32 pieces', () => {
    compareDevices('concat', [r([3, 2, 5]), r([3, 7, 5]), r([3, 1, 5])], (a, b, c) => tk.concat([a, b, c], -2), {
      backward: true,
    });
    compareDevices('concat empty piece', [r([2, 3]), r([0, 3]), r([1, 3])], (a, b, c) => tk.concat([a, b, c]), {
      backward: true,
    });
    compareDevices('stack', [r([4, 3]), r([4, 3])], (a, b) => tk.stack([a, b], -1), { backward: true });
    compareDevices('concat int32', [ints([2, 3]), ints([2, 2])], (a, b) => tk.concat([a, b], 1));
  });

  test('expand and repeat match the CPU, forward and backward (gradients summed on the device)', () => {
    compareDevices('expand', [r([3, 1, 5])], (a) => a.expand(2, 3, 4, -1), { backward: true });
    compareDevices('expand scalar', [r([])], (a) => a.expand([257]), { backward: true });
    compareDevices('broadcastTo', [r([1, 7])], (a) => a.broadcastTo([9, 7]), { backward: true });
    compareDevices('expand to empty', [r([1, 3])], (a) => a.expand(0, 3), { backward: true });
    compareDevices('repeat', [r([2, 3])], (a) => a.repeat(2, 1, 3), { backward: true });
    compareDevices('expand int32', [ints([3, 1])], (a) => a.expand(3, 4));
  });

  test('mixed devices and bad arguments are refused', () => {
    const a = tk.ones([2, 2], { device: 'cuda' });
    const b = tk.ones([2, 2]);
    expectThrowNamed(
      () => tk.concat([a, b]),
      'TypeError',
      /concat: .*tensors\[0\] is on cuda and tensors\[1\] is on cpu/,
    );
    expectThrowNamed(() => tk.stack([b, a]), 'TypeError', /stack|concat/);
    // A call that passes the TS checks' place: the device export refuses it with the CPU's message.
    const k = cudaKernels();
    const dst = tk.zeros([5], { device: 'cuda' });
    expectThrowNamed(
      () => k.stridedCopy(dst.buffer, 0, [1], a.buffer, 0, [1], [6]),
      'RangeError',
      /dst \(5 elements\) is too short for shape \[6\]/,
    );
    expectThrowNamed(() => k.stridedCopy(dst.buffer, 0, [1], dst.buffer, 0, [1], [2]), 'RangeError', /overlap/);
    const ids = tk.tensor(new Int32Array([1, 2]), [2], { device: 'cuda' });
    expectThrowNamed(() => k.stridedCopy(dst.buffer, 0, [1], ids.buffer, 0, [1], [2]), 'TypeError', /same type/);
  });
});

deviceDescribe('nn ops on the device', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  test('softmax and logSoftmax over rows (block reductions) under several thread orders', () => {
    underEmulatorOrders((order) => {
      for (const n of [1, 3, 257, 1031]) {
        compareDevices(`softmax n ${n} (${order})`, [r([3, n], 4)], (a) => tk.softmax(a, -1), { backward: true });
        compareDevices(`logSoftmax n ${n} (${order})`, [r([2, n], 4)], (a) => tk.logSoftmax(a, 1), {
          backward: true,
        });
      }
    });
  });

  test('softmax and logSoftmax over a strided dimension, negative dims, empty and 0-d inputs', () => {
    compareDevices('softmax dim 0', [r([5, 7])], (a) => tk.softmax(a, 0), { backward: true });
    compareDevices('logSoftmax middle dim', [r([3, 33, 4], 3)], (a) => a.logSoftmax(-2), { backward: true });
    compareDevices('softmax empty', [r([0, 4])], (a) => tk.softmax(a, 1), { backward: true });
    compareDevices('softmax 0-d', [r([])], (a) => tk.softmax(a, 0), { backward: true });
  });

  test('softmax propagates NaN, gives NaN for a row of -inf, and is stable for large logits', () => {
    const x = new Tensor(
      Float32Array.from([1, NaN, 2, 3, -Infinity, -Infinity, -Infinity, -Infinity, 1e30, -1e30, 88, 1e30]),
      [3, 4],
    );
    underEmulatorOrders((order) => {
      compareDevices(`softmax special (${order})`, [x], (a) => tk.softmax(a, 1));
      compareDevices(`logSoftmax special (${order})`, [x], (a) => tk.logSoftmax(a, 1));
      compareDevices(`softmax special cols (${order})`, [x], (a) => tk.softmax(a, 0));
    });
  });

  test('layerNorm (block reductions) under several thread orders, with and without affine parameters', () => {
    underEmulatorOrders((order) => {
      compareDevices(
        `layerNorm affine (${order})`,
        [r([4, 257], 3), r([257]), r([257])],
        (x, w, b) => tk.layerNorm(x, 257, w, b),
        { backward: true },
      );
      compareDevices(`layerNorm plain 1031 (${order})`, [r([3, 1031])], (x) => tk.layerNorm(x, [1031]), {
        backward: true,
        atol: 1e-4,
      });
    });
  });

  test('layerNorm over several trailing dims, weight only / bias only, offset rows, empty rows', () => {
    const shifted = new Tensor(
      r([5, 3, 7]).f32.map((v) => v * 0.1 + 100),
      [5, 3, 7],
      { requiresGrad: true },
    );
    compareDevices('layerNorm 2 dims weight', [r([5, 3, 7]), r([3, 7])], (x, w) => tk.layerNorm(x, [3, 7], w), {
      backward: true,
    });
    compareDevices('layerNorm bias only', [r([6, 1]), r([1])], (x, b) => tk.layerNorm(x, [1], null, b, 1e-3), {
      backward: true,
    });
    compareDevices('layerNorm far from 0', [shifted], (x) => tk.layerNorm(x, 7), { backward: true, atol: 1e-4 });
    compareDevices('layerNorm no rows', [r([0, 5]), r([5]), r([5])], (x, w, b) => tk.layerNorm(x, 5, w, b), {
      backward: true,
    });
    const nan = new Tensor(Float32Array.from([1, 2, NaN, 4, 5, 6]), [2, 3]);
    compareDevices('layerNorm NaN row', [nan], (x) => tk.layerNorm(x, 3));
  });

  test('embedding: CPU ids or a CUDA id tensor, repeated ids and paddingIdx, deterministic weight gradient', () => {
    const ids = [
      [3, 1, 3, 0],
      [4, 3, 3, 2],
    ];
    compareDevices('embedding', [r([5, 257])], (w) => tk.embedding(ids, w), { backward: true });
    compareDevices('embedding paddingIdx', [r([5, 7])], (w) => tk.embedding(ids, w, { paddingIdx: -2 }), {
      backward: true,
    });
    const idT = new Tensor(Int32Array.from([0, 4, 4, 4, 1, 0, 2]), [7]);
    compareDevices('embedding id tensor', [r([5, 33]), idT], (w, i) => tk.embedding(i, w), { backward: true });
    compareDevices('embedding no ids', [r([5, 3])], (w) => tk.embedding(new Int32Array(0), w), { backward: true });
    // Bit for bit: the device adds repeated ids' rows in the CPU's order.
    const w = r([4, 9]);
    const many = Int32Array.from({ length: 200 }, (_, i) => (i * 7) % 4);
    const { cpu, cuda: dev } = compareDevices('embedding many repeats', [w], (x) => tk.embedding(many, x), {
      backward: true,
    });
    expect(cpu.shape).toEqual(dev.shape);
    const wc = new Tensor(w.f32.slice(), w.shape, { requiresGrad: true });
    const wd = new Tensor(w.f32.slice(), w.shape, { requiresGrad: true, device: 'cuda' });
    const g = new Float32Array(200 * 9).map((_, i) => Math.sin(i) * 3);
    tk.embedding(many, wc).backward(new Tensor(g, [200, 9]));
    tk.embedding(many, wd).backward(new Tensor(g.slice(), [200, 9], { device: 'cuda' }));
    expect((wd.grad as Tensor).cpu().data).toEqual((wc.grad as Tensor).data);
  });

  test('out-of-range ids give a RangeError on the device, never an out-of-bounds access', () => {
    const w = tk.randn([5, 3], { seed: 2, device: 'cuda' });
    expectThrowNamed(() => tk.embedding([1, 5], w), 'RangeError', /ids\[1\] = 5 is out of range/);
    const bad = tk.tensor(new Int32Array([0, 2, -1]), [3], { device: 'cuda' });
    expectThrowNamed(() => tk.embedding(bad, w), 'RangeError', /index\[2\] = -1 is out of range \[0, 5\)/);
    const big = tk.tensor(new Int32Array([7]), [1], { device: 'cuda' });
    expectThrowNamed(() => tk.indexSelect(w, 0, big), 'RangeError', /index\[0\] = 7 is out of range/);
    const x = tk.randn([2, 3], { seed: 3, device: 'cuda' });
    const gi = tk.tensor(new Int32Array([0, 3, 1, 1]), [2, 2], { device: 'cuda' });
    expectThrowNamed(() => tk.gather(x, 1, gi), 'RangeError', /index\[1\] = 3 is out of range \[0, 3\)/);
    // The backward export checks too (its index comes from JS).
    const k = cudaKernels();
    const dx = tk.zeros([10], { device: 'cuda' });
    const dy = tk.zeros([6], { device: 'cuda' });
    expectThrowNamed(
      () => k.indexSelectBackward(dx.buffer, dy.buffer, bad.buffer, 1, 5, 3, 2, -1),
      'RangeError',
      /index\[2\] = -1/,
    );
    expectThrowNamed(
      () => k.softmaxForward(dx.buffer, dy.buffer, 1, 10, 1, false),
      'RangeError',
      /x has 6 elements, expected 10/,
    );
  });

  test('mixed devices are a TypeError naming both tensors', () => {
    const w = tk.randn([5, 3], { seed: 2, device: 'cuda' });
    expectThrowNamed(
      () => tk.embedding(tk.tensor(new Int32Array([1]), [1]), w),
      'TypeError',
      /embedding: .*weight is on cuda and ids is on cpu/,
    );
    expectThrowNamed(
      () => tk.layerNorm(tk.ones([2, 3], { device: 'cuda' }), 3, tk.ones([3])),
      'TypeError',
      /layerNorm: .*x is on cuda and weight is on cpu/,
    );
    expectThrowNamed(
      () => tk.gather(tk.ones([2, 3]), 0, tk.tensor(new Int32Array([0]), [1, 1], { device: 'cuda' })),
      'TypeError',
      /gather: .*x is on cpu and index is on cuda/,
    );
    expectThrowNamed(
      () => tk.embedding(tk.tensor([1.0], { device: 'cuda' }), w),
      'TypeError',
      /ids must be an int32 tensor/,
    );
  });

  test('indexSelect and gather match the CPU, forward and backward, float32 and int32', () => {
    const idx = [2, 0, 2, 1];
    compareDevices('indexSelect dim -1', [r([3, 4, 3])], (x) => tk.indexSelect(x, -1, idx), { backward: true });
    compareDevices('indexSelect dim 0', [r([3, 257])], (x) => x.indexSelect(0, [1, 1, 0]), { backward: true });
    compareDevices('indexSelect 0-d', [r([])], (x) => tk.indexSelect(x, 0, 0), { backward: true });
    compareDevices('indexSelect int32', [ints([3, 5])], (x) => tk.indexSelect(x, 1, [4, 0, 4]));
    const gi = [
      [0, 2, 2],
      [1, 1, 0],
    ];
    compareDevices('gather dim 1', [r([2, 4])], (x) => tk.gather(x, 1, gi), { backward: true });
    compareDevices('gather dim 0 smaller index', [r([3, 5])], (x) => x.gather(0, [[2, 0, 1, 1]]), { backward: true });
    const g3 = new Tensor(
      Int32Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 5) % 6),
      [2, 3, 4],
    );
    compareDevices('gather 3-d id tensor', [r([2, 6, 5]), g3], (x, i) => tk.gather(x, -2, i), { backward: true });
    compareDevices('gather 0-d', [r([])], (x) => tk.gather(x, 0, 0), { backward: true });
    compareDevices('gather empty', [r([2, 3])], (x) => tk.gather(x, 1, [[], []]), { backward: true });
    compareDevices('gather int32', [ints([3, 4])], (x) => tk.gather(x, 1, [[3], [0], [2]]));
  });

  test('dropout draws the CPU mask for a seed on both devices; backward uses it', () => {
    compareDevices('dropout', [r([7, 149])], (x) => tk.dropout(x, 0.3, { seed: 5 }), { backward: true });
    compareDevices('dropout p 1', [r([4])], (x) => tk.dropout(x, 1, { seed: 5 }), { backward: true });
    compareDevices('dropout eval', [r([4])], (x) => tk.dropout(x, 0.5, { training: false }), { backward: true });
    const g1 = new tk.Generator(9);
    const g2 = new tk.Generator(9);
    const a = tk.dropout(tk.ones([1031]), 0.5, { generator: g1 });
    const b = tk.dropout(tk.ones([1031], { device: 'cuda' }), 0.5, { generator: g2 });
    expect(b.device).toBe('cuda');
    expect(b.cpu().data).toEqual(a.data);
    expect(g2.getState()).toEqual(g1.getState());
  });
});

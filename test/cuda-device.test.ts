// Device tensors (tk.tensor(..., { device: 'cuda' }), t.to / cpu / dispose), the caching allocator
// (tk.cuda.memory(), emptyCache), streams, the autograd engine on the device, and matmul / linear
// dispatch, against the emulated device backend (test/cuda-device-helpers.ts). Each op family's
// device tests live in test/cuda-device-<family>.test.ts.
import * as tk from '../lib';
import { installDeviceBackend, resetDeviceBackend } from '../lib/cuda/runtime';
import { Tensor } from '../lib/tensor';
import { compareDevices, deviceDescribe, useEmulatedDevice } from './cuda-device-helpers';
import { expectClose, expectThrowNamed } from './helpers';

describe('without a device backend', () => {
  afterAll(() => resetDeviceBackend());
  test('asking for cuda says why it is not available, and the CPU keeps working', () => {
    installDeviceBackend(null, 'no NVIDIA driver found (test)');
    expect(tk.cuda.isAvailable()).toBe(false);
    expect(tk.cuda.deviceCount()).toBe(0);
    expect(tk.cuda.unavailableReason()).toContain('no NVIDIA driver found (test)');
    expect(() => tk.tensor([1, 2], { device: 'cuda' })).toThrow(/CUDA is not available: no NVIDIA driver found/);
    expect(() => tk.zeros([2]).to('cuda')).toThrow(/CUDA is not available/);
    expect(() => tk.cuda.memory()).toThrow(/CUDA is not available/);
    expect(tk.backend().device).toBe('cpu');
    expect(tk.tensor([1, 2]).add(1).toArray()).toEqual([2, 3]);
  });
  test('bad devices are refused by name', () => {
    expectThrowNamed(() => tk.tensor([1], { device: 'gpu' as 'cpu' }), 'TypeError', 'device');
    expect(() => tk.zeros([1]).to('cuda:1' as 'cuda')).toThrow(/only one CUDA device/);
  });
});

deviceDescribe('device tensors on the emulated CUDA backend', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  test('backend and tk.cuda report the emulated device', () => {
    expect(tk.cuda.isAvailable()).toBe(true);
    expect(tk.cuda.isEmulated()).toBe(true);
    expect(tk.cuda.deviceCount()).toBe(1);
    const b = tk.backend();
    expect(b.device).toBe('cuda');
    expect(b.cuda.emulated).toBe(true);
    expect(b.cuda.gemm).toBe('tiled');
    expect(tk.cuda.deviceInfo().emulated).toBe(true);
  });

  test('round trips keep values and dtypes; data on the device is refused with the fix', () => {
    const x = tk.tensor(
      [
        [1.5, -2],
        [3, 4.25],
      ],
      { device: 'cuda' },
    );
    expect(x.device).toBe('cuda');
    expect(x.shape).toEqual([2, 2]);
    expect(() => x.data).toThrow(/is on cuda.*\.cpu\(\)/);
    expect(x.toArray()).toEqual([
      [1.5, -2],
      [3, 4.25],
    ]);
    expect(x.item === undefined).toBe(false);
    expect(tk.tensor([7], { device: 'cuda' }).item()).toBe(7);
    const ids = tk.tensor(new Int32Array([3, -1, 2 ** 31 - 1]), [3], { device: 'cuda' });
    expect(ids.dtype).toBe('int32');
    const back = ids.cpu();
    expect(back.device).toBe('cpu');
    expect(Array.from(back.data)).toEqual([3, -1, 2 ** 31 - 1]);
    expect(x.to('cuda')).toBe(x);
    expect(String(x)).toContain('device=cuda');
    const empty = tk.zeros([0, 3], { device: 'cuda' });
    expect(empty.cpu().shape).toEqual([0, 3]);
  });

  test('creation functions take a device and agree with the CPU', () => {
    expect(tk.full([2, 3], 2.5, { device: 'cuda' }).toArray()).toEqual(tk.full([2, 3], 2.5).toArray());
    expect(tk.zeros([5], { device: 'cuda' }).toArray()).toEqual([0, 0, 0, 0, 0]);
    expect(tk.ones([2], { device: 'cuda', dtype: 'int32' }).cpu().data).toEqual(new Int32Array([1, 1]));
    expect(tk.full([3], 7.9, { device: 'cuda', dtype: 'int32' }).cpu().data).toEqual(new Int32Array([7, 7, 7]));
    expect(tk.randn([4, 5], { seed: 3, device: 'cuda' }).cpu().data).toEqual(tk.randn([4, 5], { seed: 3 }).data);
    const r = tk.rand([3], { seed: 1, device: 'cuda', requiresGrad: true });
    expect(r.requiresGrad).toBe(true);
    expect(r.isLeaf).toBe(true);
    expect(tk.randint(0, 10, [6], { seed: 2, device: 'cuda' }).cpu().data).toEqual(
      tk.randint(0, 10, [6], { seed: 2 }).data,
    );
  });

  test('the caching allocator reuses freed blocks by size class and empties on request', () => {
    tk.cuda.emptyCache();
    const before = tk.cuda.memory();
    const a = tk.zeros([1000], { device: 'cuda' });
    const mid = tk.cuda.memory();
    expect(mid.allocatedBytes - before.allocatedBytes).toBeGreaterThanOrEqual(4000);
    expect(mid.activeBlocks).toBe(before.activeBlocks + 1);
    a.dispose();
    expect(() => a.cpu()).toThrow(/released/);
    const freed = tk.cuda.memory();
    expect(freed.allocatedBytes).toBe(before.allocatedBytes);
    expect(freed.cachedBlocks).toBe(before.cachedBlocks + 1);
    const hits = freed.cacheHits;
    const b = tk.zeros([1000], { device: 'cuda' });
    expect(tk.cuda.memory().cacheHits).toBe(hits + 1);
    expect(tk.cuda.memory().cudaMallocs).toBe(freed.cudaMallocs);
    b.dispose();
    tk.cuda.emptyCache();
    const after = tk.cuda.memory();
    expect(after.cachedBlocks).toBe(0);
    expect(after.reservedBytes).toBe(after.allocatedBytes);
    expect(after.peakAllocatedBytes).toBeGreaterThanOrEqual(4000);
    tk.cuda.resetPeakMemoryStats();
    expect(tk.cuda.memory().peakAllocatedBytes).toBe(tk.cuda.memory().allocatedBytes);
    expect(tk.cuda.memoryAllocated()).toBe(after.allocatedBytes);
    expect(tk.cuda.memoryReserved()).toBe(after.reservedBytes);
  });

  test('device buffers cannot be forged or used after release', () => {
    const k = tk.cuda as unknown as { memory(): unknown };
    expect(k.memory()).toBeDefined();
    const x = tk.ones([4], { device: 'cuda' });
    const fake = Object.create(Tensor.prototype) as Tensor;
    expect(() => fake.buffer).toThrow();
    expect(() => tk.ones([2]).buffer).toThrow(/is on cpu/);
    x.dispose();
    x.dispose();
    expect(() => x.toArray()).toThrow(/released/);
  });

  test('mixed devices are a TypeError naming both tensors', () => {
    const a = tk.ones([2, 2], { device: 'cuda' });
    const b = tk.ones([2, 2]);
    expect(() => tk.matmul(a, b)).toThrow(TypeError);
    expect(() => tk.matmul(a, b)).toThrow(/matmul: .*a is on cuda and b is on cpu/);
    expect(() => tk.linear(b, a)).toThrow(/linear: .*x is on cpu and weight is on cuda/);
  });

  test('matmul, mm, bmm and linear match the CPU, forward and backward, at ragged sizes', () => {
    const g = new tk.Generator(5);
    const r = (shape: number[]) => tk.randn(shape, { generator: g, requiresGrad: true });
    compareDevices('mm', [r([5, 7]), r([7, 3])], (a, b) => tk.mm(a, b), { backward: true });
    compareDevices('matmul 1-D', [r([7]), r([7])], (a, b) => tk.matmul(a, b), { backward: true });
    compareDevices('matmul broadcast', [r([2, 3, 5, 4]), r([4, 6])], (a, b) => tk.matmul(a, b), {
      backward: true,
    });
    compareDevices('matmul batch broadcast', [r([3, 1, 5, 4]), r([2, 4, 6])], (a, b) => tk.matmul(a, b), {
      backward: true,
    });
    compareDevices('bmm', [r([3, 17, 33]), r([3, 33, 65])], (a, b) => tk.bmm(a, b), {
      backward: true,
      atol: 1e-4,
    });
    compareDevices('linear', [r([4, 3, 9]), r([5, 9]), r([5])], (x, w, b) => tk.linear(x, w, b), {
      backward: true,
    });
    compareDevices('linear no bias', [r([6, 9]), r([5, 9])], (x, w) => tk.linear(x, w), { backward: true });
    compareDevices('empty', [r([0, 4]), r([4, 3])], (a, b) => tk.mm(a, b), { backward: true });
  });

  test('autograd sums gradients from several consumers on the device, and to() is differentiable', () => {
    const xc = tk.randn([3, 3], { seed: 9, requiresGrad: true });
    const xd = tk.tensor(xc.data.slice(), [3, 3], { device: 'cuda', requiresGrad: true });
    const yc = tk.mm(xc, xc);
    const yd = tk.mm(xd, xd);
    yc.backward(tk.ones([3, 3]));
    yd.backward(tk.ones([3, 3], { device: 'cuda' }));
    expectClose((xd.grad as Tensor).cpu().data, (xc.grad as Tensor).data, {}, 'x used twice');
    // Gradients accumulate across backward calls, on the device.
    tk.mm(xd, xd).backward(tk.ones([3, 3], { device: 'cuda' }));
    expectClose(
      (xd.grad as Tensor).cpu().data,
      (xc.grad as Tensor).data.map((v) => 2 * v),
      {},
      'accumulated',
    );
    // A CPU leaf used on the device through .to('cuda'): the gradient comes back to the CPU.
    const w = tk.randn([3, 2], { seed: 4, requiresGrad: true });
    const out = tk.mm(xd.detach(), w.to('cuda'));
    out.backward(tk.ones([3, 2], { device: 'cuda' }));
    expect((w.grad as Tensor).device).toBe('cpu');
    const ref = tk.randn([3, 2], { seed: 4, requiresGrad: true });
    tk.mm(xc.detach(), ref).backward(tk.ones([3, 2]));
    expectClose((w.grad as Tensor).data, (ref.grad as Tensor).data, {}, 'through to()');
    expect(() => yd.backward(tk.ones([3, 3]))).toThrow(/grad is on cpu but this tensor is on cuda/);
  });

  test('moveTo_ moves a leaf and its gradient in place', () => {
    const p = tk.randn([2, 2], { seed: 1, requiresGrad: true });
    tk.mm(p, p).backward(tk.ones([2, 2]));
    const g = (p.grad as Tensor).data.slice();
    const values = p.data.slice();
    expect(p.moveTo_('cuda')).toBe(p);
    expect(p.device).toBe('cuda');
    expect((p.grad as Tensor).device).toBe('cuda');
    expect(p.cpu().data).toEqual(values);
    expect((p.grad as Tensor).cpu().data).toEqual(g);
    p.moveTo_('cpu');
    expect(p.data).toEqual(values);
    expect(() => tk.mm(p, p).moveTo_('cuda')).toThrow(/leaf/);
  });

  test('streams: work on a stream, toCpuAsync off the event loop', async () => {
    const s = new tk.cuda.Stream();
    const y = tk.cuda.withStream(s, () => {
      expect(tk.cuda.currentStream()).toBe(s);
      return tk.mm(tk.ones([4, 4], { device: 'cuda' }), tk.ones([4, 4], { device: 'cuda' }));
    });
    expect(tk.cuda.currentStream()).toBeNull();
    s.synchronize();
    const host = await y.toCpuAsync();
    expect(host.device).toBe('cpu');
    expect(Array.from(host.data)).toEqual(new Array(16).fill(4));
    tk.cuda.synchronize();
    expect(() => tk.cuda.withStream({} as tk.cuda.Stream, () => 0)).toThrow(TypeError);
  });
});

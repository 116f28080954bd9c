// Modules, optimizers and checkpoints on the device (issue 7, family MODULES/OPTIMIZERS/CHECKPOINTS),
// against the emulated device backend (test/cuda-device-helpers.ts): module.to / cuda / cpu,
// stateDict / loadStateDict across devices, the fused SGD / Adam / AdamW updates on the device
// (cuda/optim.cu through cuda/binding/optim.cc) against the CPU's and against torch's trajectories,
// optimizer state on the parameter's device, checkpoints moving between devices, and training loops
// that follow the CPU's step for step.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import * as tk from '../lib';
import { cudaKernels } from '../lib/cuda/runtime';
import { native } from '../lib/native';
import { Optimizer, BaseOptions, ParamState } from '../lib/optim/optimizer';
import { Tensor } from '../lib/tensor';
import { deviceDescribe, useEmulatedDevice } from './cuda-device-helpers';
import { errorOf, expectClose, expectThrowNamed, FixtureTensor, fromFixture, loadFixture } from './helpers';

type OptCtor = new (params: Tensor[], opts: Record<string, unknown>) => Optimizer<BaseOptions>;
const CTORS: Record<string, OptCtor> = {
  SGD: tk.optim.SGD as unknown as OptCtor,
  Adam: tk.optim.Adam as unknown as OptCtor,
  AdamW: tk.optim.AdamW as unknown as OptCtor,
};

/** The host copy of a tensor or state buffer. */
function host(v: Tensor | Float32Array | number | null | undefined): Float32Array {
  if (v instanceof Float32Array) return v;
  if (v instanceof Tensor) return (v.device === 'cpu' ? v : v.cpu()).f32;
  throw new Error(`not a buffer: ${String(v)}`);
}

/** Every element identical, NaN included (Object.is; -0 and 0 differ). */
function expectBitEqual(actual: Float32Array, expected: Float32Array, label: string): void {
  expect([label, actual.length]).toEqual([label, expected.length]);
  let bad = -1;
  for (let i = 0; i < actual.length && bad < 0; i++) if (!Object.is(actual[i], expected[i])) bad = i;
  if (bad >= 0) {
    throw new Error(`${label}: element ${bad} is ${actual[bad]} on the device, ${expected[bad]} on the CPU`);
  }
}

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const a = tk.randn([n], { seed }).f32.slice();
  for (let i = 0; i < n; i++) a[i] *= scale;
  return a;
}

/**
 * Runs `steps` optimizer steps on one parameter of n elements on the CPU and on the device with the
 * same gradients, and checks the parameter and every state buffer are bit-identical after each step
 * (both run math/optim.h's formula on the same float scalars from binding/optim_args.h).
 */
function compareOptimizer(name: string, opts: Record<string, unknown>, n: number, steps = 3, special = false): void {
  const label = `${name} ${JSON.stringify(opts)} n=${n}`;
  const init = randomArray(n, 11 + n);
  const pc = new Tensor(init.slice(), [n], { requiresGrad: true });
  const pd = new Tensor(init.slice(), [n], { device: 'cuda', requiresGrad: true });
  const oc = new CTORS[name]([pc], opts);
  const od = new CTORS[name]([pd], opts);
  for (let s = 0; s < steps; s++) {
    const g = randomArray(n, 100 * s + n, 0.5 + s);
    if (special && n >= 4) {
      g[0] = NaN;
      g[1] = Infinity;
      g[2] = -0;
      g[3] = 1e30;
    }
    pc.grad = new Tensor(g.slice(), [n]);
    pd.grad = new Tensor(g.slice(), [n], { device: 'cuda' });
    oc.step();
    od.step();
    expectBitEqual(pd.cpu().f32, pc.f32, `${label} step ${s + 1} param`);
    const sc = oc.state.get(pc) as ParamState;
    const sd = od.state.get(pd) as ParamState;
    expect(Object.keys(sd).sort()).toEqual(Object.keys(sc).sort());
    for (const [k, v] of Object.entries(sc)) {
      const dv = sd[k];
      if (v === null || typeof v === 'number') {
        expect([label, k, dv]).toEqual([label, k, v]);
      } else {
        expect(dv).toBeInstanceOf(Tensor);
        expect((dv as Tensor).device).toBe('cuda');
        expectBitEqual(host(dv as Tensor), host(v), `${label} step ${s + 1} state ${k}`);
      }
    }
  }
}

const OPTIMIZER_CASES: [string, Record<string, unknown>][] = [
  ['SGD', { lr: 0.1 }],
  ['SGD', { lr: 0.05, momentum: 0.9 }],
  ['SGD', { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 }],
  ['SGD', { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.02 }],
  ['SGD', { lr: 0.05, momentum: 0.5, maximize: true }],
  ['Adam', {}],
  ['Adam', { lr: 0.01, betas: [0.8, 0.95], eps: 1e-6, weightDecay: 0.05 }],
  ['Adam', { lr: 0.01, amsgrad: true, maximize: true }],
  ['AdamW', { lr: 0.01 }],
  ['AdamW', { lr: 0.02, weightDecay: 0.1, amsgrad: true }],
];

interface OptimFixtureCase {
  optimizer: 'SGD' | 'Adam' | 'AdamW';
  options: Record<string, unknown>;
  trajectory: FixtureTensor[][];
}

/** A small model with every kind of state: parameters, a frozen parameter, float and int32 buffers. */
class Net extends tk.nn.Module {
  declare emb: tk.nn.Embedding;
  declare fc: tk.nn.Linear;
  declare norm: tk.nn.LayerNorm;
  declare pos: tk.nn.SinusoidalPositionalEncoding;
  declare scale: Tensor;
  declare counts: Tensor;
  declare frozen: Tensor;
  constructor(seed: number) {
    super();
    this.registerModule('emb', new tk.nn.Embedding(7, 4, { seed, paddingIdx: 0 }));
    this.registerModule('fc', new tk.nn.Linear(4, 3, { seed: seed + 1 }));
    this.registerModule('norm', new tk.nn.LayerNorm(3));
    this.registerModule('pos', new tk.nn.SinusoidalPositionalEncoding({ dModel: 4, maxLen: 6 }));
    this.registerBuffer('scale', tk.full([3], 0.5));
    this.registerBuffer('counts', tk.tensor(new Int32Array([1, 2, 3]), [3]));
    this.registerParameter('frozen', tk.randn([2], { seed: seed + 2 }), { requiresGrad: false });
  }
  forward(x: Tensor): Tensor {
    return this.fc.forward(x);
  }
}

function snapshot(m: tk.nn.Module): Record<string, Float32Array | Int32Array> {
  const out: Record<string, Float32Array | Int32Array> = {};
  for (const [k, t] of Object.entries(m.stateDict())) out[k] = (t.device === 'cpu' ? t : t.cpu()).data.slice();
  return out;
}

/** Data for the regression loops: x [16, 5], targets [16, 2]. */
const X = tk.randn([16, 5], { seed: 21 }).f32.slice();
const Y = tk.randn([16, 2], { seed: 22 }).f32.slice();

function mlp(seed: number): tk.nn.Sequential {
  return new tk.nn.Sequential(new tk.nn.Linear(5, 7, { seed }), new tk.nn.Linear(7, 2, { seed: seed + 1 }));
}

/**
 * One regression step with only matmul / linear on the device: y = model(x); the MSE loss and its
 * gradient 2 (y - t) / numel are computed here on the host from y's values, and go back through
 * y.backward(grad on y's device). Returns the loss.
 */
function mseStep(model: tk.nn.Module, opt: Optimizer<BaseOptions>, device: 'cpu' | 'cuda'): number {
  const x = new Tensor(X.slice(), [16, 5], { device });
  opt.zeroGrad();
  const y = (model as tk.nn.Sequential).forward(x);
  const yv = host(y);
  const g = new Float32Array(yv.length);
  let loss = 0;
  for (let i = 0; i < yv.length; i++) {
    const d = yv[i] - Y[i];
    loss += d * d;
    g[i] = (2 * d) / yv.length;
  }
  y.backward(new Tensor(g, y.shape, { device }));
  opt.step();
  return loss / yv.length;
}

/** The parameters of two models agree within tol (after each step of the training loops). */
function expectModelsClose(a: tk.nn.Module, b: tk.nn.Module, tol: { atol: number; rtol: number }, label: string) {
  const sa = snapshot(a);
  const sb = snapshot(b);
  expect(Object.keys(sa)).toEqual(Object.keys(sb));
  for (const k of Object.keys(sa)) expectClose(sa[k], sb[k], tol, `${label}: ${k}`);
}

deviceDescribe('modules, optimizers and checkpoints on the emulated CUDA backend', () => {
  let tmp = '';
  beforeAll(() => {
    useEmulatedDevice();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-dev-ckpt-'));
  });
  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('fused optimizer updates: the device equals the CPU to the bit', () => {
    test.each(OPTIMIZER_CASES)('%s %j at ragged sizes', (name, opts) => {
      for (const n of [1, 3, 257, 1031]) compareOptimizer(name, opts, n);
    });

    test('NaN, inf, -0 and huge gradients propagate as on the CPU', () => {
      for (const [name, opts] of OPTIMIZER_CASES) compareOptimizer(name, opts, 37, 2, true);
    });

    test('empty parameters step without touching anything', () => {
      compareOptimizer('Adam', { amsgrad: true }, 0, 2);
      compareOptimizer('SGD', { momentum: 0.9 }, 0, 2);
    });

    test("torch's trajectories (test/fixtures/optim.json) on the device", () => {
      const fx = loadFixture<{ init: FixtureTensor[]; grads: FixtureTensor[][]; cases: OptimFixtureCase[] }>('optim');
      for (const c of fx.cases) {
        const label = `${c.optimizer} ${JSON.stringify(c.options)}`;
        const params = fx.init.map((t) => fromFixture(t, { requiresGrad: true }).to('cuda').detach());
        params.forEach((p) => p.setRequiresGrad(true));
        const opt = new CTORS[c.optimizer](params, c.options);
        fx.grads.forEach((gs, k) => {
          params.forEach((p, i) => {
            p.grad = fromFixture(gs[i]).to('cuda');
          });
          opt.step();
          // The CPU suite's tolerance (test/optim.test.ts): SGD to the bit, Adam within 1e-6 relative
          // (torch's MKL sqrt is not correctly rounded, ours is).
          params.forEach((p, i) => {
            const tol = c.optimizer === 'SGD' ? { atol: 0, rtol: 0 } : { atol: 1e-7, rtol: 1e-6 };
            expectClose(p.cpu().f32, c.trajectory[k][i], tol, `${label} step ${k + 1} param ${i}`);
          });
        });
      }
    });

    test('mixed devices: a CPU gradient on a CUDA parameter is a TypeError naming both', () => {
      const p = tk.randn([4], { seed: 1, device: 'cuda', requiresGrad: true });
      const opt = new tk.optim.SGD([p], { lr: 0.1 });
      p.grad = tk.ones([4]);
      expectThrowNamed(() => opt.step(), 'TypeError', /SGD\.step: .*param is on cuda and grad is on cpu/);
    });

    test('bad arguments reach the shared checks of the device exports (RangeError, as the CPU export)', () => {
      const k = cudaKernels();
      const p = k.fromHost(new Float32Array(5));
      const g = k.fromHost(new Float32Array(4));
      const m = k.fromHost(new Float32Array(5));
      const v = k.fromHost(new Float32Array(5));
      const dev = errorOf(() => k.adamUpdate(p, g, m, v, null, 0.1, 0.9, 0.999, 1e-8, 0, 1, false, false, false));
      const cpu = errorOf(() =>
        native.adamUpdate(
          new Float32Array(5),
          new Float32Array(4),
          new Float32Array(5),
          new Float32Array(5),
          null,
          0.1,
          0.9,
          0.999,
          1e-8,
          0,
          1,
          false,
          false,
          false,
        ),
      );
      expect(dev.name).toBe('RangeError');
      expect(dev.message).toBe(cpu.message);
      expect(dev.message).toMatch(/grad has 4 elements, expected 5/);
      // The same buffer as param and momentum buffer: refused, as aliasing typed arrays are.
      expectThrowNamed(
        () => k.sgdUpdate(p, m, p, 0.1, 0.9, 0, 0, false, false, false),
        'RangeError',
        'buf and param must not share memory',
      );
      // A short state buffer; amsgrad without its buffer; a typed array where a device buffer
      // belongs; a step out of range.
      const gr = k.fromHost(new Float32Array(5));
      expectThrowNamed(
        () => k.adamUpdate(p, gr, m, g, null, 0.1, 0.9, 0.999, 1e-8, 0, 1, false, false, false),
        'RangeError',
        'expAvgSq has 4 elements, expected 5',
      );
      expectThrowNamed(
        () => k.adamUpdate(p, gr, m, v, null, 0.1, 0.9, 0.999, 1e-8, 0, 1, true, false, false),
        'TypeError',
        'maxExpAvgSq',
      );
      expectThrowNamed(
        () => k.sgdUpdate(new Float32Array(5) as never, gr, null, 0.1, 0, 0, 0, false, false, false),
        'TypeError',
        'param must be a device buffer',
      );
      expectThrowNamed(
        () => k.adamUpdate(p, gr, m, v, null, 0.1, 0.9, 0.999, 1e-8, 0, 0, false, false, false),
        'RangeError',
        'step',
      );
      const ints = k.fromHost(new Int32Array(5));
      expectThrowNamed(() => k.sgdUpdate(p, ints, null, 0.1, 0, 0, 0, false, false, false), 'TypeError', 'float32');
      for (const b of [p, g, gr, m, v, ints]) k.release(b);
    });
  });

  describe('optimizer state on the device', () => {
    test('state buffers live on the parameter device; stateDict / loadStateDict cross devices', () => {
      const init = randomArray(33, 5);
      const run = (device: 'cpu' | 'cuda') => {
        const p = new Tensor(init.slice(), [33], { device, requiresGrad: true });
        return { p, opt: new tk.optim.Adam([p], { lr: 0.02, amsgrad: true }) };
      };
      const grad = (s: number, device: 'cpu' | 'cuda') => new Tensor(randomArray(33, 50 + s), [33], { device });
      const c = run('cpu');
      const d = run('cuda');
      for (let s = 0; s < 2; s++) {
        c.p.grad = grad(s, 'cpu');
        d.p.grad = grad(s, 'cuda');
        c.opt.step();
        d.opt.step();
      }
      const st = d.opt.state.get(d.p) as ParamState;
      for (const k of ['expAvg', 'expAvgSq', 'maxExpAvgSq']) expect((st[k] as Tensor).device).toBe('cuda');
      expect(c.opt.state.get(c.p)?.expAvg).toBeInstanceOf(Float32Array);
      // stateDict: copies on the parameter's device (as torch's).
      const sdD = d.opt.stateDict();
      const expAvgD = sdD.state[0].expAvg as Tensor;
      expect(expAvgD.device).toBe('cuda');
      expect(expAvgD.storage).not.toBe((st.expAvg as Tensor).storage);
      expectBitEqual(host(expAvgD), host(c.opt.state.get(c.p)?.expAvg as Float32Array), 'stateDict expAvg');
      // CUDA state into a CPU optimizer and CPU state into a CUDA one: both continue like the originals.
      const c2 = run('cpu');
      c2.p.f32.set(c.p.f32);
      c2.opt.loadStateDict(sdD);
      expect(c2.opt.state.get(c2.p)?.expAvg).toBeInstanceOf(Float32Array);
      const d2 = run('cuda');
      d2.p.moveTo_('cpu');
      d2.p.f32.set(c.p.f32);
      d2.p.moveTo_('cuda');
      d2.opt.loadStateDict(c.opt.stateDict());
      expect((d2.opt.state.get(d2.p)?.expAvgSq as Tensor).device).toBe('cuda');
      for (let s = 2; s < 4; s++) {
        for (const [r, dev] of [
          [c, 'cpu'],
          [d, 'cuda'],
          [c2, 'cpu'],
          [d2, 'cuda'],
        ] as const) {
          r.p.grad = grad(s, dev);
          r.opt.step();
        }
        for (const [r, label] of [
          [d, 'device'],
          [c2, 'CPU from device state'],
          [d2, 'device from CPU state'],
        ] as const) {
          expectBitEqual(host(r.p), c.p.f32, `step ${s + 1}, ${label}`);
        }
      }
      // A loaded buffer of the wrong size is refused whatever its device.
      const bad = d.opt.stateDict();
      bad.state[0].expAvg = tk.zeros([32], { device: 'cuda' });
      expectThrowNamed(() => d.opt.loadStateDict(bad), 'RangeError', 'has 32 elements, the parameter has 33');
    });

    test('zeroGrad({ setToNone: false }) zeroes device gradients in place', () => {
      const m = mlp(3).cuda();
      const opt = new tk.optim.SGD(m.parameters(), { lr: 0.1 });
      mseStep(m, opt, 'cuda');
      const g = m.parameters()[0].grad as Tensor;
      opt.zeroGrad({ setToNone: false });
      expect(m.parameters()[0].grad).toBe(g);
      expect(Array.from(g.cpu().f32).every((v) => v === 0)).toBe(true);
      mseStep(m, opt, 'cuda');
      m.zeroGrad({ setToNone: false });
      for (const p of m.parameters()) expect(Array.from(host(p.grad as Tensor)).every((v) => v === 0)).toBe(true);
    });
  });

  describe('module.to / cuda / cpu', () => {
    test('moves parameters, buffers and gradients in place and back, keeping identity and values', () => {
      const m = new Net(4);
      const before = snapshot(m);
      const params = m.parameters();
      const buffers = m.buffers();
      m.fc.weight.grad = tk.full([3, 4], 0.25);
      expect(m.to('cuda')).toBe(m);
      expect(m.parameters()).toEqual(params);
      m.parameters().forEach((p, i) => expect(p).toBe(params[i]));
      m.buffers().forEach((b, i) => expect(b).toBe(buffers[i]));
      for (const t of [...m.parameters(), ...m.buffers()]) expect(t.device).toBe('cuda');
      expect(m.frozen.requiresGrad).toBe(false);
      expect(m.fc.weight.requiresGrad).toBe(true);
      expect((m.fc.weight.grad as Tensor).device).toBe('cuda');
      expect(m.counts.dtype).toBe('int32');
      // stateDict of a CUDA module holds CUDA tensors sharing the module's storage (as torch).
      const sd = m.stateDict();
      for (const t of Object.values(sd)) expect(t.device).toBe('cuda');
      expect(sd['fc.weight'].storage).toBe(m.fc.weight.storage);
      expect(Object.keys(sd)).not.toContain('pos.pe');
      const onDevice = snapshot(m);
      for (const k of Object.keys(before)) expect([k, onDevice[k]]).toEqual([k, before[k]]);
      expect(m.cpu()).toBe(m);
      for (const t of [...m.parameters(), ...m.buffers()]) expect(t.device).toBe('cpu');
      expect(Array.from(host(m.fc.weight.grad as Tensor))).toEqual(new Array(12).fill(0.25));
      const back = snapshot(m);
      for (const k of Object.keys(before)) expect([k, back[k]]).toEqual([k, before[k]]);
      expect(m.cuda()).toBe(m);
      expect(m.to('cuda')).toBe(m);
      expect(m.pos.pe.device).toBe('cuda');
      expect(() => m.to('gpu' as 'cuda')).toThrow(TypeError);
      expect(() => m.to('cuda:1' as 'cuda')).toThrow(/only one CUDA device/);
    });

    test('loadStateDict copies from either device into the parameters on their own device', () => {
      const src = new Net(10);
      const want = snapshot(src);
      // CPU record into a CUDA module.
      const a = new Net(20).cuda();
      const aw = a.fc.weight;
      a.loadStateDict(src.stateDict());
      expect(a.fc.weight).toBe(aw);
      expect(a.fc.weight.device).toBe('cuda');
      expect(snapshot(a)).toEqual(want);
      // CUDA record into a CPU module, and into another CUDA module.
      const b = new Net(30);
      b.loadStateDict(a.stateDict());
      expect(b.fc.weight.device).toBe('cpu');
      expect(snapshot(b)).toEqual(want);
      const c = new Net(40).cuda();
      c.loadStateDict(a.stateDict());
      expect(snapshot(c)).toEqual(want);
      // Its own state dict is a no-op; float values into an int32 buffer truncate on the device too.
      c.loadStateDict(c.stateDict());
      expect(snapshot(c)).toEqual(want);
      const rec = { ...src.stateDict(), counts: tk.tensor([4.7, -2.5, 9.9], { device: 'cuda' }) };
      c.loadStateDict(rec);
      expect(Array.from(c.counts.cpu().data)).toEqual([4, -2, 9]);
      // Shape mismatches are still refused before anything is copied.
      const bad = { ...a.stateDict(), 'fc.bias': tk.zeros([4], { device: 'cuda' }) };
      expect(() => c.loadStateDict(bad)).toThrow(/size mismatch for fc.bias/);
      expect(Array.from(c.counts.cpu().data)).toEqual([4, -2, 9]);
    });

    test('init functions and layer constructors give CUDA tensors the CPU values', () => {
      const shapes = [[5, 3], [1], [257, 4]];
      for (const shape of shapes) {
        const inits: [string, (t: Tensor) => Tensor][] = [
          ['uniform_', (t) => tk.nn.init.uniform_(t, -2, 3, { seed: 1 })],
          ['normal_', (t) => tk.nn.init.normal_(t, 0.5, 2, { seed: 2 })],
          ['truncNormal_', (t) => tk.nn.init.truncNormal_(t, 0, 1, -1, 1, { seed: 3 })],
          ['constant_', (t) => tk.nn.init.constant_(t, -1.5)],
          ['ones_', (t) => tk.nn.init.ones_(t)],
        ];
        if (shape.length === 2) {
          inits.push(['kaimingUniform_', (t) => tk.nn.init.kaimingUniform_(t, { seed: 4 })]);
          inits.push(['xavierNormal_', (t) => tk.nn.init.xavierNormal_(t, 1, { seed: 5 })]);
          inits.push(['orthogonal_', (t) => tk.nn.init.orthogonal_(t, 1, { seed: 6 })]);
        }
        for (const [name, f] of inits) {
          const c = f(tk.zeros(shape));
          const d = tk.zeros(shape, { device: 'cuda' });
          expect(f(d)).toBe(d);
          expect(d.device).toBe('cuda');
          expectBitEqual(d.cpu().f32, c.f32, `${name} ${JSON.stringify(shape)}`);
        }
      }
      // Embedding: reset on the device keeps the padding row zero; fromPretrained follows its weights.
      const e = new tk.nn.Embedding(6, 3, { seed: 7, paddingIdx: 2 });
      const ref = e.weight.f32.slice();
      e.cuda();
      e.weight.moveTo_('cpu');
      e.weight.f32.fill(9);
      e.weight.moveTo_('cuda');
      e.resetParameters({ seed: 7 });
      expect(e.weight.device).toBe('cuda');
      expectBitEqual(e.weight.cpu().f32, ref, 'Embedding.resetParameters on cuda');
      const w = tk.randn([4, 3], { seed: 8, device: 'cuda' });
      const pre = tk.nn.Embedding.fromPretrained(w, { freeze: false });
      expect(pre.weight.device).toBe('cuda');
      expect(pre.weight.requiresGrad).toBe(true);
      expectBitEqual(pre.weight.cpu().f32, w.cpu().f32, 'fromPretrained');
      expect(pre.weight.storage).not.toBe(w.storage);
      expectThrowNamed(
        () => tk.nn.Embedding.fromPretrained(tk.tensor(new Int32Array(4), [2, 2])),
        'TypeError',
        'float32',
      );
    });

    test('attention masks given as CUDA tensors are refused with the fix (masks are read on the host)', () => {
      const mha = new tk.nn.MultiheadAttention({ embedDim: 8, numHeads: 2, seed: 1 }).cuda();
      const q = tk.randn([2, 3, 8], { seed: 2, device: 'cuda' });
      expectThrowNamed(
        () => mha.forward(q, q, q, { keyPaddingMask: tk.zeros([2, 3], { device: 'cuda', dtype: 'int32' }) }),
        'TypeError',
        /MultiheadAttention: keyPaddingMask is on cuda.*keyPaddingMask\.cpu\(\)/,
      );
      expectThrowNamed(
        () => mha.forward(q, q, q, { attnMask: tk.zeros([3, 3], { device: 'cuda' }) }),
        'TypeError',
        'MultiheadAttention: attnMask is on cuda',
      );
      const enc = new tk.nn.TransformerEncoderLayer({ dModel: 8, nhead: 2, dimFeedforward: 8, seed: 3 }).cuda();
      expectThrowNamed(
        () => enc.forward(q, { srcMask: tk.zeros([3, 3], { device: 'cuda' }) }),
        'TypeError',
        'attnMask is on cuda',
      );
    });

    test('an optimizer built before module.to keeps updating the moved parameters (and its state follows)', () => {
      for (const [name, opts] of [
        ['SGD', { lr: 0.05, momentum: 0.9, nesterov: true }],
        ['Adam', { lr: 0.01, amsgrad: true }],
      ] as const) {
        const ref = mlp(5);
        const optRef = new CTORS[name](ref.parameters(), opts as Record<string, unknown>);
        const moved = mlp(5);
        const opt = new CTORS[name](moved.parameters(), opts as Record<string, unknown>);
        // One step on the CPU (state created there), then the module moves to the device.
        const l0 = mseStep(ref, optRef, 'cpu');
        expect(mseStep(moved, opt, 'cpu')).toBe(l0);
        moved.to('cuda');
        for (let s = 0; s < 3; s++) {
          const lr = mseStep(ref, optRef, 'cpu');
          const lm = mseStep(moved, opt, 'cuda');
          expect(Math.abs(lm - lr)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(lr)));
          expectModelsClose(moved, ref, { atol: 1e-6, rtol: 1e-5 }, `${name} after the move, step ${s + 2}`);
        }
        for (const p of moved.parameters()) {
          for (const v of Object.values(opt.state.get(p) as ParamState)) {
            if (v instanceof Tensor || v instanceof Float32Array) expect(v instanceof Tensor && v.device).toBe('cuda');
          }
        }
        // And back to the CPU: the state comes along again.
        moved.cpu();
        mseStep(ref, optRef, 'cpu');
        mseStep(moved, opt, 'cpu');
        expectModelsClose(moved, ref, { atol: 1e-6, rtol: 1e-5 }, `${name} back on the CPU`);
        const st = opt.state.get(moved.parameters()[0]) as ParamState;
        for (const v of Object.values(st)) if (v instanceof Tensor) throw new Error('state left on the device');
      }
    });
  });

  describe('checkpoints across devices', () => {
    test('safetensors: CUDA tensors are saved from the host copy; load places them on the device asked for', () => {
      const file = path.join(tmp, 'w.safetensors');
      const w = tk.randn([3, 5], { seed: 3, device: 'cuda' });
      const ids = tk.tensor(new Int32Array([7, -1]), [2], { device: 'cuda' });
      tk.io.saveSafetensors(file, { w, ids });
      const cpu = tk.io.loadSafetensors(file);
      expect(cpu.w.device).toBe('cpu');
      expectBitEqual(cpu.w.f32, w.cpu().f32, 'w');
      expect(Array.from(cpu.ids.data)).toEqual([7, -1]);
      const dev = tk.io.loadSafetensors(file, { device: 'cuda' });
      expect(dev.w.device).toBe('cuda');
      expect(dev.ids.device).toBe('cuda');
      expect(dev.ids.dtype).toBe('int32');
      expectBitEqual(dev.w.cpu().f32, cpu.w.f32, 'w on cuda');
      expect(tk.io.serializeSafetensors({ w })).toEqual(tk.io.serializeSafetensors({ w: w.cpu() }));
      expectThrowNamed(() => tk.io.loadSafetensors(file, { device: 'tpu' as 'cpu' }), 'TypeError', 'device');
    });

    test('a checkpoint of a CUDA run resumes on the CPU, and a CPU one on the device, step for step', () => {
      for (const [from, to] of [
        ['cuda', 'cpu'],
        ['cpu', 'cuda'],
      ] as const) {
        const dir = path.join(tmp, `run-${from}`);
        const a = mlp(9).to(from);
        const optA = new tk.optim.AdamW(a.parameters(), { lr: 0.01, amsgrad: true });
        const sched = new tk.optim.StepLR(optA, 2, 0.5);
        for (let s = 0; s < 3; s++) {
          mseStep(a, optA, from);
          sched.step();
        }
        tk.io.saveCheckpoint(dir, { model: a, optimizer: optA, schedulers: { lr: sched }, extra: { step: 3 } });
        const b = mlp(100).to(to);
        const optB = new tk.optim.AdamW(b.parameters(), { lr: 0.5, amsgrad: true });
        const schedB = new tk.optim.StepLR(optB, 2, 0.5);
        expect(tk.io.loadCheckpoint(dir, { model: b, optimizer: optB, schedulers: { lr: schedB } })).toEqual({
          step: 3,
        });
        for (const p of b.parameters()) {
          expect(p.device).toBe(to);
          for (const v of Object.values(optB.state.get(p) as ParamState)) {
            if (v instanceof Tensor || v instanceof Float32Array) {
              expect(v instanceof Tensor ? v.device : 'cpu').toBe(to);
            }
          }
        }
        expect(snapshot(b)).toEqual(snapshot(a));
        for (let s = 0; s < 3; s++) {
          const la = mseStep(a, optA, from);
          const lb = mseStep(b, optB, to);
          sched.step();
          schedB.step();
          expect(Math.abs(la - lb)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(la)));
          expectModelsClose(b, a, { atol: 1e-6, rtol: 1e-5 }, `${from} -> ${to} step ${s + 4}`);
        }
      }
    });
  });

  describe('training loops on the device follow the CPU step for step', () => {
    test.each([
      ['SGD', { lr: 0.05, momentum: 0.9, weightDecay: 1e-3 }],
      ['Adam', { lr: 0.01 }],
      ['AdamW', { lr: 0.01, weightDecay: 0.05 }],
    ] as const)('two Linear layers, an MSE gradient by hand, %s', (name, opts) => {
      const cpu = mlp(13);
      const dev = mlp(13).cuda();
      const oc = new CTORS[name](cpu.parameters(), opts as Record<string, unknown>);
      const od = new CTORS[name](dev.parameters(), opts as Record<string, unknown>);
      const losses: number[] = [];
      for (let s = 0; s < 8; s++) {
        const lc = mseStep(cpu, oc, 'cpu');
        const ld = mseStep(dev, od, 'cuda');
        losses.push(lc);
        // The device's bias gradient sums in float32 (a GEMM with ones), the CPU's in float64: the
        // trajectories agree to float rounding, not to the bit.
        expect(Math.abs(ld - lc)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(lc)));
        expectModelsClose(dev, cpu, { atol: 1e-5, rtol: 1e-5 }, `${name} step ${s + 1}`);
      }
      // The loop trains: the loss goes down.
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    });

    // Runs after the merge of the elementwise / reduce / loss device paths (other helpers' work in
    // session 3): skipped with a message while crossEntropy or relu refuse CUDA tensors.
    test('(after the merge) an MLP with ReLU, crossEntropy and Adam on the device matches the CPU', () => {
      const x = tk.randn([24, 6], { seed: 31 });
      const labels = Int32Array.from({ length: 24 }, (_, i) => (i * 7) % 4);
      const build = () =>
        new tk.nn.Sequential(
          new tk.nn.Linear(6, 16, { seed: 1 }),
          new tk.nn.ReLU(),
          new tk.nn.Linear(16, 4, { seed: 2 }),
          new tk.nn.LayerNorm(4),
        );
      const step = (m: tk.nn.Sequential, opt: Optimizer<BaseOptions>, device: 'cpu' | 'cuda'): number => {
        opt.zeroGrad();
        const target = tk.tensor(labels, [24], { device });
        const loss = tk.crossEntropy(m.forward(x.to(device)), target);
        loss.backward();
        opt.step();
        return loss.item();
      };
      const cpu = build();
      const dev = build().cuda();
      const oc = new tk.optim.Adam(cpu.parameters(), { lr: 0.01 });
      const od = new tk.optim.Adam(dev.parameters(), { lr: 0.01 });
      for (let s = 0; s < 5; s++) {
        const lc = step(cpu, oc, 'cpu');
        const ld = step(dev, od, 'cuda');
        expect(Math.abs(ld - lc)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(lc)));
        expectModelsClose(dev, cpu, { atol: 1e-4, rtol: 1e-4 }, `MLP step ${s + 1}`);
      }
    });

    // Every layer's forward and backward on the device against the CPU's, with the module moved by
    // .cuda(): catches tensors a layer creates on the CPU in forward. Layers whose ops have no device
    // path yet (before the merge) are skipped with a message.
    test('(after the merge) every layer runs on the device like on the CPU', () => {
      const layers: [string, () => tk.nn.Module, () => unknown[]][] = [
        ['Linear', () => new tk.nn.Linear(5, 3, { seed: 1 }), () => [tk.randn([2, 4, 5], { seed: 2 })]],
        ['LayerNorm', () => new tk.nn.LayerNorm(5), () => [tk.randn([3, 5], { seed: 3 })]],
        [
          'Embedding',
          () => new tk.nn.Embedding(9, 4, { seed: 4, paddingIdx: 1 }),
          () => [tk.tensor(new Int32Array([1, 3, 8, 0]), [2, 2])],
        ],
        [
          'MultiheadAttention',
          () => new tk.nn.MultiheadAttention({ embedDim: 8, numHeads: 2, seed: 5 }),
          () => {
            const q = tk.randn([2, 3, 8], { seed: 6 });
            return [q, q, q];
          },
        ],
        [
          'MultiheadAttention with masks',
          () => new tk.nn.MultiheadAttention({ embedDim: 8, numHeads: 2, seed: 5 }),
          () => {
            const q = tk.randn([2, 3, 8], { seed: 6 });
            const k = tk.randn([2, 4, 8], { seed: 7 });
            const keyPaddingMask = [
              [false, false, true, false],
              [false, true, true, false],
            ];
            return [q, k, k, { keyPaddingMask, attnMask: tk.randn([3, 4], { seed: 8 }) }];
          },
        ],
        [
          'MultiheadAttention causal',
          () => new tk.nn.MultiheadAttention({ embedDim: 8, numHeads: 2, seed: 5 }),
          () => {
            const q = tk.randn([2, 3, 8], { seed: 6 });
            return [q, q, q, { isCausal: true, averageAttnWeights: false }];
          },
        ],
        [
          'TransformerEncoderLayer',
          () => new tk.nn.TransformerEncoderLayer({ dModel: 8, nhead: 2, dimFeedforward: 16, dropout: 0, seed: 7 }),
          () => [tk.randn([2, 5, 8], { seed: 8 })],
        ],
        [
          'SinusoidalPositionalEncoding',
          () => new tk.nn.SinusoidalPositionalEncoding({ dModel: 8, maxLen: 10 }),
          () => [tk.randn([2, 5, 8], { seed: 9 })],
        ],
        [
          'AttentionPooling',
          () => new tk.nn.AttentionPooling({ hiddenDim: 8, outputDim: 4, seed: 10 }),
          () => [
            tk.randn([2, 5, 8], { seed: 11 }),
            [
              [1, 1, 1, 0, 0],
              [1, 1, 1, 1, 1],
            ],
          ],
        ],
        [
          'EmbeddingBag (mean)',
          () => new tk.nn.EmbeddingBag(6, 3, { seed: 14 }),
          () => [new tk.sparse.CsrMatrix(2, 6, [0, 2, 5], [1, 4, 0, 2, 5], [1, 1, 1, 1, 1])],
        ],
        [
          'GRU',
          () => new tk.nn.GRU({ inputSize: 4, hiddenSize: 3, seed: 12 }),
          () => [tk.randn([2, 5, 4], { seed: 13 })],
        ],
      ];
      // The outputs to compare: the tensor, or an RNN's output and h, or attention's output and weights.
      const outputs = (y: unknown): Tensor[] =>
        y instanceof Tensor ? [y] : Object.values(y as Record<string, Tensor | null>).filter((t) => t !== null);
      let ran = 0;
      for (const [name, make, inputs] of layers) {
        const mc = make();
        const md = make().cuda();
        mc.eval();
        md.eval();
        {
          const xc = inputs();
          const xd = xc.map((a) => (a instanceof Tensor ? a.to('cuda') : a));
          const yc = outputs((mc.forward as (...a: unknown[]) => unknown).apply(mc, xc));
          const yd = outputs((md.forward as (...a: unknown[]) => unknown).apply(md, xd));
          expect(yd.length).toBe(yc.length);
          yc.forEach((c, i) => {
            expect(yd[i].device).toBe('cuda');
            expectClose(yd[i].cpu().f32, c.f32, { atol: 1e-5, rtol: 1e-5 }, `${name} output ${i}`);
          });
          // A layer without parameters (the positional encoding) has nothing to differentiate here.
          if (!yc[0].requiresGrad) {
            expect(yd[0].requiresGrad).toBe(false);
            ran++;
            continue;
          }
          const w = tk.randn(yc[0].shape, { seed: 99 });
          yc[0].backward(w);
          yd[0].backward(w.to('cuda'));
          const pc = mc.parameters();
          md.parameters().forEach((p, i) => {
            if (pc[i].grad === null) return;
            expect((p.grad as Tensor).device).toBe('cuda');
            expectClose(
              host(p.grad as Tensor),
              host(pc[i].grad as Tensor),
              { atol: 1e-4, rtol: 1e-4 },
              `${name} grad ${i}`,
            );
          });
        }
        ran++;
      }
      expect(ran).toBe(layers.length);
    });
  });
});

// tk.nn.LSTM / GRU / RNN against PyTorch (test/reference/rnn.py): outputs and every gradient,
// weights loaded through loadStateDict under torch's names; finite-difference checks of the
// native backward; lengths, dropout, seeding and bad input.
import * as tk from '../lib';
import { native } from '../lib/native';
import { Tensor } from '../lib/tensor';
import { expectClose, fromFixture, gradcheck, loadFixture, FixtureTensor } from './helpers';

interface Case {
  name: string;
  config: {
    B: number;
    T: number;
    inputSize: number;
    hiddenSize: number;
    numLayers: number;
    bidirectional: boolean;
    batchFirst: boolean;
    bias: boolean;
    lengths: number[] | null;
    nonlinearity: 'tanh' | 'relu' | null;
  };
  state: Record<string, FixtureTensor>;
  x: FixtureTensor;
  h0?: FixtureTensor;
  c0?: FixtureTensor;
  wy: FixtureTensor;
  wh: FixtureTensor;
  wc?: FixtureTensor;
  output: FixtureTensor;
  h: FixtureTensor;
  c?: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

type Kind = 'LSTM' | 'GRU' | 'RNN';

function build(kind: Kind, cfg: Case['config']): tk.nn.RNNBase {
  const opts = {
    inputSize: cfg.inputSize,
    hiddenSize: cfg.hiddenSize,
    numLayers: cfg.numLayers,
    bidirectional: cfg.bidirectional,
    batchFirst: cfg.batchFirst,
    bias: cfg.bias,
  };
  if (kind === 'LSTM') return new tk.nn.LSTM(opts);
  if (kind === 'GRU') return new tk.nn.GRU(opts);
  return new tk.nn.RNN({ ...opts, nonlinearity: cfg.nonlinearity ?? 'tanh' });
}

const fwdTol = { atol: 1e-5, rtol: 0 };
const gradTol = { atol: 1e-5, rtol: 1e-4 };

for (const [kind, file] of [
  ['LSTM', 'rnn_lstm'],
  ['GRU', 'rnn_gru'],
  ['RNN', 'rnn_rnn'],
] as [Kind, string][]) {
  describe(`${kind} against PyTorch`, () => {
    const { cases } = loadFixture<{ cases: Case[] }>(file);
    afterEach(() => tk.setSimdLevel('avx2'));
    // Batches up to 4 take the small-batch AVX2 products; SSE2 takes the blocked GEMM for all.
    for (const [c, simd] of cases.flatMap((c) => [[c, 'avx2'] as const, [c, 'sse2'] as const])) {
      const label = `${c.name}${c.config.nonlinearity ? ` (${c.config.nonlinearity})` : ''} ${simd}`;
      it(label, () => {
        tk.setSimdLevel(simd);
        const m = build(kind, c.config);
        const state: Record<string, Tensor> = {};
        for (const [k, v] of Object.entries(c.state)) state[k] = fromFixture(v);
        m.loadStateDict(state);
        expect(Object.keys(m.stateDict())).toEqual(Object.keys(c.state));
        const x = fromFixture(c.x, { requiresGrad: true });
        const h0 = c.h0 ? fromFixture(c.h0, { requiresGrad: true }) : null;
        const c0 = c.c0 ? fromFixture(c.c0, { requiresGrad: true }) : null;
        const r = (m as tk.nn.LSTM).forward(x, { h0, c0, lengths: c.config.lengths });
        expectClose(r.output, c.output, fwdTol, 'output');
        expectClose(r.h, c.h, fwdTol, 'h');
        if (c.c) expectClose(r.c, c.c, fwdTol, 'c');
        else expect(r.c).toBeUndefined();
        let loss = tk.sum(tk.mul(r.output, fromFixture(c.wy))).add(tk.sum(tk.mul(r.h, fromFixture(c.wh))));
        if (c.wc) loss = loss.add(tk.sum(tk.mul(r.c, fromFixture(c.wc))));
        loss.backward();
        expectClose(x.grad as Tensor, c.grads.x, gradTol, 'grad x');
        if (h0) expectClose(h0.grad as Tensor, c.grads.h0, gradTol, 'grad h0');
        if (c0) expectClose(c0.grad as Tensor, c.grads.c0, gradTol, 'grad c0');
        for (const [name, p] of m.namedParameters()) {
          expect(c.grads[name]).toBeDefined();
          expectClose(p.grad as Tensor, c.grads[name], gradTol, `grad ${name}`);
        }
      });
    }
  });
}

// The backward consumes the layer's saved state (the gate gradients overwrite the saved gates), so
// a second backward through the same graph needs retainGraph on the first, as in PyTorch.
describe('backward twice (retainGraph)', () => {
  for (const [kind, file] of [
    ['LSTM', 'rnn_lstm'],
    ['GRU', 'rnn_gru'],
    ['RNN', 'rnn_rnn'],
  ] as [Kind, string][]) {
    const { cases } = loadFixture<{ cases: Case[] }>(file);
    // Single and multi-layer, bidirectional, lengths, no bias: every fixture case once.
    const seen = new Set<string>();
    for (const c of cases) {
      const label = `${kind} ${c.name}${c.config.nonlinearity ? ` (${c.config.nonlinearity})` : ''}`;
      if (seen.has(label)) continue;
      seen.add(label);
      it(label, () => {
        const m = build(kind, c.config);
        const state: Record<string, Tensor> = {};
        for (const [k, v] of Object.entries(c.state)) state[k] = fromFixture(v);
        m.loadStateDict(state);
        const x = fromFixture(c.x, { requiresGrad: true });
        const h0 = c.h0 ? fromFixture(c.h0, { requiresGrad: true }) : null;
        const c0 = c.c0 ? fromFixture(c.c0, { requiresGrad: true }) : null;
        const r = (m as tk.nn.LSTM).forward(x, { h0, c0, lengths: c.config.lengths });
        let loss = tk.sum(tk.mul(r.output, fromFixture(c.wy))).add(tk.sum(tk.mul(r.h, fromFixture(c.wh))));
        if (c.wc) loss = loss.add(tk.sum(tk.mul(r.c, fromFixture(c.wc))));
        const leaves: [string, Tensor][] = [['x', x]];
        if (h0) leaves.push(['h0', h0]);
        if (c0) leaves.push(['c0', c0]);
        for (const [name, p] of m.namedParameters()) leaves.push([name, p]);
        const check = (times: number, what: string) => {
          for (const [name, t] of leaves) {
            const want = fromFixture(c.grads[name]).mul(times);
            expectClose(t.grad as Tensor, want, gradTol, `${what}: grad ${name}`);
          }
        };
        loss.backward(undefined, { retainGraph: true });
        check(1, 'first backward (retainGraph)');
        const first = leaves.map(([, t]) => (t.grad as Tensor).f32.slice());
        // The second backward frees the state; gradients accumulate as in PyTorch (2x).
        loss.backward();
        check(2, 'second backward');
        leaves.forEach(([name, t], i) => {
          // The copy the first backward worked on gives the same gradient as the in-place one.
          const twice = (t.grad as Tensor).f32;
          for (let j = 0; j < twice.length; j++) {
            if (twice[j] !== first[i][j] * 2) throw new Error(`${name}[${j}]: ${twice[j]} != 2 * ${first[i][j]}`);
          }
        });
        expect(() => loss.backward()).toThrow(/retainGraph/);
      });
    }
  }

  it('without retainGraph the second backward throws, naming retainGraph and the layer', () => {
    const m = new tk.nn.GRU({ inputSize: 3, hiddenSize: 5, numLayers: 2, bidirectional: true, seed: 1 });
    const x = tk.randn([2, 4, 3], { seed: 2 }).setRequiresGrad(true);
    const r = m.forward(x);
    tk.sum(r.output).backward();
    const g = (x.grad as Tensor).f32.slice();
    let err: Error | null = null;
    try {
      tk.sum(r.h).backward();
    } catch (e) {
      err = e as Error;
    }
    expect(err).not.toBeNull();
    expect((err as Error).message).toMatch(/gruLayer.*second time.*retainGraph: true/);
    // Nothing was accumulated by the refused backward into x (its layer threw before returning).
    expect(Array.from((x.grad as Tensor).f32)).toEqual(Array.from(g));
    // A new forward builds a new graph: backward works again.
    const x2 = x.detach().setRequiresGrad(true);
    tk.sum(m.forward(x2).output).backward();
    expect(Array.from((x2.grad as Tensor).f32)).toEqual(Array.from(g));
  });

  it('a loss on the output only or on the final state only (the two ops of a layer)', () => {
    for (const kind of ['LSTM', 'GRU'] as const) {
      const opts = { inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 11 };
      const m = kind === 'LSTM' ? new tk.nn.LSTM(opts) : new tk.nn.GRU(opts);
      const x = tk.randn([2, 4, 3], { seed: 12 }).setRequiresGrad(true);
      const tol = { eps: 1e-2, atol: 3e-3, rtol: 3e-2 };
      gradcheck((xx: Tensor) => tk.reshape(m.forward(xx, { lengths: [4, 3] }).output, [-1]), [x], tol);
      gradcheck((xx: Tensor) => tk.reshape(m.forward(xx, { lengths: [4, 3] }).h, [-1]), [x], tol);
      if (kind === 'LSTM') {
        gradcheck((xx: Tensor) => tk.reshape((m as tk.nn.LSTM).forward(xx, { lengths: [4, 3] }).c, [-1]), [x], tol);
      }
    }
  });

  it('retainGraph must be a boolean; options an object', () => {
    const m = new tk.nn.RNN({ inputSize: 2, hiddenSize: 3, seed: 1 });
    const loss = tk.sum(m.forward(tk.randn([1, 2, 2], { seed: 2 })).output);
    expect(() => loss.backward(undefined, { retainGraph: 1 as unknown as boolean })).toThrow(TypeError);
    expect(() => loss.backward(undefined, null as unknown as object)).toThrow(TypeError);
    loss.backward(undefined, {});
  });

  it('the native backward consumes savedGates (and refuses it aliasing another buffer)', () => {
    const [T, B, I, H] = [3, 2, 4, 5];
    const G = 3;
    const S = 4;
    const x = tk.randn([T * B * I], { seed: 1 }).f32;
    const wIh = tk.randn([G * H * I], { seed: 2 }).f32;
    const wHh = tk.randn([G * H * H], { seed: 3 }).f32;
    const y = new Float32Array(T * B * H);
    const gates = new Float32Array(T * B * S * H);
    const sh = new Float32Array((T + 1) * B * H);
    native.rnnForward(
      1,
      false,
      false,
      T,
      B,
      I,
      H,
      y,
      0,
      H,
      new Float32Array(B * H),
      null,
      gates,
      sh,
      null,
      x,
      null,
      null,
      wIh,
      wHh,
      null,
      null,
      null,
    );
    const before = gates.slice();
    const dy = tk.randn([T * B * H], { seed: 4 }).f32;
    const back = (g: Float32Array, dwIh = new Float32Array(G * H * I)) =>
      native.rnnBackward(
        1,
        false,
        false,
        T,
        B,
        I,
        H,
        null,
        false,
        new Float32Array(B * H),
        null,
        dwIh,
        new Float32Array(G * H * H),
        null,
        null,
        dy,
        0,
        H,
        null,
        null,
        x,
        wIh,
        wHh,
        g,
        sh,
        null,
        null,
      );
    const copy = before.slice();
    back(copy);
    expect(Array.from(copy)).not.toEqual(Array.from(before));
    // dW_ih from a fresh copy again: the same (the kernel reads nothing but its own copy).
    const a = new Float32Array(G * H * I);
    const b = new Float32Array(G * H * I);
    back(before.slice(), a);
    back(before.slice(), b);
    expect(Array.from(a)).toEqual(Array.from(b));
    let name = '';
    try {
      back(gates, gates.subarray(0, G * H * I));
    } catch (e) {
      name = (e as Error).name + ': ' + (e as Error).message;
    }
    expect(name).toMatch(/RangeError: .*savedGates.*must not share memory|RangeError: .*dwIh and savedGates/);
  });
});

describe('finite differences', () => {
  const mk = (kind: Kind | 'RNN_RELU' | 'RNN_RES', bidir: boolean) => {
    const opts = { inputSize: 3, hiddenSize: 4, bidirectional: bidir, numLayers: 2, seed: 7 };
    if (kind === 'LSTM') return new tk.nn.LSTM(opts);
    if (kind === 'GRU') return new tk.nn.GRU(opts);
    if (kind === 'RNN_RELU') return new tk.nn.RNN({ ...opts, nonlinearity: 'relu' });
    if (kind === 'RNN_RES') return new tk.nn.RNN({ ...opts, residual: true });
    return new tk.nn.RNN(opts);
  };
  for (const kind of ['LSTM', 'GRU', 'RNN', 'RNN_RELU', 'RNN_RES'] as const) {
    for (const bidir of [false, true]) {
      it(`${kind}${bidir ? ' bidirectional' : ''} with lengths`, () => {
        const m = mk(kind, bidir);
        const D = bidir ? 2 : 1;
        const x = tk.randn([2, 4, 3], { seed: 3 }).setRequiresGrad(true);
        const h0 = tk.randn([2 * D, 2, 4], { seed: 4 }).setRequiresGrad(true);
        const c0 = tk.randn([2 * D, 2, 4], { seed: 5 }).setRequiresGrad(true);
        const params = m.parameters();
        const lstm = kind === 'LSTM';
        // ReLU has a kink at 0: a smaller step keeps the differences off it.
        const tol = kind === 'RNN_RELU' ? { eps: 1e-3, atol: 1e-2, rtol: 3e-2 } : { eps: 1e-2, atol: 3e-3, rtol: 3e-2 };
        const f = (xx: Tensor, hh: Tensor, cc: Tensor): Tensor => {
          const r = (m as tk.nn.LSTM).forward(xx, { h0: hh, c0: lstm ? cc : null, lengths: [4, 2] });
          const parts = [tk.reshape(r.output, [-1]), tk.reshape(r.h, [-1])];
          if (lstm) parts.push(tk.reshape(r.c, [-1]));
          return tk.concat(parts, 0);
        };
        // Inputs and states; then the weights of the first layer through a closure over the module.
        gradcheck(f, lstm ? [x, h0, c0] : [x, h0, c0.detach()], tol);
        // Weights of both layers (and directions) through a closure over the module.
        for (const w of params) gradcheck(() => f(x, h0, c0), [w], tol);
      });
    }
  }
});

describe('semantics', () => {
  it('padded steps: zero output, no state update, no gradient', () => {
    const m = new tk.nn.GRU({ inputSize: 2, hiddenSize: 3, seed: 1 });
    const x = tk.randn([2, 5, 2], { seed: 2 }).setRequiresGrad(true);
    const r = m.forward(x, { lengths: new Int32Array([5, 2]) });
    const out = r.output.f32;
    for (let t = 2; t < 5; t++) for (let k = 0; k < 3; k++) expect(out[(5 + t) * 3 + k]).toBe(0);
    // h of row 1 equals its output at step 1.
    for (let k = 0; k < 3; k++) expect(r.h.f32[3 + k]).toBe(out[(5 + 1) * 3 + k]);
    // The same row run alone, truncated, gives the same state.
    const alone = m.forward(tk.narrow(tk.narrow(x.detach(), 0, 1, 1), 1, 0, 2));
    expectClose(tk.narrow(r.h, 1, 1, 1), alone.h, { atol: 0, rtol: 0 });
    tk.sum(r.output).add(tk.sum(r.h)).backward();
    const gx = (x.grad as Tensor).f32;
    for (let t = 2; t < 5; t++) for (let i = 0; i < 2; i++) expect(gx[(5 + t) * 2 + i]).toBe(0);
  });

  it('unbatched input', () => {
    const m = new tk.nn.LSTM({ inputSize: 3, hiddenSize: 4, seed: 1 });
    const x = tk.randn([5, 3], { seed: 2 });
    const r = m.forward(x);
    const rb = m.forward(tk.unsqueeze(x, 0));
    expect(r.output.shape).toEqual([5, 4]);
    expect(r.h.shape).toEqual([1, 4]);
    expectClose(r.output, tk.squeeze(rb.output, 0), { atol: 0, rtol: 0 });
  });

  it('seeded initialisation within ±1/sqrt(H), torch names and shapes', () => {
    const a = new tk.nn.LSTM({ inputSize: 3, hiddenSize: 16, numLayers: 2, bidirectional: true, seed: 5 });
    const b = new tk.nn.LSTM({ inputSize: 3, hiddenSize: 16, numLayers: 2, bidirectional: true, seed: 5 });
    const names = Array.from(a.namedParameters(), ([n]) => n);
    expect(names.slice(0, 8)).toEqual([
      'weight_ih_l0',
      'weight_hh_l0',
      'bias_ih_l0',
      'bias_hh_l0',
      'weight_ih_l0_reverse',
      'weight_hh_l0_reverse',
      'bias_ih_l0_reverse',
      'bias_hh_l0_reverse',
    ]);
    expect(a.getParameter('weight_ih_l1').shape).toEqual([64, 32]);
    for (const [n, p] of a.namedParameters()) {
      expect(Array.from(p.f32)).toEqual(Array.from(b.getParameter(n).f32));
      expect(p.f32.reduce((mx, v) => Math.max(mx, Math.abs(v)), 0)).toBeLessThanOrEqual(0.25);
    }
    const w0 = a.getParameter('weight_ih_l0').f32;
    const w1 = a.getParameter('weight_ih_l0_reverse').f32;
    expect(w0[0]).not.toBe(w1[0]);
  });

  it('inter-layer dropout only in training mode', () => {
    const m = new tk.nn.GRU({ inputSize: 3, hiddenSize: 8, numLayers: 2, dropout: 0.5, seed: 1 });
    const x = tk.randn([2, 4, 3], { seed: 2 });
    const a = m.forward(x, { seed: 1 }).output;
    const b = m.forward(x, { seed: 2 }).output;
    expect(Array.from(a.f32)).not.toEqual(Array.from(b.f32));
    m.eval();
    const c = m.forward(x).output;
    const d = m.forward(x).output;
    expect(Array.from(c.f32)).toEqual(Array.from(d.f32));
  });

  it('same results on 1 and 2 threads and at every SIMD level', () => {
    const m = new tk.nn.LSTM({ inputSize: 5, hiddenSize: 40, seed: 1 });
    const x = tk.randn([64, 6, 5], { seed: 2 });
    const run = (): Float32Array => m.forward(x).output.f32.slice();
    const prev = tk.getNumThreads();
    tk.setNumThreads(1);
    const one = run();
    tk.setNumThreads(2);
    const two = run();
    tk.setNumThreads(prev);
    expect(Array.from(two)).toEqual(Array.from(one));
    tk.setSimdLevel('sse2');
    const sse = run();
    tk.setSimdLevel('avx2');
    expectClose(sse, one, { atol: 1e-5, rtol: 1e-5 });
  });
});

describe('bad input', () => {
  const m = new tk.nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 1 });
  const x = tk.randn([2, 5, 3], { seed: 1 });
  it('rank and feature size', () => {
    expect(() => m.forward(tk.randn([2, 5, 3, 1]))).toThrow(/rank 3/);
    expect(() => m.forward(tk.randn([2, 5, 4]))).toThrow(RangeError);
    expect(() => m.forward(tk.randn([2, 5, 4]))).toThrow(/inputSize. Expected 3, got 4/);
  });
  it('initial states', () => {
    expect(() => m.forward(x, { h0: tk.zeros([1, 2, 4]) })).toThrow(/h0 must have shape \[2, 2, 4\]/);
    expect(() => m.forward(x, { c0: tk.zeros([2, 3, 4]) })).toThrow(/c0 must have shape/);
    const g = new tk.nn.GRU({ inputSize: 3, hiddenSize: 4 });
    expect(() => g.forward(x, { c0: tk.zeros([1, 2, 4]) })).toThrow(/c0 is only for LSTM/);
  });
  it('lengths', () => {
    expect(() => m.forward(x, { lengths: [5, 6] })).toThrow(/lengths\[1\] must be in \[1, 5\]/);
    expect(() => m.forward(x, { lengths: [0, 2] })).toThrow(RangeError);
    expect(() => m.forward(x, { lengths: [5] })).toThrow(/one entry per batch row/);
    expect(() => m.forward(x, { lengths: [2.5, 2] })).toThrow(TypeError);
  });
  it('options', () => {
    expect(() => new tk.nn.LSTM({ inputSize: 3, hiddenSize: 0 })).toThrow(/hiddenSize/);
    expect(() => new tk.nn.RNN({ inputSize: 3, hiddenSize: 2, nonlinearity: 'gelu' as 'relu' })).toThrow(
      /nonlinearity/,
    );
    expect(() => new tk.nn.GRU({ inputSize: 3, hiddenSize: 2, dropout: 1.5 })).toThrow(/dropout/);
  });
  it('state dicts with missing, extra or mis-shaped tensors', () => {
    const sd = m.stateDict();
    const missing = { ...sd };
    delete missing.bias_hh_l1;
    expect(() => m.loadStateDict(missing)).toThrow(/Missing key\(s\) in state_dict: "bias_hh_l1"/);
    expect(() => m.loadStateDict({ ...sd, weight_ih_l2: tk.zeros([16, 4]) })).toThrow(/Unexpected key.*weight_ih_l2/);
    expect(() => m.loadStateDict({ ...sd, weight_hh_l0: tk.zeros([16, 3]) })).toThrow(/size mismatch for weight_hh_l0/);
  });
  it('native checks name the argument', () => {
    const f = new Float32Array(4);
    try {
      native.rnnForward(
        0,
        false,
        false,
        1,
        1,
        1,
        1,
        f,
        0,
        1,
        f.subarray(0, 1),
        null,
        f,
        f,
        f,
        f,
        null,
        null,
        f,
        f,
        null,
        null,
        null,
      );
      throw new Error('no throw');
    } catch (e) {
      expect((e as Error).name).toBe('RangeError');
    }
  });
});

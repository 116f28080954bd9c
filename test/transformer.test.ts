import * as tk from '../lib';
import { Module } from '../lib/nn/module';
import { Tensor } from '../lib/tensor';
import { expectClose, gradcheck, loadFixture } from './helpers';
import { B64Tensor, fromB64, stateOf } from './attention_inputs';

type Entry = Record<string, B64Tensor> & {
  state: Record<string, B64Tensor>;
  grads: Record<string, B64Tensor>;
  kw?: { activation: 'relu' | 'gelu'; normFirst: boolean };
};
const fx = loadFixture<Record<string, Entry>>('attention_modules');
const FWD = { atol: 1e-5, rtol: 1e-5 };
const GRAD = { atol: 1e-5, rtol: 1e-4 };
const err = (name: string, re: RegExp) => expect.objectContaining({ name, message: expect.stringMatching(re) });

function load<M extends Module>(m: M, e: Entry): M {
  const r = m.loadStateDict(stateOf(e.state));
  expect(r.missingKeys).toEqual([]);
  expect(r.unexpectedKeys).toEqual([]);
  return m;
}

function checkGrads(m: Module, e: Entry, inputs: Record<string, Tensor>): void {
  const params = new Map(m.namedParameters());
  for (const [name, g] of Object.entries(e.grads)) {
    const t = name.startsWith('input.') ? inputs[name.slice(6)] : params.get(name);
    expect([name, t !== undefined]).toEqual([name, true]);
    expectClose(t!.grad!, fromB64(g), GRAD, name);
  }
}

describe('MultiheadAttention matches torch.nn.MultiheadAttention', () => {
  it('packed projections, boolean key padding and attention masks, averaged weights', () => {
    const e = fx.mha;
    const mha = load(new tk.nn.MultiheadAttention({ embedDim: 8, numHeads: 2 }), e).eval();
    const x = fromB64(e.x, { requiresGrad: true });
    const mem = fromB64(e.mem, { requiresGrad: true });
    const { output, weights } = mha.forward(x, mem, mem, { keyPaddingMask: fromB64(e.kpm), attnMask: fromB64(e.am) });
    expectClose(output, fromB64(e.out), FWD, 'output');
    expectClose(weights!, fromB64(e.w), FWD, 'weights');
    expect(weights!.shape).toEqual([2, 5, 6]);
    output.backward(fromB64(e.g));
    checkGrads(mha, e, { x, mem });
  });

  it('separate projections (kdim, vdim), float mask, per-head weights', () => {
    const e = fx.mha2;
    const mha = load(new tk.nn.MultiheadAttention({ embedDim: 8, numHeads: 2, kdim: 6, vdim: 12 }), e).eval();
    expect(mha.in_proj_weight).toBeNull();
    const x = fromB64(e.x, { requiresGrad: true });
    const k = fromB64(e.k, { requiresGrad: true });
    const v = fromB64(e.v, { requiresGrad: true });
    const { output, weights } = mha.forward(x, k, v, { attnMask: fromB64(e.am), averageAttnWeights: false });
    expectClose(output, fromB64(e.out), FWD, 'output');
    expectClose(weights!, fromB64(e.w), FWD, 'weights');
    output.backward(fromB64(e.g));
    checkGrads(mha, e, { x, k, v });
  });

  it('has torch parameter names and shapes, and a needWeights=false path', () => {
    const mha = new tk.nn.MultiheadAttention({ embedDim: 8, numHeads: 2, seed: 1 });
    const names = Array.from(mha.namedParameters(), ([n, t]) => [n, t.shape]);
    expect(names).toEqual([
      ['in_proj_weight', [24, 8]],
      ['in_proj_bias', [24]],
      ['out_proj.weight', [8, 8]],
      ['out_proj.bias', [8]],
    ]);
    const x = tk.randn([2, 3, 8], { seed: 2 });
    const r = mha.forward(x, x, x, { needWeights: false });
    expect(r.weights).toBeNull();
    expect(Array.from(r.output.data)).toEqual(Array.from(mha.forward(x, x, x).output.data));
  });

  it('isCausal without a mask equals an explicit causal mask; unbatched and seq-first inputs', () => {
    const mha = new tk.nn.MultiheadAttention({ embedDim: 8, numHeads: 4, seed: 3 });
    const x = tk.randn([2, 5, 8], { seed: 4 });
    const causal = new Float32Array(25);
    for (let i = 0; i < 5; i++) for (let j = i + 1; j < 5; j++) causal[i * 5 + j] = -Infinity;
    const a = mha.forward(x, x, x, { isCausal: true });
    const b = mha.forward(x, x, x, { attnMask: new Tensor(causal, [5, 5]) });
    expectClose(a.output, b.output);
    expectClose(a.weights!, b.weights!);
    const x0 = tk.narrow(x, 0, 0, 1).squeeze(0);
    expectClose(mha.forward(x0, x0, x0).output, tk.narrow(mha.forward(x, x, x).output, 0, 0, 1).squeeze(0));
    const seqFirst = new tk.nn.MultiheadAttention({ embedDim: 8, numHeads: 4, batchFirst: false });
    seqFirst.loadStateDict(mha.stateDict());
    const xt = tk.transpose(x, 0, 1);
    expectClose(tk.transpose(seqFirst.forward(xt, xt, xt).output, 0, 1), mha.forward(x, x, x).output);
  });

  it('passes gradcheck through projections and kernel', () => {
    const mha = new tk.nn.MultiheadAttention({ embedDim: 4, numHeads: 2, seed: 5 });
    const x = tk.randn([1, 3, 4], { seed: 6 }).setRequiresGrad();
    gradcheck((a) => mha.forward(a, a, a, { needWeights: false, keyPaddingMask: [[false, false, true]] }).output, [x]);
    gradcheck((a) => mha.forward(a, a, a).weights!, [x]);
  });

  it('dropout only in training mode', () => {
    const mha = new tk.nn.MultiheadAttention({ embedDim: 8, numHeads: 2, dropout: 0.5, seed: 7 });
    const x = tk.randn([2, 6, 8], { seed: 8 });
    const a = mha.forward(x, x, x).output;
    const b = mha.forward(x, x, x).output;
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
    mha.eval();
    expect(Array.from(mha.forward(x, x, x).output.data)).toEqual(Array.from(mha.forward(x, x, x).output.data));
  });

  it('rejects bad configuration and inputs', () => {
    expect(() => new tk.nn.MultiheadAttention({ embedDim: 10, numHeads: 4 })).toThrow(err('RangeError', /divisible/));
    const mha = new tk.nn.MultiheadAttention({ embedDim: 8, numHeads: 2 });
    const x = tk.randn([2, 3, 8]);
    expect(() => mha.forward(tk.randn([2, 3, 6]), x, x)).toThrow(err('RangeError', /embedDim 8/));
    expect(() => mha.forward(x, tk.randn([2, 4, 8]), x)).toThrow(err('RangeError', /batch or length/));
    expect(() => mha.forward(x, x, x, { attnMask: tk.zeros([3, 4]) })).toThrow(
      err('RangeError', /attnMask must have shape/),
    );
    expect(() => mha.forward(x, x, x, { keyPaddingMask: [[true, false, false]] })).toThrow(
      err('RangeError', /keyPaddingMask must have shape \[2, 3\]/),
    );
    expect(() => mha.forward(x, x, x, { keyPaddingMask: 5 as never })).toThrow(err('TypeError', /keyPaddingMask/));
  });
});

describe('Transformer layers match torch (eval mode, state_dict loaded)', () => {
  for (const name of ['enc', 'encPre']) {
    it(`TransformerEncoderLayer ${name}`, () => {
      const e = fx[name];
      const layer = load(
        new tk.nn.TransformerEncoderLayer({ dModel: 8, nhead: 2, dimFeedforward: 16, ...e.kw! }),
        e,
      ).eval();
      const src = fromB64(e.src, { requiresGrad: true });
      const out = layer.forward(src, { srcMask: fromB64(e.mask), srcKeyPaddingMask: fromB64(e.kpm) });
      expectClose(out, fromB64(e.out), FWD, 'output');
      out.backward(fromB64(e.g));
      checkGrads(layer, e, { src });
    });
  }
  for (const name of ['dec', 'decPre']) {
    it(`TransformerDecoderLayer ${name}`, () => {
      const e = fx[name];
      const layer = load(
        new tk.nn.TransformerDecoderLayer({ dModel: 8, nhead: 2, dimFeedforward: 16, ...e.kw! }),
        e,
      ).eval();
      const tgt = fromB64(e.tgt, { requiresGrad: true });
      const memory = fromB64(e.memory, { requiresGrad: true });
      const out = layer.forward(tgt, memory, { tgtMask: fromB64(e.mask), memoryKeyPaddingMask: fromB64(e.mkpm) });
      expectClose(out, fromB64(e.out), FWD, 'output');
      out.backward(fromB64(e.g));
      checkGrads(layer, e, { tgt, memory });
    });
  }
  it('TransformerEncoder stack with final norm', () => {
    const e = fx.encStack;
    const stack = load(
      new tk.nn.TransformerEncoder({ dModel: 8, nhead: 2, dimFeedforward: 16, numLayers: 2, finalNorm: true }),
      e,
    ).eval();
    const src = fromB64(e.src, { requiresGrad: true });
    const out = stack.forward(src);
    expectClose(out, fromB64(e.out), FWD, 'output');
    out.backward(fromB64(e.g));
    checkGrads(stack, e, { src });
  });
  it('AttentionPooling (seed 003)', () => {
    const e = fx.pool;
    const pool = load(new tk.nn.AttentionPooling({ hiddenDim: 8, outputDim: 8 }), e);
    const x = fromB64(e.x, { requiresGrad: true });
    const out = pool.forward(x, fromB64(e.mask));
    expectClose(out, fromB64(e.out), FWD, 'output');
    out.backward(fromB64(e.g));
    checkGrads(pool, e, { x });
  });
});

describe('Transformer layers', () => {
  it('decoder stack, causal flag, training-mode dropout and a gradient step', () => {
    const dec = new tk.nn.TransformerDecoder({ dModel: 8, nhead: 2, dimFeedforward: 16, numLayers: 2, seed: 1 });
    expect(Array.from(dec.namedParameters(), ([n]) => n)).toContain('layers.1.multihead_attn.out_proj.weight');
    const tgt = tk.randn([2, 4, 8], { seed: 2 });
    const mem = tk.randn([2, 3, 8], { seed: 3 });
    const a = dec.forward(tgt, mem, { tgtIsCausal: true });
    const b = dec.forward(tgt, mem, { tgtIsCausal: true });
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data)); // dropout 0.1 in training mode
    dec.eval();
    const c = dec.forward(tgt, mem, { tgtIsCausal: true });
    const causal = new Float32Array(16);
    for (let i = 0; i < 4; i++) for (let j = i + 1; j < 4; j++) causal[i * 4 + j] = -Infinity;
    expectClose(c, dec.forward(tgt, mem, { tgtMask: new Tensor(causal, [4, 4]) }));
    c.sum().backward();
    for (const [n, p] of dec.namedParameters()) expect([n, p.grad !== null]).toEqual([n, true]);
  });

  it('positional encodings', () => {
    const pe = new tk.nn.SinusoidalPositionalEncoding({ dModel: 6, maxLen: 10 });
    const x = tk.zeros([2, 3, 6]);
    const y = pe.forward(x, 2);
    // position 2, dims 0..1: sin(2), cos(2); dims 2..3: sin(2 / 10000^(2/6)), ...
    expect(y.data[0]).toBeCloseTo(Math.sin(2), 6);
    expect(y.data[1]).toBeCloseTo(Math.cos(2), 6);
    expect(y.data[2]).toBeCloseTo(Math.sin(2 / Math.pow(10000, 2 / 6)), 6);
    expect(Object.keys(pe.stateDict())).toEqual([]);
    expect(() => pe.forward(tk.zeros([1, 9, 6]), 2)).toThrow(err('RangeError', /maxLen/));
    const lpe = new tk.nn.LearnedPositionalEmbedding({ maxLen: 5, dModel: 4, seed: 1 });
    const x2 = tk.zeros([1, 3, 4]);
    const y2 = lpe.forward(x2, 1);
    expect(Array.from(y2.data)).toEqual(Array.from(lpe.weight.data.slice(4, 16)));
    y2.sum().backward();
    expect(Array.from(lpe.weight.grad!.data)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('rejects bad options and inputs', () => {
    expect(() => new tk.nn.TransformerEncoderLayer({ dModel: 6, nhead: 4 })).toThrow(err('RangeError', /divisible/));
    expect(() => new tk.nn.TransformerEncoderLayer({ dModel: 8, nhead: 2, activation: 'tanh' as never })).toThrow(
      err('TypeError', /activation/),
    );
    const layer = new tk.nn.TransformerEncoderLayer({ dModel: 8, nhead: 2, dimFeedforward: 8 });
    expect(() => layer.forward(tk.zeros([2, 3, 5]))).toThrow(err('RangeError', /src must be/));
    const pool = new tk.nn.AttentionPooling({ hiddenDim: 4, outputDim: 2 });
    expect(() => pool.forward(tk.zeros([2, 3, 4]), [[true, false]])).toThrow(err('RangeError', /mask must have shape/));
  });
});

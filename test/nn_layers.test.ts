// A PyTorch layer stack's state_dict (safetensors) loads into the same textkernels modules and
// gives the same logits, loss, gradients and AdamW step (test/reference/nn_layers.py).
import * as path from 'path';
import * as tk from '../lib';
import { expectClose, fixturesDir, fromFixture, loadFixture, FixtureTensor } from './helpers';

interface Fixture {
  ids: FixtureTensor;
  target: FixtureTensor;
  logits: FixtureTensor;
  loss: number;
  grads: Record<string, FixtureTensor>;
  afterAdamW: Record<string, FixtureTensor>;
  names: string[];
}

function makeStack(): tk.nn.Sequential {
  return new tk.nn.Sequential(
    new tk.nn.Embedding(11, 7),
    new tk.nn.Linear(7, 5),
    new tk.nn.GELU(),
    new tk.nn.LayerNorm(5),
    new tk.nn.Dropout(0.25),
    new tk.nn.Linear(5, 3),
  );
}

describe('layers against PyTorch', () => {
  const fx = loadFixture<Fixture>('nn_layers');

  it('loads a torch state_dict from safetensors under the same names', () => {
    const model = makeStack();
    const names = [...model.namedParameters()].map(([n]) => n);
    expect(names).toEqual(fx.names);
    const record = tk.io.loadSafetensors(path.join(fixturesDir, 'nn_layers.safetensors'));
    const res = model.loadStateDict(record);
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
  });

  it('gives the same logits, loss, gradients and AdamW step', () => {
    const model = makeStack();
    model.loadStateDict(tk.io.loadSafetensors(path.join(fixturesDir, 'nn_layers.safetensors')));
    model.eval();
    const ids = fromFixture(fx.ids);
    const logits = model.forward(ids);
    expectClose(logits, fx.logits, { atol: 1e-5, rtol: 0 }, 'logits');
    const loss = tk.nn.functional.crossEntropy(logits.reshape([-1, 3]), fromFixture(fx.target), {
      labelSmoothing: 0.1,
    });
    expect(Math.abs(loss.item() - fx.loss)).toBeLessThan(1e-5);
    loss.backward();
    for (const [name, p] of model.namedParameters()) {
      expectClose(p.grad!, fx.grads[name], { atol: 1e-6, rtol: 1e-4 }, `grad ${name}`);
    }
    const opt = new tk.optim.AdamW(model.parameters(), { lr: 0.01, weightDecay: 0.05 });
    opt.step();
    for (const [name, p] of model.namedParameters()) {
      expectClose(p, fx.afterAdamW[name], { atol: 1e-6, rtol: 1e-5 }, `after AdamW ${name}`);
    }
  });

  it('initialises like PyTorch: Linear within +-1/sqrt(in), Embedding ~ N(0, 1), seeded', () => {
    const a = new tk.nn.Linear(400, 300, { seed: 3 });
    const b = new tk.nn.Linear(400, 300, { seed: 3 });
    expect(Buffer.from(a.weight.f32.buffer).equals(Buffer.from(b.weight.f32.buffer))).toBe(true);
    const bound = 1 / Math.sqrt(400); // kaiming_uniform with a = sqrt(5) gives exactly this bound
    let maxAbs = 0;
    for (const v of a.weight.data) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs).toBeLessThanOrEqual(bound);
    expect(maxAbs).toBeGreaterThan(bound * 0.99);
    for (const v of a.bias!.data) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    const e = new tk.nn.Embedding(1000, 50, { paddingIdx: 0, seed: 1 });
    const w = e.weight.data;
    expect(Array.from(w.subarray(0, 50)).every((v) => v === 0)).toBe(true);
    let s = 0;
    let s2 = 0;
    for (let i = 50; i < w.length; i++) {
      s += w[i];
      s2 += w[i] * w[i];
    }
    const n = w.length - 50;
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('Dropout is active in train mode only', () => {
    const d = new tk.nn.Dropout(0.5, { seed: 1 });
    const x = tk.ones([1000]);
    const y = d.forward(x);
    const zeros = Array.from(y.data).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(400);
    expect(zeros).toBeLessThan(600);
    expect(Array.from(y.data).every((v) => v === 0 || v === 2)).toBe(true);
    d.eval();
    expect(Array.from(d.forward(x).data).every((v) => v === 1)).toBe(true);
  });

  it('EmbeddingBag sums weighted rows of a sparse batch', () => {
    const bag = new tk.nn.EmbeddingBag(4, 2, { mode: 'sum', seed: 2 });
    const csr = tk.sparse.CsrMatrix.fromDense(
      tk.tensor([
        [1, 0, 2, 0],
        [0, 0, 0, 0.5],
      ]),
    );
    const y = bag.forward(csr);
    const w = bag.weight.data;
    expectClose(y, [w[0] + 2 * w[4], w[1] + 2 * w[5], 0.5 * w[6], 0.5 * w[7]], { atol: 1e-6 });
    const mean = new tk.nn.EmbeddingBag(4, 2, { mode: 'mean', seed: 2 }).forward(csr);
    expectClose(mean, [(w[0] + w[4]) / 2, (w[1] + w[5]) / 2, w[6], w[7]], { atol: 1e-6 });
  });

  it('names the problem when shapes do not fit', () => {
    const lin = new tk.nn.Linear(4, 2);
    expect(() => lin.forward(tk.zeros([3, 5]))).toThrow(/in_features = 4/);
    expect(() => new tk.nn.Linear(-1, 2)).toThrow(RangeError);
    const model = makeStack();
    const bad = model.stateDict();
    bad['1.weight'] = tk.zeros([5, 8]);
    expect(() => model.loadStateDict(bad)).toThrow(/1\.weight/);
  });
});

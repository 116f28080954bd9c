// A run checkpointed mid-way and resumed in fresh objects continues bit for bit: the model, the
// optimizer's moments, the scheduler and the generator behind dropout and shuffling all restore.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tk from '../lib';

function setup(gen: tk.Generator) {
  const model = new tk.nn.Sequential(
    new tk.nn.Linear(6, 16, { seed: 1 }),
    new tk.nn.ReLU(),
    new tk.nn.Dropout(0.3, { generator: gen }),
    new tk.nn.Linear(16, 3, { seed: 2 }),
  );
  const opt = new tk.optim.Adam(model.parameters(), { lr: 0.01 });
  const sched = new tk.optim.StepLR(opt, 2, 0.5);
  return { model, opt, sched };
}

function trainSteps(parts: ReturnType<typeof setup>, gen: tk.Generator, steps: number): number[] {
  const x = tk.randn([12, 6], { seed: 9 });
  const y = Int32Array.from({ length: 12 }, (_, i) => i % 3);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const order = gen.permutation(12).subarray(0, 8);
    const xb = tk.indexSelect(x, 0, order);
    const yb = Int32Array.from(order, (i) => y[i]);
    parts.opt.zeroGrad();
    const loss = tk.nn.functional.crossEntropy(parts.model.forward(xb), yb);
    loss.backward();
    parts.opt.step();
    parts.sched.step();
    losses.push(loss.item());
  }
  return losses;
}

describe('checkpoints', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-ckpt-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('resume bit-identically', () => {
    const gen = new tk.Generator(42);
    const a = setup(gen);
    trainSteps(a, gen, 3);
    const dir = path.join(tmp, 'run');
    tk.io.saveCheckpoint(dir, {
      model: a.model,
      optimizer: a.opt,
      schedulers: { lr: a.sched },
      generators: { main: gen },
      extra: { step: 3 },
    });
    const continued = trainSteps(a, gen, 4);
    const finalA = a.model.stateDict();

    const gen2 = new tk.Generator(0);
    const b = setup(gen2);
    const extra = tk.io.loadCheckpoint(dir, {
      model: b.model,
      optimizer: b.opt,
      schedulers: { lr: b.sched },
      generators: { main: gen2 },
    });
    expect(extra).toEqual({ step: 3 });
    const resumed = trainSteps(b, gen2, 4);
    expect(resumed).toEqual(continued);
    for (const [k, t] of Object.entries(b.model.stateDict())) {
      expect(Buffer.from(t.f32.buffer).equals(Buffer.from(finalA[k].f32.buffer))).toBe(true);
    }
  });

  it('replaces an existing checkpoint and leaves no temporary directories', () => {
    const gen = new tk.Generator(1);
    const a = setup(gen);
    const dir = path.join(tmp, 'twice');
    tk.io.saveCheckpoint(dir, { model: a.model, extra: { n: 1 } });
    tk.io.saveCheckpoint(dir, { model: a.model, extra: { n: 2 } });
    expect(tk.io.loadCheckpoint(dir, {})).toEqual({ n: 2 });
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('twice'))).toEqual(['twice']);
  });

  it('explains what is missing', () => {
    expect(() => tk.io.loadCheckpoint(path.join(tmp, 'nope'), {})).toThrow(/no checkpoint/);
    const gen = new tk.Generator(1);
    const a = setup(gen);
    const dir = path.join(tmp, 'model-only');
    tk.io.saveCheckpoint(dir, { model: a.model });
    expect(() => tk.io.loadCheckpoint(dir, { optimizer: a.opt })).toThrow(/no optimizer state/);
    expect(() => tk.io.loadCheckpoint(dir, { generators: { g: gen } })).toThrow(/no generator 'g'/);
  });
});

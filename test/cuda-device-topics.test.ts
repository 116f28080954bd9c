// The topic models on the device (issues 6 x 7): NVDM, WLDA, ETM and GMNTM built with
// { device: 'cuda' } (or moved with model.to('cuda')) train step for step like the same models on
// the CPU, and transform / topics / perplexity / save / load work with the model on the device.
// Their layers (SparseLinear, the fused decoderRecon / softmaxRecon, mixtureRecon) are compared op
// by op with their gradients. The device is the emulated backend here, a GPU under npm run test:cuda.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tk from '../lib';
import { StepNoise, TopicModel } from '../lib/topics/base';
import { decoderRecon, mixtureRecon, SparseLinear, softmaxRecon } from '../lib/topics/layers';
import { Tensor } from '../lib/tensor';
import { compareDevices, deviceDescribe, underEmulatorOrders, useEmulatedDevice } from './cuda-device-helpers';
import { expectClose, rng } from './helpers';

const { CsrMatrix } = tk.sparse;
type Csr = InstanceType<typeof CsrMatrix>;
const { NVDM, WLDA, ETM, GMNTM } = tk.topics;

/** D documents over V words: each mostly from one of K word blocks; `empty` rows have no words. */
function corpus(seed: number, D: number, V: number, K: number, len: number, empty: number[] = []): Csr {
  const u = rng(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  const per = Math.floor(V / K);
  for (let d = 0; d < D; d++) {
    if (empty.includes(d)) continue;
    const topic = Math.floor(u() * K);
    const cnt = new Map<number, number>();
    for (let i = 0; i < len; i++) {
      const w = u() < 0.8 ? topic * per + Math.floor(u() * per) : Math.floor(u() * V);
      cnt.set(w, (cnt.get(w) ?? 0) + 1);
    }
    for (const [w, c] of [...cnt].sort((a, b) => a[0] - b[0])) {
      rows.push(d);
      cols.push(w);
      vals.push(c);
    }
  }
  return CsrMatrix.fromTriplets([D, V], rows, cols, vals);
}

const V = 37;
const K = 4;
const hidden = [19, 9];
type Kind = 'NVDM' | 'WLDA' | 'ETM' | 'GMNTM';

function build(kind: Kind, device?: 'cpu' | 'cuda'): TopicModel {
  const base = { vocabSize: V, numTopics: K, hidden, seed: 3, device };
  if (kind === 'NVDM') return new NVDM(base);
  if (kind === 'WLDA') return new WLDA({ ...base, reconWeight: 0.05 });
  if (kind === 'ETM') return new ETM({ ...base, embeddingDim: 11 });
  return new GMNTM({ ...base, pretrainEpochs: 1, gmmIterations: 5 });
}

function paramsOf(m: TopicModel): Map<string, Tensor> {
  return new Map(m.namedParameters());
}

function expectSameParams(cpu: TopicModel, dev: TopicModel, label: string, atol = 1e-4): void {
  const a = paramsOf(cpu);
  const b = paramsOf(dev);
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, p] of a) {
    const q = b.get(name)!;
    expect(q.device).toBe('cuda');
    expectClose(q.cpu().f32, p.f32, { atol, rtol: 1e-4 }, `${label}: ${name}`);
  }
}

function expectSameGrads(cpu: TopicModel, dev: TopicModel, label: string): void {
  const b = paramsOf(dev);
  for (const [name, p] of paramsOf(cpu)) {
    const q = b.get(name)!;
    if (p.grad === null) {
      expect(q.grad).toBeNull();
      continue;
    }
    expect(q.grad!.device).toBe('cuda');
    expectClose(q.grad!.cpu().f32, p.grad.f32, { atol: 1e-5, rtol: 1e-4 }, `${label}: grad of ${name}`);
  }
}

deviceDescribe('topic models on the device', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  const data = corpus(11, 24, V, K, 15);

  for (const kind of ['NVDM', 'WLDA', 'ETM', 'GMNTM'] as Kind[]) {
    test(`${kind}: three training steps match the CPU (loss, terms, gradients, parameters)`, () => {
      const cpu = build(kind);
      const dev = build(kind, 'cuda');
      expect(dev.device).toBe('cuda');
      expectSameParams(cpu, dev, `${kind} init`, 0);
      if (kind === 'GMNTM') {
        // Stage 3 (the mixture prior): set from the same GMM on both devices.
        (cpu as InstanceType<typeof GMNTM>).initPrior(data);
        (dev as InstanceType<typeof GMNTM>).initPrior(data);
        expectSameParams(cpu, dev, `${kind} prior`, 1e-5);
        // The fitted variances are tiny (exp(-9)), and stage 3 starts q(z|x) at them too: the mixture
        // KL would multiply the two devices' rounding by 1 / variance. This test is about the devices
        // agreeing, so it moves both to a well-conditioned prior (variances 0.05) and starts the device
        // from the CPU's parameters exactly.
        const g = cpu as InstanceType<typeof GMNTM>;
        g.logvars.f32.fill(Math.log(0.05));
        g.logvar.bias!.f32.fill(Math.log(0.05));
        dev.loadStateDict(cpu.stateDict());
      }
      for (let s = 0; s < 3; s++) {
        const batch = data.selectRows(Int32Array.from({ length: 10 }, (_, i) => (s * 7 + i) % data.rows));
        const a = cpu._step(batch, undefined, 1e-2);
        const b = dev._step(batch, undefined, 1e-2);
        expect(b.skipped).toBe(a.skipped);
        expect(a.skipped).toBe(false);
        expectClose([b.loss], [a.loss], { atol: 1e-4, rtol: 1e-5 }, `${kind} step ${s} loss`);
        for (const [t, v] of Object.entries(a.terms)) {
          expectClose([b.terms[t]], [v], { atol: 1e-4, rtol: 1e-5 }, `${kind} step ${s} ${t}`);
        }
        expectSameGrads(cpu, dev, `${kind} step ${s}`);
        expectSameParams(cpu, dev, `${kind} step ${s}`);
      }
    });
  }

  for (const kind of ['NVDM', 'ETM', 'GMNTM'] as Kind[]) {
    test(`${kind}: fit for 2 epochs, then transform / topicWord / topics / perplexity, as on the CPU`, async () => {
      const cpu = build(kind);
      const dev = build(kind, 'cpu').to('cuda');
      const opts = { epochs: 2, batchSize: 8, lr: 5e-3 };
      const ra = await cpu.fit(data, opts);
      const rb = await dev.fit(data, opts);
      expect(rb.steps).toBe(ra.steps);
      expectClose(rb.losses, ra.losses, { atol: 1e-4, rtol: 1e-5 }, `${kind} epoch losses`);
      expectSameParams(cpu, dev, `${kind} after fit`);
      const held = corpus(5, 9, V, K, 12, [4]);
      const ta = cpu.transform(held);
      const tb = dev.transform(held, { batchSize: 4 });
      expect(tb.device).toBe('cuda');
      expect(tb.shape).toEqual([9, K]);
      expectClose(tb.cpu().f32, ta.f32, { atol: 1e-5 }, `${kind} transform`);
      const wa = cpu.topicWord();
      const wb = dev.topicWord();
      expect(wb.device).toBe('cuda');
      expectClose(wb.cpu().f32, wa.f32, { atol: 1e-5 }, `${kind} topicWord`);
      // Top words agree wherever the CPU's ranking is not a near tie.
      const ia = cpu.topicIds(5);
      const ib = dev.topicIds(5);
      for (let t = 0; t < K; t++) {
        for (let j = 0; j < 5; j++) {
          if (ib[t][j] !== ia[t][j]) {
            expect(Math.abs(wa.f32[t * V + ia[t][j]] - wa.f32[t * V + ib[t][j]])).toBeLessThan(1e-5);
          }
        }
      }
      expect(dev.topics(3).length).toBe(K);
      const first = corpus(7, 9, V, K, 8);
      const second = corpus(8, 9, V, K, 8, [2]);
      const pa = cpu.perplexity(first, second);
      const pb = dev.perplexity(first, second);
      expect(Number.isFinite(pa)).toBe(true);
      expectClose([pb], [pa], { atol: 1e-3, rtol: 1e-4 }, `${kind} perplexity`);
    });
  }

  test('WLDA: fit on the device with the default noise (Dirichlet draws on the CPU, moved)', async () => {
    const cpu = build('WLDA');
    const dev = build('WLDA', 'cuda');
    const r = await dev.fit(data, { epochs: 1, batchSize: 12, lr: 2e-3 });
    const c = await cpu.fit(data, { epochs: 1, batchSize: 12, lr: 2e-3 });
    expectClose(r.losses, c.losses, { atol: 1e-4, rtol: 1e-5 }, 'WLDA epoch loss');
    expectSameParams(cpu, dev, 'WLDA after fit');
  });

  test('training resumed on the device after CPU epochs (model.to moves the Adam state too) matches the CPU', async () => {
    const cpu = build('NVDM');
    const dev = build('NVDM');
    const opts = { epochs: 1, batchSize: 10, lr: 5e-3 };
    await cpu.fit(data, opts);
    await dev.fit(data, opts);
    dev.to('cuda');
    const a = await cpu.fit(data, opts);
    const b = await dev.fit(data, opts);
    expectClose(b.losses, a.losses, { atol: 1e-4, rtol: 1e-5 }, 'resumed epoch loss');
    expectSameParams(cpu, dev, 'resumed');
    // And back: the CPU model continues where the device left it.
    dev.to('cpu');
    expect(dev.device).toBe('cpu');
    expectClose(dev.transform(data).f32, cpu.transform(data).f32, { atol: 1e-4 }, 'back on the CPU');
  });

  test('ETM with frozen embeddings given as a CUDA tensor', () => {
    const u = rng(31);
    const emb = tk.tensor(
      Array.from({ length: V * 6 }, () => u() - 0.5),
      [V, 6],
    );
    const cpu = new ETM({ vocabSize: V, numTopics: K, hidden, seed: 4, embeddings: emb });
    const dev = new ETM({ vocabSize: V, numTopics: K, hidden, seed: 4, embeddings: emb.to('cuda'), device: 'cuda' });
    expect(dev.rho.requiresGrad).toBe(false);
    for (let s = 0; s < 2; s++) {
      const a = cpu._step(data, undefined, 1e-2);
      const b = dev._step(data, undefined, 1e-2);
      expectClose([b.loss], [a.loss], { atol: 1e-4, rtol: 1e-5 }, `frozen ETM step ${s}`);
    }
    expect(dev.rho.grad).toBeNull();
    expectSameParams(cpu, dev, 'frozen ETM');
  });

  test('a non-finite gradient reaching only the sparse first layer skips the step on the device too', () => {
    const m = build('NVDM', 'cuda') as InstanceType<typeof NVDM>;
    const p = m as unknown as {
      batchLoss(x: Csr, n: StepNoise): { loss: Tensor; terms: Record<string, Tensor> };
    };
    const orig = p.batchLoss.bind(m);
    p.batchLoss = (b, n) => {
      const r = orig(b, n);
      // d sqrt(u)/du at u = 0 is infinite; only the first layer's weight and bias see it.
      const h = m.encoder.input.forward(b);
      return { loss: tk.add(r.loss, tk.sum(tk.sqrt(tk.mul(h, 0)))), terms: r.terms };
    };
    const before = m.encoder.input.weight.cpu().f32.slice();
    const r = m._step(data, undefined, 1e-3);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.skipped).toBe(true);
    expect(m.encoder.input.weight.cpu().f32).toEqual(before);
    p.batchLoss = orig;
    expect(m._step(data, undefined, 1e-3).skipped).toBe(false);
    expect(m.encoder.input.weight.cpu().f32).not.toEqual(before);
  });

  test('save from the device, load on the CPU and on the device', () => {
    const dev = build('NVDM', 'cuda');
    dev._step(data, undefined, 1e-2);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tk-topics-dev-')), 'm.safetensors');
    try {
      dev.save(file);
      const onCpu = TopicModel.load(file);
      expect(onCpu.device).toBe('cpu');
      const onDev = NVDM.load(file, { device: 'cuda' });
      expect(onDev.device).toBe('cuda');
      for (const [name, p] of paramsOf(dev)) {
        const host = p.cpu().f32;
        expect(paramsOf(onCpu).get(name)!.f32).toEqual(host);
        expect(paramsOf(onDev).get(name)!.cpu().f32).toEqual(host);
      }
      expectClose(onDev.transform(data).cpu().f32, onCpu.transform(data).f32, { atol: 1e-5 }, 'loaded transform');
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  test("an unknown device is refused; 'cuda:1' names the one device there is", () => {
    expect(() => new NVDM({ vocabSize: V, numTopics: K, device: 'gpu' as 'cuda' })).toThrow(TypeError);
    expect(() => new NVDM({ vocabSize: V, numTopics: K, device: 'cuda:1' as 'cuda' })).toThrow(RangeError);
  });
});

deviceDescribe('topic-model layers on the device', () => {
  beforeAll(() => {
    useEmulatedDevice();
  });

  // Rows of different lengths, an empty row, a repeated last column; 3 x 5 would hide stride bugs.
  const x = corpus(21, 7, 13, 3, 6, [2]);
  const rand = (seed: number, shape: number[], scale = 1): Tensor => {
    const u = rng(seed);
    const n = shape.reduce((a, b) => a * b, 1);
    return tk.tensor(
      Array.from({ length: n }, () => (u() * 2 - 1) * scale),
      shape,
      { requiresGrad: true },
    );
  };
  const simplex = (seed: number, rows: number, cols: number): Tensor => {
    const u = rng(seed);
    const out: number[] = [];
    for (let r = 0; r < rows; r++) {
      const w = Array.from({ length: cols }, () => u() + 0.05);
      const s = w.reduce((a, b) => a + b, 0);
      out.push(...w.map((v) => v / s));
    }
    return tk.tensor(out, [rows, cols], { requiresGrad: true });
  };

  test('decoderRecon (with and without bias) and softmaxRecon, with gradients', () => {
    underEmulatorOrders(() => {
      compareDevices(
        'decoderRecon',
        [rand(1, [7, 3]), rand(2, [13, 3]), rand(3, [13])],
        (t, w, b) => decoderRecon(t, w, b, x),
        { backward: true, atol: 1e-5, rtol: 1e-5 },
      );
      compareDevices(
        'decoderRecon without bias',
        [rand(4, [7, 3]), rand(5, [13, 3])],
        (t, w) => decoderRecon(t, w, null, x),
        { backward: true, atol: 1e-5, rtol: 1e-5 },
      );
      compareDevices('softmaxRecon', [rand(6, [7, 13], 3)], (l) => softmaxRecon(l, x), {
        backward: true,
        atol: 1e-5,
        rtol: 1e-5,
      });
    });
  });

  test('softmaxRecon where a word has underflowing probability (the CPU takes its exact branch)', () => {
    const l = rand(7, [7, 13]);
    const host = l.f32.slice();
    host[0 * 13 + x.indices[x.indptr[0]]] = -200;
    compareDevices(
      'softmaxRecon, p below 1e-30',
      [tk.tensor(Array.from(host), [7, 13], { requiresGrad: true })],
      (t) => softmaxRecon(t, x),
      {
        backward: true,
        atol: 1e-4,
        rtol: 1e-5,
      },
    );
  });

  test('mixtureRecon with gradients', () => {
    compareDevices('mixtureRecon', [simplex(8, 7, 3), simplex(9, 13, 3)], (t, b) => mixtureRecon(t, b, x), {
      backward: true,
      atol: 1e-5,
      rtol: 1e-5,
    });
  });

  test('a batch without words: zero losses, zero gradients', () => {
    const none = new CsrMatrix(3, 13, [0, 0, 0, 0], [], []);
    compareDevices(
      'decoderRecon, no words',
      [rand(10, [3, 3]), rand(11, [13, 3]), rand(12, [13])],
      (t, w, b) => decoderRecon(t, w, b, none),
      { backward: true },
    );
    compareDevices(
      'mixtureRecon, no words',
      [simplex(13, 3, 3), simplex(14, 13, 3)],
      (t, b) => mixtureRecon(t, b, none),
      { backward: true },
    );
  });

  test('SparseLinear: forward, its gradient buffer reused per device, and accumulation into .grad', () => {
    const cpu = new SparseLinear(13, 5, { seed: 1 });
    const dev = new SparseLinear(13, 5, { seed: 1 }).to('cuda');
    const g = rand(15, [7, 5]);
    for (let round = 0; round < 2; round++) {
      cpu.zeroGrad();
      dev.zeroGrad();
      const ya = cpu.forward(x);
      const yb = dev.forward(x);
      expect(yb.device).toBe('cuda');
      expectClose(yb.cpu().f32, ya.f32, { atol: 1e-6 }, `forward ${round}`);
      ya.backward(g);
      yb.backward(g.to('cuda'));
      // A second backward adds to .grad (the non-fresh path).
      cpu.forward(x).backward(g);
      dev.forward(x).backward(g.to('cuda'));
      expect(dev.weight.grad!.device).toBe('cuda');
      expectClose(dev.weight.grad!.cpu().f32, cpu.weight.grad!.f32, { atol: 1e-5 }, `weight grad ${round}`);
      expectClose(dev.bias.grad!.cpu().f32, cpu.bias.grad!.f32, { atol: 1e-5 }, `bias grad ${round}`);
    }
  });

  test('mixed devices are a TypeError naming the tensors', () => {
    const t = rand(16, [7, 3]);
    const w = rand(17, [13, 3]).to('cuda');
    expect(() => decoderRecon(t, w, null, x)).toThrow(TypeError);
    expect(() => mixtureRecon(t, w, x)).toThrow(/theta|betaT/);
  });
});

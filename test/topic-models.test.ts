// Topic models (tk.topics.NVDM / WLDA / ETM / GMNTM): one training step against PyTorch from fixed
// weights and noise, recovery of known topics on synthetic corpora, save/load, cancellation,
// non-finite losses and bad input.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tk from '../lib';
import { TopicModel, StepNoise } from '../lib/topics/base';
import { GaussianMixture } from '../lib/topics/gmm';
import { decoderRecon, mixtureRecon, normalizeRows, SparseLinear, softmaxRecon } from '../lib/topics/layers';
import { dirichlet } from '../lib/ops/sampling';
import { gaussianKL, gaussianMixtureKL, mmd, MmdKernel } from '../lib/ops/topic-losses';
import { expectClose, FixtureTensor, fromFixture, gradcheck, loadFixture, errorOf, rng } from './helpers';

const { CsrMatrix } = tk.sparse;
type Csr = InstanceType<typeof CsrMatrix>;
const { NVDM, WLDA, ETM, GMNTM } = tk.topics;

interface CsrFixture {
  indptr: number[];
  indices: number[];
  values: number[];
}
interface Case {
  name: 'NVDM' | 'WLDA' | 'ETM' | 'GMNTM';
  batch: CsrFixture;
  first: CsrFixture;
  second: CsrFixture;
  params: Record<string, FixtureTensor>;
  noise: Record<string, FixtureTensor>;
  loss: number;
  terms: Record<string, number>;
  grads: Record<string, FixtureTensor>;
  after: Record<string, FixtureTensor>;
  theta: FixtureTensor;
  topicWord: FixtureTensor;
  perplexity: number;
  lr: number;
  pretrainLoss?: number;
}
interface Fixture {
  V: number;
  K: number;
  hidden: number[];
  reconWeight: number;
  cases: Case[];
}

const fx = loadFixture<Fixture>('topic_models');
const csrOf = (c: CsrFixture, V: number): Csr => new CsrMatrix(c.indptr.length - 1, V, c.indptr, c.indices, c.values);

function build(name: Case['name'], V: number, K: number, hidden: number[]): TopicModel {
  const base = { vocabSize: V, numTopics: K, hidden, seed: 0 };
  if (name === 'NVDM') return new NVDM(base);
  if (name === 'WLDA') return new WLDA({ ...base, reconWeight: fx.reconWeight });
  if (name === 'ETM') return new ETM({ ...base, embeddingDim: 7 });
  const m = new GMNTM(base);
  m.pretrained = true;
  return m;
}

async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('one training step against PyTorch', () => {
  for (const c of fx.cases) {
    test(c.name, () => {
      const m = build(c.name, fx.V, fx.K, fx.hidden);
      const state: Record<string, tk.Tensor> = {};
      for (const [k, v] of Object.entries(c.params)) state[k] = fromFixture(v);
      m.loadStateDict(state);
      const noise: StepNoise = {};
      for (const [k, v] of Object.entries(c.noise)) (noise as Record<string, tk.Tensor>)[k] = fromFixture(v);
      const batch = csrOf(c.batch, fx.V);

      // Eval-mode outputs before the step.
      expectClose(m.transform(batch), c.theta, { atol: 1e-6, rtol: 1e-5 }, 'theta');
      expectClose(m.topicWord(), c.topicWord, { atol: 1e-7, rtol: 1e-5 }, 'topicWord');
      const ppl = m.perplexity(csrOf(c.first, fx.V), csrOf(c.second, fx.V));
      expect(Math.abs(ppl - c.perplexity) / c.perplexity).toBeLessThan(1e-5);

      const r = m._step(batch, noise, c.lr);
      expect(r.skipped).toBe(false);
      expect(Math.abs(r.loss - c.loss)).toBeLessThanOrEqual(1e-5 * Math.abs(c.loss) + 1e-6);
      for (const [k, v] of Object.entries(c.terms)) {
        expect(Math.abs(r.terms[k] - v)).toBeLessThanOrEqual(1e-5 * Math.abs(v) + 1e-6);
      }
      const params = new Map(m.namedParameters());
      expect([...params.keys()].sort()).toEqual(Object.keys(c.grads).sort());
      for (const [k, g] of Object.entries(c.grads)) {
        const p = params.get(k)!;
        const scale = Math.max(...g.data.map(Math.abs));
        expectClose(p.grad!, g, { atol: 1e-4 * scale + 1e-7, rtol: 1e-4 }, `grad ${k}`);
      }
      for (const [k, a] of Object.entries(c.after)) {
        expectClose(params.get(k)!, a, { atol: 1e-6, rtol: 1e-5 }, `after ${k}`);
      }
      if (c.pretrainLoss !== undefined) {
        // GMNTM's stage-1 loss (z = mu, reconstruction only), from the updated weights.
        const g = m as InstanceType<typeof GMNTM>;
        g.pretrained = false;
        const pre = tk.noGrad(() =>
          (g as unknown as { batchLoss(x: Csr, n: StepNoise): { loss: tk.Tensor } }).batchLoss(batch, {}),
        );
        expect(Math.abs(pre.loss.item() - c.pretrainLoss) / c.pretrainLoss).toBeLessThan(1e-5);
      }
    });
  }
});

// ---- synthetic corpora: K true topics over disjoint word sets, Dir(0.1) mixtures ----

function gammaDraw(u: () => number, alpha: number): number {
  // Marsaglia-Tsang with the alpha < 1 boost; normals by Box-Muller.
  const a = alpha < 1 ? alpha + 1 : alpha;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    if (Math.log(1 - u()) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
      return alpha < 1 ? d * v * Math.pow(1 - u(), 1 / alpha) : d * v;
    }
  }
}

const SYN = { V: 100, K: 5, D: 2000, len: 60 };

function syntheticCorpus(seed: number): { counts: Csr; vocab: string[] } {
  const { V, K, D, len } = SYN;
  const u = rng(seed);
  const per = V / K;
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let d = 0; d < D; d++) {
    const g = Array.from({ length: K }, () => gammaDraw(u, 0.1) + 1e-300);
    const s = g.reduce((a, b) => a + b, 0);
    const theta = g.map((x) => x / s);
    const cnt = new Map<number, number>();
    for (let i = 0; i < len; i++) {
      let r = u();
      let k = 0;
      while (k < K - 1 && r >= theta[k]) r -= theta[k++];
      const w = k * per + Math.min(per - 1, Math.floor(u() * per));
      cnt.set(w, (cnt.get(w) ?? 0) + 1);
    }
    for (const [w, c] of cnt) {
      rows.push(d);
      cols.push(w);
      vals.push(c);
    }
  }
  return {
    counts: CsrMatrix.fromTriplets([D, V], rows, cols, vals),
    vocab: Array.from({ length: V }, (_, i) => `t${Math.floor(i / per)}w${i % per}`),
  };
}

/** For each true topic: the most of its words among the top-10 of any learned topic. */
function recovery(model: TopicModel): number[] {
  const top = model.topics(10);
  return Array.from({ length: SYN.K }, (_, t) =>
    Math.max(...top.map((words) => words.filter((w) => w.startsWith(`t${t}w`)).length)),
  );
}

describe('recovers known topics from a synthetic corpus', () => {
  const corpus = syntheticCorpus(7);
  // Ten learned topics for five true ones: an over-complete model may split a topic but must not
  // lose one. A random top-10 holds on average 2 words of a given true topic.
  const common = { vocabSize: SYN.V, numTopics: 10, hidden: [64, 64], seed: 1 };
  const cases: [string, () => TopicModel, { epochs: number; lr: number }][] = [
    ['NVDM', () => new NVDM(common), { epochs: 12, lr: 0.02 }],
    ['WLDA', () => new WLDA(common), { epochs: 6, lr: 0.01 }],
    ['ETM', () => new ETM({ ...common, embeddingDim: 32 }), { epochs: 10, lr: 0.01 }],
  ];
  for (const [name, make, opts] of cases) {
    test(name, async () => {
      const m = make();
      const before = recovery(m);
      const res = await m.fit(corpus, { ...opts, batchSize: 50 });
      expect(res.skippedSteps).toBe(0);
      expect(res.losses[res.losses.length - 1]).toBeLessThan(res.losses[0]);
      const after = recovery(m);
      expect(before.filter((b) => b >= 8).length).toBeLessThan(SYN.K);
      for (const a of after) expect(a).toBeGreaterThanOrEqual(8);
    });
  }
  test('GMNTM beats random topics clearly', async () => {
    const m = new GMNTM({ ...common, pretrainEpochs: 5 });
    const before = recovery(m).reduce((a, b) => a + b, 0);
    const stages: string[] = [];
    await m.fit(corpus, {
      epochs: 5,
      batchSize: 50,
      lr: 0.01,
      onProgress: (p) => {
        if (p.epochEnd) stages.push(p.stage);
      },
    });
    expect(stages).toEqual([
      'pretrain',
      'pretrain',
      'pretrain',
      'pretrain',
      'pretrain',
      'train',
      'train',
      'train',
      'train',
      'train',
    ]);
    expect(m.pretrained).toBe(true);
    const after = recovery(m);
    const total = after.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(35);
    expect(total).toBeGreaterThan(before + 15);
  });

  test("GMNTM starts stage 3 with q(z|x)'s log-variance at the mixture's (no first-epoch spike)", async () => {
    const m = new GMNTM({ ...common, pretrainEpochs: 2 });
    await m.fit(corpus, { epochs: 0, batchSize: 50, lr: 0.01 });
    expect(m.pretrained).toBe(true);
    const K = m.numTopics;
    const lv = m.logvars.data;
    // The head is a constant: zero weights, each dimension's mean component log-variance as bias.
    expect(m.logvar.weight.data.every((w) => w === 0)).toBe(true);
    const bias = m.logvar.bias!.data;
    for (let j = 0; j < K; j++) {
      let sum = 0;
      for (let c = 0; c < K; c++) sum += lv[c * K + j];
      expect(bias[j]).toBeCloseTo(sum / K, 5);
    }
    // So the first stage-3 steps see a KL of ordinary size.
    const res = await m.fit(corpus, { epochs: 1, batchSize: 50, lr: 0.01 });
    expect(res.skippedSteps).toBe(0);
    expect(res.losses[0]).toBeLessThan(1e4);
  });
});

// ---- API behaviour on a small corpus ----

let smallCache: { counts: Csr; vocab: string[] } | null = null;
/** 120 documents of a synthetic corpus (built once). */
const small = (): { counts: Csr; vocab: string[] } => {
  if (!smallCache) {
    const c = syntheticCorpus(3);
    const ids = Array.from({ length: 120 }, (_, i) => i);
    smallCache = { counts: c.counts.selectRows(ids), vocab: c.vocab };
  }
  return { counts: smallCache.counts, vocab: smallCache.vocab.slice() };
};
const tiny = { vocabSize: SYN.V, numTopics: 5, hidden: [16], seed: 2 };

describe('fit / transform / topics / perplexity', () => {
  test('shapes, simplex rows, vocabulary words, empty documents left out', async () => {
    const data = small();
    // Append two empty documents: fit leaves them out, transform still returns a row for them.
    const { counts } = data;
    const indptr = Int32Array.from([...counts.indptr, counts.nnz, counts.nnz]);
    const withEmpty = new CsrMatrix(counts.rows + 2, SYN.V, indptr, counts.indices, counts.values);
    for (const m of [
      new NVDM(tiny),
      new WLDA(tiny),
      new ETM({ ...tiny, embeddingDim: 8 }),
      new GMNTM({ ...tiny, pretrainEpochs: 1 }),
    ]) {
      const steps: number[] = [];
      const res = await m.fit(
        { counts: withEmpty, vocab: data.vocab },
        { epochs: 1, batchSize: 32, onProgress: (p) => steps.push(p.step) },
      );
      const stageEpochs = m instanceof GMNTM ? 2 : 1;
      expect(res.epochs).toBe(stageEpochs);
      expect(res.steps).toBe(4 * stageEpochs); // ceil(120 / 32): the empty rows are not trained on
      expect(steps.slice(0, 4)).toEqual([1, 2, 3, 4]);
      const theta = m.transform(withEmpty);
      expect(theta.shape).toEqual([122, 5]);
      for (let d = 0; d < 122; d++) {
        const row = theta.f32.subarray(d * 5, d * 5 + 5);
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      }
      const tw = m.topicWord();
      expect(tw.shape).toEqual([5, SYN.V]);
      for (let k = 0; k < 5; k++) {
        const s = tw.f32.subarray(k * SYN.V, (k + 1) * SYN.V).reduce((a, b) => a + b, 0);
        expect(Math.abs(s - 1)).toBeLessThan(1e-4);
      }
      const topics = m.topics(4);
      expect(topics.length).toBe(5);
      for (const t of topics) {
        expect(t.length).toBe(4);
        for (const w of t) expect(data.vocab).toContain(w);
      }
      // Document completion on the corpus split into two halves: finite, and below the
      // uniform-model perplexity V after (brief) training is not required; it must be > 1.
      const half = (keepFirst: boolean): Csr => {
        const v = Float32Array.from(counts.values, (x) => (keepFirst ? Math.ceil(x / 2) : Math.floor(x / 2)));
        return new CsrMatrix(counts.rows, SYN.V, counts.indptr, counts.indices, v);
      };
      const ppl = m.perplexity(half(true), half(false));
      expect(Number.isFinite(ppl)).toBe(true);
      expect(ppl).toBeGreaterThan(1);
    }
  });

  test('topics() names word ids without a vocabulary; transform is deterministic', () => {
    const m = new NVDM(tiny);
    expect(m.vocab).toBeNull();
    expect(m.topics(3)[0].every((w) => /^\d+$/.test(w))).toBe(true);
    const x = small().counts;
    expectClose(m.transform(x), m.transform(x), { atol: 0, rtol: 0 });
  });
});

describe('topic words from the decoder\'s weights only (bias: false, W-LDA\'s "Top Words2")', () => {
  // A constructed decoder Linear(K = 2, V = 6): word 0 has a large bias (a background word) and small
  // weights, so it tops both topics with the bias and drops out of both without it.
  const V = 6;
  const K = 2;
  const W = [
    [0.1, 0.1],
    [2, -1],
    [1.5, 0.5],
    [-1, 2],
    [0.5, 1.5],
    [0, 0.25],
  ]; // [V, K]
  const b = [5, 0, 0, 0, 0, 1];
  const vocab = ['said', 'music', 'band', 'court', 'judge', 'time'];
  const setDecoder = (dec: { weight: tk.Tensor; bias: tk.Tensor | null }): void => {
    dec.weight.f32.set(W.flat());
    dec.bias!.f32.set(b);
  };
  /** Word ids of topic k ranked by a score per word, descending, ties to the lower id. */
  const argsort = (score: (v: number) => number): number[] =>
    Array.from({ length: V }, (_, v) => v).sort((x, y) => score(y) - score(x) || x - y);

  test('WLDA and NVDM: ranked by the weight column alone; the default adds the bias', () => {
    for (const m of [
      new WLDA({ vocabSize: V, numTopics: K, hidden: [4], seed: 1, vocab }),
      new NVDM({ vocabSize: V, numTopics: K, hidden: [4], seed: 1, vocab }),
    ]) {
      setDecoder(m.decoder);
      for (let k = 0; k < K; k++) {
        expect(m.topicIds(V, { bias: false })[k]).toEqual(argsort((v) => W[v][k]));
        expect(m.topicIds(V)[k]).toEqual(argsort((v) => W[v][k] + b[v]));
      }
      expect(m.topicIds(3)).toEqual([
        [0, 1, 2],
        [0, 3, 4],
      ]);
      expect(m.topicIds(3, { bias: true })).toEqual(m.topicIds(3));
      expect(m.topicIds(3, {})).toEqual(m.topicIds(3));
      expect(m.topicIds(3, { bias: false })).toEqual([
        [1, 2, 4],
        [3, 4, 2],
      ]);
      expect(m.topics(2, { bias: false })).toEqual([
        ['music', 'band'],
        ['court', 'judge'],
      ]);
      // topicWord: softmax over V of the weight column (+ bias by default), rows on the simplex.
      for (const bias of [true, false]) {
        const tw = m.topicWord({ bias });
        expect(tw.shape).toEqual([K, V]);
        const want = new Float32Array(K * V);
        for (let k = 0; k < K; k++) {
          const z = W.map((row, v) => row[k] + (bias ? b[v] : 0));
          const mx = Math.max(...z);
          const e = z.map((x) => Math.exp(x - mx));
          const s = e.reduce((x, y) => x + y, 0);
          for (let v = 0; v < V; v++) want[k * V + v] = e[v] / s;
        }
        expectClose(tw, want, { atol: 1e-6, rtol: 1e-5 }, `${m.constructor.name} bias ${bias}`);
      }
    }
  });

  test('GMNTM: the bias is left out of decoder(softmax(fc(means_k)))', () => {
    const m = new GMNTM({ vocabSize: V, numTopics: K, hidden: [4], seed: 1 });
    setDecoder(m.decoder);
    const code = tk.softmax(m.fc.forward(m.means), 1);
    const noBias = tk.softmax(tk.matmul(code, tk.transpose(m.decoder.weight, 0, 1)), 1);
    const withBias = tk.softmax(tk.add(tk.matmul(code, tk.transpose(m.decoder.weight, 0, 1)), m.decoder.bias!), 1);
    expectClose(m.topicWord({ bias: false }), noBias, { atol: 1e-6, rtol: 1e-5 });
    expectClose(m.topicWord(), withBias, { atol: 1e-6, rtol: 1e-5 });
    // The background word 0 leads every topic with the bias only.
    expect(m.topicIds(1).map((t) => t[0])).toEqual([0, 0]);
    expect(m.topicIds(1, { bias: false }).some((t) => t[0] === 0)).toBe(false);
  });

  test('ETM has no bias: the same topics either way', () => {
    const m = new ETM({ vocabSize: V, numTopics: K, hidden: [4], embeddingDim: 3, seed: 1 });
    expectClose(m.topicWord({ bias: false }), m.topicWord(), { atol: 0, rtol: 0 });
    expect(m.topicIds(4, { bias: false })).toEqual(m.topicIds(4));
  });

  test('bad options', () => {
    const m = new WLDA({ vocabSize: V, numTopics: K, hidden: [4], seed: 1 });
    const e = new ETM({ vocabSize: V, numTopics: K, hidden: [4], embeddingDim: 3, seed: 1 });
    for (const f of [
      () => m.topicIds(3, { bias: 1 as unknown as boolean }),
      () => m.topics(3, { bias: 'no' as unknown as boolean }),
      () => m.topicWord({ bias: null as unknown as boolean }),
      () => e.topicWord({ bias: 0 as unknown as boolean }),
    ]) {
      const err = errorOf(f);
      expect(err.name).toBe('TypeError');
      expect(err.message).toMatch(/bias/);
    }
    for (const f of [
      () => m.topicIds(3, null as unknown as object),
      () => m.topicWord(false as unknown as object),
      () => e.topics(3, [] as unknown as object),
    ]) {
      const err = errorOf(f);
      expect(err.name).toBe('TypeError');
      expect(err.message).toMatch(/opts/);
    }
    expect(errorOf(() => m.topicIds(0, { bias: false })).name).toBe('RangeError');
  });
});

describe("WLDA init: 'xavier' (W-LDA's MXNet initialisation)", () => {
  test('every weight U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), every bias 0; torch init by default', () => {
    const opts = { vocabSize: 300, numTopics: 4, hidden: [20, 10], seed: 3 };
    const x = new WLDA({ ...opts, init: 'xavier' });
    const t = new WLDA(opts);
    expect(x.init).toBe('xavier');
    expect(t.init).toBe('torch');
    const named = [...x.namedParameters()];
    expect(named.map(([n]) => n).sort()).toEqual(
      [
        'decoder.bias',
        'decoder.weight',
        'encoder.input.bias',
        'encoder.input.weight',
        'encoder.layers.0.bias',
        'encoder.layers.0.weight',
        'out.bias',
        'out.weight',
      ].sort(),
    );
    for (const [name, p] of named) {
      const d = p.f32;
      if (name.endsWith('bias')) {
        expect(d.every((v) => v === 0)).toBe(true);
        continue;
      }
      const a = Math.sqrt(6 / (p.shape[0] + p.shape[1]));
      let max = 0;
      let sum = 0;
      let sq = 0;
      for (const v of d) {
        max = Math.max(max, Math.abs(v));
        sum += v;
        sq += v * v;
      }
      expect(max).toBeLessThanOrEqual(a);
      // A uniform on (-a, a) has variance a^2 / 3: the draw fills the range, not a narrower one.
      expect(max).toBeGreaterThan(0.9 * a);
      expect(Math.abs(sq / d.length - (a * a) / 3)).toBeLessThan(0.2 * ((a * a) / 3));
      expect(Math.abs(sum / d.length)).toBeLessThan(0.1 * a);
    }
    // torch's Linear(K, V) decoder: U(+-1/sqrt(K)), far wider than Xavier's for V >> K; bias non-zero.
    expect(Math.max(...Array.from(t.decoder.weight.f32, Math.abs))).toBeGreaterThan(
      2 * Math.sqrt(6 / (opts.vocabSize + opts.numTopics)),
    );
    expect(t.decoder.bias!.f32.some((v) => v !== 0)).toBe(true);
    // Same seed, same draws.
    expectClose(new WLDA({ ...opts, init: 'xavier' }).decoder.weight, x.decoder.weight, { atol: 0, rtol: 0 });
  });

  test('a bad init is a TypeError naming init; save/load keeps it', async () => {
    const e = errorOf(() => new WLDA({ vocabSize: 10, numTopics: 2, init: 'kaiming' as unknown as 'xavier' }));
    expect(e.name).toBe('TypeError');
    expect(e.message).toMatch(/init/);
    const m = new WLDA({ ...tiny, init: 'xavier' });
    await m.fit(small(), { epochs: 1, batchSize: 60 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-wlda-init-'));
    try {
      const file = path.join(dir, 'm.safetensors');
      m.save(file);
      const back = WLDA.load(file) as InstanceType<typeof WLDA>;
      expect(back.init).toBe('xavier');
      expectClose(back.decoder.weight, m.decoder.weight, { atol: 0, rtol: 0 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('save / load', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-topics-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const makers: [string, () => TopicModel][] = [
    ['NVDM', () => new NVDM(tiny)],
    ['WLDA', () => new WLDA({ ...tiny, latentNoise: 0.1 })],
    ['ETM', () => new ETM({ ...tiny, embeddingDim: 6 })],
    ['GMNTM', () => new GMNTM({ ...tiny, pretrainEpochs: 1 })],
  ];
  for (const [name, make] of makers) {
    test(`${name} round trip`, async () => {
      const data = small();
      const m = make();
      await m.fit(data, { epochs: 1, batchSize: 40 });
      const file = path.join(dir, `${name}.safetensors`);
      m.save(file);
      const cls = tk.topics[name as 'NVDM'] as unknown as { load(p: string): TopicModel };
      const a = cls.load(file);
      const b = TopicModel.load(file);
      for (const l of [a, b]) {
        expect(l.constructor.name).toBe(name);
        expect(l.vocab).toEqual(data.vocab);
        expect(l.numTopics).toBe(5);
        expectClose(l.transform(data.counts), m.transform(data.counts), { atol: 0, rtol: 0 }, 'theta');
        expectClose(l.topicWord(), m.topicWord(), { atol: 0, rtol: 0 }, 'topicWord');
        expect(l.topics(5)).toEqual(m.topics(5));
      }
      if (m instanceof WLDA) {
        expect((a as InstanceType<typeof WLDA>).reconWeight).toBe(m.reconWeight);
        expect((a as InstanceType<typeof WLDA>).latentNoise).toBe(0.1);
      }
      if (m instanceof GMNTM) expect((a as InstanceType<typeof GMNTM>).pretrained).toBe(true);
      // The loaded model keeps training.
      const r = await a.fit(data, { epochs: 1, batchSize: 40 });
      expect(r.skippedSteps).toBe(0);
      const other = name === 'NVDM' ? 'ETM' : 'NVDM';
      const wrong = tk.topics[other as 'NVDM'] as unknown as { load(p: string): TopicModel };
      expect(errorOf(() => wrong.load(file)).message).toMatch(new RegExp(`holds a ${name} model`));
    });
  }
  test('a file that is not a topic model', () => {
    const file = path.join(dir, 'plain.safetensors');
    tk.io.saveSafetensors(file, { w: tk.zeros([2]) });
    expect(errorOf(() => TopicModel.load(file)).name).toBe('TypeError');
  });
});

describe('ETM word embeddings', () => {
  test('frozen vectors from KeyedVectors stay fixed; missing words are counted', async () => {
    const data = small();
    const E = 6;
    const words = data.vocab.slice(0, 90);
    const vecs = Float32Array.from({ length: words.length * E }, (_, i) => Math.sin(i));
    const kv = new tk.embeddings.KeyedVectors(words, vecs, E);
    const m = new ETM({ ...tiny, vocab: data.vocab, embeddings: kv });
    expect(m.trainEmbeddings).toBe(false);
    expect(m.missingWords).toBe(10);
    expect(m.embeddingDim).toBe(E);
    const rho0 = m.rho.f32.slice();
    expectClose(rho0.subarray(0, 90 * E), vecs, { atol: 0, rtol: 0 });
    await m.fit(data, { epochs: 1, batchSize: 40 });
    expectClose(m.rho.f32, rho0, { atol: 0, rtol: 0 }, 'rho');
    expect(m.parameters().filter((p) => p.requiresGrad)).not.toContain(m.rho);
    // Trainable on request.
    const t = new ETM({ ...tiny, vocab: data.vocab, embeddings: kv, trainEmbeddings: true });
    await t.fit(data, { epochs: 1, batchSize: 40 });
    expect(Array.from(t.rho.f32).some((v, i) => v !== rho0[i])).toBe(true);
    expect(errorOf(() => new ETM({ ...tiny, embeddings: kv })).message).toMatch(/vocab/);
    expect(errorOf(() => new ETM({ ...tiny, embeddings: tk.zeros([3, 4]) })).name).toBe('RangeError');
  });
});

describe('cancellation', () => {
  test('an abort from onProgress rejects with AbortError and leaves the model usable', async () => {
    const data = small();
    const m = new NVDM(tiny);
    const ac = new AbortController();
    let steps = 0;
    const err = await rejectionOf(
      m.fit(data, {
        epochs: 50,
        batchSize: 10,
        signal: ac.signal,
        onProgress: () => {
          if (++steps === 3) ac.abort();
        },
      }),
    );
    expect(err.name).toBe('AbortError');
    expect(steps).toBe(3);
    expect(m.training).toBe(false);
    const theta = m.transform(data.counts);
    expect(theta.f32.every(Number.isFinite)).toBe(true);
    const res = await m.fit(data, { epochs: 1, batchSize: 40 });
    expect(res.steps).toBe(3);
  });

  test('a timer can abort: fit yields to the event loop between batches', async () => {
    const m = new WLDA(tiny);
    const ac = new AbortController();
    let steps = 0;
    setTimeout(() => ac.abort(), 30);
    const err = await rejectionOf(
      m.fit(small(), { epochs: 10000, batchSize: 10, signal: ac.signal, onProgress: () => steps++ }),
    );
    expect(err.name).toBe('AbortError');
    expect(steps).toBeGreaterThan(0);
    expect(steps).toBeLessThan(120000);
  });

  test('a second fit() while one runs is refused', async () => {
    const m = new NVDM(tiny);
    const ac = new AbortController();
    const first = m.fit(small(), { epochs: 1000, batchSize: 10, signal: ac.signal });
    const e = await rejectionOf(m.fit(small(), { epochs: 1 }));
    expect(e.message).toMatch(/already running/);
    ac.abort();
    expect((await rejectionOf(first)).name).toBe('AbortError');
    expect((await m.fit(small(), { epochs: 1, batchSize: 60 })).steps).toBe(2);
  });

  test('an already aborted signal trains nothing', async () => {
    const m = new NVDM(tiny);
    const before = m.decoder.weight.f32.slice();
    const err = await rejectionOf(m.fit(small(), { epochs: 2, signal: AbortSignal.abort() }));
    expect(err.name).toBe('AbortError');
    expectClose(m.decoder.weight, before, { atol: 0, rtol: 0 });
  });
});

describe('non-finite losses', () => {
  type Patchable = { batchLoss(x: Csr, n: StepNoise): { loss: tk.Tensor; terms: Record<string, tk.Tensor> } };

  test('a NaN loss is reported, skipped and counted; training goes on', async () => {
    const m = new NVDM(tiny);
    const p = m as unknown as Patchable;
    const orig = p.batchLoss.bind(m);
    let calls = 0;
    let weightsBefore: Float32Array | null = null;
    p.batchLoss = (x, n) => {
      const r = orig(x, n);
      if (++calls === 2) {
        weightsBefore = m.decoder.weight.f32.slice();
        return { loss: tk.mul(r.loss, NaN), terms: r.terms };
      }
      if (calls === 3) expectClose(m.decoder.weight, weightsBefore!, { atol: 0, rtol: 0 }, 'skipped step');
      return r;
    };
    const events: { skipped: boolean; loss: number; skippedSteps: number }[] = [];
    const res = await m.fit(small(), { epochs: 1, batchSize: 30, onProgress: (e) => events.push(e) });
    expect(events.map((e) => e.skipped)).toEqual([false, true, false, false]);
    expect(Number.isNaN(events[1].loss)).toBe(true);
    expect(events[3].skippedSteps).toBe(1);
    expect(res.skippedSteps).toBe(1);
    expect(res.steps).toBe(3);
    expect(Number.isFinite(res.losses[0])).toBe(true);
  });

  test('repeated non-finite steps stop training with a clear error', async () => {
    const m = new ETM({ ...tiny, embeddingDim: 4 });
    m.alphas.weight.f32[0] = NaN; // every loss is NaN from here on
    const enc = m.encoder.input.weight.f32.slice();
    let skipped = 0;
    const err = await rejectionOf(
      m.fit(small(), {
        epochs: 5,
        batchSize: 10,
        maxNonFiniteSteps: 4,
        onProgress: (e) => (skipped += e.skipped ? 1 : 0),
      }),
    );
    expect(err.name).toBe('Error');
    expect(err.message).toMatch(/not finite for 4 consecutive steps/);
    expect(skipped).toBe(4);
    // No update was applied.
    expectClose(m.encoder.input.weight, enc, { atol: 0, rtol: 0 });
  });

  test('a non-finite gradient with a finite loss is skipped too', () => {
    const m = new NVDM(tiny);
    const p = m as unknown as Patchable;
    const orig = p.batchLoss.bind(m);
    // sqrt at 0 has an infinite derivative: the loss stays finite, the gradient does not.
    p.batchLoss = (x, n) => {
      const r = orig(x, n);
      return { loss: tk.add(r.loss, tk.sqrt(tk.mul(m.fc.bias!, 0)).sum()), terms: r.terms };
    };
    const before = m.fc.weight.f32.slice();
    const r = m._step(small().counts, undefined, 1e-3);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.skipped).toBe(true);
    expectClose(m.fc.weight, before, { atol: 0, rtol: 0 });
  });
});

describe('bad input', () => {
  test('constructor options', () => {
    expect(errorOf(() => new NVDM({ vocabSize: 10, numTopics: 11 })).message).toMatch(/numTopics.*vocabSize/);
    expect(errorOf(() => new NVDM({ vocabSize: 10, numTopics: 11 })).name).toBe('RangeError');
    expect(errorOf(() => new WLDA({ vocabSize: 10, numTopics: 1 })).message).toMatch(/numTopics must be at least 2/);
    expect(errorOf(() => new ETM({ vocabSize: 10, numTopics: 2.5 })).name).toBe('TypeError');
    expect(errorOf(() => new GMNTM({ vocabSize: 0, numTopics: 2 })).message).toMatch(/vocabSize/);
    expect(errorOf(() => new NVDM({ vocabSize: 10, numTopics: 2, hidden: [] })).message).toMatch(/hidden/);
    expect(errorOf(() => new NVDM({ vocabSize: 10, numTopics: 2, hidden: [4, 0] })).message).toMatch(/hidden\[1\]/);
    expect(errorOf(() => new NVDM({ vocabSize: 3, numTopics: 2, vocab: ['a', 'b'] })).message).toMatch(/vocab/);
    expect(errorOf(() => new WLDA({ vocabSize: 10, numTopics: 2, latentNoise: 2 })).message).toMatch(/latentNoise/);
  });

  test('corpora', async () => {
    const data = small();
    const m = new NVDM(tiny);
    const empty = new CsrMatrix(0, SYN.V, [0], [], []);
    let e = await rejectionOf(m.fit(empty));
    expect([e.name, e.message]).toEqual(['RangeError', expect.stringMatching(/corpus has no documents/)]);
    e = await rejectionOf(m.fit(new CsrMatrix(3, SYN.V, [0, 0, 0, 0], [], [])));
    expect(e.message).toMatch(/corpus is empty/);
    e = await rejectionOf(m.fit(new CsrMatrix(1, 50, [0, 1], [3], [2])));
    expect([e.name, e.message]).toEqual(['RangeError', expect.stringMatching(/corpus has 50 words.*vocabSize is 100/)]);
    e = await rejectionOf(m.fit(new CsrMatrix(1, SYN.V, [0, 1], [3], [-1])));
    expect(e.message).toMatch(/non-negative/);
    e = await rejectionOf(m.fit(new CsrMatrix(1, SYN.V, [0, 1], [3], [NaN])));
    expect(e.message).toMatch(/finite/);
    e = await rejectionOf(m.fit({ counts: data.counts, vocab: data.vocab.slice(1) }));
    expect(e.message).toMatch(/corpus.vocab has 99 words/);
    e = await rejectionOf(m.fit([[1, 2]] as unknown as Csr));
    expect(e.name).toBe('TypeError');
    e = await rejectionOf(m.fit(data, { epochs: -1 }));
    expect(e.message).toMatch(/epochs/);
    e = await rejectionOf(m.fit(data, { batchSize: 0 }));
    expect(e.message).toMatch(/batchSize/);
    // The vocabulary is taken from the first corpus; a different one is refused afterwards.
    await m.fit(data, { epochs: 1, batchSize: 60 });
    expect(m.vocab).toEqual(data.vocab);
    const renamed = data.vocab.map((w, i) => (i === 7 ? 'other' : w));
    e = await rejectionOf(m.fit({ counts: data.counts, vocab: renamed }));
    expect(e.message).toMatch(/corpus.vocab differs from the model's vocabulary at id 7/);
    expect(errorOf(() => m.transform({ counts: data.counts, vocab: renamed })).message).toMatch(/docs.vocab differs/);
    expect(errorOf(() => m.transform(new CsrMatrix(1, 20, [0, 0], [], []))).name).toBe('RangeError');
    expect(errorOf(() => m.perplexity(data.counts, data.counts.selectRows([0, 1]))).message).toMatch(/same documents/);
    const none = new CsrMatrix(2, SYN.V, [0, 0, 0], [], []);
    expect(errorOf(() => m.perplexity(data.counts.selectRows([0, 1]), none)).message).toMatch(/held-out/);
  });

  test('GMNTM needs at least numTopics documents for its mixture', async () => {
    const m = new GMNTM({ ...tiny, pretrainEpochs: 0 });
    const e = await rejectionOf(m.fit(small().counts.selectRows([0, 1, 2]), { epochs: 1 }));
    expect(e.message).toMatch(/at least numTopics/);
  });
});

describe('GaussianMixture', () => {
  test('finds three separated diagonal clusters, deterministically', () => {
    const u = rng(5);
    const centers = [
      [0, 0],
      [6, 1],
      [1, 8],
    ];
    const scales = [
      [0.5, 1],
      [1, 0.3],
      [0.7, 0.7],
    ];
    const N = 600;
    const X = new Float32Array(N * 2);
    const label: number[] = [];
    for (let n = 0; n < N; n++) {
      const c = n % 3;
      label.push(c);
      for (let j = 0; j < 2; j++) {
        const z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
        X[n * 2 + j] = centers[c][j] + scales[c][j] * z;
      }
    }
    const x = new tk.Tensor(X, [N, 2]);
    const g = new GaussianMixture({ numComponents: 3, seed: 1 }).fit(x);
    expect(g.converged).toBe(true);
    const order = [0, 1, 2].map((c) => {
      let best = 0;
      for (let k = 1; k < 3; k++) {
        const d = (k2: number): number =>
          (g.means[k2 * 2] - centers[c][0]) ** 2 + (g.means[k2 * 2 + 1] - centers[c][1]) ** 2;
        if (d(k) < d(best)) best = k;
      }
      return best;
    });
    expect(new Set(order).size).toBe(3);
    for (let c = 0; c < 3; c++) {
      const k = order[c];
      for (let j = 0; j < 2; j++) {
        expect(Math.abs(g.means[k * 2 + j] - centers[c][j])).toBeLessThan(0.2);
        expect(Math.abs(Math.sqrt(g.variances[k * 2 + j]) / scales[c][j] - 1)).toBeLessThan(0.2);
      }
      expect(Math.abs(g.weights[k] - 1 / 3)).toBeLessThan(0.02);
    }
    const pred = g.predict(x).data;
    const correct = label.filter((c, n) => pred[n] === order[c]).length;
    expect(correct / N).toBeGreaterThan(0.98);
    const again = new GaussianMixture({ numComponents: 3, seed: 1 }).fit(x);
    expect(Array.from(again.means)).toEqual(Array.from(g.means));
    expect(
      errorOf(() => new GaussianMixture({ numComponents: 5 }).fit(new tk.Tensor(new Float32Array(8), [4, 2]))).message,
    ).toMatch(/fewer than numComponents/);
  });
});

describe('fused layers', () => {
  const x = new CsrMatrix(3, 6, [0, 2, 2, 5], [1, 4, 0, 1, 5], [2, 1, 3, 1, 4]);
  const dense = x.toDense();

  test('softmaxRecon: value and gradient against log-softmax, extreme logits included', () => {
    const logits = tk
      .mul(tk.randn([3, 6], { seed: 4 }), 2)
      .detach()
      .setRequiresGrad(true);
    const ref = tk.neg(tk.sum(tk.mul(dense, tk.logSoftmax(logits, 1)), 1));
    expectClose(softmaxRecon(logits, x), ref, { atol: 1e-5, rtol: 1e-6 });
    gradcheck((l) => softmaxRecon(l, x), [logits]);
    // An observed word 150 below the row maximum: its softmax underflows; the loss must not.
    const ext = new tk.Tensor(Float32Array.from([0, -150, 0, 0, 3, 0, 1, 1, 1, 1, 1, 1, -120, 0, 5, 2, 0, 1]), [3, 6]);
    const r = softmaxRecon(ext, x);
    expectClose(r, tk.neg(tk.sum(tk.mul(dense, tk.logSoftmax(ext, 1)), 1)), { atol: 1e-4, rtol: 1e-6 });
    expect(r.f32[0]).toBeGreaterThan(290);
  });

  test('decoderRecon: the decoder Linear and softmaxRecon fused', () => {
    const theta = tk
      .softmax(tk.randn([3, 4], { seed: 7 }), 1)
      .detach()
      .setRequiresGrad(true);
    const w = tk.randn([6, 4], { seed: 8 }).setRequiresGrad(true);
    const b = tk.randn([6], { seed: 9 }).setRequiresGrad(true);
    const ref = softmaxRecon(tk.linear(theta, w, b), x);
    const got = decoderRecon(theta, w, b, x);
    expectClose(got, ref, { atol: 1e-5, rtol: 1e-6 });
    tk.sum(tk.mul(ref, tk.tensor([1, 2, 3]))).backward();
    const refGrads = [theta, w, b].map((t) => t.grad!.f32.slice());
    for (const t of [theta, w, b]) t.grad = null;
    tk.sum(tk.mul(got, tk.tensor([1, 2, 3]))).backward();
    [theta, w, b].forEach((t, i) => expectClose(t.grad!, refGrads[i], { atol: 1e-5, rtol: 1e-5 }, `grad ${i}`));
    gradcheck((t, ww, bb) => decoderRecon(t, ww, bb, x), [theta, w, b], { eps: 1e-3 });
    expectClose(decoderRecon(theta, w, null, x), softmaxRecon(tk.linear(theta, w), x), { atol: 1e-5, rtol: 1e-6 });
  });

  test('mixtureRecon: value and gradients against the dense product', () => {
    const theta = tk
      .softmax(tk.randn([3, 4], { seed: 5 }), 1)
      .detach()
      .setRequiresGrad(true);
    const betaT = tk
      .softmax(tk.randn([6, 4], { seed: 6 }), 0)
      .detach()
      .setRequiresGrad(true);
    const ref = tk.neg(tk.sum(tk.mul(dense, tk.log(tk.matmul(theta, tk.transpose(betaT, 0, 1)))), 1));
    expectClose(mixtureRecon(theta, betaT, x), ref, { atol: 1e-5, rtol: 1e-6 });
    gradcheck((t, b) => mixtureRecon(t, b, x), [theta, betaT], { eps: 1e-3 });
  });

  test('SparseLinear: x W + b with gradients, accumulated over two uses', () => {
    const layer = new SparseLinear(6, 5, { seed: 3 });
    expectClose(layer.forward(x), tk.add(tk.matmul(dense, layer.weight), layer.bias), { atol: 1e-6, rtol: 1e-6 });
    gradcheck(() => layer.forward(x), [layer.weight, layer.bias]);
    layer.zeroGrad();
    const y = tk.add(tk.sum(layer.forward(x)), tk.sum(tk.mul(layer.forward(x), 2)));
    y.backward();
    const colSums = tk.sum(dense, 0).f32;
    for (let i = 0; i < 6; i++)
      for (let h = 0; h < 5; h++) expect(layer.weight.grad!.f32[i * 5 + h]).toBeCloseTo(3 * colSums[i], 5);
    expectClose(layer.bias.grad!, new Float32Array(5).fill(9), { atol: 1e-6, rtol: 0 });
    expect(errorOf(() => layer.forward(new CsrMatrix(1, 5, [0, 0], [], []))).name).toBe('RangeError');
  });

  test('normalizeRows keeps empty rows empty', () => {
    const n = normalizeRows(x);
    expect(Array.from(n.values)).toEqual([2 / 3, 1 / 3, 3 / 8, 1 / 8, 4 / 8].map(Math.fround));
  });

  test('a non-finite gradient reaching the sparse first layer only is caught', () => {
    const m = new NVDM(tiny);
    const p = m as unknown as {
      batchLoss(x: Csr, n: StepNoise): { loss: tk.Tensor; terms: Record<string, tk.Tensor> };
    };
    const orig = p.batchLoss.bind(m);
    p.batchLoss = (b, n) => {
      const r = orig(b, n);
      // d sqrt(u)/du at u = 0 is infinite; only the first layer's weight and bias see it.
      const h = m.encoder.input.forward(b);
      return { loss: tk.add(r.loss, tk.sum(tk.sqrt(tk.mul(h, 0)))), terms: r.terms };
    };
    const before = m.encoder.input.weight.f32.slice();
    const r = m._step(small().counts, undefined, 1e-3);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.skipped).toBe(true);
    expectClose(m.encoder.input.weight, before, { atol: 0, rtol: 0 });
    // The next clean step goes through.
    p.batchLoss = orig;
    expect(m._step(small().counts, undefined, 1e-3).skipped).toBe(false);
  });
});

describe('the loss and sampling ops the models use (spec signatures)', () => {
  const rows = (seed: number, n: number, d: number): tk.Tensor =>
    tk.softmax(tk.mul(tk.randn([n, d], { seed }), 1.5), 1).detach();
  function bruteMmd(x: tk.Tensor, y: tk.Tensor, k: (a: Float32Array, b: Float32Array) => number): number {
    const [n, d] = x.shape;
    const m = y.shape[0];
    const r = (t: tk.Tensor, i: number): Float32Array => t.f32.subarray(i * d, (i + 1) * d);
    let xx = 0;
    let yy = 0;
    let xy = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) xx += k(r(x, i), r(x, j));
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) if (i !== j) yy += k(r(y, i), r(y, j));
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) xy += k(r(x, i), r(y, j));
    return xx / (n * (n - 1)) + yy / (m * (m - 1)) - (2 * xy) / (n * m);
  }
  const sq = (a: Float32Array, b: Float32Array): number => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);
  const kernels: [MmdKernel, number, (a: Float32Array, b: Float32Array) => number][] = [
    [
      'diffusion',
      1,
      (a, b) =>
        Math.exp(
          -(
            Math.acos(
              Math.min(
                1,
                a.reduce((s, v, i) => s + Math.sqrt(v * b[i]), 0),
              ),
            ) ** 2
          ),
        ),
    ],
    ['rbf', 0.7, (a, b) => Math.exp(-sq(a, b) / (2 * 0.49))],
    ['imq', 2, (a, b) => 2 / (2 + sq(a, b))],
  ];
  for (const [kernel, bandwidth, k] of kernels) {
    test(`mmd ${kernel}: value and gradients`, () => {
      const x = rows(1, 5, 4).setRequiresGrad(true);
      const y = rows(2, 6, 4).setRequiresGrad(true);
      const v = mmd(x, y, { kernel, bandwidth });
      expect(v.shape).toEqual([]);
      expect(Math.abs(v.item() - bruteMmd(x, y, k))).toBeLessThan(1e-5);
      gradcheck((a, b) => mmd(a, b, { kernel, bandwidth }), [x, y], { eps: 1e-3, atol: 1e-3 });
    });
  }

  test('gaussianKL and gaussianMixtureKL', () => {
    const mu = tk.randn([3, 2], { seed: 3 }).setRequiresGrad(true);
    const lv = tk
      .mul(tk.randn([3, 2], { seed: 4 }), 0.5)
      .detach()
      .setRequiresGrad(true);
    const per = gaussianKL(mu, lv, { reduction: 'none' });
    for (let b = 0; b < 3; b++) {
      let e = 0;
      for (let j = 0; j < 2; j++) {
        const m = mu.f32[b * 2 + j];
        const l = lv.f32[b * 2 + j];
        e += -0.5 * (1 + l - m * m - Math.exp(l));
      }
      expect(per.f32[b]).toBeCloseTo(e, 5);
    }
    expect(gaussianKL(mu, lv).item()).toBeCloseTo((per.f32[0] + per.f32[1] + per.f32[2]) / 3, 5);
    gradcheck((m, l) => gaussianKL(m, l, { reduction: 'none' }), [mu, lv], { eps: 1e-3 });
    const z = tk.randn([3, 2], { seed: 5 }).setRequiresGrad(true);
    const means = tk.randn([4, 2], { seed: 6 }).setRequiresGrad(true);
    const lvs = tk
      .mul(tk.randn([4, 2], { seed: 7 }), 0.3)
      .detach()
      .setRequiresGrad(true);
    const logits = tk.randn([4], { seed: 8 }).setRequiresGrad(true);
    gradcheck(
      (zz, m, l, mm, ll, pl) => gaussianMixtureKL(zz, m, l, mm, ll, tk.logSoftmax(pl, 0), { reduction: 'none' }),
      [z, mu, lv, means, lvs, logits],
      { eps: 1e-3, atol: 3e-3 },
    );
  });

  test('dirichlet rows lie on the simplex with the right mean', () => {
    const d = dirichlet([0.1, 0.1, 0.5, 1.3], 4000, { seed: 3 });
    expect(d.shape).toEqual([4000, 4]);
    const meanCols = [0, 0, 0, 0];
    let minValue = Infinity;
    let worstSum = 0;
    for (let i = 0; i < 4000; i++) {
      let s = 0;
      for (let k = 0; k < 4; k++) {
        const v = d.f32[i * 4 + k];
        minValue = Math.min(minValue, v);
        s += v;
        meanCols[k] += v / 4000;
      }
      worstSum = Math.max(worstSum, Math.abs(s - 1));
    }
    expect(minValue).toBeGreaterThanOrEqual(0);
    expect(worstSum).toBeLessThan(1e-5);
    [0.1, 0.1, 0.5, 1.3].forEach((a, k) => expect(Math.abs(meanCols[k] - a / 2)).toBeLessThan(0.02));
  });
});

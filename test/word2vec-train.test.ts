// Training off the event loop, cancellation, corpus kinds, queries, formats and bad input.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import * as tk from '../lib';

const { Word2Vec, FastText, KeyedVectors } = tk.embeddings;

const animals = ['cat', 'dog', 'horse', 'cow', 'sheep', 'goat', 'pig', 'mouse'];
const fruits = ['apple', 'pear', 'plum', 'grape', 'lemon', 'mango', 'peach', 'cherry'];
const fillers = ['the', 'a', 'and', 'of'];

function corpus(n: number, seed = 3): string[][] {
  let s = seed;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const group = i % 2 ? animals : fruits;
    const len = 6 + Math.floor(rnd() * 5);
    const sent: string[] = [];
    for (let j = 0; j < len; j++)
      sent.push(rnd() < 0.25 ? fillers[Math.floor(rnd() * 4)] : group[Math.floor(rnd() * 8)]);
    out.push(sent);
  }
  return out;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-w2v-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function meanCos(m: { similarity(a: string, b: string): number }, xs: string[], ys: string[]): number {
  let s = 0,
    n = 0;
  for (const x of xs) {
    for (const y of ys) {
      if (x === y) continue;
      s += m.similarity(x, y);
      n++;
    }
  }
  return s / n;
}

const small = { dim: 24, window: 3, minCount: 1, sample: 0, epochs: 5, threads: 1, negative: 5 };

describe('Word2Vec training', () => {
  it('learns the two topics with skip-gram and CBOW', async () => {
    for (const model of ['skipgram', 'cbow'] as const) {
      const m = new Word2Vec({ ...small, model });
      const stats = await m.train(corpus(3000));
      expect(stats.progress).toBeCloseTo(1, 2);
      expect(m.words[0]).toBe('</s>');
      const within = meanCos(m, animals, animals);
      const across = meanCos(m, animals, fruits);
      expect(within - across).toBeGreaterThan(0.3);
      expect(animals).toContain(m.mostSimilar('dog', 1)[0].word);
    }
  });

  it('gives the same weights from a file as from the same sentences in an array (1 thread)', async () => {
    const sents = corpus(800);
    const file = path.join(tmp, 'c.txt');
    fs.writeFileSync(file, sents.map((s) => s.join(' ')).join('\n') + '\n');
    const a = new Word2Vec({ ...small, sample: 1e-2 });
    const b = new Word2Vec({ ...small, sample: 1e-2 });
    await a.train(file);
    await b.train(sents);
    expect(a.words).toEqual(b.words);
    expect(Array.from(a.counts)).toEqual(Array.from(b.counts));
    expect(a.counts[0]).toBe(800); // one </s> per line
    expect(Buffer.compare(Buffer.from(a.syn0.buffer), Buffer.from(b.syn0.buffer))).toBe(0);
    // The same seed reproduces; another seed does not.
    const c = new Word2Vec({ ...small, sample: 1e-2, seed: 2 });
    await c.train(sents);
    expect(Buffer.compare(Buffer.from(a.syn0.buffer), Buffer.from(c.syn0.buffer))).not.toBe(0);
  });

  it("compat: 'word2vec.c' changes only the subsampling draw (LCG low bits)", async () => {
    const sents = corpus(600);
    const train = async (o: tk.embeddings.Word2VecOptions) => {
      const m = new Word2Vec({ ...small, ...o });
      await m.train(sents);
      return Buffer.from(m.syn0.buffer);
    };
    // Without subsampling no draw is made: the two modes train the same weights, bit for bit.
    expect(Buffer.compare(await train({ sample: 0 }), await train({ sample: 0, compat: 'word2vec.c' }))).toBe(0);
    // With it, each mode is deterministic and they keep different words.
    const hi = await train({ sample: 1e-2 });
    const lo = await train({ sample: 1e-2, compat: 'word2vec.c' });
    expect(Buffer.compare(hi, await train({ sample: 1e-2 }))).toBe(0);
    expect(Buffer.compare(lo, await train({ sample: 1e-2, compat: 'word2vec.c' }))).toBe(0);
    expect(Buffer.compare(hi, lo)).not.toBe(0);
    expect(() => new Word2Vec({ compat: 'gensim' as 'word2vec.c' })).toThrow(/compat must be 'word2vec.c'/);
    const m = new Word2Vec({ ...small, compat: 'word2vec.c' });
    await m.train(sents);
    expect(m.options.compat).toBe('word2vec.c');
    const file = path.join(tmp, 'compat.model');
    m.save(file);
    expect(Word2Vec.load(file).options.compat).toBe('word2vec.c'); // resumes in the same mode
    expect(new Word2Vec(small).options.compat).toBeUndefined();
  });

  it('accepts an async iterable and trains with 2 threads', async () => {
    const sents = corpus(1500);
    async function* gen() {
      for (const s of sents) yield s;
    }
    const m = new Word2Vec({ ...small, threads: 2 });
    await m.train(gen());
    expect(meanCos(m, fruits, fruits) - meanCos(m, fruits, animals)).toBeGreaterThan(0.3);
  });

  it('keeps the event loop responsive and reports progress through the thread-safe function', async () => {
    const m = new Word2Vec({ dim: 64, window: 5, minCount: 1, sample: 0, epochs: 8, threads: 2 });
    const sents = corpus(8000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const events: tk.embeddings.TrainProgress[] = [];
    const t0 = Date.now();
    await m.train(sents, { onProgress: (p) => events.push(p), progressIntervalMs: 20 });
    const ms = Date.now() - t0;
    clearInterval(timer);
    expect(ms).toBeGreaterThan(100);
    expect(ticks).toBeGreaterThan(ms / 5 / 4);
    expect(events.length).toBeGreaterThan(2);
    const last = events[events.length - 1];
    expect(last.progress).toBeCloseTo(1, 2);
    for (let i = 1; i < events.length; i++) expect(events[i].words).toBeGreaterThanOrEqual(events[i - 1].words);
    expect(events.some((e) => Number.isFinite(e.loss) && e.loss > 0)).toBe(true);
    expect(last.alpha).toBeLessThan(0.025 * 0.2);
    expect(last.wordsPerSecond).toBeGreaterThan(0);
  });

  it('stops on an AbortSignal with an AbortError and stays usable', async () => {
    const m = new Word2Vec({ dim: 64, minCount: 1, sample: 0, epochs: 200, threads: 2 });
    const ac = new AbortController();
    const t0 = Date.now();
    const p = m.train(corpus(4000), {
      signal: ac.signal,
      progressIntervalMs: 10,
      onProgress: (e) => {
        if (e.words > 0) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(m.trainedWords).toBeGreaterThan(0);
    expect(m.trainedWords).toBeLessThan(200 * 30000);
    expect(m.vector('cat')).toHaveLength(64);
    // Training can go on after the abort.
    const again = new Word2Vec({ ...small });
    await again.train(corpus(200));
    await again.train(corpus(200, 9));
    await expect(m.train(corpus(10), { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects bad corpora and options with clear errors', async () => {
    await expect(new Word2Vec().train([])).rejects.toThrow(/empty/);
    await expect(new Word2Vec().train([[], []])).rejects.toThrow(/empty/);
    await expect(new Word2Vec({ minCount: 50 }).train([['a', 'b', 'a']])).rejects.toThrow(/minCount = 50/);
    await expect(new Word2Vec().train(path.join(tmp, 'missing.txt'))).rejects.toThrow(/does not exist/);
    const empty = path.join(tmp, 'empty.txt');
    fs.writeFileSync(empty, '');
    await expect(new Word2Vec().train(empty)).rejects.toThrow(/empty/);
    await expect(new Word2Vec().train([[1 as unknown as string]])).rejects.toThrow(TypeError);
    await expect(new Word2Vec().train(42 as unknown as string[][])).rejects.toThrow(TypeError);
    expect(() => new Word2Vec({ dim: 0 })).toThrow(RangeError);
    expect(() => new Word2Vec({ model: 'glove' as 'cbow' })).toThrow(/model/);
    expect(() => new FastText({ minn: 5, maxn: 3 })).toThrow(/minn/);
    expect(() => new Word2Vec().vector('x')).toThrow(/train\(\) first/);
  });
});

describe('queries', () => {
  let m: InstanceType<typeof Word2Vec>;
  beforeAll(async () => {
    m = new Word2Vec({ ...small, dim: 16 });
    await m.train(corpus(1000));
  });

  function bruteForce(q: Float32Array, exclude: string[]): { word: string; score: number }[] {
    const kv = m.wv;
    const out = kv.words.map((w) => {
      const v = kv.vector(w)!;
      return { word: w, score: tk.embeddings.cosine(q, v) };
    });
    return out.filter((x) => !exclude.includes(x.word)).sort((a, b) => b.score - a.score);
  }

  it('mostSimilar matches a brute-force cosine ranking', () => {
    const got = m.mostSimilar('cat', 5);
    const ref = bruteForce(m.vector('cat')!, ['cat']).slice(0, 5);
    expect(got.map((x) => x.word)).toEqual(ref.map((x) => x.word));
    got.forEach((g, i) => expect(g.score).toBeCloseTo(ref[i].score, 5));
    const byVector = m.mostSimilar(m.vector('cat')!, 1);
    expect(byVector[0].word).toBe('cat');
    expect(m.mostSimilar('cat', 1000)).toHaveLength(m.words.length - 1);
    expect(m.vector('zebra')).toBeUndefined();
    expect(() => m.similarity('cat', 'zebra')).toThrow(/unknown word 'zebra'/);
    expect(() => m.mostSimilar('zebra')).toThrow(RangeError);
    expect(() => m.mostSimilar(new Float32Array(3))).toThrow(/expected 16/);
  });

  it('analogy excludes a, b and c; 3CosAdd and 3CosMul match brute force', () => {
    const [a, b, c] = ['cat', 'dog', 'apple'];
    const va = m.wv.vector(a)!,
      vb = m.wv.vector(b)!,
      vc = m.wv.vector(c)!;
    const n = (v: Float32Array): Float32Array => v.map((x) => x / Math.hypot(...v));
    const q = n(vb).map((x, i) => x - n(va)[i] + n(vc)[i]);
    const ref = bruteForce(q, [a, b, c]).slice(0, 3);
    const got = m.analogy(a, b, c, 3);
    expect(got.map((x) => x.word)).toEqual(ref.map((x) => x.word));
    expect(got.map((x) => x.word)).not.toContain('apple');
    const mul = m.analogy(a, b, c, 3, { method: '3cosmul' });
    const words = m.wv.words.filter((w) => ![a, b, c].includes(w));
    const cs = (w: string, x: string) => (1 + m.similarity(w, x)) / 2;
    const refMul = words
      .map((w) => ({ word: w, score: (cs(w, b) * cs(w, c)) / (cs(w, a) + 1e-6) }))
      .sort((x, y) => y.score - x.score)
      .slice(0, 3);
    expect(mul.map((x) => x.word)).toEqual(refMul.map((x) => x.word));
    expect(() => m.analogy('cat', 'dog', 'zebra')).toThrow(/zebra/);
  });
});

describe('formats', () => {
  let m: InstanceType<typeof Word2Vec>;
  beforeAll(async () => {
    m = new Word2Vec({ ...small, dim: 8 });
    await m.train(corpus(300));
  });

  it('round-trips the word2vec text and binary formats', () => {
    for (const binary of [false, true]) {
      const file = path.join(tmp, binary ? 'v.bin' : 'v.txt');
      m.saveWord2VecFormat(file, { binary });
      const kv = KeyedVectors.loadWord2VecFormat(file, { binary });
      expect(kv.words).toEqual(m.words);
      const ref = m.wv.vectors;
      for (let i = 0; i < ref.length; i++) {
        if (binary) expect(kv.vectors[i]).toBe(ref[i]);
        else expect(Math.abs(kv.vectors[i] - ref[i])).toBeLessThanOrEqual(6e-7);
      }
    }
    expect(fs.readFileSync(path.join(tmp, 'v.txt'), 'utf8').split('\n')[0]).toBe(`${m.words.length} 8`);
    expect(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('reports a bad header, short rows and truncated binaries', () => {
    const bad = path.join(tmp, 'bad.txt');
    fs.writeFileSync(bad, 'hello world\ncat 1 2\n');
    expect(() => KeyedVectors.loadWord2VecFormat(bad)).toThrow(/bad header/);
    fs.writeFileSync(bad, '2 3\ncat 1 2 3\ndog 1 2\n');
    expect(() => KeyedVectors.loadWord2VecFormat(bad)).toThrow(/line 3: row for 'dog' has 2 values, expected 3/);
    fs.writeFileSync(bad, '3 3\ncat 1 2 3\n');
    expect(() => KeyedVectors.loadWord2VecFormat(bad)).toThrow(/header says 3 words, found 1/);
    fs.writeFileSync(bad, '2 2\ncat 1 x\ndog 1 2\n');
    expect(() => KeyedVectors.loadWord2VecFormat(bad)).toThrow(/'x' is not a number/);
    const bin = path.join(tmp, 'bad.bin');
    m.saveWord2VecFormat(bin);
    fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 40));
    expect(() => KeyedVectors.loadWord2VecFormat(bin)).toThrow(/file ends/);
    expect(() => KeyedVectors.loadWord2VecFormat(path.join(tmp, 'nope.txt'))).toThrow(/ENOENT/);
  });

  it('saves and loads the full model and resumes training', async () => {
    const file = path.join(tmp, 'model.tkw2v');
    m.save(file);
    const back = tk.embeddings.Word2Vec.load(file);
    expect(back.words).toEqual(m.words);
    expect(back.options).toEqual(m.options);
    expect(Buffer.compare(Buffer.from(back.syn1neg.buffer), Buffer.from(m.syn1neg.buffer))).toBe(0);
    const before = back.syn0.slice();
    await back.train(corpus(100, 11));
    expect(back.words).toEqual(m.words);
    expect(Buffer.compare(Buffer.from(back.syn0.buffer), Buffer.from(before.buffer))).not.toBe(0);
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 100));
    expect(() => tk.embeddings.Word2Vec.load(file)).toThrow(/truncated|does not match/);
    fs.writeFileSync(file, 'nonsense');
    expect(() => tk.embeddings.Word2Vec.load(file)).toThrow(/bad magic/);
  });

  const gensimOk = spawnSync('/usr/bin/python3', ['-c', 'import gensim'], { encoding: 'utf8' }).status === 0;
  (gensimOk ? it : it.skip)('writes files that gensim KeyedVectors.load_word2vec_format reads', () => {
    for (const binary of [false, true]) {
      const file = path.join(tmp, binary ? 'g.bin' : 'g.txt');
      m.saveWord2VecFormat(file, { binary });
      const py = `
import sys, json
from gensim.models import KeyedVectors
kv = KeyedVectors.load_word2vec_format(sys.argv[1], binary=${binary ? 'True' : 'False'})
print(json.dumps({"n": len(kv.index_to_key), "first": kv.index_to_key[:3], "cat": [float(x) for x in kv["cat"]], "sim": float(kv.similarity("cat", "dog"))}))
`;
      const r = spawnSync('/usr/bin/python3', ['-c', py, file], { encoding: 'utf8' });
      expect(r.stderr).not.toMatch(/Error/);
      const out = JSON.parse(r.stdout);
      expect(out.n).toBe(m.words.length);
      expect(out.first).toEqual(m.words.slice(0, 3));
      Array.from(m.vector('cat')!).forEach((v, i) => expect(out.cat[i]).toBeCloseTo(v, 5));
      expect(out.sim).toBeCloseTo(m.similarity('cat', 'dog'), 5);
    }
  });
  if (!gensimOk)
    console.warn('gensim test skipped: /usr/bin/python3 -c "import gensim" failed (apt-get install python3-gensim)');
});

describe('FastText', () => {
  it('trains on subwords; word vectors are the mean of their rows; OOV words get n-gram vectors', async () => {
    const m = new FastText({ ...small, bucket: 5000, minn: 3, maxn: 4 });
    await m.train(corpus(1500));
    expect(meanCos(m, animals, animals) - meanCos(m, animals, fruits)).toBeGreaterThan(0.2);
    const ids = m.subwordIds('horse');
    expect(ids[0]).toBe(m.words.indexOf('horse'));
    const D = m.dim;
    const mean = new Float32Array(D);
    for (const id of ids) for (let j = 0; j < D; j++) mean[j] += m.syn0[id * D + j];
    for (let j = 0; j < D; j++) mean[j] /= ids.length;
    Array.from(m.vector('horse')!).forEach((v, j) => expect(v).toBeCloseTo(mean[j], 6));
    // An unseen word: the mean of its n-gram rows, no word row.
    const oov = m.subwordIds('horses');
    expect(oov.length).toBe(tk.embeddings.fastTextNgrams('horses', 3, 4).length);
    expect(Math.min(...oov)).toBeGreaterThanOrEqual(m.words.length);
    expect(m.vector('horses')).toHaveLength(D);
    expect(m.similarity('horse', 'horses')).toBeGreaterThan(m.similarity('apple', 'horses'));
    const file = path.join(tmp, 'ft.tkw2v');
    m.save(file);
    const back = FastText.load(file);
    expect(Array.from(back.vector('horses')!)).toEqual(Array.from(m.vector('horses')!));
    expect(() => Word2Vec.load(file)).toThrow(/FastText.load/);
  });
});

// Evaluation helpers (Spearman, word similarity, analogies) and document features. The shared
// evaluation sets are read from ../shared/data beside the repository; those tests skip with a
// message when it is absent.
import * as fs from 'fs';
import * as path from 'path';
import * as tk from '../lib';

const E = tk.embeddings;

describe('Spearman and Pearson', () => {
  it('matches the closed form without ties and averages tied ranks', () => {
    const x = [3, 1, 4, 1.5, 9, 2.6, 5];
    const y = [2, 7, 1, 8, 2.8, 1.8, 2.9];
    const rx = Array.from(E.ranks(x));
    const ry = Array.from(E.ranks(y));
    const n = x.length;
    const d2 = rx.reduce((s, r, i) => s + (r - ry[i]) ** 2, 0);
    expect(E.spearman(x, y)).toBeCloseTo(1 - (6 * d2) / (n * (n * n - 1)), 12);
    expect(Array.from(E.ranks([10, 20, 10, 30]))).toEqual([1.5, 3, 1.5, 4]);
    // scipy.stats.spearmanr([1,2,3,4,5], [5,6,7,8,7]) = 0.8207826816681233
    expect(E.spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
    expect(E.pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(() => E.pearson([1, 2], [1])).toThrow(RangeError);
  });
});

const data = E.sharedDataDir();
if (!data)
  console.warn(
    `word2vec-eval: ${path.join('..', 'shared', 'data')} not found beside the repository: shared-data tests skipped`,
  );
const withData = data ? it : it.skip;

describe('shared evaluation sets', () => {
  withData('reads WS-353 (CRLF) and scores a model that knows the human scores perfectly', () => {
    const file = path.join(data!, 'word-sim', 'EN-WS-353-ALL.txt');
    const pairs = E.readWordSimilarity(file);
    expect(pairs).toHaveLength(353);
    expect(pairs[0]).toEqual({ a: 'love', b: 'sex', score: 6.77 });
    // 2-d vectors whose cosine with a fixed anchor grows with the score: put each pair's second
    // word at the anchor and the first at an angle that shrinks as the human score grows.
    const words = new Map<string, Float32Array>();
    const anchor = new Float32Array([1, 0]);
    const src = {
      vector: (w: string) => words.get(w),
    };
    const subset: typeof pairs = [];
    for (const p of pairs) {
      if (subset.length === 40) break;
      if (p.a === p.b || words.has(p.a) || words.has(p.b)) continue;
      const angle = ((10 - p.score) / 10) * (Math.PI / 2);
      words.set(p.b, anchor);
      words.set(p.a, new Float32Array([Math.cos(angle), Math.sin(angle)]));
      subset.push(p);
    }
    const r = E.evaluateWordSimilarity(src, subset, { lowercase: false });
    expect(r.pairs).toBe(subset.length);
    expect(r.spearman).toBeCloseTo(1, 10);
    const withOov = E.evaluateWordSimilarity(src, pairs, { lowercase: false });
    expect(withOov.oov).toBeGreaterThan(0);
    expect(withOov.pairs + withOov.oov).toBe(353);
  });

  withData('answers the capital-common-countries section of questions-words.txt with 3CosAdd', () => {
    const file = path.join(data!, 'questions-words.txt');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.filter((l) => l.startsWith(':'))).toHaveLength(14);
    const pairs = new Map<string, string>();
    for (const l of lines.slice(1)) {
      if (l.startsWith(':')) break;
      const q = l.trim().toLowerCase().split(/\s+/);
      if (q.length === 4) {
        pairs.set(q[0], q[1]);
        pairs.set(q[2], q[3]);
      }
    }
    // Country i = unit vector e_i; its capital = (e_i + t)/sqrt(2) with t orthogonal to every e_i.
    // For "capA countryA capB ?", countryA - capA + capB has its largest cosine with countryB.
    const countries = [...new Set(pairs.values())];
    const D = countries.length + 1;
    const words: string[] = [];
    const vecs: number[] = [];
    countries.forEach((country, i) => {
      const e = new Array(D).fill(0);
      e[i] = 1;
      words.push(country);
      vecs.push(...e);
    });
    for (const [capital, country] of pairs) {
      const v = new Array(D).fill(0);
      v[countries.indexOf(country)] = Math.SQRT1_2;
      v[D - 1] = Math.SQRT1_2;
      words.push(capital);
      vecs.push(...v);
    }
    const kv = new E.KeyedVectors(words, Float32Array.from(vecs), D);
    const r = E.evaluateAnalogies(kv, file);
    expect(r.sections[0].name).toBe('capital-common-countries');
    expect(r.sections[0].total).toBe(506);
    expect(r.sections[0].correct).toBe(506);
    expect(r.semantic.total).toBe(r.answered); // no other section's questions are in this vocabulary
    expect(r.syntactic.total).toBe(0);
    expect(r.skipped).toBeGreaterThan(0);
    const mul = E.evaluateAnalogies(kv, file, { method: '3cosmul', maxQuestions: 50 });
    expect(mul.answered).toBe(50);
  });
});

describe('document features', () => {
  it('averages word vectors, plain and TF-IDF weighted, skipping words without vectors', () => {
    const kv = new E.KeyedVectors(['a', 'b', 'c'], Float32Array.from([1, 0, 0, 1, 1, 1]), 2);
    const docs = [['a', 'b', 'zzz'], ['a', 'a', 'c'], ['zzz'], []];
    const plain = E.documentVectors(kv, docs);
    expect(plain.shape).toEqual([4, 2]);
    expect(Array.from(plain.data)).toEqual([0.5, 0.5, 1, 1 / 3, 0, 0, 0, 0].map(Math.fround));
    const idf = E.fitIdf(docs);
    expect(idf.get('a')).toBeCloseTo(Math.log(5 / 3) + 1, 12);
    const w = E.documentVectors(kv, docs, { weighting: 'tfidf' });
    const ia = idf.get('a')!,
      ib = idf.get('b')!,
      ic = idf.get('c')!;
    expect(w.data[0]).toBeCloseTo(ia / (ia + ib), 6);
    expect(w.data[1]).toBeCloseTo(ib / (ia + ib), 6);
    expect(w.data[2]).toBeCloseTo((2 * ia + ic) / (2 * ia + ic), 6);
    expect(w.data[3]).toBeCloseTo(ic / (2 * ia + ic), 6);
    expect(() => E.documentVectors(kv, docs, { weighting: 'bm25' as 'mean' })).toThrow(RangeError);
  });
});

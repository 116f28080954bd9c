// tk.text.BowCorpus against scikit-learn's CountVectorizer and ETM's document-completion split
// (fixtures from test/reference/topics_metrics.py), streaming, splits, co-document counts, errors.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import * as v8 from 'v8';
import * as vm from 'vm';
import * as tk from '../lib';
import { BowCorpus, BowCorpusOptions } from '../lib/text/bow-corpus';
import { compareCodePoints } from '../lib/text/bow-corpus';
import { brownCorpusDir, loadBrownParagraphs, parseBrownParagraphs } from '../lib/data/brown';
import { loadFixture, expectThrowNamed as expectError } from './helpers';

interface Csr {
  shape: [number, number];
  indptr: number[];
  indices: number[];
  values: number[];
}
interface Fixture {
  stopwords: string[];
  texts: string[];
  tokenDocs: string[][];
  vocabCases: { name: string; input: 'tokens' | 'texts'; opts: BowCorpusOptions; vocab: string[]; counts: Csr }[];
  halves: { documents: string[][]; ids: number[]; first: number[][]; second: number[][] };
}

const fx = loadFixture<Fixture>('topics_metrics');
// scikit-learn's default analyzer: lowercase, then token_pattern r"(?u)\b\w\w+\b" (ASCII texts here).
const sklearnTokenizer = (s: string): string[] => s.toLowerCase().match(/\b\w\w+\b/g) ?? [];

function expectSameCounts(a: tk.sparse.CsrMatrix, b: tk.sparse.CsrMatrix): void {
  expect(a.shape).toEqual(b.shape);
  expect(Array.from(a.indptr)).toEqual(Array.from(b.indptr));
  expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
  expect(Array.from(a.values)).toEqual(Array.from(b.values));
}

function dense(m: tk.sparse.CsrMatrix): number[][] {
  const out = Array.from({ length: m.rows }, () => new Array<number>(m.cols).fill(0));
  for (let r = 0; r < m.rows; r++)
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) out[r][m.indices[k]] += m.values[k];
  return out;
}

function caseInput(c: Fixture['vocabCases'][number]): { docs: (string | string[])[]; opts: BowCorpusOptions } {
  if (c.input === 'texts') return { docs: fx.texts, opts: { ...c.opts, tokenizer: sklearnTokenizer } };
  // The stop-word case's tokens went through sklearn with the stop words already removed; ours
  // removes them itself from the full token lists.
  return { docs: fx.tokenDocs, opts: c.opts };
}

describe('BowCorpus vs scikit-learn CountVectorizer', () => {
  test('ENGLISH_STOP_WORDS is sklearn.feature_extraction.text.ENGLISH_STOP_WORDS', () => {
    expect([...tk.text.ENGLISH_STOP_WORDS].sort()).toEqual(fx.stopwords);
  });

  for (const c of fx.vocabCases) {
    test(`vocabulary and counts: ${c.name}`, () => {
      const { docs, opts } = caseInput(c);
      const corpus = tk.text.BowCorpus.from(docs, opts);
      expect(corpus.vocab).toEqual(c.vocab);
      expect(corpus.numDocs).toBe(c.counts.shape[0]);
      expect(corpus.vocabSize).toBe(c.counts.shape[1]);
      expect(Array.from(corpus.counts.indptr)).toEqual(c.counts.indptr);
      expect(Array.from(corpus.counts.indices)).toEqual(c.counts.indices);
      expect(Array.from(corpus.counts.values)).toEqual(c.counts.values);
      // Row sums and document frequencies follow from the counts.
      const lengths = new Array<number>(c.counts.shape[0]).fill(0);
      const df = new Array<number>(c.counts.shape[1]).fill(0);
      for (let r = 0; r < c.counts.shape[0]; r++) {
        for (let k = c.counts.indptr[r]; k < c.counts.indptr[r + 1]; k++) {
          lengths[r] += c.counts.values[k];
          df[c.counts.indices[k]]++;
        }
      }
      expect(Array.from(corpus.docLengths)).toEqual(lengths);
      expect(Array.from(corpus.documentFrequency)).toEqual(df);
      // transform() of the same documents gives the same counts.
      expectSameCounts(corpus.transform(docs).counts, corpus.counts);
    });
  }

  test('a document of stop words only is an empty row; normalized() leaves it empty and others sum to 1', () => {
    const corpus = BowCorpus.from(fx.texts, { stopwords: 'english', tokenizer: sklearnTokenizer });
    expect(fx.texts[5]).toBe('the of and');
    expect(corpus.numDocs).toBe(fx.texts.length);
    expect(corpus.docLengths[5]).toBe(0);
    expect(corpus.counts.indptr[6] - corpus.counts.indptr[5]).toBe(0);
    const norm = corpus.normalized();
    for (let r = 0; r < norm.rows; r++) {
      let s = 0;
      for (let k = norm.indptr[r]; k < norm.indptr[r + 1]; k++) {
        s += norm.values[k];
        expect(norm.values[k]).toBeCloseTo(corpus.counts.values[k] / corpus.docLengths[r], 7);
      }
      expect(s).toBeCloseTo(corpus.docLengths[r] === 0 ? 0 : 1, 6);
    }
    const { corpus: nonEmpty, ids } = corpus.removeEmpty();
    const empty = Array.from(corpus.docLengths).filter((l) => l === 0).length;
    expect(nonEmpty.numDocs).toBe(fx.texts.length - empty);
    expect(Math.min(...nonEmpty.docLengths)).toBeGreaterThan(0);
    expect(Array.from(ids)).not.toContain(5);
  });
});

describe('streaming', () => {
  const opts = { minDf: 2, maxDf: 0.9, stopwords: 'english' as const, tokenizer: sklearnTokenizer };

  test('from() consumes a one-shot generator; fromAsync() an async generator and a readline stream', async () => {
    const ref = BowCorpus.from(fx.texts, opts);
    function* gen(): Generator<string> {
      yield* fx.texts;
    }
    const once = BowCorpus.from(gen(), opts);
    expect(once.vocab).toEqual(ref.vocab);
    expectSameCounts(once.counts, ref.counts);

    async function* agen(): AsyncGenerator<string> {
      for (const t of fx.texts) {
        await Promise.resolve();
        yield t;
      }
    }
    const a = await BowCorpus.fromAsync(agen(), opts);
    expect(a.vocab).toEqual(ref.vocab);
    expectSameCounts(a.counts, ref.counts);

    const file = path.join(os.tmpdir(), `tk-bow-${process.pid}.txt`);
    fs.writeFileSync(file, fx.texts.join('\n') + '\n');
    try {
      const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
      const fromFile = await BowCorpus.fromAsync(rl, opts);
      expect(fromFile.vocab).toEqual(ref.vocab);
      expectSameCounts(fromFile.counts, ref.counts);
      const rl2 = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
      expectSameCounts((await ref.transformAsync(rl2)).counts, ref.counts);
    } finally {
      fs.unlinkSync(file);
    }
  });

  test('the corpus does not keep the streamed texts alive (words are copied out of them)', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    function* docs(): Generator<string> {
      // 100 texts of 400 KB whose only token is a new long word
      for (let i = 0; i < 100; i++) yield ' '.repeat(400000) + `averylongwordnumber${i}`;
    }
    gc();
    const before = process.memoryUsage().heapUsed;
    const c = BowCorpus.from(docs());
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(c.vocabSize).toBe(100);
    expect(grown).toBeLessThan(10e6); // 40 MB if the texts were kept
  });

  test('fromAsync rejects bad input with the same errors', async () => {
    await expect(BowCorpus.fromAsync(42 as unknown as string[])).rejects.toThrow(/documents must be/);
    await expect(BowCorpus.fromAsync([])).rejects.toThrow(/at least one document/);
    await expect(BowCorpus.fromAsync(['a'], { minDf: 'x' as unknown as number })).rejects.toThrow(/minDf/);
  });
});

describe('BowCorpus options', () => {
  test('minLength drops short tokens (code points), ETM drops length-1 words', () => {
    const c = BowCorpus.from([['a', 'bb', 'ccc', '\u{1F600}', '\u{1F600}\u{1F600}']], { minLength: 2 });
    expect(c.vocab).toEqual(['bb', 'ccc', '\u{1F600}\u{1F600}']);
    const all = BowCorpus.from([['a', '', 'bb']], { minLength: 0 });
    expect(all.vocab).toEqual(['', 'a', 'bb']);
    expect(BowCorpus.from([['a', '', 'bb']]).vocab).toEqual(['a', 'bb']);
  });

  test('vocabSize keeps the most frequent words, ties broken by word order', () => {
    const docs = [
      ['b', 'a', 'c', 'd', 'd'],
      ['c', 'a', 'b', 'e'],
    ];
    // counts: a 2, b 2, c 2, d 2, e 1
    expect(BowCorpus.from(docs, { vocabSize: 3 }).vocab).toEqual(['a', 'b', 'c']);
    expect(BowCorpus.from(docs, { vocabSize: 1 }).vocab).toEqual(['a']);
    expect(BowCorpus.from(docs, { vocabSize: 10 }).vocab).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('the vocabulary is in code point order (Python str order), not UTF-16 order', () => {
    const astral = '\u{1F600}';
    const high = '\uFF21';
    expect(compareCodePoints(high, astral)).toBeLessThan(0);
    expect(high < astral).toBe(false); // what a plain JS sort would do
    expect(BowCorpus.from([[astral, high, 'z', 'zz', 'a']]).vocab).toEqual(['a', 'z', 'zz', high, astral]);
  });

  test('stopwords as an array or a Set, compared with the tokens', () => {
    const docs = ['The cat and the dog', 'a cat'];
    expect(BowCorpus.from(docs, { stopwords: ['the', 'a'] }).vocab).toEqual(['and', 'cat', 'dog']);
    expect(BowCorpus.from(docs, { stopwords: new Set(['cat']) }).vocab).toEqual(['a', 'and', 'dog', 'the']);
    expect(BowCorpus.from(docs, { stopwords: 'english' }).vocab).toEqual(['cat', 'dog']);
  });

  test('the default tokenizer is tk.text.tokenize (lowercased letters and digits); transform uses the same one', () => {
    const c = BowCorpus.from(['Hello, World! héllo', 'WORLD 42']);
    expect(c.vocab).toEqual(['42', 'hello', 'héllo', 'world']);
    const t = c.transform(['HELLO unknown hello', '', 'nothing known']);
    expect(dense(t.counts)).toEqual([
      [0, 2, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect(t.vocab).toBe(c.vocab);
    expect(Array.from(t.documentFrequency)).toEqual([0, 1, 0, 0]);
  });
});

describe('subset, split, halves', () => {
  const corpus = BowCorpus.from(fx.tokenDocs, { minDf: 2, maxDf: 0.8 });

  test('subset selects rows in order, repeats allowed', () => {
    const s = corpus.subset([3, 0, 3]);
    const d = dense(corpus.counts);
    expect(dense(s.counts)).toEqual([d[3], d[0], d[3]]);
    expect(Array.from(s.docLengths)).toEqual([corpus.docLengths[3], corpus.docLengths[0], corpus.docLengths[3]]);
    expect(s.vocab).toBe(corpus.vocab);
    expectError(() => corpus.subset([corpus.numDocs]), 'RangeError', 'docIds[0]');
    expectError(() => corpus.subset([0.5]), 'TypeError', 'docIds[0]');
    expectError(() => corpus.subset('0' as unknown as number[]), 'TypeError', 'docIds');
  });

  test('split is a seeded permutation: the same seed gives the same split, others differ', () => {
    const a = corpus.split({ testFraction: 0.25, seed: 7 });
    const b = corpus.split({ testFraction: 0.25, seed: 7 });
    const c = corpus.split({ testFraction: 0.25, seed: 8 });
    expect(Array.from(a.testIds)).toEqual(Array.from(b.testIds));
    expect(Array.from(a.testIds)).not.toEqual(Array.from(c.testIds));
    expect(a.testIds.length).toBe(10);
    expect(a.trainIds.length).toBe(30);
    const all = [...a.trainIds, ...a.testIds].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(Array.from(a.testIds)).toEqual([...a.testIds].sort((x, y) => x - y));
    expect(dense(a.test.counts)).toEqual(Array.from(a.testIds, (i) => dense(corpus.counts)[i]));
    // The permutation is the Generator's (what { generator } gives).
    const g = new tk.Generator(7);
    const perm = new tk.Generator(7).permutation(40);
    expect(Array.from(corpus.split({ testFraction: 0.25, generator: g }).testIds)).toEqual(
      Array.from(perm.slice(0, 10)).sort((x, y) => x - y),
    );
    expect(corpus.split({ testFraction: 0, seed: 1 }).test.numDocs).toBe(0);
    expectError(() => corpus.split({ testFraction: 1.5 }), 'RangeError', 'testFraction');
    expectError(() => corpus.split({ testFraction: '0.2' as unknown as number }), 'TypeError', 'testFraction');
  });

  test("halves follows ETM's document-completion split", () => {
    const h = corpus.halves(fx.halves.documents);
    expect(Array.from(h.ids)).toEqual(fx.halves.ids);
    expect(dense(h.first.counts)).toEqual(fx.halves.first);
    expect(dense(h.second.counts)).toEqual(fx.halves.second);
    expect(h.first.vocab).toBe(corpus.vocab);
    // first half = the first floor(L / 2) known tokens
    const v = corpus.vocab;
    const odd = corpus.halves([[v[0], 'unknown', v[1], v[2], v[1], v[3]]]);
    expect(odd.first.docLengths[0]).toBe(2);
    expect(odd.second.docLengths[0]).toBe(3);
  });

  test('halvesAsync == halves', async () => {
    async function* agen(): AsyncGenerator<string[]> {
      yield* fx.halves.documents;
    }
    const a = await corpus.halvesAsync(agen());
    const b = corpus.halves(fx.halves.documents);
    expectSameCounts(a.first.counts, b.first.counts);
    expectSameCounts(a.second.counts, b.second.counts);
  });
});

describe('coDocumentFrequency', () => {
  test('matches brute force on a corpus past several 32-document words', () => {
    const gen = new tk.Generator(3);
    const D = 203;
    const raw = gen.uint32(D * 6);
    const docs: string[][] = [];
    for (let d = 0; d < D; d++) docs.push(Array.from({ length: 6 }, (_, i) => `w${raw[d * 6 + i] % 12}`));
    docs.push([]);
    const c = BowCorpus.from(docs);
    const ids = [0, 3, 5, 11, 3];
    const { documentFrequency, joint } = c.coDocumentFrequency(ids);
    const sets = docs.map((d) => new Set(d));
    const n = ids.length;
    for (let i = 0; i < n; i++) {
      const wi = c.vocab[ids[i]];
      expect(documentFrequency[i]).toBe(sets.filter((s) => s.has(wi)).length);
      for (let j = 0; j < n; j++) {
        const wj = c.vocab[ids[j]];
        expect(joint[i * n + j]).toBe(sets.filter((s) => s.has(wi) && s.has(wj)).length);
      }
    }
    expectError(() => c.coDocumentFrequency([12]), 'RangeError', 'wordIds[0]');
    expectError(() => c.coDocumentFrequency([1.5]), 'TypeError', 'wordIds[0]');
  });

  test('50k documents x 10k words without a V x V matrix', () => {
    const D = 50000;
    const V = 10000;
    const gen = new tk.Generator(11);
    const raw = gen.uint32(D * 20);
    const indptr = new Int32Array(D + 1);
    const indices: number[] = [];
    for (let d = 0; d < D; d++) {
      const row = new Set<number>();
      for (let i = 0; i < 20; i++) row.add(raw[d * 20 + i] % (i < 10 ? 50 : V));
      indices.push(...[...row].sort((a, b) => a - b));
      indptr[d + 1] = indices.length;
    }
    const counts = new tk.sparse.CsrMatrix(D, V, indptr, indices, new Float32Array(indices.length).fill(1));
    const vocab = Array.from({ length: V }, (_, i) => `w${String(i).padStart(5, '0')}`);
    const c = BowCorpus.fromCounts(counts, vocab);
    const t0 = Date.now();
    const r = c.coDocumentFrequency(Array.from({ length: 50 }, (_, i) => i));
    expect(Date.now() - t0).toBeLessThan(5000);
    let brute = 0;
    for (let d = 0; d < D; d++) {
      let has0 = false;
      let has1 = false;
      for (let k = indptr[d]; k < indptr[d + 1]; k++) {
        has0 ||= indices[k] === 0;
        has1 ||= indices[k] === 1;
      }
      if (has0 && has1) brute++;
    }
    expect(r.joint[1]).toBe(brute);
    expect(r.joint[50]).toBe(brute);
  });
});

describe('fromCounts', () => {
  test('canonicalises rows: columns sorted, duplicates summed, zeros dropped', () => {
    const m2 = new tk.sparse.CsrMatrix(2, 3, [0, 4, 5], [2, 0, 2, 1, 1], [1, 2, 3, 0, 5]);
    const c = BowCorpus.fromCounts(m2, ['a', 'b', 'c']);
    expect(Array.from(c.counts.indptr)).toEqual([0, 2, 3]);
    expect(Array.from(c.counts.indices)).toEqual([0, 2, 1]);
    expect(Array.from(c.counts.values)).toEqual([2, 4, 5]);
    expect(Array.from(c.documentFrequency)).toEqual([1, 1, 1]);
    expectError(() => BowCorpus.fromCounts(m2, ['a', 'b']), 'RangeError', 'vocab');
    const neg = new tk.sparse.CsrMatrix(1, 1, [0, 1], [0], [-1]);
    expectError(() => BowCorpus.fromCounts(neg, ['a']), 'RangeError', 'counts.values[0]');
    expectError(() => BowCorpus.fromCounts({} as tk.sparse.CsrMatrix, ['a']), 'TypeError', 'counts');
  });
});

describe('errors', () => {
  test('empty document list, empty vocabulary, contradictory df bounds', () => {
    expectError(() => BowCorpus.from([]), 'RangeError', 'at least one document');
    expectError(() => BowCorpus.from(['', '  ']), 'RangeError', 'vocabulary is empty');
    expectError(() => BowCorpus.from(['a b', 'c d'], { minDf: 2 }), 'RangeError', 'vocabulary is empty', 'minDf=2');
    expectError(() => BowCorpus.from(['the a', 'of'], { stopwords: 'english' }), 'RangeError', 'stopwords');
    expectError(() => BowCorpus.from(['a b', 'a c'], { minDf: 2, maxDf: 1.5 }), 'RangeError', 'maxDf', 'minDf');
  });

  test('bad option types and values name the option', () => {
    expectError(() => BowCorpus.from(['a'], { minDf: '1' as unknown as number }), 'TypeError', 'minDf');
    expectError(() => BowCorpus.from(['a'], { maxDf: -1 }), 'RangeError', 'maxDf');
    expectError(() => BowCorpus.from(['a'], { minDf: Infinity }), 'RangeError', 'minDf');
    expectError(() => BowCorpus.from(['a'], { vocabSize: 0 }), 'RangeError', 'vocabSize');
    expectError(() => BowCorpus.from(['a'], { vocabSize: 2.5 }), 'TypeError', 'vocabSize');
    expectError(() => BowCorpus.from(['a'], { minLength: -1 }), 'RangeError', 'minLength');
    expectError(() => BowCorpus.from(['a'], { tokenizer: 'x' as unknown as () => string[] }), 'TypeError', 'tokenizer');
    expectError(() => BowCorpus.from(['a'], { stopwords: 5 as unknown as string[] }), 'TypeError', 'stopwords');
    expectError(() => BowCorpus.from(['a'], { stopwords: 'french' as unknown as 'english' }), 'TypeError', 'stopwords');
    expectError(() => BowCorpus.from(['a'], { stopwords: [1] as unknown as string[] }), 'TypeError', 'stopwords');
    expectError(() => BowCorpus.from(['a'], { min_df: 2 } as unknown as BowCorpusOptions), 'TypeError', "'min_df'");
    expectError(() => BowCorpus.from(['a'], 3 as unknown as BowCorpusOptions), 'TypeError', 'opts');
  });

  test('bad documents name the document', () => {
    expectError(() => BowCorpus.from('a b c' as unknown as string[]), 'TypeError', 'documents');
    expectError(() => BowCorpus.from(null as unknown as string[]), 'TypeError', 'documents');
    expectError(() => BowCorpus.from(['a', 3] as unknown as string[]), 'TypeError', 'documents[1]');
    expectError(() => BowCorpus.from([['a', 3]] as unknown as string[][]), 'TypeError', 'documents[0][1]');
    expectError(
      () => BowCorpus.from(['a'], { tokenizer: () => 'a' as unknown as string[] }),
      'TypeError',
      'tokenizer(documents[0])',
    );
    const c = BowCorpus.from(['a b']);
    expectError(() => c.transform([{}] as unknown as string[]), 'TypeError', 'documents[0]');
    expectError(() => c.halves(5 as unknown as string[]), 'TypeError', 'documents');
  });
});

const haveBrown = (() => {
  try {
    brownCorpusDir();
    return true;
  } catch {
    return false;
  }
})();

(haveBrown ? describe : describe.skip)('Brown corpus by paragraph', () => {
  test("paragraphs as NLTK's brown.paras(): 15667 in 500 documents", () => {
    const all = loadBrownParagraphs({ minTokens: 0 });
    expect(all.length).toBe(15667);
    expect(new Set(all.map((p) => p.doc)).size).toBe(500);
    expect(all[0].id).toBe('ca01.0');
    expect(all[0].genre).toBe('news');
    expect(all[0].tokens.slice(0, 4)).toEqual(['the', 'fulton', 'county', 'grand']);
    expect(all[0].text.startsWith('the fulton county grand jury')).toBe(true);
    const long = loadBrownParagraphs({ minTokens: 20 });
    expect(long.length).toBeLessThan(all.length);
    expect(long.length).toBeGreaterThan(10000);
    for (const p of long.slice(0, 50))
      expect(p.tokens.filter((t) => /[\p{L}\p{N}]/u.test(t)).length).toBeGreaterThanOrEqual(20);
    expectError(() => loadBrownParagraphs({ minTokens: -1 }), 'TypeError', 'minTokens');
  });
});

test('parseBrownParagraphs splits at every blank line, sentences of a block join', () => {
  const text = '\n\n\tThe/at cat/nn ./.\nIt/pps sat/vbd ./.\n\n\tA/at dog/nn ./.\n\n\n\tEnd/nn ./.\n';
  expect(parseBrownParagraphs(text)).toEqual([
    ['the', 'cat', '.', 'it', 'sat', '.'],
    ['a', 'dog', '.'],
    ['end', '.'],
  ]);
  expect(parseBrownParagraphs(text, false)[0][0]).toBe('The');
});

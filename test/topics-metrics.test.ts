// tk.topics.npmi / topicNpmi / diversity / topicUniqueness / documentCompletionPerplexity against
// transcriptions of ETM's and W-LDA's code (test/reference/topics_metrics.py).
import * as tk from '../lib';
import { BowCorpus } from '../lib/text/bow-corpus';
import { expectClose, fromFixture, FixtureTensor, loadFixture, expectThrowNamed as expectError } from './helpers';

interface Fixture {
  metrics: {
    V: number;
    docs: number[][];
    beta: FixtureTensor;
    topics25: number[][];
    npmi: Record<string, { npmi: number; perTopic: number[] }>;
    diversity: Record<string, number>;
    uniqueness: Record<string, number>;
  };
  perplexity: { theta: FixtureTensor; beta: FixtureTensor; second: number[][]; all: number; batch3: number };
}

const fx = loadFixture<Fixture>('topics_metrics');
const m = fx.metrics;
const words = Array.from({ length: m.V }, (_, i) => `w${i}`);

function corpusOf(docs: number[][], V: number, vocab: string[]): BowCorpus {
  const rows: number[] = [];
  const cols: number[] = [];
  docs.forEach((d, r) =>
    d.forEach((w) => {
      rows.push(r);
      cols.push(w);
    }),
  );
  const counts = tk.sparse.CsrMatrix.fromTriplets([docs.length, V], rows, cols, new Array(rows.length).fill(1));
  return BowCorpus.fromCounts(counts, vocab);
}

const reference = corpusOf(m.docs, m.V, words);
const top = (n: number): number[][] => m.topics25.map((t) => t.slice(0, n));

describe("npmi (ETM's get_topic_coherence)", () => {
  // a and b in every document; c and d never together; c and e, d and e independent
  const fourDocuments = () =>
    BowCorpus.from([
      ['a', 'b', 'c'],
      ['a', 'b', 'd'],
      ['a', 'b', 'c', 'e'],
      ['a', 'b', 'd', 'e'],
    ]);

  for (const n of [10, 5]) {
    test(`topN = ${n}: ids, words, a topic-word tensor and plain BowData agree with ETM`, () => {
      const want = m.npmi[String(n)];
      expect(tk.topics.npmi(top(n), reference, { topN: n })).toBeCloseTo(want.npmi, 12);
      expectClose(tk.topics.topicNpmi(top(n), reference, { topN: n }), want.perTopic, { atol: 1e-12, rtol: 0 });
      // longer lists are cut to topN
      expect(tk.topics.npmi(top(25), reference, { topN: n })).toBeCloseTo(want.npmi, 12);
      const asWords = top(n).map((t) => t.map((i) => words[i]));
      expect(tk.topics.npmi(asWords, reference, { topN: n })).toBeCloseTo(want.npmi, 12);
      expect(tk.topics.npmi(fromFixture(m.beta), reference, { topN: n })).toBeCloseTo(want.npmi, 12);
      const bare = { counts: reference.counts, vocab: reference.vocab };
      expect(tk.topics.npmi(top(n), bare, { topN: n })).toBeCloseTo(want.npmi, 12);
    });
  }

  test('topN defaults to 10', () => {
    expect(tk.topics.npmi(top(10), reference)).toBeCloseTo(m.npmi['10'].npmi, 12);
  });

  test('pairs with a word missing from the reference vocabulary are skipped', () => {
    const t = top(5)[1].map((i) => words[i]);
    const withUnknown = [t[0], 'not-a-word', t[1], t[2], t[3]];
    const fourWords = [t[0], t[1], t[2], t[3]];
    const got = tk.topics.topicNpmi([withUnknown], reference, { topN: 5 })[0];
    expect(got).toBeCloseTo(tk.topics.topicNpmi([fourWords], reference, { topN: 4 })[0], 12);
    // a topic with no scorable pair is NaN per topic and left out of the mean
    const lost = ['x1', 'x2', t[0]];
    expect(Number.isNaN(tk.topics.topicNpmi([lost], reference, { topN: 3 })[0])).toBe(true);
    expect(tk.topics.npmi([lost, fourWords.slice(0, 3)], reference, { topN: 3 })).toBeCloseTo(
      tk.topics.npmi([fourWords.slice(0, 3)], reference, { topN: 3 }),
      12,
    );
    expectError(() => tk.topics.npmi([lost], reference, { topN: 3 }), 'RangeError', 'no pair');
  });

  test('never co-occurring pairs score -1, pairs in every document 1, independent words about 0', () => {
    const ref = fourDocuments();
    expect(tk.topics.npmi([['c', 'd']], ref, { topN: 2 })).toBe(-1);
    expect(tk.topics.npmi([['a', 'b']], ref, { topN: 2 })).toBe(1);
    // c and e: P(c) = P(e) = 1/2, P(c, e) = 1/4: independent, NPMI 0
    expect(tk.topics.npmi([['c', 'e']], ref, { topN: 2 })).toBeCloseTo(0, 12);
    // a word every document has is independent of any other: PMI 0
    expect(tk.topics.npmi([['a', 'c']], ref, { topN: 2 })).toBeCloseTo(0, 12);
  });

  test("unseenPairScore: 0 scores never co-occurring pairs as W-LDA's npmi_calc does, and changes nothing else", () => {
    const ref = fourDocuments();
    expect(tk.topics.npmi([['c', 'd']], ref, { topN: 2, unseenPairScore: 0 })).toBe(0);
    expect(tk.topics.npmi([['a', 'b']], ref, { topN: 2, unseenPairScore: 0 })).toBe(1);
    // c-d never co-occur; c-e and d-e are independent (0): the mean over 3 pairs moves from -1/3 to 0
    expect(tk.topics.npmi([['c', 'd', 'e']], ref, { topN: 3 })).toBeCloseTo(-1 / 3, 12);
    expect(tk.topics.npmi([['c', 'd', 'e']], ref, { topN: 3, unseenPairScore: 0 })).toBeCloseTo(0, 12);
    // On the fixture corpus: each topic rises by (its unseen pairs) / (its pairs), exactly.
    const n = 10;
    const pairs = (n * (n - 1)) / 2;
    const etm = tk.topics.topicNpmi(top(n), reference, { topN: n });
    const wlda = tk.topics.topicNpmi(top(n), reference, { topN: n, unseenPairScore: 0 });
    const together = (a: number, b: number) => m.docs.some((d) => d.includes(a) && d.includes(b));
    let anyUnseen = false;
    top(n).forEach((t, k) => {
      let unseen = 0;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (!together(t[i], t[j])) unseen++;
      anyUnseen ||= unseen > 0;
      expect(wlda[k] - etm[k]).toBeCloseTo(unseen / pairs, 12);
    });
    expect(anyUnseen).toBe(true);
    expectError(() => tk.topics.npmi(top(n), reference, { unseenPairScore: -2 }), 'RangeError', 'unseenPairScore');
    expectError(
      () => tk.topics.npmi(top(n), reference, { unseenPairScore: '0' as unknown as number }),
      'TypeError',
      'unseenPairScore',
    );
    expectError(() => tk.topics.npmi(top(n), reference, { unseenPairScore: NaN }), 'TypeError', 'unseenPairScore');
  });

  test('errors', () => {
    expectError(() => tk.topics.npmi([], reference), 'RangeError', 'at least one topic');
    expectError(() => tk.topics.npmi(top(5), reference), 'RangeError', 'topics[0]', 'topN is 10');
    expectError(() => tk.topics.npmi(top(10), reference, { topN: 1 }), 'RangeError', 'topN');
    expectError(() => tk.topics.npmi(top(10), reference, { topN: 2.5 }), 'TypeError', 'topN');
    expectError(() => tk.topics.npmi([[0, 1, 1]], reference, { topN: 3 }), 'RangeError', 'repeats');
    expectError(
      () => tk.topics.npmi([[0, 'w1']] as unknown as number[][], reference, { topN: 2 }),
      'TypeError',
      'topics[0][1]',
    );
    expectError(() => tk.topics.npmi([[0, 99]], reference, { topN: 2 }), 'RangeError', 'topics[0][1]');
    expectError(() => tk.topics.npmi([[0, -1]], reference, { topN: 2 }), 'TypeError', 'topics[0][1]');
    expectError(() => tk.topics.npmi('ab' as unknown as string[][], reference), 'TypeError', 'topics');
    expectError(() => tk.topics.npmi(top(10), {} as BowCorpus), 'TypeError', 'reference');
    expectError(() => tk.topics.npmi(tk.zeros([2, 3]), reference, { topN: 5 }), 'RangeError', 'topN');
    const empty = reference.subset([]);
    expectError(() => tk.topics.npmi(top(10), empty), 'RangeError', 'reference');
  });
});

describe("diversity (ETM's TD) and topicUniqueness (W-LDA's TU)", () => {
  test('match the transcriptions', () => {
    for (const n of [25, 10, 5]) {
      expect(tk.topics.diversity(top(n), { topN: n })).toBeCloseTo(m.diversity[String(n)], 12);
      expect(tk.topics.diversity(fromFixture(m.beta), { topN: n })).toBeCloseTo(m.diversity[String(n)], 12);
    }
    expect(tk.topics.diversity(top(25))).toBeCloseTo(m.diversity['25'], 12);
    for (const n of [10, 5]) {
      expect(tk.topics.topicUniqueness(top(n), { topN: n })).toBeCloseTo(m.uniqueness[String(n)], 12);
      const asWords = top(n).map((t) => t.map((i) => words[i]));
      expect(tk.topics.topicUniqueness(asWords, { topN: n })).toBeCloseTo(m.uniqueness[String(n)], 12);
    }
    expect(tk.topics.topicUniqueness(top(10))).toBeCloseTo(m.uniqueness['10'], 12);
  });

  test('bounds: identical topics give 1/K, disjoint topics 1', () => {
    const same = [
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['c', 'b', 'a'],
    ];
    expect(tk.topics.diversity(same, { topN: 3 })).toBeCloseTo(1 / 3, 12);
    expect(tk.topics.topicUniqueness(same, { topN: 3 })).toBeCloseTo(1 / 3, 12);
    const disjoint = [
      [0, 1],
      [2, 3],
    ];
    expect(tk.topics.diversity(disjoint, { topN: 2 })).toBe(1);
    expect(tk.topics.topicUniqueness(disjoint, { topN: 2 })).toBe(1);
    // TU weighs a shared word per topic; TD counts distinct words: they differ here
    const mixed = [
      ['a', 'b'],
      ['a', 'c'],
    ];
    expect(tk.topics.diversity(mixed, { topN: 2 })).toBeCloseTo(3 / 4, 12);
    expect(tk.topics.topicUniqueness(mixed, { topN: 2 })).toBeCloseTo((0.5 + 1) / 2, 12);
  });

  test('errors', () => {
    expectError(() => tk.topics.diversity(top(10)), 'RangeError', 'topN is 25');
    expectError(() => tk.topics.topicUniqueness([]), 'RangeError', 'at least one topic');
    expectError(() => tk.topics.topicUniqueness(top(10), { topN: 0 }), 'RangeError', 'topN');
    expectError(() => tk.topics.diversity([['a', 'a']], { topN: 2 }), 'RangeError', 'repeats');
    expectError(() => tk.topics.diversity([5] as unknown as number[][], { topN: 1 }), 'TypeError', 'topics[0]');
  });
});

describe("documentCompletionPerplexity (ETM's evaluate)", () => {
  const p = fx.perplexity;
  const second = BowCorpus.fromCounts(
    tk.sparse.CsrMatrix.fromDense(tk.tensor(p.second)),
    Array.from({ length: p.beta.shape[1] }, (_, i) => `w${i}`),
  );

  test('matches the transcription, one batch and batches of 3', () => {
    const theta = fromFixture(p.theta);
    const beta = fromFixture(p.beta);
    expect(tk.topics.documentCompletionPerplexity(theta, beta, second)).toBeCloseTo(p.all, 9);
    expect(tk.topics.documentCompletionPerplexity(theta, beta, second, { batchSize: 3 })).toBeCloseTo(p.batch3, 9);
    expect(tk.topics.documentCompletionPerplexity(theta.f32, beta.f32, second)).toBeCloseTo(p.all, 9);
    expect(p.all).not.toBeCloseTo(p.batch3, 3);
  });

  test('documents with an empty second half are left out', () => {
    const theta = fromFixture(p.theta);
    const beta = fromFixture(p.beta);
    const D = p.second.length;
    const withEmpty = BowCorpus.fromCounts(
      tk.sparse.CsrMatrix.fromDense(tk.tensor([...p.second, new Array(p.second[0].length).fill(0)])),
      second.vocab,
    );
    const K = p.theta.shape[1];
    const theta2 = new Float32Array((D + 1) * K);
    theta2.set(theta.f32);
    theta2.fill(1 / K, D * K);
    expect(tk.topics.documentCompletionPerplexity(theta2, beta, withEmpty)).toBeCloseTo(p.all, 9);
  });

  test('errors', () => {
    const theta = fromFixture(p.theta);
    const beta = fromFixture(p.beta);
    expectError(() => tk.topics.documentCompletionPerplexity(tk.zeros([3, 4]), beta, second), 'RangeError', 'theta');
    expectError(() => tk.topics.documentCompletionPerplexity(theta, tk.zeros([4, 7]), second), 'RangeError', 'beta');
    expectError(() => tk.topics.documentCompletionPerplexity(theta, new Float32Array(5), second), 'RangeError', 'beta');
    expectError(
      () => tk.topics.documentCompletionPerplexity([1] as unknown as Float32Array, beta, second),
      'TypeError',
      'theta',
    );
    expectError(
      () => tk.topics.documentCompletionPerplexity(theta, beta, second, { batchSize: 0 }),
      'RangeError',
      'batchSize',
    );
    expectError(
      () => tk.topics.documentCompletionPerplexity(theta, beta, null as unknown as BowCorpus),
      'TypeError',
      'second',
    );
  });
});

// Tokenisation, vocabularies and bag-of-words features; BagOfWords against scikit-learn.
import * as tk from '../lib';
import { BagOfWordsOptions } from '../lib/text/bow';
import { expectClose, loadFixture } from './helpers';

interface BowFixture {
  docs: string[][];
  cases: { name: string; terms: string[]; matrix: number[][] }[];
}

const optionsFor: Record<string, BagOfWordsOptions> = {
  tfidf: { weighting: 'tfidf' },
  tfidf_mindf2: { weighting: 'tfidf', minDf: 2 },
  tfidf_maxdf: { weighting: 'tfidf', maxDf: 0.5 },
  count_maxfeatures: { weighting: 'count', maxFeatures: 4 },
  binary: { weighting: 'binary' },
};

describe('BagOfWords against scikit-learn', () => {
  const fx = loadFixture<BowFixture>('bow');
  for (const c of fx.cases) {
    it(`matches ${c.name}`, () => {
      const bow = new tk.text.BagOfWords(optionsFor[c.name]);
      const csr = bow.fitTransform(fx.docs);
      expect(bow.terms).toEqual(c.terms);
      const dense = new tk.sparse.CsrMatrix(csr.rows, csr.cols, csr.indptr, csr.indices, csr.values).toDense();
      expectClose(dense, c.matrix.flat(), { atol: 1e-6, rtol: 1e-6 }, c.name);
    });
  }

  it('explains an empty vocabulary and misuse', () => {
    expect(() => new tk.text.BagOfWords({ minDf: 10 }).fit([['a'], ['b']])).toThrow(/no term is left/);
    expect(() => new tk.text.BagOfWords().transform([['a']])).toThrow(/fit\(\)/);
    expect(() => new tk.text.BagOfWords({ weighting: 'bm25' as 'count' })).toThrow(TypeError);
    expect(() => new tk.text.BagOfWords().fit([])).toThrow(RangeError);
  });
});

describe('tokenize and Vocabulary', () => {
  it('splits on Unicode words and keeps inner apostrophes', () => {
    expect(tk.text.tokenize("Don't panic: Über-café 42!")).toEqual(["don't", 'panic', 'über', 'café', '42']);
    expect(tk.text.tokenize('A B', { lowercase: false })).toEqual(['A', 'B']);
    expect(() => tk.text.tokenize(3 as unknown as string)).toThrow(TypeError);
  });

  it('puts specials first, then tokens by count, ties in order of appearance', () => {
    const v = tk.text.Vocabulary.build(
      [
        ['b', 'a', 'b', 'c'],
        ['c', 'd'],
      ],
      { minCount: 1 },
    );
    expect(v.tokens).toEqual(['<pad>', '<unk>', 'b', 'c', 'a', 'd']);
    expect(Array.from(v.encode(['a', 'zzz']))).toEqual([4, 1]);
    expect(v.decode([2, 3])).toEqual(['b', 'c']);
    const round = tk.text.Vocabulary.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
    expect(round.tokens).toEqual(v.tokens);
    const small = tk.text.Vocabulary.build([['x', 'x', 'y']], { minCount: 2, specials: [] });
    expect(small.tokens).toEqual(['x']);
    expect(small.indexOf('y')).toBe(-1);
  });
});

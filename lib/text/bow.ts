// Bag-of-words features as sparse CSR rows: counts, binary, log counts, or TF-IDF as
// scikit-learn's TfidfVectorizer computes it (smooth idf = ln((1 + n) / (1 + df)) + 1, raw term
// frequency, then l2 normalisation), so features can be checked against scikit-learn.
import { checkInt, checkNumber, checkOptions, typeError } from '../errors';

export interface CsrData {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

export interface BagOfWordsOptions {
  /** Keep terms in at least minDf documents (a count >= 1) or this fraction of them (< 1). Default 1. */
  minDf?: number;
  /** Drop terms in more than maxDf documents (a count > 1) or this fraction of them (<= 1; default 1). */
  maxDf?: number;
  /** Keep at most this many terms, by descending corpus frequency. */
  maxFeatures?: number;
  stopwords?: Iterable<string>;
  weighting?: 'count' | 'binary' | 'log' | 'tfidf';
  norm?: 'l1' | 'l2' | null;
}

// JS cannot tell scikit-learn's int 1 from float 1.0, so: minDf below 1 and maxDf up to 1 are
// fractions of the documents (sklearn's defaults min_df=1 and max_df=1.0 keep everything);
// larger values are document counts.
function dfBound(name: 'minDf' | 'maxDf', v: number, nDocs: number): number {
  checkNumber(name, v, 0);
  const fraction = name === 'minDf' ? v < 1 : v <= 1;
  return fraction ? v * nDocs : v;
}

export class BagOfWords {
  /** Term -> column. Columns are sorted by term, as scikit-learn's vocabulary_ is. */
  readonly vocabulary = new Map<string, number>();
  terms: string[] = [];
  /** Document frequency of each column in the fitted corpus. */
  documentFrequency = new Int32Array(0);
  idf = new Float32Array(0);
  private readonly opts: Required<Omit<BagOfWordsOptions, 'maxFeatures' | 'stopwords'>> & {
    maxFeatures?: number;
    stopwords: Set<string>;
  };

  constructor(opts: BagOfWordsOptions = {}) {
    opts = checkOptions('opts', opts);
    const weighting = opts.weighting ?? 'tfidf';
    if (!['count', 'binary', 'log', 'tfidf'].includes(weighting)) {
      throw typeError('weighting', "'count', 'binary', 'log' or 'tfidf'", weighting);
    }
    const norm = opts.norm === undefined ? (weighting === 'tfidf' ? 'l2' : null) : opts.norm;
    if (norm !== null && norm !== 'l1' && norm !== 'l2') throw typeError('norm', "'l1', 'l2' or null", norm);
    this.opts = {
      minDf: opts.minDf ?? 1,
      maxDf: opts.maxDf ?? 1.0,
      maxFeatures: opts.maxFeatures === undefined ? undefined : checkInt('maxFeatures', opts.maxFeatures, 1),
      stopwords: new Set(opts.stopwords ?? []),
      weighting,
      norm,
    };
  }

  get size(): number {
    return this.terms.length;
  }

  fit(documents: readonly (readonly string[])[]): this {
    const n = documents.length;
    if (n === 0) throw new RangeError('documents must not be empty');
    const df = new Map<string, number>();
    const tf = new Map<string, number>();
    for (const doc of documents) {
      if (!Array.isArray(doc)) throw typeError('documents[i]', 'an array of tokens', doc);
      const seen = new Set<string>();
      for (const tok of doc) {
        if (this.opts.stopwords.has(tok)) continue;
        tf.set(tok, (tf.get(tok) ?? 0) + 1);
        if (!seen.has(tok)) {
          seen.add(tok);
          df.set(tok, (df.get(tok) ?? 0) + 1);
        }
      }
    }
    const minDf = dfBound('minDf', this.opts.minDf, n);
    const maxDf = dfBound('maxDf', this.opts.maxDf, n);
    let kept = [...df.entries()].filter(([, d]) => d >= minDf && d <= maxDf).map(([t]) => t);
    if (this.opts.maxFeatures !== undefined && kept.length > this.opts.maxFeatures) {
      // scikit-learn keeps the most frequent terms by corpus count; ties by term order.
      kept.sort((a, b) => (tf.get(b) as number) - (tf.get(a) as number) || (a < b ? -1 : a > b ? 1 : 0));
      kept = kept.slice(0, this.opts.maxFeatures);
    }
    if (kept.length === 0) {
      throw new RangeError(
        `no term is left after minDf=${this.opts.minDf}, maxDf=${this.opts.maxDf} on ${n} documents`,
      );
    }
    kept.sort();
    this.terms = kept;
    this.vocabulary.clear();
    kept.forEach((t, i) => this.vocabulary.set(t, i));
    this.documentFrequency = Int32Array.from(kept, (t) => df.get(t) as number);
    this.idf = Float32Array.from(this.documentFrequency, (d) => Math.log((1 + n) / (1 + d)) + 1);
    return this;
  }

  transform(documents: readonly (readonly string[])[]): CsrData {
    if (this.terms.length === 0) throw new Error('BagOfWords: call fit() before transform()');
    const indptr = new Int32Array(documents.length + 1);
    const indices: number[] = [];
    const values: number[] = [];
    const counts = new Map<number, number>();
    documents.forEach((doc, r) => {
      if (!Array.isArray(doc)) throw typeError(`documents[${r}]`, 'an array of tokens', doc);
      counts.clear();
      for (const tok of doc) {
        const col = this.vocabulary.get(tok);
        if (col !== undefined) counts.set(col, (counts.get(col) ?? 0) + 1);
      }
      const cols = [...counts.keys()].sort((a, b) => a - b);
      const start = values.length;
      for (const c of cols) {
        const k = counts.get(c) as number;
        let v: number;
        switch (this.opts.weighting) {
          case 'binary':
            v = 1;
            break;
          case 'log':
            v = Math.log1p(k);
            break;
          case 'tfidf':
            v = k * this.idf[c];
            break;
          default:
            v = k;
        }
        indices.push(c);
        values.push(v);
      }
      if (this.opts.norm !== null) {
        let s = 0;
        for (let i = start; i < values.length; i++)
          s += this.opts.norm === 'l2' ? values[i] * values[i] : Math.abs(values[i]);
        const z = this.opts.norm === 'l2' ? Math.sqrt(s) : s;
        if (z > 0) for (let i = start; i < values.length; i++) values[i] /= z;
      }
      indptr[r + 1] = values.length;
    });
    return {
      rows: documents.length,
      cols: this.terms.length,
      indptr,
      indices: Int32Array.from(indices),
      values: Float32Array.from(values),
    };
  }

  fitTransform(documents: readonly (readonly string[])[]): CsrData {
    return this.fit(documents).transform(documents);
  }
}

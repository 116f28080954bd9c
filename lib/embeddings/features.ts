// Document features from word vectors: the mean of a document's word vectors, plain or weighted by
// TF-IDF (smooth idf = ln((1 + n) / (1 + df)) + 1, as scikit-learn and tk.text.BagOfWords).
import { Tensor } from '../tensor';
import { tensor } from '../creation';
import { VectorSource } from './evaluate';
import { checkOptions } from '../errors';

export interface DocumentVectorOptions {
  /** 'mean' (default) or 'tfidf' (each token weighted by its idf; repeated tokens count again). */
  weighting?: 'mean' | 'tfidf';
  /** idf per word for 'tfidf'; fitted on `docs` when omitted (see fitIdf). */
  idf?: Map<string, number>;
}

/** Smooth idf of every word in `docs`: ln((1 + n) / (1 + df)) + 1. */
export function fitIdf(docs: string[][]): Map<string, number> {
  const df = new Map<string, number>();
  for (const d of docs) for (const w of new Set(d)) df.set(w, (df.get(w) ?? 0) + 1);
  const n = docs.length;
  const idf = new Map<string, number>();
  for (const [w, f] of df) idf.set(w, Math.log((1 + n) / (1 + f)) + 1);
  return idf;
}

/**
 * A [docs.length, dim] tensor: row i is the (weighted) mean of the vectors of doc i's tokens that
 * have one; a document without any is a zero row.
 */
export function documentVectors(
  model: VectorSource & { dim: number },
  docs: string[][],
  opts: DocumentVectorOptions = {},
): Tensor {
  opts = checkOptions('opts', opts);
  if (!Array.isArray(docs)) throw new TypeError('docs must be an array of token arrays');
  const weighting = opts.weighting ?? 'mean';
  if (weighting !== 'mean' && weighting !== 'tfidf')
    throw new RangeError(`weighting must be 'mean' or 'tfidf', got '${String(weighting)}'`);
  const idf = weighting === 'tfidf' ? (opts.idf ?? fitIdf(docs)) : null;
  const D = model.dim;
  const out = new Float32Array(docs.length * D);
  const cache = new Map<string, Float32Array | undefined>();
  docs.forEach((doc, i) => {
    if (!Array.isArray(doc)) throw new TypeError(`docs[${i}] must be an array of tokens`);
    let total = 0;
    const acc = new Float64Array(D);
    for (const w of doc) {
      let v = cache.get(w);
      if (!cache.has(w)) {
        v = model.vector(w);
        cache.set(w, v);
      }
      if (!v) continue;
      const weight = idf ? (idf.get(w) ?? 0) : 1;
      if (weight === 0) continue;
      for (let j = 0; j < D; j++) acc[j] += weight * v[j];
      total += weight;
    }
    if (total > 0) for (let j = 0; j < D; j++) out[i * D + j] = acc[j] / total;
  });
  return tensor(out, [docs.length, D]);
}

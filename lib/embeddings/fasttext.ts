// FastText: word2vec training over subword n-grams (facebookresearch/fastText): a word's input is
// its own row plus the rows of the FNV-1a-hashed n-grams of "<word>", so words outside the
// vocabulary still get vectors.
import { Word2Vec, Word2VecOptions } from './word2vec';
import { native } from './native';
import { checkOptions } from '../errors';

export interface FastTextOptions extends Word2VecOptions {
  /** Shortest n-gram, in code points (default 3). */
  minn?: number;
  /** Longest n-gram (default 6; 0 disables subwords: plain word2vec with fastText's direction). */
  maxn?: number;
  /** Hash buckets for n-grams (default 2e6). */
  bucket?: number;
}

/** fastText's hash: FNV-1a 32-bit over the UTF-8 bytes, each byte sign-extended first. */
export function fastTextHash(s: string): number {
  return native.ftHash(Buffer.from(s, 'utf8'));
}

/** The character n-grams of "<word>" for n in [minn, maxn], in fastText's order. */
export function fastTextNgrams(word: string, minn = 3, maxn = 6): string[] {
  return native.ftNgrams(word, minn, maxn);
}

export class FastText extends Word2Vec {
  readonly minn: number;
  readonly maxn: number;
  readonly bucket: number;
  private subs: { indptr: Int32Array; indices: Int32Array } | null = null;

  constructor(options: FastTextOptions = {}) {
    options = checkOptions('options', options);
    super(options);
    const int = (name: string, v: number, lo: number, hi: number): number => {
      if (!Number.isInteger(v) || v < lo || v > hi)
        throw new RangeError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
      return v;
    };
    this.minn = int('minn', options.minn ?? 3, 0, 64);
    this.maxn = int('maxn', options.maxn ?? 6, 0, 64);
    this.bucket = int('bucket', options.bucket ?? 2000000, 0, 2 ** 30);
    if (this.maxn > 0 && this.minn > this.maxn)
      throw new RangeError(`minn (${this.minn}) must not exceed maxn (${this.maxn})`);
    if (this.maxn > 0 && this.bucket === 0) throw new RangeError('bucket must be positive when maxn > 0');
  }

  override get kind(): 'word2vec' | 'fasttext' {
    return 'fasttext';
  }

  private get useSubwords(): boolean {
    return this.maxn > 0 && this.bucket > 0;
  }

  protected override inputRows(): number {
    return this.words.length + (this.useSubwords ? this.bucket : 0);
  }

  protected override initScale(): number {
    return 2; // U(-1/dim, 1/dim) as fastText, from word2vec.c's generator
  }

  protected override subwordLists(): { indptr: Int32Array; indices: Int32Array } {
    if (!this.subs) {
      this.subs = native.ftSubwords(
        this.words,
        this.minn,
        this.useSubwords ? this.maxn : 0,
        Math.max(1, this.bucket),
        this.words.length,
        true,
      );
    }
    return this.subs;
  }

  protected override setVocabulary(words: string[], counts: Float64Array): void {
    this.subs = null;
    super.setVocabulary(words, counts);
  }

  protected override extraOptions(): Record<string, number> {
    return { minn: this.minn, maxn: this.maxn, bucket: this.bucket };
  }

  /** Mean of the rows (fastText's getWordVector divides the sum by the number of rows). */
  private meanOfRows(ids: ArrayLike<number>, start: number, end: number, out: Float32Array, at: number): void {
    const D = this.dim;
    const n = end - start;
    if (n === 0) return;
    for (let k = start; k < end; k++) {
      const r = ids[k] * D;
      for (let j = 0; j < D; j++) out[at + j] += this.syn0[r + j];
    }
    for (let j = 0; j < D; j++) out[at + j] /= n;
  }

  protected override wordVectors(): Float32Array {
    const { indptr, indices } = this.subwordLists();
    const D = this.dim;
    const out = new Float32Array(this.words.length * D);
    for (let w = 0; w < this.words.length; w++) this.meanOfRows(indices, indptr[w], indptr[w + 1], out, w * D);
    return out;
  }

  /** Subword row ids of any word: its own row first when in the vocabulary, then its n-grams. */
  subwordIds(word: string): Int32Array {
    this.requireTrained();
    const i = this.wv.indexOf(word);
    if (i >= 0) {
      const { indptr, indices } = this.subwordLists();
      return indices.slice(indptr[i], indptr[i + 1]);
    }
    if (!this.useSubwords) return new Int32Array(0);
    return native.ftSubwords([word], this.minn, this.maxn, this.bucket, this.words.length, false).indices;
  }

  /** In-vocabulary words as Word2Vec; other words from their n-grams (undefined when it has none). */
  override vector(word: string): Float32Array | undefined {
    const v = this.wv.vector(word);
    if (v) return v;
    const ids = this.subwordIds(word);
    if (ids.length === 0) return undefined;
    const out = new Float32Array(this.dim);
    this.meanOfRows(ids, 0, ids.length, out, 0);
    return out;
  }

  override similarity(a: string, b: string): number {
    const va = this.vector(a);
    const vb = this.vector(b);
    if (!va) throw new RangeError(`word '${a}' has no vector (not in the vocabulary and no n-grams)`);
    if (!vb) throw new RangeError(`word '${b}' has no vector (not in the vocabulary and no n-grams)`);
    let dot = 0,
      na = 0,
      nb = 0;
    for (let i = 0; i < this.dim; i++) {
      dot += va[i] * vb[i];
      na += va[i] * va[i];
      nb += vb[i] * vb[i];
    }
    return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
  }

  override mostSimilar(query: string | Float32Array | number[], k = 10) {
    if (typeof query === 'string' && !this.wv.has(query)) {
      const v = this.vector(query);
      if (!v) throw new RangeError(`word '${query}' has no vector (not in the vocabulary and no n-grams)`);
      return this.wv.mostSimilar(v, k);
    }
    return this.wv.mostSimilar(query, k);
  }

  static override load(file: string): FastText {
    const { header, syn0, syn1 } = Word2Vec.readModelFile(file);
    if (header.kind !== 'fasttext') throw new Error(`${file}: holds a '${header.kind}' model; use Word2Vec.load`);
    const m = new FastText({ ...header.options, ...header.extra });
    m.restore(header.words, Float64Array.from(header.counts), syn0, syn1, header.trainedWords);
    return m;
  }
}

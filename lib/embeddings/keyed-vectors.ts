// Word vectors with nearest-neighbour queries (a subset of gensim's KeyedVectors) and the word2vec
// text and binary formats.
import * as fs from 'fs';
import * as path from 'path';
import { native } from './native';
import { checkOptions } from '../errors';

export interface SimilarWord {
  word: string;
  score: number;
}

export interface AnalogyOptions {
  /** '3cosadd' (word2vec's compute-accuracy, default) or '3cosmul' (Levy & Goldberg, as gensim). */
  method?: '3cosadd' | '3cosmul';
  /** Search only the first n (most frequent) words, as compute-accuracy's threshold does. */
  restrictVocab?: number;
}

export interface Word2VecFormatOptions {
  /** Binary (word, space, raw float32 LE values, newline) or text ("%lf " values). Default: by extension (.bin = binary). */
  binary?: boolean;
}

function unknown(word: string): RangeError {
  return new RangeError(`unknown word '${word}' (not in the vocabulary)`);
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0) throw new RangeError(`k must be a non-negative integer, got ${k}`);
}

export class KeyedVectors {
  readonly words: string[];
  /** [words.length, dim], row-major. */
  readonly vectors: Float32Array;
  readonly dim: number;
  private readonly index = new Map<string, number>();
  private normed: Float32Array | null = null;

  constructor(words: string[], vectors: Float32Array, dim: number) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
    if (vectors.length !== words.length * dim) {
      throw new RangeError(`vectors has ${vectors.length} values, expected ${words.length} x ${dim}`);
    }
    this.words = words;
    this.vectors = vectors;
    this.dim = dim;
    words.forEach((w, i) => {
      if (!this.index.has(w)) this.index.set(w, i);
    });
  }

  get size(): number {
    return this.words.length;
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  /** Row of `word`, or -1. */
  indexOf(word: string): number {
    return this.index.get(word) ?? -1;
  }

  /** A copy of the word's vector; undefined for a word not in the vocabulary. */
  vector(word: string): Float32Array | undefined {
    const i = this.index.get(word);
    return i === undefined ? undefined : this.vectors.slice(i * this.dim, (i + 1) * this.dim);
  }

  /** The unit-normalised matrix [size, dim], computed once (invalidate() after changing vectors). */
  normalized(): Float32Array {
    if (!this.normed) {
      this.normed = new Float32Array(this.vectors.length);
      native.w2vNormalizeRows(this.normed, this.vectors, this.size, this.dim);
    }
    return this.normed;
  }

  invalidate(): void {
    this.normed = null;
  }

  protected queryVector(word: string): Float32Array {
    const v = this.vector(word);
    if (!v) throw unknown(word);
    return v;
  }

  /** Cosine similarity; throws RangeError for an unknown word. */
  similarity(a: string, b: string): number {
    return cosine(this.queryVector(a), this.queryVector(b));
  }

  /**
   * The k words nearest to a word (itself excluded) or to a vector, by cosine similarity, through a
   * native parallel top-k over the normalised matrix.
   */
  mostSimilar(
    query: string | Float32Array | number[],
    k = 10,
    opts: { exclude?: string[]; restrictVocab?: number } = {},
  ): SimilarWord[] {
    opts = checkOptions('opts', opts);
    checkK(k);
    let q: Float32Array;
    const exclude: number[] = [];
    if (typeof query === 'string') {
      q = this.queryVector(query);
      const i = this.index.get(query);
      if (i !== undefined) exclude.push(i);
    } else {
      q = Float32Array.from(query);
      if (q.length !== this.dim) throw new RangeError(`query vector has ${q.length} values, expected ${this.dim}`);
    }
    for (const w of opts.exclude ?? []) {
      const i = this.index.get(w);
      if (i !== undefined) exclude.push(i);
    }
    return this.topK(normalize(q), k, exclude, opts.restrictVocab);
  }

  private topK(q: Float32Array, k: number, exclude: number[], restrict?: number): SimilarWord[] {
    const n = Math.min(this.size, restrict ?? this.size);
    const idx = new Int32Array(k);
    const score = new Float32Array(k);
    const m = this.normalized().subarray(0, n * this.dim);
    const found = native.w2vTopK(idx, score, m, q, n, this.dim, k, Int32Array.from(exclude));
    const out: SimilarWord[] = [];
    for (let i = 0; i < found; i++) out.push({ word: this.words[idx[i]], score: score[i] });
    return out;
  }

  /**
   * a is to b as c is to ?: the k best words, excluding a, b and c (as word2vec's compute-accuracy).
   * 3CosAdd ranks by cos(w, b - a + c) over normalised vectors; 3CosMul by
   * cos'(w,b) cos'(w,c) / (cos'(w,a) + 1e-6) with cos' = (1 + cos)/2, as gensim's most_similar_cosmul.
   */
  analogy(a: string, b: string, c: string, k = 1, opts: AnalogyOptions = {}): SimilarWord[] {
    opts = checkOptions('opts', opts);
    checkK(k);
    const ids = [a, b, c].map((w) => {
      const i = this.index.get(w);
      if (i === undefined) throw unknown(w);
      return i;
    });
    const D = this.dim;
    const m = this.normalized();
    const n = Math.min(this.size, opts.restrictVocab ?? this.size);
    const method = opts.method ?? '3cosadd';
    if (method === '3cosadd') {
      const q = new Float32Array(D);
      for (let j = 0; j < D; j++) q[j] = m[ids[1] * D + j] - m[ids[0] * D + j] + m[ids[2] * D + j];
      return this.topK(normalize(q), k, ids, n);
    }
    if (method !== '3cosmul') throw new RangeError(`method must be '3cosadd' or '3cosmul', got '${String(method)}'`);
    const sub = m.subarray(0, n * D);
    const cos = ids.map((i) => {
      const out = new Float32Array(n);
      native.w2vRowsDot(out, sub, m.slice(i * D, (i + 1) * D), n, D);
      return out;
    });
    const scores = new Float32Array(n);
    for (let w = 0; w < n; w++) {
      const ca = (1 + cos[0][w]) / 2,
        cb = (1 + cos[1][w]) / 2,
        cc = (1 + cos[2][w]) / 2;
      scores[w] = (cb * cc) / (ca + 1e-6);
    }
    const idx = new Int32Array(k);
    const score = new Float32Array(k);
    const found = native.w2vTopKScores(idx, score, scores, n, k, Int32Array.from(ids));
    const out: SimilarWord[] = [];
    for (let i = 0; i < found; i++) out.push({ word: this.words[idx[i]], score: score[i] });
    return out;
  }

  /** Writes the word2vec text or binary format (via a temporary file, then rename). */
  saveWord2VecFormat(file: string, opts: Word2VecFormatOptions = {}): void {
    const binary = opts.binary ?? file.endsWith('.bin');
    const D = this.dim;
    const chunks: Buffer[] = [Buffer.from(`${this.size} ${D}\n`)];
    for (let i = 0; i < this.size; i++) {
      if (/[\s]/.test(this.words[i]) || this.words[i].length === 0) {
        throw new RangeError(
          `word ${i} ('${this.words[i]}') is empty or contains whitespace; the format cannot hold it`,
        );
      }
      if (binary) {
        const row = Buffer.alloc(D * 4);
        for (let j = 0; j < D; j++) row.writeFloatLE(this.vectors[i * D + j], j * 4);
        chunks.push(Buffer.from(this.words[i] + ' '), row, Buffer.from('\n'));
      } else {
        let line = this.words[i] + ' ';
        for (let j = 0; j < D; j++) line += this.vectors[i * D + j].toFixed(6) + ' ';
        chunks.push(Buffer.from(line + '\n'));
      }
    }
    writeAtomic(file, chunks);
  }

  /** Reads the word2vec text (also fastText's .vec) or binary format. */
  static loadWord2VecFormat(file: string, opts: Word2VecFormatOptions = {}): KeyedVectors {
    const binary = opts.binary ?? file.endsWith('.bin');
    const buf = fs.readFileSync(file);
    const nl = buf.indexOf(0x0a);
    const header = buf.subarray(0, nl < 0 ? Math.min(buf.length, 80) : nl).toString('utf8');
    const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(header);
    if (nl < 0 || !m) throw new Error(`${file}: bad header '${header.slice(0, 60)}' (expected "<words> <dim>")`);
    const V = Number(m[1]);
    const D = Number(m[2]);
    if (D < 1) throw new Error(`${file}: bad header: dimension must be positive, got ${D}`);
    const words: string[] = [];
    const vectors = new Float32Array(V * D);
    let pos = nl + 1;
    if (binary) {
      for (let i = 0; i < V; i++) {
        while (pos < buf.length && (buf[pos] === 0x0a || buf[pos] === 0x20)) pos++;
        const sp = buf.indexOf(0x20, pos);
        if (sp < 0) throw new Error(`${file}: file ends before word ${i + 1} of ${V}`);
        words.push(buf.subarray(pos, sp).toString('utf8'));
        pos = sp + 1;
        if (pos + 4 * D > buf.length)
          throw new Error(`${file}: file ends inside the vector of word ${i + 1} ('${words[i]}')`);
        for (let j = 0; j < D; j++) vectors[i * D + j] = buf.readFloatLE(pos + 4 * j);
        pos += 4 * D;
      }
    } else {
      const lines = buf.subarray(pos).toString('utf8').split('\n');
      let row = 0;
      for (let li = 0; li < lines.length && row < V; li++) {
        const line = lines[li].replace(/\r$/, '').trimEnd();
        if (line === '') continue;
        const parts = line.split(' ');
        if (parts.length !== D + 1) {
          throw new Error(
            `${file}: line ${li + 2}: row for '${parts[0]}' has ${parts.length - 1} values, expected ${D}`,
          );
        }
        words.push(parts[0]);
        for (let j = 0; j < D; j++) {
          const v = Number(parts[j + 1]);
          if (Number.isNaN(v) && parts[j + 1] !== 'nan' && parts[j + 1] !== 'NaN') {
            throw new Error(`${file}: line ${li + 2}: value '${parts[j + 1]}' is not a number`);
          }
          vectors[row * D + j] = v;
        }
        row++;
      }
      if (row < V) throw new Error(`${file}: header says ${V} words, found ${row}`);
    }
    return new KeyedVectors(words, vectors, D);
  }
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

export function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  return v.map((x) => x * inv);
}

/** Writes chunks to a temporary file beside `file`, then renames it over `file`. */
export function writeAtomic(file: string, chunks: Buffer[]): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      for (const c of chunks) fs.writeSync(fd, c);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

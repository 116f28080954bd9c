// Word2Vec (skip-gram / CBOW with negative sampling) as word2vec.c defines it, trained on native
// threads of its own (Hogwild) off the event loop; FastText (fasttext.ts) reuses it with subwords.
import * as fs from 'fs';
import { KeyedVectors, SimilarWord, AnalogyOptions, writeAtomic } from './keyed-vectors';
import { native, NativeTrainStats } from './native';
import * as os from 'os';
import { checkOptions } from '../errors';

export interface Word2VecOptions {
  /** Vector size (default 100). */
  dim?: number;
  /** Maximum context radius; the effective radius is uniform on 1..window (default 5). */
  window?: number;
  /** Negative samples per positive pair (default 5). */
  negative?: number;
  /** Words with fewer occurrences are dropped (default 5). */
  minCount?: number;
  /** Subsampling threshold s: keep probability sqrt(s/f) + s/f (default 1e-3; 0 disables). */
  sample?: number;
  epochs?: number;
  /** Starting learning rate: 0.025 for skip-gram, 0.05 for CBOW (word2vec.c). */
  alpha?: number;
  /** Learning-rate floor (default alpha * 1e-4, as word2vec.c). */
  minAlpha?: number;
  model?: 'skipgram' | 'cbow';
  /** Training threads (default: the number of CPUs). */
  threads?: number;
  /**
   * Seed of the initialisation and of the threads' LCGs (default 1). With `compat: 'word2vec.c'`, seed 1
   * on one thread reproduces word2vec.c's training with its end-of-file flag cleared between epochs
   * (word2vec.c never clears it, so on one thread it trains only the first epoch).
   */
  seed?: number;
  /** Exponent of the noise distribution U(w)^power (default 0.75). */
  power?: number;
  /**
   * 'word2vec.c': draw the frequent-word subsampling uniform from the LCG's low 16 bits, as word2vec.c
   * does, for its exact training. Default (undefined): the same LCG and keep probability, with the
   * uniform taken from bits 16-31 as gensim does; the low bits of word2vec.c's 64-bit LCG repeat with
   * period 2^16 or less, and CBOW vectors trained with them score lower and vary more with the seed.
   */
  compat?: 'word2vec.c';
}

export interface TrainProgress {
  /** Words processed so far (all epochs, subsampled ones included), word2vec.c's word_count_actual. */
  words: number;
  /** epochs x words in the corpus (</s> included). */
  totalWords: number;
  /** words / totalWords, in [0, 1]. */
  progress: number;
  /** Mean negative-sampling loss since the previous report (sampled 1 in 16 pairs). */
  loss: number;
  /** Learning rate now. */
  alpha: number;
  seconds: number;
  wordsPerSecond: number;
  aborted: boolean;
}

export interface TrainOptions {
  onProgress?: (p: TrainProgress) => void;
  signal?: AbortSignal;
  /** Milliseconds between progress events (default 250). */
  progressIntervalMs?: number;
}

/** A file path (one sentence per line), an array or (async) iterable of token arrays. */
export type Corpus = string | Iterable<string[]> | AsyncIterable<string[]>;

interface ResolvedOptions {
  dim: number;
  window: number;
  negative: number;
  minCount: number;
  sample: number;
  epochs: number;
  alpha: number;
  minAlpha: number;
  model: 'skipgram' | 'cbow';
  threads: number;
  seed: number;
  power: number;
  compat?: 'word2vec.c';
}

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  return v;
}

function nonNegative(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new RangeError(`${name} must be a finite number >= 0, got ${v}`);
  return v;
}

export function resolveOptions(o: Word2VecOptions): ResolvedOptions {
  const model = o.model ?? 'skipgram';
  if (model !== 'skipgram' && model !== 'cbow')
    throw new RangeError(`model must be 'skipgram' or 'cbow', got '${String(model)}'`);
  const alpha = nonNegative('alpha', o.alpha ?? (model === 'cbow' ? 0.05 : 0.025));
  if (alpha <= 0) throw new RangeError(`alpha must be positive, got ${alpha}`);
  const minAlpha = nonNegative('minAlpha', o.minAlpha ?? alpha * 1e-4);
  if (minAlpha > alpha) throw new RangeError(`minAlpha (${minAlpha}) must not exceed alpha (${alpha})`);
  if (o.compat !== undefined && o.compat !== 'word2vec.c')
    throw new RangeError(`compat must be 'word2vec.c' or undefined, got ${JSON.stringify(o.compat)}`);
  return {
    ...(o.compat ? { compat: o.compat } : {}),
    dim: positiveInt('dim', o.dim ?? 100),
    window: positiveInt('window', o.window ?? 5),
    negative: positiveInt('negative', o.negative ?? 5),
    minCount: positiveInt('minCount', o.minCount ?? 5),
    sample: nonNegative('sample', o.sample ?? 1e-3),
    epochs: positiveInt('epochs', o.epochs ?? 5),
    alpha,
    minAlpha,
    model,
    threads: positiveInt('threads', o.threads ?? Math.max(1, os.cpus().length)),
    seed: positiveInt('seed', o.seed ?? 1, 0),
    power: nonNegative('power', o.power ?? 0.75),
  };
}

function abortError(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  const e = new Error('training was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * Vocabulary in word2vec.c's order: "</s>" at 0, the others by count, descending (ties in order of
 * first appearance), words below minCount dropped ("</s>" always kept).
 */
export function sortVocabulary(
  words: string[],
  counts: ArrayLike<number>,
  minCount: number,
): { words: string[]; counts: Float64Array } {
  const order: number[] = [];
  for (let i = 1; i < words.length; i++) if (counts[i] >= minCount) order.push(i);
  order.sort((a, b) => counts[b] - counts[a] || a - b);
  const outWords = ['</s>'];
  const outCounts = [counts[0] ?? 0];
  for (const i of order) {
    outWords.push(words[i]);
    outCounts.push(counts[i]);
  }
  return { words: outWords, counts: Float64Array.from(outCounts) };
}

/** Tokens to raw ids in order of first appearance ("</s>" = 0, also ending each sentence). */
class Encoder {
  ids = new Map<string, number>([['</s>', 0]]);
  words = ['</s>'];
  counts: number[] = [0];
  buf = new Int32Array(1 << 16);
  n = 0;
  private push(id: number): void {
    if (this.n === this.buf.length) {
      const b = new Int32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.n++] = id;
  }
  sentence(tokens: string[], fixed: Map<string, number> | null): void {
    if (!Array.isArray(tokens)) throw new TypeError('each sentence of the corpus must be an array of strings');
    for (const t of tokens) {
      if (typeof t !== 'string') throw new TypeError(`tokens must be strings, got ${typeof t}`);
      if (fixed) {
        const id = fixed.get(t);
        if (id !== undefined) this.push(id);
        if (id !== undefined) this.counts[id] = (this.counts[id] ?? 0) + 1;
        continue;
      }
      let id = this.ids.get(t);
      if (id === undefined) {
        id = this.words.length;
        this.ids.set(t, id);
        this.words.push(t);
        this.counts.push(0);
      }
      this.counts[id]++;
      this.push(id);
    }
    this.push(0);
    this.counts[0]++;
  }
}

export class Word2Vec {
  readonly options: ResolvedOptions;
  /** Vocabulary in word2vec.c's order ("</s>" first). */
  words: string[] = [];
  counts: Float64Array = new Float64Array(0);
  /** Input vectors [inputRows, dim] (words, then fastText's buckets). */
  syn0: Float32Array = new Float32Array(0);
  /** Output vectors [words.length, dim]. */
  syn1neg: Float32Array = new Float32Array(0);
  /** Words processed by completed or aborted train() calls. */
  trainedWords = 0;
  protected kv: KeyedVectors | null = null;
  private training = false;

  constructor(options: Word2VecOptions = {}) {
    options = checkOptions('options', options);
    this.options = resolveOptions(options);
  }

  get dim(): number {
    return this.options.dim;
  }

  get kind(): 'word2vec' | 'fasttext' {
    return 'word2vec';
  }

  get trained(): boolean {
    return this.words.length > 0;
  }

  protected inputRows(): number {
    return this.words.length;
  }

  protected subwordLists(): { indptr: Int32Array; indices: Int32Array } {
    return { indptr: new Int32Array(0), indices: new Int32Array(0) };
  }

  protected initScale(): number {
    return 1;
  }

  protected setVocabulary(words: string[], counts: Float64Array): void {
    if (words.length < 2) {
      throw new RangeError(
        `no word occurs at least minCount = ${this.options.minCount} times in the corpus; lower minCount or use a larger corpus`,
      );
    }
    this.words = words;
    this.counts = counts;
    const D = this.dim;
    this.syn0 = new Float32Array(this.inputRows() * D);
    native.w2vInitVectors(this.syn0, this.inputRows(), D, this.options.seed, this.initScale());
    this.syn1neg = new Float32Array(words.length * D);
    this.kv = null;
  }

  /**
   * Trains on a corpus: a file path (one sentence per line; counted and read by native threads,
   * each from its own segment, never loaded into JS), an array or an async iterable of token arrays
   * (read once and kept as 4-byte ids). The first call builds the vocabulary; later calls continue
   * from the current weights with the same vocabulary and a fresh learning-rate schedule. Rejects
   * with the signal's reason (an AbortError) when `signal` fires; the model stays usable.
   */
  async train(corpus: Corpus, opts: TrainOptions = {}): Promise<TrainProgress> {
    if (this.training) throw new Error('train(): this model is already training');
    const { signal } = opts;
    if (signal?.aborted) throw abortError(signal);
    const interval = opts.progressIntervalMs ?? 250;
    if (!(interval >= 1)) throw new RangeError(`progressIntervalMs must be >= 1, got ${interval}`);
    this.training = true;
    const ctl = new Int32Array(1);
    const onAbort = (): void => {
      Atomics.store(ctl, 0, 1);
    };
    signal?.addEventListener('abort', onAbort);
    try {
      let input: string | Int32Array;
      const fresh = !this.trained;
      if (typeof corpus === 'string') {
        if (!fs.existsSync(corpus))
          throw Object.assign(new Error(`corpus file '${corpus}' does not exist`), { code: 'ENOENT' });
        if (fs.statSync(corpus).isDirectory()) throw new Error(`corpus '${corpus}' is a directory, not a file`);
        if (fresh) {
          const c = await native.w2vCountFile(corpus, ctl);
          if (c.aborted || signal?.aborted) throw abortError(signal!);
          if (c.total === 0) throw new RangeError(`corpus file '${corpus}' is empty`);
          const v = sortVocabulary(c.words, c.counts, this.options.minCount);
          this.setVocabulary(v.words, v.counts);
        }
        input = corpus;
      } else {
        input = await this.encode(corpus, fresh, signal);
      }
      const { indptr, indices } = this.subwordLists();
      const o = this.options;
      const report = (p: NativeTrainStats): void => {
        if (!opts.onProgress) return;
        try {
          opts.onProgress(p);
        } catch (err) {
          // Keep training; surface the error without crashing the native callback.
          process.emitWarning(`onProgress threw: ${err instanceof Error ? err.message : String(err)}`);
        }
      };
      const stats = await native.w2vTrain(
        this.syn0,
        this.syn1neg,
        this.counts,
        this.dim,
        this.inputRows(),
        indptr,
        indices,
        input,
        typeof input === 'string' ? this.words : [],
        o.model === 'cbow',
        o.window,
        o.negative,
        o.sample,
        o.alpha,
        o.minAlpha,
        o.epochs,
        o.threads,
        o.seed,
        o.power,
        ctl,
        report,
        interval,
        o.compat === 'word2vec.c',
      );
      this.trainedWords += stats.words;
      this.kv = null;
      report(stats);
      if (stats.aborted) throw abortError(signal!);
      return stats;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.training = false;
    }
  }

  private async encode(
    corpus: Iterable<string[]> | AsyncIterable<string[]>,
    fresh: boolean,
    signal?: AbortSignal,
  ): Promise<Int32Array> {
    if (corpus === null || typeof corpus !== 'object') {
      throw new TypeError('corpus must be a file path, an array or an (async) iterable of token arrays');
    }
    const enc = new Encoder();
    const fixed = fresh ? null : new Map(this.words.map((w, i) => [w, i] as [string, number]));
    if (Symbol.asyncIterator in corpus) {
      let k = 0;
      for await (const s of corpus as AsyncIterable<string[]>) {
        enc.sentence(s, fixed);
        if ((++k & 1023) === 0 && signal?.aborted) throw abortError(signal);
      }
    } else if (Symbol.iterator in corpus) {
      for (const s of corpus as Iterable<string[]>) enc.sentence(s, fixed);
    } else {
      throw new TypeError('corpus must be a file path, an array or an (async) iterable of token arrays');
    }
    if (enc.n === 0 || enc.n === enc.counts[0]) throw new RangeError('the corpus is empty (no tokens)');
    if (fixed) return enc.buf.slice(0, enc.n);
    const v = sortVocabulary(enc.words, enc.counts, this.options.minCount);
    this.setVocabulary(v.words, v.counts);
    const remap = new Int32Array(enc.words.length).fill(-1);
    v.words.forEach((w, i) => (remap[enc.ids.get(w)!] = i));
    const out = new Int32Array(enc.n);
    let m = 0;
    for (let i = 0; i < enc.n; i++) {
      const id = remap[enc.buf[i]];
      if (id >= 0) out[m++] = id;
    }
    return out.slice(0, m);
  }

  protected requireTrained(): void {
    if (!this.trained) throw new Error('the model has no vocabulary yet: call train() first (or load a model)');
  }

  /** Word vectors (rows of syn0, or fastText's subword means) as KeyedVectors. */
  get wv(): KeyedVectors {
    this.requireTrained();
    if (!this.kv) this.kv = new KeyedVectors(this.words, this.wordVectors(), this.dim);
    return this.kv;
  }

  protected wordVectors(): Float32Array {
    return this.syn0.slice(0, this.words.length * this.dim);
  }

  /** The word's vector; undefined for a word not in the vocabulary (FastText: built from n-grams). */
  vector(word: string): Float32Array | undefined {
    return this.wv.vector(word);
  }

  similarity(a: string, b: string): number {
    return this.wv.similarity(a, b);
  }

  mostSimilar(query: string | Float32Array | number[], k = 10): SimilarWord[] {
    return this.wv.mostSimilar(query, k);
  }

  analogy(a: string, b: string, c: string, k = 1, opts: AnalogyOptions = {}): SimilarWord[] {
    opts = checkOptions('opts', opts);
    return this.wv.analogy(a, b, c, k, opts);
  }

  saveWord2VecFormat(file: string, opts: { binary?: boolean } = {}): void {
    this.wv.saveWord2VecFormat(file, opts);
  }

  /**
   * Our full model (both matrices, vocabulary with counts, options), so training can resume:
   * "TKW2V1\n", a little-endian u32 header length, a JSON header, padding to 4 bytes, then syn0 and
   * syn1neg as float32 LE. Written to a temporary file and renamed.
   */
  save(file: string): void {
    this.requireTrained();
    const header = Buffer.from(
      JSON.stringify({
        kind: this.kind,
        options: this.options,
        extra: this.extraOptions(),
        words: this.words,
        counts: Array.from(this.counts),
        inputRows: this.inputRows(),
        trainedWords: this.trainedWords,
      }),
    );
    const magic = Buffer.from(MAGIC);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length);
    const pad = Buffer.alloc((4 - ((magic.length + 4 + header.length) % 4)) % 4, 0x20);
    const asBuf = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    writeAtomic(file, [magic, len, header, pad, asBuf(this.syn0), asBuf(this.syn1neg)]);
  }

  protected extraOptions(): Record<string, number> {
    return {};
  }

  /** Restores state read by load(); FastText overrides it to rebuild subwords. */
  protected restore(
    words: string[],
    counts: Float64Array,
    syn0: Float32Array,
    syn1: Float32Array,
    trainedWords: number,
  ): void {
    this.words = words;
    this.counts = counts;
    if (syn0.length !== this.inputRows() * this.dim || syn1.length !== words.length * this.dim) {
      throw new Error('model file: matrix sizes do not match the vocabulary and options');
    }
    this.syn0 = syn0;
    this.syn1neg = syn1;
    this.trainedWords = trainedWords;
    this.kv = null;
  }

  static readModelFile(file: string): {
    header: {
      kind: string;
      options: Word2VecOptions;
      extra: Record<string, number>;
      words: string[];
      counts: number[];
      inputRows: number;
      trainedWords: number;
    };
    syn0: Float32Array;
    syn1: Float32Array;
  } {
    const buf = fs.readFileSync(file);
    if (buf.length < MAGIC.length + 4 || buf.subarray(0, MAGIC.length).toString('latin1') !== MAGIC) {
      throw new Error(`${file}: not a textkernels word2vec model (bad magic)`);
    }
    const hlen = buf.readUInt32LE(MAGIC.length);
    const hstart = MAGIC.length + 4;
    if (hstart + hlen > buf.length) throw new Error(`${file}: truncated header`);
    let header;
    try {
      header = JSON.parse(buf.subarray(hstart, hstart + hlen).toString('utf8'));
    } catch {
      throw new Error(`${file}: corrupt JSON header`);
    }
    let off = hstart + hlen;
    off += (4 - (off % 4)) % 4;
    const D = header.options.dim as number;
    const n0 = header.inputRows * D;
    const n1 = header.words.length * D;
    if (off + 4 * (n0 + n1) !== buf.length) {
      throw new Error(`${file}: size ${buf.length} does not match the header (expected ${off + 4 * (n0 + n1)} bytes)`);
    }
    const copy = (start: number, n: number): Float32Array => {
      const out = new Float32Array(n);
      Buffer.from(out.buffer).set(buf.subarray(start, start + 4 * n));
      return out;
    };
    return { header, syn0: copy(off, n0), syn1: copy(off + 4 * n0, n1) };
  }

  /** Loads a model written by save() (a FastText file must be loaded with FastText.load). */
  static load(file: string): Word2Vec {
    const { header, syn0, syn1 } = Word2Vec.readModelFile(file);
    if (header.kind !== 'word2vec') throw new Error(`${file}: holds a '${header.kind}' model; use FastText.load`);
    const m = new Word2Vec(header.options);
    m.restore(header.words, Float64Array.from(header.counts), syn0, syn1, header.trainedWords);
    return m;
  }
}

const MAGIC = 'TKW2V1\n';

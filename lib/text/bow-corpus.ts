// Bag-of-words corpora for the topic models (tk.text.BowCorpus): a vocabulary pruned as
// scikit-learn's CountVectorizer prunes it (min_df, max_df, stop words, max_features), the
// document-term counts as a CSR matrix, and what the evaluation needs: normalised rows (ETM's
// bow_norm), seeded train/test splits, ETM's document-completion halves and document
// co-occurrence counts for NPMI.
//
// Building streams: each document is tokenised and counted into (provisional word id, count) pairs
// as it arrives, so a corpus can be read from a file line by line (fromAsync) without holding the
// texts; the vocabulary is pruned and the columns renumbered once every document has been seen.
import { checkOptions, rangeError, typeError } from '../errors';
import { resolveGenerator, type Generator } from '../random';
import { CsrMatrix } from '../sparse';
import type { BowData } from '../topics/types';
import { ENGLISH_STOP_WORDS } from './stopwords';
import { tokenize } from './tokenize';

/** A document: a text (tokenised by the corpus's tokenizer) or a list of tokens (used as given). */
export type BowDocument = string | readonly string[];

export interface BowCorpusOptions {
  /**
   * Keep words in at least minDf documents; below 1 it is a fraction of the documents (sklearn's
   * min_df; JS cannot tell 1 from 1.0, so 1 means one document). Default 1.
   */
  minDf?: number;
  /**
   * Drop words in more than maxDf documents; up to 1 it is a fraction of the documents (1 keeps
   * everything, as sklearn's max_df=1.0), above 1 a document count. Default 1.
   */
  maxDf?: number;
  /** Words to leave out (compared with the tokens as the tokenizer returns them), or 'english' for ENGLISH_STOP_WORDS. */
  stopwords?: Iterable<string> | 'english' | null;
  /**
   * Keep at most this many words (after minDf/maxDf): the most frequent by total count in the
   * corpus, ties broken by the word (code point order), as sklearn's max_features.
   */
  vocabSize?: number;
  /** Splits a text into tokens; default tk.text.tokenize (lowercased Unicode letter/digit runs). */
  tokenizer?: (text: string) => readonly string[];
  /** Drop tokens shorter than this many code points (ETM's preprocessing drops length-1 words: 2). Default 1. */
  minLength?: number;
}

/** The input of halves(): the first and second half of each kept document, row for row. */
export interface BowHalves {
  first: BowCorpus;
  second: BowCorpus;
  /** For each row of first/second, the index of its document in the input. */
  ids: Int32Array;
}

export interface BowSplit {
  train: BowCorpus;
  test: BowCorpus;
  /** Rows of this corpus in train / test, ascending. */
  trainIds: Int32Array;
  testIds: Int32Array;
}

export interface SplitOptions {
  /** Fraction of the documents in the test set (rounded to the nearest count). Default 0.2. */
  testFraction?: number;
  seed?: number;
  generator?: Generator;
}

/** Document frequencies of some words and of every pair of them (coDocumentFrequency). */
export interface CoDocumentFrequency {
  /** Documents containing word i: [n]. */
  documentFrequency: Int32Array;
  /** joint[i * n + j]: documents containing both word i and word j ([n, n], symmetric, diagonal = df). */
  joint: Int32Array;
}

type Tokenizer = (text: string) => readonly string[];

const OPTION_NAMES = new Set(['minDf', 'maxDf', 'stopwords', 'vocabSize', 'tokenizer', 'minLength']);

const defaultTokenizer: Tokenizer = (text) => tokenize(text);

interface ResolvedOptions {
  minDf: number;
  maxDf: number;
  stopwords: ReadonlySet<string>;
  vocabSize: number | undefined;
  tokenizer: Tokenizer;
  minLength: number;
}

function checkDf(name: 'minDf' | 'maxDf', v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw typeError(name, 'a number', v);
  if (v < 0 || !Number.isFinite(v)) throw rangeError(name, 'a finite number >= 0', v);
  return v;
}

function resolveOptions(opts: unknown): ResolvedOptions {
  if (opts === undefined) opts = {};
  if (opts === null || typeof opts !== 'object') throw typeError('opts', 'an options object', opts);
  const o = opts as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!OPTION_NAMES.has(key)) {
      throw new TypeError(`unknown BowCorpus option '${key}' (expected one of ${[...OPTION_NAMES].join(', ')})`);
    }
  }
  const minDf = o.minDf === undefined ? 1 : checkDf('minDf', o.minDf);
  const maxDf = o.maxDf === undefined ? 1 : checkDf('maxDf', o.maxDf);
  let vocabSize: number | undefined;
  if (o.vocabSize !== undefined) {
    if (typeof o.vocabSize !== 'number' || !Number.isInteger(o.vocabSize)) {
      throw typeError('vocabSize', 'an integer', o.vocabSize);
    }
    if (o.vocabSize < 1) throw rangeError('vocabSize', 'an integer >= 1', o.vocabSize);
    vocabSize = o.vocabSize;
  }
  let minLength = 1;
  if (o.minLength !== undefined) {
    if (typeof o.minLength !== 'number' || !Number.isInteger(o.minLength)) {
      throw typeError('minLength', 'an integer', o.minLength);
    }
    if (o.minLength < 0) throw rangeError('minLength', 'an integer >= 0', o.minLength);
    minLength = o.minLength;
  }
  let tokenizer = defaultTokenizer;
  if (o.tokenizer !== undefined) {
    if (typeof o.tokenizer !== 'function') throw typeError('tokenizer', 'a function (text) => string[]', o.tokenizer);
    tokenizer = o.tokenizer as Tokenizer;
  }
  let stopwords: ReadonlySet<string> = new Set();
  const sw = o.stopwords;
  if (sw === 'english') {
    stopwords = ENGLISH_STOP_WORDS;
  } else if (sw !== undefined && sw !== null) {
    if (typeof sw === 'string' || typeof (sw as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw typeError('stopwords', "'english' or an iterable of strings (a Set or an array)", sw);
    }
    const set = new Set<string>();
    for (const w of sw as Iterable<unknown>) {
      if (typeof w !== 'string') throw typeError('stopwords[i]', 'a string', w);
      set.add(w);
    }
    stopwords = set;
  }
  return { minDf, maxDf, stopwords, vocabSize, tokenizer, minLength };
}

/** Python's str order (by code point); JS's < compares UTF-16 code units, which differs past U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) sort after every BMP unit; units above them move down.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

/** The tokens of one document, validated. */
function tokensOf(doc: unknown, index: number, tokenizer: Tokenizer): readonly string[] {
  let tokens: unknown;
  if (typeof doc === 'string') {
    tokens = tokenizer(doc);
    if (!Array.isArray(tokens)) throw typeError(`tokenizer(documents[${index}])`, 'an array of strings', tokens);
  } else if (Array.isArray(doc)) {
    tokens = doc;
  } else {
    throw typeError(`documents[${index}]`, 'a string or an array of token strings', doc);
  }
  const list = tokens as readonly unknown[];
  for (let j = 0; j < list.length; j++) {
    if (typeof list[j] !== 'string') throw typeError(`documents[${index}][${j}]`, 'a string token', list[j]);
  }
  return list as readonly string[];
}

function checkIterable(docs: unknown, asyncToo: boolean): void {
  const ok =
    docs !== null &&
    typeof docs === 'object' &&
    (typeof (docs as Iterable<unknown>)[Symbol.iterator] === 'function' ||
      (asyncToo && typeof (docs as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'));
  if (!ok) {
    throw typeError(
      'documents',
      asyncToo
        ? 'an iterable or async iterable of documents (strings or token arrays)'
        : 'an iterable of documents (strings or token arrays)',
      docs,
    );
  }
}

/** A growable Int32Array. */
class IntList {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

interface DocumentSink {
  add(doc: unknown, index: number): void;
}

function consume(sink: DocumentSink, documents: Iterable<unknown>): number {
  let i = 0;
  for (const doc of documents) sink.add(doc, i++);
  return i;
}

async function consumeAsync(
  sink: DocumentSink,
  documents: AsyncIterable<unknown> | Iterable<unknown>,
): Promise<number> {
  let i = 0;
  for await (const doc of documents as AsyncIterable<unknown>) sink.add(doc, i++);
  return i;
}

/** Counts documents into (provisional id, count) pairs; prunes and renumbers in finish(). */
class VocabularyBuilder implements DocumentSink {
  private readonly ids = new Map<string, number>();
  private readonly words: string[] = [];
  private tf: number[] = [];
  private df: number[] = [];
  private readonly docPtr = new IntList();
  private readonly cols = new IntList(4096);
  private readonly vals = new IntList(4096);
  private scratch = new Int32Array(1024);
  private readonly touched: number[] = [];

  constructor(private readonly opts: ResolvedOptions) {
    this.docPtr.push(0);
  }

  add(doc: unknown, index: number): void {
    const { stopwords, minLength } = this.opts;
    const tokens = tokensOf(doc, index, this.opts.tokenizer);
    const touched = this.touched;
    touched.length = 0;
    for (const tok of tokens) {
      // A string of 2 * minLength UTF-16 units has at least minLength code points: count only below that.
      if (tok.length < minLength || (tok.length < 2 * minLength && codePointLength(tok) < minLength)) continue;
      if (stopwords.has(tok)) continue;
      let id = this.ids.get(tok);
      if (id === undefined) {
        id = this.words.length;
        // A token from match()/slice() can be a V8 sliced string that keeps its whole document
        // alive; a copy keeps only the word, so streaming does not hold the texts after all.
        const word = (' ' + tok).slice(1);
        this.ids.set(word, id);
        this.words.push(word);
        this.tf.push(0);
        this.df.push(0);
        if (id >= this.scratch.length) {
          const next = new Int32Array(this.scratch.length * 2);
          next.set(this.scratch);
          this.scratch = next;
        }
      }
      if (this.scratch[id] === 0) touched.push(id);
      this.scratch[id]++;
    }
    for (const id of touched) {
      const c = this.scratch[id];
      this.cols.push(id);
      this.vals.push(c);
      this.tf[id] += c;
      this.df[id]++;
      this.scratch[id] = 0;
    }
    this.docPtr.push(this.cols.length);
  }

  finish(numDocs: number): BowCorpus {
    const { opts } = this;
    if (numDocs === 0) throw new RangeError('documents must contain at least one document');
    // sklearn: an int is a count, a float a fraction; here minDf < 1 and maxDf <= 1 are fractions.
    const minCount = opts.minDf < 1 ? opts.minDf * numDocs : opts.minDf;
    const maxCount = opts.maxDf <= 1 ? opts.maxDf * numDocs : opts.maxDf;
    if (maxCount < minCount) {
      throw new RangeError(
        `maxDf=${opts.maxDf} allows fewer documents (${maxCount}) than minDf=${opts.minDf} requires (${minCount}) on ${numDocs} documents`,
      );
    }
    const W = this.words.length;
    let kept: number[] = [];
    for (let id = 0; id < W; id++) {
      if (this.df[id] >= minCount && this.df[id] <= maxCount) kept.push(id);
    }
    const words = this.words;
    if (opts.vocabSize !== undefined && kept.length > opts.vocabSize) {
      const tf = this.tf;
      kept.sort((a, b) => tf[b] - tf[a] || compareCodePoints(words[a], words[b]));
      kept = kept.slice(0, opts.vocabSize);
    }
    if (kept.length === 0) {
      const parts = [`minDf=${opts.minDf}`, `maxDf=${opts.maxDf}`];
      if (opts.stopwords.size > 0) parts.push(`${opts.stopwords.size} stopwords`);
      if (opts.minLength > 1) parts.push(`minLength=${opts.minLength}`);
      throw new RangeError(
        `the vocabulary is empty: no word of the ${numDocs} documents (${W} distinct tokens) is left after ${parts.join(', ')}`,
      );
    }
    kept.sort((a, b) => compareCodePoints(words[a], words[b]));
    const remap = new Int32Array(W).fill(-1);
    kept.forEach((id, col) => (remap[id] = col));
    const vocab = kept.map((id) => words[id]);
    const counts = buildRows(numDocs, vocab.length, this.docPtr.data, this.cols.data, this.vals.data, remap);
    this.tf = [];
    this.df = [];
    return new BowCorpus(counts, vocab, { tokenizer: opts.tokenizer });
  }
}

/**
 * CSR rows from per-document (provisional id, count) runs in any order: ids renumbered by remap
 * (-1 drops the entry; null keeps them), columns sorted within each row. Each id appears at most
 * once per document.
 */
function buildRows(
  numDocs: number,
  numCols: number,
  docPtr: Int32Array,
  ids: Int32Array,
  vals: Int32Array,
  remap: Int32Array | null,
): CsrMatrix {
  const indptr = new Int32Array(numDocs + 1);
  let nnz = 0;
  for (let d = 0; d < numDocs; d++) {
    for (let k = docPtr[d]; k < docPtr[d + 1]; k++) if (remap === null || remap[ids[k]] >= 0) nnz++;
    indptr[d + 1] = nnz;
  }
  // Bucket the entries by column (documents in order), then deal them back to the rows column by
  // column: every row comes out sorted in two linear passes, with no comparison sort per row.
  const colPtr = new Int32Array(numCols + 1);
  const end = docPtr[numDocs];
  for (let k = 0; k < end; k++) {
    const c = remap === null ? ids[k] : remap[ids[k]];
    if (c >= 0) colPtr[c + 1]++;
  }
  for (let c = 0; c < numCols; c++) colPtr[c + 1] += colPtr[c];
  const fill = colPtr.slice(0, numCols);
  const rowOf = new Int32Array(nnz);
  const valOf = new Int32Array(nnz);
  for (let d = 0; d < numDocs; d++) {
    for (let k = docPtr[d]; k < docPtr[d + 1]; k++) {
      const c = remap === null ? ids[k] : remap[ids[k]];
      if (c < 0) continue;
      const q = fill[c]++;
      rowOf[q] = d;
      valOf[q] = vals[k];
    }
  }
  const indices = new Int32Array(nnz);
  const values = new Float32Array(nnz);
  const next = indptr.slice(0, numDocs);
  for (let c = 0; c < numCols; c++) {
    for (let q = colPtr[c]; q < colPtr[c + 1]; q++) {
      const p = next[rowOf[q]]++;
      indices[p] = c;
      values[p] = valOf[q];
    }
  }
  return new CsrMatrix(numDocs, numCols, indptr, indices, values);
}

/** Maps documents onto a fixed vocabulary (unknown tokens dropped) and counts them. */
class RowBuilder implements DocumentSink {
  readonly docPtr = new IntList();
  readonly cols = new IntList(4096);
  readonly vals = new IntList(4096);
  private readonly scratch: Int32Array;
  private readonly touched: number[] = [];
  rows = 0;

  constructor(
    private readonly corpus: BowCorpus,
    private readonly tokenizer: Tokenizer,
  ) {
    this.docPtr.push(0);
    this.scratch = new Int32Array(corpus.vocabSize);
  }

  add(doc: unknown, index: number): void {
    this.addIds(this.corpus.encode(tokensOf(doc, index, this.tokenizer)));
  }

  addIds(ids: ArrayLike<number>, start = 0, end = ids.length): void {
    const touched = this.touched;
    touched.length = 0;
    for (let i = start; i < end; i++) {
      const id = ids[i];
      if (this.scratch[id] === 0) touched.push(id);
      this.scratch[id]++;
    }
    for (const id of touched) {
      this.cols.push(id);
      this.vals.push(this.scratch[id]);
      this.scratch[id] = 0;
    }
    this.docPtr.push(this.cols.length);
    this.rows++;
  }

  finish(): BowCorpus {
    const counts = buildRows(this.rows, this.corpus.vocabSize, this.docPtr.data, this.cols.data, this.vals.data, null);
    return this.corpus.withCounts(counts);
  }
}

/** ETM's document completion: token ids in order, first floor(L/2) to one half, the rest to the other. */
class HalvesBuilder implements DocumentSink {
  readonly first: RowBuilder;
  readonly second: RowBuilder;
  readonly ids = new IntList();

  constructor(
    private readonly corpus: BowCorpus,
    private readonly tokenizer: Tokenizer,
  ) {
    this.first = new RowBuilder(corpus, tokenizer);
    this.second = new RowBuilder(corpus, tokenizer);
  }

  add(doc: unknown, index: number): void {
    const ids = this.corpus.encode(tokensOf(doc, index, this.tokenizer));
    const L = ids.length;
    if (L < 2) return; // ETM drops empty and one-token test documents (scripts/data_20ng.py).
    // ETM: token i goes to the first half when i <= L/2 - 1, i.e. the first floor(L/2) tokens.
    const h = Math.floor(L / 2);
    this.first.addIds(ids, 0, h);
    this.second.addIds(ids, h, L);
    this.ids.push(index);
  }

  finish(): BowHalves {
    return { first: this.first.finish(), second: this.second.finish(), ids: this.ids.toArray() };
  }
}

function checkCsrCounts(counts: unknown, vocab: unknown): { counts: CsrMatrix; vocab: string[] } {
  if (!(counts instanceof CsrMatrix)) throw typeError('counts', 'a tk.sparse.CsrMatrix', counts);
  if (!Array.isArray(vocab)) throw typeError('vocab', 'an array of strings', vocab);
  for (let i = 0; i < vocab.length; i++) {
    if (typeof vocab[i] !== 'string') throw typeError(`vocab[${i}]`, 'a string', vocab[i]);
  }
  if (vocab.length !== counts.cols) {
    throw new RangeError(`vocab has ${vocab.length} words but counts has ${counts.cols} columns`);
  }
  return { counts, vocab: vocab as string[] };
}

/**
 * Rows with sorted, distinct columns and no stored zeros (duplicates summed), as every method
 * here assumes. Counts must be finite and >= 0.
 */
function canonicalRows(a: CsrMatrix): CsrMatrix {
  let canonical = true;
  for (let r = 0; r < a.rows && canonical; r++) {
    for (let k = a.indptr[r]; k < a.indptr[r + 1]; k++) {
      const v = a.values[k];
      if (!(v >= 0) || !Number.isFinite(v)) throw rangeError(`counts.values[${k}]`, 'a finite count >= 0', v);
      if (v === 0 || (k > a.indptr[r] && a.indices[k] <= a.indices[k - 1])) canonical = false;
    }
  }
  if (canonical) return a;
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let r = 0; r < a.rows; r++) {
    for (let k = a.indptr[r]; k < a.indptr[r + 1]; k++) {
      rows.push(r);
      cols.push(a.indices[k]);
      vals.push(a.values[k]);
    }
  }
  const summed = CsrMatrix.fromTriplets([a.rows, a.cols], rows, cols, vals);
  // Drop zeros left by explicit zero entries.
  const indptr = new Int32Array(a.rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let r = 0; r < a.rows; r++) {
    for (let k = summed.indptr[r]; k < summed.indptr[r + 1]; k++) {
      if (summed.values[k] !== 0) {
        indices.push(summed.indices[k]);
        values.push(summed.values[k]);
      }
    }
    indptr[r + 1] = indices.length;
  }
  return new CsrMatrix(a.rows, a.cols, indptr, indices, values);
}

/**
 * A bag-of-words corpus: documents x vocabulary counts. Empty documents (no token left after
 * pruning) are kept as empty rows, so row i is always document i; see removeEmpty().
 */
export class BowCorpus implements BowData {
  /** Document-term counts [numDocs, vocabSize]; columns sorted within each row, no stored zeros. */
  readonly counts: CsrMatrix;
  /** Column -> word, in code point order (as sklearn's vocabulary_ for CountVectorizer). */
  readonly vocab: readonly string[];
  /** Tokens kept per document (the row sums of counts). */
  readonly docLengths: Float32Array;
  /** Documents containing each word. */
  readonly documentFrequency: Int32Array;
  private readonly tokenizer: Tokenizer;
  private wordIds: Map<string, number> | null = null;
  private inverted: { ptr: Int32Array; docs: Int32Array } | null = null;

  /**
   * From counts and a vocabulary (column j is vocab[j]). Prefer BowCorpus.from / fromCounts;
   * rows are canonicalised (columns sorted, duplicates summed, zeros dropped).
   */
  constructor(counts: CsrMatrix, vocab: readonly string[], opts: { tokenizer?: Tokenizer } = {}) {
    opts = checkOptions('opts', opts);
    const checked = checkCsrCounts(counts, vocab);
    this.counts = canonicalRows(checked.counts);
    // A frozen array cannot change under us, so corpora made from this one share it.
    this.vocab = Object.isFrozen(checked.vocab) ? checked.vocab : Object.freeze(checked.vocab.slice());
    this.tokenizer = opts.tokenizer ?? defaultTokenizer;
    const c = this.counts;
    this.docLengths = new Float32Array(c.rows);
    this.documentFrequency = new Int32Array(c.cols);
    for (let r = 0; r < c.rows; r++) {
      let s = 0;
      for (let k = c.indptr[r]; k < c.indptr[r + 1]; k++) {
        s += c.values[k];
        this.documentFrequency[c.indices[k]]++;
      }
      this.docLengths[r] = s;
    }
  }

  /** Builds the vocabulary and counts from documents (texts or token arrays), reading them once. */
  static from(documents: Iterable<BowDocument>, opts?: BowCorpusOptions): BowCorpus {
    const resolved = resolveOptions(opts);
    checkIterable(documents, false);
    const builder = new VocabularyBuilder(resolved);
    return builder.finish(consume(builder, documents));
  }

  /** As from(), reading an async iterable (a readline interface, a stream of lines) once. */
  static async fromAsync(
    documents: AsyncIterable<BowDocument> | Iterable<BowDocument>,
    opts?: BowCorpusOptions,
  ): Promise<BowCorpus> {
    const resolved = resolveOptions(opts);
    checkIterable(documents, true);
    const builder = new VocabularyBuilder(resolved);
    return builder.finish(await consumeAsync(builder, documents));
  }

  /** Wraps counts built elsewhere (any BowData) so the corpus methods and metrics apply. */
  static fromCounts(counts: CsrMatrix, vocab: readonly string[]): BowCorpus {
    return new BowCorpus(counts, vocab);
  }

  get numDocs(): number {
    return this.counts.rows;
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** Total tokens kept over all documents. */
  get numTokens(): number {
    let s = 0;
    for (let i = 0; i < this.docLengths.length; i++) s += this.docLengths[i];
    return s;
  }

  /** Column of a word, or -1 if it is not in the vocabulary. */
  indexOf(word: string): number {
    if (this.wordIds === null) {
      this.wordIds = new Map();
      this.vocab.forEach((w, i) => (this.wordIds as Map<string, number>).set(w, i));
    }
    return this.wordIds.get(word) ?? -1;
  }

  /** Token ids of a token list in order, unknown tokens dropped. */
  encode(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    let n = 0;
    for (const t of tokens) {
      const id = this.indexOf(t);
      if (id >= 0) out[n++] = id;
    }
    return out.subarray(0, n);
  }

  /** Same vocabulary, other counts (internal: transform, subset, halves). */
  withCounts(counts: CsrMatrix): BowCorpus {
    const out = new BowCorpus(counts, this.vocab, { tokenizer: this.tokenizer });
    out.wordIds = this.wordIds;
    return out;
  }

  /** Rows divided by their length (ETM's bow_norm); empty rows stay empty (ETM would divide by zero). */
  normalized(): CsrMatrix {
    const c = this.counts;
    const values = new Float32Array(c.nnz);
    for (let r = 0; r < c.rows; r++) {
      const len = this.docLengths[r];
      for (let k = c.indptr[r]; k < c.indptr[r + 1]; k++) values[k] = c.values[k] / len;
    }
    return new CsrMatrix(c.rows, c.cols, c.indptr.slice(), c.indices.slice(), values);
  }

  /**
   * Counts new documents with this vocabulary (and tokenizer); unknown words are dropped, documents
   * with none left are empty rows.
   */
  transform(documents: Iterable<BowDocument>): BowCorpus {
    checkIterable(documents, false);
    const b = new RowBuilder(this, this.tokenizer);
    consume(b, documents);
    return b.finish();
  }

  async transformAsync(documents: AsyncIterable<BowDocument> | Iterable<BowDocument>): Promise<BowCorpus> {
    checkIterable(documents, true);
    const b = new RowBuilder(this, this.tokenizer);
    await consumeAsync(b, documents);
    return b.finish();
  }

  /** The documents at docIds, in that order (repeats allowed). */
  subset(docIds: Int32Array | readonly number[]): BowCorpus {
    if (!(docIds instanceof Int32Array) && !Array.isArray(docIds)) {
      throw typeError('docIds', 'an Int32Array or an array of document indices', docIds);
    }
    for (let i = 0; i < docIds.length; i++) {
      const d = docIds[i];
      if (typeof d !== 'number' || !Number.isInteger(d)) throw typeError(`docIds[${i}]`, 'an integer', d);
      if (d < 0 || d >= this.numDocs) throw rangeError(`docIds[${i}]`, `a document index in [0, ${this.numDocs})`, d);
    }
    return this.withCounts(this.counts.selectRows(Int32Array.from(docIds)));
  }

  /** This corpus without its empty documents, and the rows kept. */
  removeEmpty(): { corpus: BowCorpus; ids: Int32Array } {
    const ids: number[] = [];
    for (let r = 0; r < this.numDocs; r++) if (this.docLengths[r] > 0) ids.push(r);
    const idArr = Int32Array.from(ids);
    return { corpus: this.subset(idArr), ids: idArr };
  }

  /**
   * A seeded random train/test split of the documents: a permutation from a tk Generator (Philox,
   * the same for a seed on every machine); the first round(testFraction * numDocs) documents of it
   * form the test set. Both sides keep the corpus order.
   */
  split(opts: SplitOptions = {}): BowSplit {
    opts = checkOptions('opts', opts);
    const f = opts.testFraction ?? 0.2;
    if (typeof f !== 'number' || Number.isNaN(f)) throw typeError('testFraction', 'a number', f);
    if (f < 0 || f > 1) throw rangeError('testFraction', 'a number in [0, 1]', f);
    const gen = resolveGenerator({ seed: opts.seed, generator: opts.generator });
    const n = this.numDocs;
    const perm = gen.permutation(n);
    const nTest = Math.round(f * n);
    const testIds = perm.slice(0, nTest).sort();
    const trainIds = perm.slice(nTest).sort();
    return { train: this.subset(trainIds), test: this.subset(testIds), trainIds, testIds };
  }

  /**
   * ETM's document-completion split of held-out documents (scripts/data_20ng.py): each document's
   * tokens are mapped to this vocabulary in order (unknown words dropped); the first floor(L/2)
   * go to `first`, the rest to `second`. Documents with fewer than 2 known tokens are dropped, as
   * ETM drops them; `ids` gives each kept row's index in `documents`.
   */
  halves(documents: Iterable<BowDocument>): BowHalves {
    checkIterable(documents, false);
    const b = new HalvesBuilder(this, this.tokenizer);
    consume(b, documents);
    return b.finish();
  }

  async halvesAsync(documents: AsyncIterable<BowDocument> | Iterable<BowDocument>): Promise<BowHalves> {
    checkIterable(documents, true);
    const b = new HalvesBuilder(this, this.tokenizer);
    await consumeAsync(b, documents);
    return b.finish();
  }

  /** word -> sorted document ids (the transpose of counts' pattern), built on first use. */
  private invertedIndex(): { ptr: Int32Array; docs: Int32Array } {
    if (this.inverted !== null) return this.inverted;
    const c = this.counts;
    const ptr = new Int32Array(c.cols + 1);
    for (let k = 0; k < c.nnz; k++) ptr[c.indices[k] + 1]++;
    for (let j = 0; j < c.cols; j++) ptr[j + 1] += ptr[j];
    const fill = ptr.slice(0, c.cols);
    const docs = new Int32Array(c.nnz);
    for (let r = 0; r < c.rows; r++) {
      for (let k = c.indptr[r]; k < c.indptr[r + 1]; k++) docs[fill[c.indices[k]]++] = r;
    }
    this.inverted = { ptr, docs };
    return this.inverted;
  }

  /** Documents containing each of the words (columns) and each pair of them, for NPMI. */
  coDocumentFrequency(wordIds: Int32Array | readonly number[]): CoDocumentFrequency {
    if (!(wordIds instanceof Int32Array) && !Array.isArray(wordIds)) {
      throw typeError('wordIds', 'an Int32Array or an array of word ids', wordIds);
    }
    const n = wordIds.length;
    for (let i = 0; i < n; i++) {
      const w = wordIds[i];
      if (typeof w !== 'number' || !Number.isInteger(w)) throw typeError(`wordIds[${i}]`, 'an integer', w);
      if (w < 0 || w >= this.vocabSize) throw rangeError(`wordIds[${i}]`, `a word id in [0, ${this.vocabSize})`, w);
    }
    const { ptr, docs } = this.invertedIndex();
    // One bitset over the documents per word: pair counts are popcounts of ANDs, D/32 words a pair.
    const words32 = (this.numDocs + 31) >>> 5;
    const bits = new Uint32Array(n * words32);
    const df = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const w = wordIds[i];
      const base = i * words32;
      for (let k = ptr[w]; k < ptr[w + 1]; k++) {
        const d = docs[k];
        bits[base + (d >>> 5)] |= 1 << (d & 31);
      }
      df[i] = ptr[w + 1] - ptr[w];
    }
    const joint = new Int32Array(n * n);
    for (let i = 0; i < n; i++) {
      joint[i * n + i] = df[i];
      for (let j = i + 1; j < n; j++) {
        let c = 0;
        const a = i * words32;
        const b = j * words32;
        for (let k = 0; k < words32; k++) c += popcount(bits[a + k] & bits[b + k]);
        joint[i * n + j] = c;
        joint[j * n + i] = c;
      }
    }
    return { documentFrequency: df, joint };
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

// Topic-model evaluation (tk.topics.npmi, diversity, topicUniqueness, documentCompletionPerplexity),
// as the reference implementations compute them (/work/shared/notes/reference-algorithms.md §4):
// - npmi: ETM's utils.get_topic_coherence, document co-occurrence NPMI on a reference corpus,
//   mean over the word pairs of a topic, then over topics. Differences from ETM's code, on purpose:
//   ETM takes argsort()[-11:], i.e. 11 words (55 pairs) for its "top 10"; we take topN words
//   (topN (topN - 1) / 2 pairs; pass topN: 11 for ETM's word count). ETM skips documents with
//   exactly one distinct word when it counts D(w_i) (a squeeze() artefact) but not when it counts
//   pairs; we count every document. ETM scores on the training documents; pass what you choose.
//   A pair that co-occurs in every document (0/0 in ETM's formula) scores 1, its limit. Pairs with
//   a word missing from the reference vocabulary are skipped (as W-LDA's npmi_calc.py does).
// - diversity: ETM's get_topic_diversity (TD): distinct words in the top-N of all topics / (N K).
// - topicUniqueness: W-LDA's calc_topic_uniqueness (TU): mean over topics of mean_l 1/cnt(l).
// - documentCompletionPerplexity: ETM's evaluate() (commit 52b090b main.py).
import { checkNumber, checkOptions, rangeError, shapeStr, typeError } from '../errors';
import { Tensor } from '../tensor';
import { BowCorpus } from '../text/bow-corpus';
import type { BowData } from './types';

/**
 * Topics as ranked word lists (most probable first): words (string[]) or columns of the
 * vocabulary (number[] / Int32Array), or a topic-word matrix [K, V] (a Tensor, e.g.
 * model.topicWord()) whose rows are ranked here (descending, ties to the lower column).
 */
export type TopicsInput = readonly (readonly string[] | readonly number[] | Int32Array)[] | Tensor;

export interface TopNOptions {
  topN?: number;
}

export interface NpmiOptions extends TopNOptions {
  /**
   * The score of a pair that never co-occurs in the reference: -1 (default; ETM's get_topic_coherence,
   * the limit of NPMI as the joint count goes to 0) or 0 (W-LDA's npmi_calc.py, which leaves such pairs
   * at 0 when it scores against its Wikipedia index). Any number in [-1, 1] is taken.
   */
  unseenPairScore?: number;
}

type Topic = readonly (string | number)[];

function checkTopN(topN: unknown, fallback: number, min: number): number {
  if (topN === undefined) return fallback;
  if (typeof topN !== 'number' || !Number.isInteger(topN)) throw typeError('topN', 'an integer', topN);
  if (topN < min) throw rangeError('topN', `an integer >= ${min}`, topN);
  return topN;
}

/** Column ids of the n largest entries of each row of a [K, V] matrix, largest first. */
function topRows(x: Tensor, n: number): number[][] {
  if (x.dtype !== 'float32' || x.ndim !== 2) {
    throw new RangeError(`topics as a tensor must be a float32 [K, V] topic-word matrix, got ${shapeStr(x.shape)}`);
  }
  const [K, V] = x.shape;
  if (n > V) throw new RangeError(`topN=${n} is larger than the vocabulary of the topic-word matrix (${V})`);
  const d = x.f32;
  const out: number[][] = [];
  const order = new Int32Array(V);
  for (let k = 0; k < K; k++) {
    const row = d.subarray(k * V, (k + 1) * V);
    for (let v = 0; v < V; v++) order[v] = v;
    order.sort((a, b) => row[b] - row[a] || a - b);
    out.push(Array.from(order.subarray(0, n)));
  }
  return out;
}

/**
 * The first topN entries of each topic, validated: at least one topic, every topic with at least
 * topN entries, all words or all ids, no repeats within a topic's top-N.
 */
function topicLists(topics: unknown, topN: number): { lists: Topic[]; kind: 'string' | 'number' } {
  let lists: Topic[];
  if (topics instanceof Tensor) {
    lists = topRows(topics, topN);
  } else {
    if (!Array.isArray(topics)) {
      throw typeError('topics', 'an array of topics (word or id arrays) or a [K, V] tensor', topics);
    }
    lists = topics.map((t, k) => {
      if (!Array.isArray(t) && !(t instanceof Int32Array)) {
        throw typeError(`topics[${k}]`, 'an array of words or word ids', t);
      }
      if (t.length < topN) {
        throw new RangeError(
          `topics[${k}] has ${t.length} words but topN is ${topN}: pass at least topN words per topic or a smaller topN`,
        );
      }
      return Array.from(t as ArrayLike<string | number>).slice(0, topN);
    });
  }
  if (lists.length === 0) throw new RangeError('topics must contain at least one topic');
  const kind = typeof lists[0][0] === 'string' ? 'string' : 'number';
  lists.forEach((t, k) => {
    const seen = new Set<string | number>();
    t.forEach((w, i) => {
      if (kind === 'string' ? typeof w !== 'string' : typeof w !== 'number' || !Number.isInteger(w) || w < 0) {
        throw typeError(
          `topics[${k}][${i}]`,
          kind === 'string' ? 'a word (all topics are words)' : 'a word id >= 0 (all topics are ids)',
          w,
        );
      }
      if (seen.has(w)) throw new RangeError(`topics[${k}] repeats '${w}' within its top ${t.length} words`);
      seen.add(w);
    });
  });
  return { lists, kind };
}

const wrapped = new WeakMap<object, BowCorpus>();

function referenceCorpus(reference: unknown): BowCorpus {
  if (reference instanceof BowCorpus) return reference;
  const r = reference as BowData | null;
  if (r === null || typeof r !== 'object' || !('counts' in r) || !('vocab' in r)) {
    throw typeError('reference', 'a tk.text.BowCorpus or BowData ({ counts: CsrMatrix, vocab })', reference);
  }
  let c = wrapped.get(r);
  if (c === undefined) {
    c = BowCorpus.fromCounts(r.counts, r.vocab);
    wrapped.set(r, c);
  }
  return c;
}

/**
 * NPMI of each topic on the reference corpus (NaN for a topic none of whose pairs could be scored);
 * see npmi().
 */
export function topicNpmi(topics: TopicsInput, reference: BowCorpus | BowData, opts: NpmiOptions = {}): Float64Array {
  opts = checkOptions('opts', opts);
  const topN = checkTopN(opts?.topN, 10, 2);
  const unseen = opts.unseenPairScore === undefined ? -1 : checkNumber('unseenPairScore', opts.unseenPairScore, -1, 1);
  const ref = referenceCorpus(reference);
  const { lists, kind } = topicLists(topics, topN);
  const D = ref.numDocs;
  if (D === 0) throw new RangeError('reference must contain at least one document');
  const logD = Math.log(D);
  const out = new Float64Array(lists.length);
  lists.forEach((t, k) => {
    const ids = t.map((w, i) => {
      if (kind === 'string') return ref.indexOf(w as string);
      if ((w as number) >= ref.vocabSize) {
        throw rangeError(`topics[${k}][${i}]`, `a word id in [0, ${ref.vocabSize}) of the reference vocabulary`, w);
      }
      return w as number;
    });
    const known = ids.filter((id) => id >= 0);
    const n = known.length;
    const { documentFrequency: df, joint } = ref.coDocumentFrequency(known);
    let sum = 0;
    let pairs = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dij = joint[i * n + j];
        let f: number;
        if (dij === 0) f = unseen;
        else if (dij === D) f = 1;
        else f = -1 + (Math.log(df[i]) + Math.log(df[j]) - 2 * logD) / (Math.log(dij) - logD);
        sum += f;
        pairs++;
      }
    }
    out[k] = pairs > 0 ? sum / pairs : NaN;
  });
  return out;
}

/**
 * Topic coherence as ETM computes it: document co-occurrence NPMI of every pair of a topic's top
 * topN words on `reference` (pass held-out documents, transformed with the model's vocabulary),
 * f(wi, wj) = -1 + (log D(wi) + log D(wj) - 2 log D) / (log D(wi, wj) - log D), -1 for pairs that
 * never co-occur (opts.unseenPairScore: 0 for W-LDA's convention); averaged over the pairs of each topic, then over topics. Topics are words
 * (looked up in reference.vocab; pairs with a missing word are skipped) or column ids of
 * reference.vocab. Topics with no scorable pair are left out of the mean; if no topic can be
 * scored it throws.
 */
export function npmi(topics: TopicsInput, reference: BowCorpus | BowData, opts: NpmiOptions = {}): number {
  opts = checkOptions('opts', opts);
  const per = topicNpmi(topics, reference, opts);
  let s = 0;
  let n = 0;
  for (const v of per) {
    if (!Number.isNaN(v)) {
      s += v;
      n++;
    }
  }
  if (n === 0) {
    throw new RangeError('npmi: no topic has two words in the reference vocabulary, so no pair could be scored');
  }
  return s / n;
}

/** ETM's topic diversity (TD): distinct words among the top-N of all K topics, divided by N K. Default topN 25. */
export function diversity(topics: TopicsInput, opts: TopNOptions = {}): number {
  opts = checkOptions('opts', opts);
  const topN = checkTopN(opts?.topN, 25, 1);
  const { lists } = topicLists(topics, topN);
  const all = new Set<string | number>();
  for (const t of lists) for (const w of t) all.add(w);
  return all.size / (topN * lists.length);
}

/**
 * W-LDA's topic uniqueness (TU): for topic k, TU_k = (1/N) sum over its top-N words of
 * 1/cnt(word), cnt = the number of topics whose top-N holds the word; TU = mean_k TU_k, in
 * [1/K, 1]. Default topN 10.
 */
export function topicUniqueness(topics: TopicsInput, opts: TopNOptions = {}): number {
  opts = checkOptions('opts', opts);
  const topN = checkTopN(opts?.topN, 10, 1);
  const { lists } = topicLists(topics, topN);
  const cnt = new Map<string | number, number>();
  for (const t of lists) for (const w of t) cnt.set(w, (cnt.get(w) ?? 0) + 1);
  let total = 0;
  for (const t of lists) {
    let s = 0;
    for (const w of t) s += 1 / (cnt.get(w) as number);
    total += s / t.length;
  }
  return total / lists.length;
}

export interface PerplexityOptions {
  /**
   * Average the per-document losses within consecutive batches of this many documents, then over
   * batches, as ETM's evaluate() does with eval_batch_size (1000). Default: one batch (a plain
   * mean over documents).
   */
  batchSize?: number;
}

function matrixOf(
  name: string,
  x: unknown,
  rows: number | null,
  cols: number | null,
): { data: Float32Array; shape: [number, number] } {
  if (x instanceof Tensor) {
    if (x.dtype !== 'float32' || x.ndim !== 2) throw typeError(name, 'a 2-D float32 tensor', x);
    const [r, c] = x.shape;
    if ((rows !== null && r !== rows) || (cols !== null && c !== cols)) {
      throw new RangeError(`${name} must have shape [${rows ?? 'any'}, ${cols ?? 'any'}], got ${shapeStr(x.shape)}`);
    }
    return { data: x.f32, shape: [r, c] };
  }
  if (x instanceof Float32Array) {
    if (rows !== null && cols === null && x.length % rows === 0 && rows > 0)
      return { data: x, shape: [rows, x.length / rows] };
    if (cols !== null && rows === null && cols > 0 && x.length % cols === 0)
      return { data: x, shape: [x.length / cols, cols] };
    if (rows !== null && cols !== null && x.length === rows * cols) return { data: x, shape: [rows, cols] };
    throw new RangeError(`${name} has ${x.length} values, which is not a [${rows ?? 'any'}, ${cols ?? 'any'}] matrix`);
  }
  throw typeError(name, 'a float32 Tensor or a Float32Array', x);
}

/**
 * Held-out perplexity by document completion (ETM's evaluate()): theta [D, K] are the topic
 * proportions inferred from the first halves, beta [K, V] the topic-word distributions, `second`
 * the counts of the second halves (row d of theta is document d of second). Per document
 * loss_d = -sum_v n_dv log(sum_k theta_dk beta_kv) / N_d; perplexity = exp(mean loss) (ETM
 * rounds it to 0.1; this does not). Documents whose second half is empty (N_d = 0, NaN in ETM)
 * are left out; halves() never makes any. Computed in float64.
 */
export function documentCompletionPerplexity(
  theta: Tensor | Float32Array,
  beta: Tensor | Float32Array,
  second: BowData,
  opts: PerplexityOptions = {},
): number {
  opts = checkOptions('opts', opts);
  if (second === null || typeof second !== 'object' || !('counts' in second)) {
    throw typeError('second', 'a BowData ({ counts: CsrMatrix, vocab })', second);
  }
  const counts = second.counts;
  const D = counts.rows;
  const V = counts.cols;
  if (D === 0) throw new RangeError('second must contain at least one document');
  const th = matrixOf('theta', theta, D, null);
  const K = th.shape[1];
  const be = matrixOf('beta', beta, K, V);
  let batchSize = D;
  if (opts?.batchSize !== undefined) {
    const b = opts.batchSize;
    if (typeof b !== 'number' || !Number.isInteger(b)) throw typeError('batchSize', 'an integer', b);
    if (b < 1) throw rangeError('batchSize', 'an integer >= 1', b);
    batchSize = b;
  }
  const t = th.data;
  const bt = be.data;
  let accLoss = 0;
  let batches = 0;
  for (let start = 0; start < D; start += batchSize) {
    const end = Math.min(D, start + batchSize);
    let s = 0;
    let n = 0;
    for (let d = start; d < end; d++) {
      let nll = 0;
      let len = 0;
      for (let p = counts.indptr[d]; p < counts.indptr[d + 1]; p++) {
        const v = counts.indices[p];
        const c = counts.values[p];
        let prob = 0;
        for (let k = 0; k < K; k++) prob += t[d * K + k] * bt[k * V + v];
        nll -= c * Math.log(prob);
        len += c;
      }
      if (len > 0) {
        s += nll / len;
        n++;
      }
    }
    if (n > 0) {
      accLoss += s / n;
      batches++;
    }
  }
  if (batches === 0) throw new RangeError('second has no tokens: every document of the second half is empty');
  return Math.exp(accLoss / batches);
}

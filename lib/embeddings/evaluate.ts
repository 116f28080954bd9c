// Intrinsic evaluation: Spearman correlation on word-similarity sets (word1 TAB word2 TAB score)
// and accuracy on word2vec's analogy questions (questions-words.txt; the first 5 sections are
// semantic), with the files read from ../shared/data beside the repository.
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../native';
import { checkOptions } from '../errors';

/** Anything with per-word vectors: Word2Vec, FastText or KeyedVectors. */
export interface VectorSource {
  vector(word: string): Float32Array | undefined;
}
export interface AnalogySource {
  analogy(
    a: string,
    b: string,
    c: string,
    k?: number,
    opts?: { method?: '3cosadd' | '3cosmul'; restrictVocab?: number },
  ): { word: string }[];
  readonly words?: string[];
}

/**
 * Where the evaluation sets live: $TEXTKERNELS_DATA_DIR, else ../shared/data relative to the
 * repository root (../../shared/data for a git worktree one level deeper); null if none exists.
 */
export function sharedDataDir(): string | null {
  const candidates = [
    process.env.TEXTKERNELS_DATA_DIR,
    path.join(packageRoot, '..', 'shared', 'data'),
    path.join(packageRoot, '..', '..', 'shared', 'data'),
  ];
  for (const dir of candidates) if (dir && fs.existsSync(dir)) return dir;
  return null;
}

/** Average ranks (1-based; ties share the mean of their ranks). */
export function ranks(x: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(x.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]] === x[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n !== y.length) throw new RangeError(`x and y must have the same length, got ${n} and ${y.length}`);
  if (n < 2) return NaN;
  let mx = 0,
    my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rho: Pearson correlation of the average ranks (as scipy.stats.spearmanr). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(ranks(x), ranks(y));
}

export interface SimilarityPair {
  a: string;
  b: string;
  score: number;
}

/** Reads "word1 TAB word2 TAB score" lines (CRLF tolerated; lines that do not parse are skipped). */
export function readWordSimilarity(file: string): SimilarityPair[] {
  const pairs: SimilarityPair[] = [];
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/\r$/, '');
    const parts = line.split('\t');
    if (parts.length < 3) continue;
    const score = Number(parts[2]);
    if (!Number.isFinite(score)) continue;
    pairs.push({ a: parts[0].trim(), b: parts[1].trim(), score });
  }
  return pairs;
}

export interface SimilarityResult {
  spearman: number;
  pearson: number;
  /** Pairs scored. */
  pairs: number;
  /** Pairs skipped because a word has no vector. */
  oov: number;
}

function cos(a: Float32Array, b: Float32Array): number {
  let d = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na > 0 && nb > 0 ? d / Math.sqrt(na * nb) : 0;
}

/** Spearman between human scores and cosine similarities; pairs with a word without a vector are skipped. */
export function evaluateWordSimilarity(
  model: VectorSource,
  pairsOrFile: string | SimilarityPair[],
  opts: { lowercase?: boolean } = {},
): SimilarityResult {
  opts = checkOptions('opts', opts);
  const pairs = typeof pairsOrFile === 'string' ? readWordSimilarity(pairsOrFile) : pairsOrFile;
  const lower = opts.lowercase ?? true;
  const human: number[] = [];
  const ours: number[] = [];
  let oov = 0;
  for (const p of pairs) {
    const va = model.vector(lower ? p.a.toLowerCase() : p.a);
    const vb = model.vector(lower ? p.b.toLowerCase() : p.b);
    if (!va || !vb) {
      oov++;
      continue;
    }
    human.push(p.score);
    ours.push(cos(va, vb));
  }
  return { spearman: spearman(human, ours), pearson: pearson(human, ours), pairs: human.length, oov };
}

export interface AnalogySection {
  name: string;
  correct: number;
  total: number;
}

export interface AnalogyResult {
  semantic: { correct: number; total: number; accuracy: number };
  syntactic: { correct: number; total: number; accuracy: number };
  /** correct / answered (questions with all four words in the searched vocabulary). */
  accuracy: number;
  answered: number;
  /** Questions skipped because a word is outside the searched vocabulary. */
  skipped: number;
  sections: AnalogySection[];
}

/**
 * word2vec's compute-accuracy: for "a b c d", is the best word for b - a + c (a, b and c excluded)
 * d? Words are looked up among the first restrictVocab words (default 30000, its demo's threshold);
 * questions with a word outside them are skipped. Lowercases the questions by default (the models
 * here are usually trained on lowercased text; compute-accuracy uppercases both sides instead).
 */
export function evaluateAnalogies(
  model: AnalogySource & { wv?: { words: string[] } },
  file: string,
  opts: { restrictVocab?: number; lowercase?: boolean; method?: '3cosadd' | '3cosmul'; maxQuestions?: number } = {},
): AnalogyResult {
  opts = checkOptions('opts', opts);
  const words = model.wv?.words ?? model.words;
  if (!words) throw new TypeError('model must have a vocabulary (words)');
  const restrict = Math.min(words.length, opts.restrictVocab ?? 30000);
  const allowed = new Set(words.slice(0, restrict));
  const lower = opts.lowercase ?? true;
  const sections: AnalogySection[] = [];
  let answered = 0,
    skipped = 0,
    correct = 0;
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '') continue;
    if (line.startsWith(':')) {
      sections.push({ name: line.slice(1).trim(), correct: 0, total: 0 });
      continue;
    }
    if (opts.maxQuestions !== undefined && answered >= opts.maxQuestions) break;
    const q = (lower ? line.toLowerCase() : line).split(/\s+/);
    if (q.length !== 4) continue;
    if (!sections.length) sections.push({ name: '', correct: 0, total: 0 });
    if (!q.every((w) => allowed.has(w))) {
      skipped++;
      continue;
    }
    const best = model.analogy(q[0], q[1], q[2], 1, { method: opts.method, restrictVocab: restrict });
    const s = sections[sections.length - 1];
    s.total++;
    answered++;
    if (best.length && best[0].word === q[3]) {
      s.correct++;
      correct++;
    }
  }
  const sum = (ss: AnalogySection[]) => {
    const c = ss.reduce((a, s) => a + s.correct, 0);
    const t = ss.reduce((a, s) => a + s.total, 0);
    return { correct: c, total: t, accuracy: t ? c / t : NaN };
  };
  return {
    semantic: sum(sections.slice(0, 5)),
    syntactic: sum(sections.slice(5)),
    accuracy: answered ? correct / answered : NaN,
    answered,
    skipped,
    sections,
  };
}

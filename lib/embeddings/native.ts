// Types of the word2vec/fastText native exports (native/binding/word2vec.cc).
import { native } from '../native';

export interface NativeTrainStats {
  words: number;
  totalWords: number;
  progress: number;
  loss: number;
  alpha: number;
  seconds: number;
  wordsPerSecond: number;
  pairs: number;
  aborted: boolean;
}

declare module '../native' {
  interface NativeAddon {
    w2vExpTable(): Float32Array;
    w2vUnigramStarts(counts: Float64Array, power: number, tableSize: number): Float64Array;
    w2vUnigramLookup(
      out: Int32Array,
      counts: Float64Array,
      power: number,
      tableSize: number,
      slots: Float64Array,
    ): void;
    w2vDrawNegatives(out: Int32Array, counts: Float64Array, power: number, tableSize: number, seed: number): void;
    w2vSubsampleRan(count: number, sample: number, trainWords: number): number;
    w2vInitVectors(out: Float32Array, rows: number, D: number, seed: number, scale: number): void;
    w2vCountFile(
      path: string,
      cancel: Int32Array,
    ): Promise<{ words: string[]; counts: Float64Array; total: number; aborted: boolean }>;
    w2vTrain(
      syn0: Float32Array,
      syn1neg: Float32Array,
      counts: Float64Array,
      D: number,
      inputRows: number,
      subIndptr: Int32Array,
      subIndices: Int32Array,
      corpus: string | Int32Array,
      words: string[],
      cbow: boolean,
      window: number,
      negative: number,
      sample: number,
      alpha: number,
      minAlpha: number,
      epochs: number,
      threads: number,
      seed: number,
      power: number,
      cancel: Int32Array,
      onProgress: (p: NativeTrainStats) => void,
      progressIntervalMs: number,
      word2vecCompat: boolean,
    ): Promise<NativeTrainStats>;
    w2vNormalizeRows(out: Float32Array, input: Float32Array, N: number, D: number): void;
    w2vRowsDot(out: Float32Array, matrix: Float32Array, query: Float32Array, N: number, D: number): void;
    w2vTopK(
      outIdx: Int32Array,
      outScore: Float32Array,
      matrix: Float32Array,
      query: Float32Array,
      N: number,
      D: number,
      k: number,
      exclude: Int32Array,
    ): number;
    w2vTopKScores(
      outIdx: Int32Array,
      outScore: Float32Array,
      scores: Float32Array,
      N: number,
      k: number,
      exclude: Int32Array,
    ): number;
    ftHash(bytes: Uint8Array): number;
    ftSubwords(
      words: string[],
      minn: number,
      maxn: number,
      bucket: number,
      nwords: number,
      withWordIds: boolean,
    ): { indptr: Int32Array; indices: Int32Array };
    ftNgrams(word: string, minn: number, maxn: number): string[];
  }
}

export { native };

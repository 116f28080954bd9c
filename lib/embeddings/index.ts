// tk.embeddings: word2vec / fastText training, word-vector queries, formats and evaluation.
//
//   const m = new tk.embeddings.Word2Vec({ dim: 100, model: 'skipgram', threads: 2 });
//   await m.train('corpus.txt', { onProgress: (p) => console.log(p.progress, p.loss), signal });
//   m.mostSimilar('king', 10); m.analogy('man', 'king', 'woman'); m.saveWord2VecFormat('v.bin');
//
// What follows word2vec.c exactly: vocabulary order and minCount, the 1e8-slot unigram table (kept
// compressed, same draws), subsampling, window shrinking, the LCG, the learning-rate schedule and
// floor, the sigmoid table, both update rules (skip-gram with the context word as input, CBOW with
// the mean of the context). Deliberate differences, all documented where they live:
//  - the subsampling uniform comes from the LCG's bits 16-31 (gensim's choice), not its low 16 bits,
//    whose period is 2^16 or less (bench/RESULTS.md, word2vec: CBOW vectors score higher and vary
//    less with the seed); `compat: 'word2vec.c'` restores the low bits;
//  - an empty sentence is skipped (word2vec.c would train on a stale sen[0]);
//  - a last word not followed by a newline is kept (word2vec.c drops it at EOF);
//  - no ReduceVocab pruning above 21M distinct words;
//  - FastText trains with word2vec.c's sampler (LCG, power-0.75 table by default, sigmoid table of
//    1000 entries over [-6, 6]) rather than fastText's minstd_rand, power-0.5 table and 512-entry
//    table; its n-grams, hashing, bucket ids, input direction (center subwords -> context word),
//    unnormalised gradient on every input row and word vectors (mean of the rows, as getWordVector;
//    the issue says "sum") are fastText's.
export { Word2Vec, sortVocabulary } from './word2vec';
export type { Word2VecOptions, TrainOptions, TrainProgress, Corpus } from './word2vec';
export { FastText, fastTextHash, fastTextNgrams } from './fasttext';
export type { FastTextOptions } from './fasttext';
export { KeyedVectors, cosine } from './keyed-vectors';
export type { SimilarWord, AnalogyOptions, Word2VecFormatOptions } from './keyed-vectors';
export {
  spearman,
  pearson,
  ranks,
  readWordSimilarity,
  evaluateWordSimilarity,
  evaluateAnalogies,
  sharedDataDir,
} from './evaluate';
export type { SimilarityPair, SimilarityResult, AnalogyResult, AnalogySection, VectorSource } from './evaluate';
export { documentVectors, fitIdf } from './features';
export type { DocumentVectorOptions } from './features';

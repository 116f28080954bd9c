// tk.embeddings: word2vec / fastText training, word-vector queries, formats and evaluation.
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

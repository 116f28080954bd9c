export { tokenize } from './tokenize';
export type { TokenizeOptions } from './tokenize';
export { Vocabulary } from './vocab';
export type { VocabularyOptions, VocabularyJSON } from './vocab';
export { BagOfWords } from './bow';
export type { BagOfWordsOptions, CsrData } from './bow';

export { loadBrownCorpus, parseBrownDocument, brownCorpusDir } from './brown';
export type { BrownDocument, BrownOptions } from './brown';

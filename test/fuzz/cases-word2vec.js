// Valid calls for the word2vec / fastText exports (native/binding/word2vec.cc). Training calls
// start native threads and return a Promise; the tiny corpora here finish within milliseconds, and
// the addon's cleanup hook joins any job still running when the harness exits.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { filled } = require('./cases');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-fuzz-w2v-'));
const corpusFile = path.join(dir, 'corpus.txt');
fs.writeFileSync(corpusFile, 'a b c a\nb a c\n');
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));

const noop = () => {};

// V = 4 ("</s>", a, b, c), D = 3.
function trainArgs(alloc, corpus, sub) {
  const V = 4,
    D = 3,
    bucket = sub ? 5 : 0;
  const args = [
    filled(alloc, Float32Array, (V + bucket) * D, (i) => ((i % 7) - 3) / 30),
    alloc(Float32Array, V * D),
    filled(alloc, Float64Array, V, (i) => [2, 3, 2, 2][i]),
    D,
    V + bucket,
    sub ? filled(alloc, Int32Array, V + 1, (i) => [0, 1, 3, 5, 7][i]) : alloc(Int32Array, 0),
    sub ? filled(alloc, Int32Array, 7, (i) => [0, 1, 4, 2, 6, 3, 8][i]) : alloc(Int32Array, 0),
    corpus === 'file' ? corpusFile : filled(alloc, Int32Array, 9, (i) => [1, 2, 3, 1, 0, 2, 1, 3, 0][i]),
    corpus === 'file' ? ['</s>', 'a', 'b', 'c'] : [],
    false,
    2,
    2,
    1e-3,
    0.025,
    0,
    2,
    2,
    1,
    0.75,
    alloc(Int32Array, 1),
    noop,
    50,
    false,
  ];
  return args;
}

const cases = {
  w2vExpTable: () => [[]],
  w2vUnigramStarts: (alloc) => [[filled(alloc, Float64Array, 4, (i) => i + 1), 0.75, 1000]],
  w2vUnigramLookup: (alloc) => [
    [
      alloc(Int32Array, 3),
      filled(alloc, Float64Array, 4, (i) => i + 1),
      0.75,
      100,
      filled(alloc, Float64Array, 3, (i) => [0, 50, -7][i]),
    ],
  ],
  w2vDrawNegatives: (alloc) => [[alloc(Int32Array, 5), filled(alloc, Float64Array, 4, (i) => i + 1), 0.75, 100, 3]],
  w2vSubsampleRan: () => [[5, 1e-3, 1000]],
  w2vInitVectors: (alloc) => [[alloc(Float32Array, 12), 4, 3, 1, 1]],
  w2vCountFile: (alloc) => [[corpusFile, alloc(Int32Array, 1)]],
  w2vTrain: (alloc) => [trainArgs(alloc, 'ids', false), trainArgs(alloc, 'file', false), trainArgs(alloc, 'ids', true)],
  w2vNormalizeRows: (alloc) => [[alloc(Float32Array, 6), filled(alloc, Float32Array, 6, (i) => i - 2), 2, 3]],
  w2vRowsDot: (alloc) => [
    [alloc(Float32Array, 2), filled(alloc, Float32Array, 6, (i) => i), filled(alloc, Float32Array, 3, (i) => i), 2, 3],
  ],
  w2vTopK: (alloc) => [
    [
      alloc(Int32Array, 2),
      alloc(Float32Array, 2),
      filled(alloc, Float32Array, 12, (i) => (i * 7) % 5),
      filled(alloc, Float32Array, 3, (i) => i),
      4,
      3,
      2,
      filled(alloc, Int32Array, 1, () => 1),
    ],
  ],
  w2vTopKScores: (alloc) => [
    [
      alloc(Int32Array, 2),
      alloc(Float32Array, 2),
      filled(alloc, Float32Array, 5, (i) => (i * 3) % 5),
      5,
      2,
      alloc(Int32Array, 0),
    ],
  ],
  ftHash: (alloc) => [[filled(alloc, Uint8Array, 5, (i) => 97 + i * 40)]],
  ftSubwords: () => [
    [['</s>', 'where', 'été'], 3, 6, 100, 3, true],
    [['x'], 1, 2, 10, 0, false],
  ],
  ftNgrams: () => [['where', 3, 6]],
};

// The harness only checks synchronous throws; a job's Promise has nothing to report to it.
process.on('unhandledRejection', noop);
module.exports = { cases };

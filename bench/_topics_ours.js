// Our side of bench/topics.js, in a child process of its own (like the peers): trains one tk.topics model on
// the prepared corpus and writes the same JSON as bench/_topics_peer.py (time per epoch, top words,
// document-completion perplexity).
//
// usage: node _topics_ours.js '{"data","model","k","epochs","threads","seed","out","top","pretrainEpochs"[,"variant"]}'
//
// Variants (extra rows of the benchmark; see VARIANTS): "xavier" (WLDA initialised as W-LDA's code does),
// "word2vec" (ETM with frozen skip-gram embeddings trained on the training documents, as ETM's paper and
// skipgram.py). Models with a decoder bias (NVDM, WLDA, GMNTM) also write `topics_weights_only`: the top
// words of each topic from the decoder weights alone (topics(n, { bias: false }), W-LDA's "Top Words2").
'use strict';
const fs = require('fs');
const path = require('path');
const { readCorpus } = require('./_topics_data');

// The spec's optimiser settings, passed explicitly so that both sides surely use the same ones.
const SETTINGS = {
  nvdm: { cls: 'NVDM', batchSize: 512, lr: 1e-3 },
  wlda: { cls: 'WLDA', batchSize: 200, lr: 2e-3 },
  etm: { cls: 'ETM', batchSize: 1000, lr: 5e-3 },
  gmntm: { cls: 'GMNTM', batchSize: 200, lr: 2e-3 },
};

// Options per variant: model options, and for word2vec the skip-gram settings of ETM's skipgram.py
// (dim 300, window 4, 10 negative samples, min count 2, 50 iterations, skip-gram).
const VARIANTS = {
  xavier: { models: ['wlda'], opts: { init: 'xavier' } },
  word2vec: {
    models: ['etm'],
    opts: {},
    word2vec: { dim: 300, window: 4, negative: 10, minCount: 2, epochs: 50, model: 'skipgram', seed: 1 },
  },
};

const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Epoch durations from onProgress calls: an epoch ends at the last call that reports it (fit's end for
 * the last one), whether fit reports every step or every epoch. Calls are grouped by (stage, epoch) when
 * the model reports a stage (GMNTM's pretraining); `lastStage` keeps only the final stage's epochs.
 */
function epochTimes(marks, start, end, { mainEpochs }) {
  const keys = [];
  const last = new Map();
  for (const m of marks) {
    const key = `${m.stage}\u0000${m.epoch}`;
    if (!last.has(key)) keys.push({ key, stage: m.stage });
    last.set(key, m.t);
  }
  const ends = keys.map((k) => last.get(k.key));
  if (ends.length) ends[ends.length - 1] = end;
  const durations = ends.map((t, i) => t - (i ? ends[i - 1] : start));
  const stages = keys.map((k) => k.stage);
  const finalStage = stages[stages.length - 1];
  const hasStages = stages.some((s) => s !== undefined);
  let main = durations;
  if (hasStages) main = durations.filter((_, i) => stages[i] === finalStage);
  else if (durations.length > mainEpochs) main = durations.slice(durations.length - mainEpochs);
  return { all: durations, main };
}

/** The numbers, strings and booleans of fit()'s result (no tensors or big arrays in the JSON). */
function plain(result) {
  if (!result || typeof result !== 'object') return null;
  const out = {};
  for (const [k, v] of Object.entries(result)) if (['number', 'string', 'boolean'].includes(typeof v)) out[k] = v;
  return out;
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const tk = require('..');
  if (!tk.topics || typeof tk.topics.NVDM !== 'function') {
    console.error(
      'tk.topics.NVDM is missing from this build (the topic models have not landed, or run `npm run build:ts`)',
    );
    process.exit(3);
  }
  tk.setNumThreads(spec.threads);
  const corpus = readCorpus(tk, spec.data);
  const s = SETTINGS[spec.model];
  const opts = { vocabSize: corpus.vocab.length, numTopics: spec.k, seed: spec.seed };
  if (spec.model === 'gmntm') opts.pretrainEpochs = spec.pretrainEpochs;
  const variant = spec.variant ? VARIANTS[spec.variant] : null;
  if (spec.variant && (!variant || !variant.models.includes(spec.model))) {
    throw new Error(`unknown variant '${spec.variant}' for ${spec.model}`);
  }
  let embeddingSeconds = null;
  if (variant) Object.assign(opts, variant.opts);
  if (variant && variant.word2vec) {
    // Trained once per prepared corpus (by the first K that needs them) and kept next to it for the other Ks.
    const cache = path.join(spec.data, 'etm-word2vec.bin');
    if (fs.existsSync(cache)) {
      opts.embeddings = tk.embeddings.KeyedVectors.loadWord2VecFormat(cache, { binary: true });
    } else {
      if (!corpus.trainTokens)
        throw new Error('the corpus has no train_tokens.txt (re-run bench/topics.js to prepare it)');
      const w2v = new tk.embeddings.Word2Vec({ ...variant.word2vec, threads: spec.threads });
      const t0 = process.hrtime.bigint();
      await w2v.train(corpus.trainTokens);
      embeddingSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
      w2v.saveWord2VecFormat(cache, { binary: true });
      opts.embeddings = w2v.wv;
    }
    opts.vocab = corpus.vocab;
    opts.trainEmbeddings = false;
  }
  const model = new tk.topics[s.cls](opts);
  const marks = [];
  const losses = [];
  const start = process.hrtime.bigint();
  const now = () => Number(process.hrtime.bigint() - start) / 1e9;
  const result = await model.fit(corpus.train, {
    epochs: spec.epochs,
    batchSize: s.batchSize,
    lr: s.lr,
    seed: spec.seed,
    onProgress: (p) => {
      marks.push({ t: now(), epoch: p.epoch, stage: p.stage !== undefined ? p.stage : p.phase });
      if (Number.isFinite(p.loss)) losses.push(p.loss);
    },
  });
  const total = now();
  // fit() reports each epoch's seconds (GMNTM's EM between the stages is in no epoch); the onProgress
  // marks are the fallback.
  const reported = result && Array.isArray(result.epochSeconds) ? result.epochSeconds : null;
  const times =
    reported && reported.length >= spec.epochs
      ? { all: reported, main: reported.slice(reported.length - spec.epochs) }
      : epochTimes(marks, 0, total, { mainEpochs: spec.epochs });
  const topics = model.topics(spec.top);
  const topicsWeightsOnly = model.decoder && model.decoder.bias ? model.topics(spec.top, { bias: false }) : null;
  const perplexity = model.perplexity(corpus.testH1, corpus.testH2);
  const out = {
    system: `textkernels ${require('../package.json').version}`,
    impl: 'ours',
    model: spec.model,
    k: spec.k,
    seed: spec.seed,
    first_layer: 'tk.sparse.spmm',
    simd: tk.backend().simd,
    threads: tk.getNumThreads(),
    settings: { batch: s.batchSize, lr: s.lr, epochs: spec.epochs },
    epoch_seconds: times.main,
    all_epoch_seconds: times.all,
    seconds_per_epoch: times.main.length > 1 ? median(times.main.slice(1)) : times.main[0],
    total_seconds: total,
    losses: result && Array.isArray(result.losses) ? result.losses.slice(-spec.epochs) : [],
    final_loss: losses.length ? losses[losses.length - 1] : null,
    fit_result: plain(result),
    topics,
    topics_weights_only: topicsWeightsOnly,
    perplexity,
    variant: spec.variant || null,
    embedding_seconds: embeddingSeconds,
    missing_words: typeof model.missingWords === 'number' && variant && variant.word2vec ? model.missingWords : null,
  };
  fs.writeFileSync(spec.out, JSON.stringify(out));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});

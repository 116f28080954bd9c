#!/usr/bin/env node
// Topic-model benchmark: our tk.topics NVDM (GSM), WLDA, ETM and GMNTM against PyTorch implementations of
// exactly the same architectures and optimisers (bench/_topics_peer.py, docs/TOPIC-MODELS.md),
// and gensim's LdaModel, on the Brown corpus split into paragraphs (or arXiv abstracts), in one run.
//
//   npm run build:ts && npm run bench -- topics [--corpus brown|arxiv] [--k 20,50] [--epochs 50] [--torch-epochs N] [--models nvdm,wlda,etm,gmntm,lda]
//       [--threads N[,M]] [--lda-passes 20] [--pretrain-epochs 10] [--vocab-size 0] [--max-docs 0] [--seed 1] [--quick]
//       [--torch-first-layer auto|dense|sparse] [--python /tmp/torch-env/bin/python] [--gensim-python /usr/bin/python3] [--keep DIR] [--no-write]
//       [--variants xavier,word2vec|none]
//
// The corpus is prepared once (bench/_topics_data.js: tk.text.BowCorpus over lib/data's Brown paragraphs, or with
// --corpus arxiv over the 2000 arXiv titles + abstracts of ../shared/data/arxiv (read from there at run time; the
// benchmark says so and stops, exit 0, when the file is absent); ETM's preprocessing, min_df 5, max_df 0.7, a seeded 85/15 split, test documents halved for document
// completion) and written to a temporary directory that every trainer reads, so all see the same
// vocabulary and documents. Every trainer runs in a child process of its own on the same thread count
// (--threads 1,2 runs the whole set for each); for each (model, K) ours and PyTorch's alternate, the order
// rotating from one configuration to the next, so that background load hits both alike. Each child writes
// its time per epoch (the table shows the median over the epochs after the first), its top 25 words per
// topic and its held-out perplexity (document completion through its own decoder: theta from the first
// half of a test document, exp of the mean over documents of -sum n log p / N on the second half). The
// quality metrics are then computed here, by one piece of code for every system, from the word lists:
// NPMI (tk.topics.npmi, top 10, document co-occurrence in the held-out test documents; also, as a diagnostic, in
// the training documents, the reference ETM's code uses), topic diversity (tk.topics.diversity, top 25) and topic
// uniqueness (tk.topics.topicUniqueness, top 10).
// The PyTorch peer picks, per model, the faster of a dense batch and torch.sparse (a few timed steps of
// each before training; --torch-first-layer dense|sparse fixes it) and says which.
// Extra rows of ours (issue 6's diversity goal; docs/TOPIC-MODELS.md, "Topic words and diversity"): for WLDA, a
// row "topic words: weights only" from the same trained model (topics(25, { bias: false }), W-LDA's "Top Words2":
// the decoder weights without the bias, which holds the background word frequencies); and, per --variants, more
// trainings: `xavier` = WLDA initialised as W-LDA's code (init: 'xavier'), `word2vec` = ETM with frozen skip-gram
// embeddings trained on the training documents (ETM's skipgram.py settings; the embedding time is not in s/epoch).
// `--quick` (a 4000-paragraph subset, 1000 words, K = 20, 2 epochs, 1 pretraining epoch, 2 LDA passes)
// only checks the harness (about a minute on a quiet 2-core machine).
// --corpus arxiv writes the section "## Topic models (arXiv)" instead of "## Topic models".
// Peers missing (no torch in --python, no gensim in --gensim-python) or tk.topics models missing in the
// build: skipped with a message. Writes the "## Topic models" section of bench/RESULTS.md unless --no-write.
'use strict';
const { arg, flag, checkOptions, cpuModel, writeResultsSection } = require('./_common');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { prepareCorpus, writeCorpus, readCorpus, arxivFile, arxivDocuments } = require('./_topics_data');

checkOptions(__filename);

let tk;
let brown;
try {
  tk = require('..');
  brown = require('../dist/data/brown');
} catch (err) {
  console.error(`bench/topics: could not load the package (${err.message}).\nRun \`npm run build:ts\` first.`);
  process.exit(1);
}

const NEURAL = ['nvdm', 'wlda', 'etm', 'gmntm'];
const NAMES = { nvdm: 'NVDM', wlda: 'WLDA', etm: 'ETM', gmntm: 'GMNTM', lda: 'LDA' };

const quick = flag('quick');
const CORPORA = ['brown', 'arxiv'];
const corpusName = arg('corpus', 'brown');
if (!CORPORA.includes(corpusName)) {
  console.error(`bench/topics: unknown corpus '${corpusName}' (${CORPORA.join(', ')})`);
  process.exit(2);
}
const SECTION = corpusName === 'arxiv' ? 'Topic models (arXiv)' : 'Topic models';
const ks = arg('k', quick ? '20' : '20,50')
  .split(',')
  .map(Number);
const epochs = Number(arg('epochs', quick ? '2' : '50'));
// The PyTorch peers may train for fewer epochs than ours (their time per epoch is what the ratio needs); their
// quality columns then describe that shorter training. Default: the same.
const torchEpochs = Number(arg('torch-epochs', String(epochs)));
const ldaPasses = Number(arg('lda-passes', quick ? '2' : '20'));
const pretrainEpochs = Number(arg('pretrain-epochs', quick ? '1' : '10'));
const models = arg('models', 'nvdm,wlda,etm,gmntm,lda')
  .split(',')
  .filter((m) => m && m !== 'none');
const threadCounts = arg('threads', String(os.cpus().length)).split(',').map(Number);
const torchFirstLayer = arg('torch-first-layer', 'auto');
const seed = Number(arg('seed', '1'));
const vocabSize = Number(arg('vocab-size', quick ? '1000' : '0'));
const maxDocs = Number(arg('max-docs', quick ? '4000' : '0'));
const torchPython = arg('python', process.env.PYTHON || '/tmp/torch-env/bin/python');
const gensimPython = arg('gensim-python', '/usr/bin/python3');
const write = !flag('no-write');
const VARIANT_MODELS = { xavier: 'wlda', word2vec: 'etm' };
const variants = arg('variants', 'xavier,word2vec')
  .split(',')
  .filter((v) => v && v !== 'none');
const TOP = 25;

for (const v of variants) {
  if (!VARIANT_MODELS[v]) {
    console.error(`bench/topics: unknown variant '${v}' (xavier, word2vec, none)`);
    process.exit(2);
  }
}
for (const m of models) {
  if (!NEURAL.includes(m) && m !== 'lda') {
    console.error(`bench/topics: unknown model '${m}' (nvdm, wlda, etm, gmntm, lda)`);
    process.exit(2);
  }
}
if (
  !(epochs >= 1) ||
  !(torchEpochs >= 1) ||
  !(ldaPasses >= 1) ||
  ks.some((k) => !(k >= 2)) ||
  threadCounts.some((t) => !(t >= 1))
) {
  console.error(
    'bench/topics: --epochs, --torch-epochs and --lda-passes must be >= 1, every --k >= 2 and every --threads >= 1',
  );
  process.exit(2);
}

const keep = arg('keep', '');
const tmp = keep || fs.mkdtempSync(path.join(os.tmpdir(), 'tk-bench-topics-'));
if (!keep) process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const fmt = (x, d = 1) => (x === undefined || x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));
const canImport = (python, mod) => spawnSync(python, ['-c', `import ${mod}`], { encoding: 'utf8' }).status === 0;

function childEnv(threads) {
  const n = String(threads);
  return {
    ...process.env,
    OMP_NUM_THREADS: n,
    OPENBLAS_NUM_THREADS: n,
    MKL_NUM_THREADS: n,
    TEXTKERNELS_NUM_THREADS: n,
  };
}

/** Runs one trainer; returns its JSON result, or { error } when the child failed. */
function runChild(label, cmd, args, out, threads) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: childEnv(threads) });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0 || !fs.existsSync(out)) {
    const why =
      (r.error ? r.error.message : (r.stderr || '').trim().split('\n').slice(-6).join('\n')) || `exit ${r.status}`;
    console.error(`  ${label}: failed (${why})`);
    return { error: why.split('\n').pop() };
  }
  const res = JSON.parse(fs.readFileSync(out, 'utf8'));
  res.wall = wall;
  return res;
}

function runOurs(model, k, threads, variant) {
  const out = path.join(tmp, `ours-${model}${variant ? '-' + variant : ''}-${k}-t${threads}.json`);
  const spec = { data: tmp, model, k, epochs, threads, seed, out, top: TOP, pretrainEpochs };
  if (variant) spec.variant = variant;
  const script = path.join(__dirname, '_topics_ours.js');
  const name = `textkernels ${NAMES[model]}${variant ? ` (${VARIANT_NAMES[variant]})` : ''} K=${k}`;
  return runChild(name, process.execPath, [script, JSON.stringify(spec)], out, threads);
}

const VARIANT_NAMES = {
  xavier: 'Xavier init',
  word2vec: 'frozen word2vec',
};

function runPeer(python, model, k, threads) {
  const out = path.join(tmp, `peer-${model}-${k}-t${threads}.json`);
  const args = ['-W', 'ignore', path.join(__dirname, '_topics_peer.py'), '--data', tmp, '--model', model];
  args.push(
    '--k',
    String(k),
    '--epochs',
    String(model === 'lda' ? ldaPasses : torchEpochs),
    '--threads',
    String(threads),
  );
  args.push('--seed', String(seed), '--out', out, '--top', String(TOP), '--pretrain-epochs', String(pretrainEpochs));
  if (model !== 'lda') args.push('--first-layer', torchFirstLayer);
  const who = model === 'lda' ? 'gensim' : 'PyTorch';
  return runChild(`${who} ${NAMES[model]} K=${k}`, python, args, out, threads);
}

// ------------------------------------------------------------------------------------------------ metrics

/**
 * Document co-occurrence NPMI as ETM's get_topic_coherence computes it (a pair that never co-occurs scores
 * `unseen`, -1 as ETM), mean over the topN(topN-1)/2 pairs, then over topics. Used only when tk.topics.npmi is absent.
 */
function npmiFallback(topics, reference, topN, unseen = -1) {
  const { counts, vocab } = reference;
  const id = new Map(vocab.map((w, i) => [w, i]));
  const D = counts.rows;
  const docsOf = new Map();
  const docSet = (w) => {
    if (!docsOf.has(w)) docsOf.set(w, new Uint8Array(D));
    return docsOf.get(w);
  };
  const wanted = new Set();
  for (const t of topics) for (const w of t.slice(0, topN)) wanted.add(typeof w === 'number' ? w : id.get(w));
  for (const w of wanted) if (w !== undefined) docSet(w);
  for (let d = 0; d < D; d++) {
    for (let p = counts.indptr[d]; p < counts.indptr[d + 1]; p++) {
      const s = docsOf.get(counts.indices[p]);
      if (s && counts.values[p] > 0) s[d] = 1;
    }
  }
  const df = (w) => (w === undefined ? 0 : docsOf.get(w).reduce((a, b) => a + b, 0));
  let sum = 0;
  for (const t of topics) {
    const ids = t.slice(0, topN).map((w) => (typeof w === 'number' ? w : id.get(w)));
    let s = 0;
    let pairs = 0;
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        pairs++;
        const a = ids[i];
        const b = ids[j];
        let dij = 0;
        if (a !== undefined && b !== undefined) {
          const x = docsOf.get(a);
          const y = docsOf.get(b);
          for (let d = 0; d < D; d++) dij += x[d] & y[d];
        }
        if (dij === 0) {
          s += unseen;
          continue;
        }
        const logD = Math.log(D);
        s += -1 + (Math.log(df(a)) + Math.log(df(b)) - 2 * logD) / (Math.log(dij) - logD);
      }
    }
    sum += pairs ? s / pairs : 0;
  }
  return topics.length ? sum / topics.length : NaN;
}

function diversityFallback(topics, topN) {
  const unique = new Set();
  for (const t of topics) for (const w of t.slice(0, topN)) unique.add(w);
  return unique.size / (topN * topics.length);
}

function uniquenessFallback(topics, topN) {
  const cnt = new Map();
  for (const t of topics) for (const w of new Set(t.slice(0, topN))) cnt.set(w, (cnt.get(w) || 0) + 1);
  let sum = 0;
  for (const t of topics) {
    const top = t.slice(0, topN);
    sum += top.reduce((a, w) => a + 1 / cnt.get(w), 0) / top.length;
  }
  return sum / topics.length;
}

/**
 * The one scorer every system goes through: the library's metrics when they exist, else the local
 * versions above (same definitions), said so in the output.
 */
function makeScorer(corpus) {
  const lib = tk.topics || {};
  const have =
    typeof lib.npmi === 'function' && typeof lib.diversity === 'function' && typeof lib.topicUniqueness === 'function';
  // The reference corpus for NPMI: the whole held-out test documents (not the training ones).
  const reference = referenceCorpus(corpus);
  return {
    source: have
      ? 'tk.topics.npmi / diversity / topicUniqueness'
      : 'the benchmark’s own copies (tk.topics metrics not in this build)',
    score(topics) {
      if (have) {
        return {
          npmi: lib.npmi(topics, reference, { topN: 10 }),
          npmiTrain: lib.npmi(topics, corpus.train, { topN: 10 }),
          npmiUnseen0: lib.npmi(topics, reference, { topN: 10, unseenPairScore: 0 }),
          td: lib.diversity(topics, { topN: 25 }),
          tu: lib.topicUniqueness(topics, { topN: 10 }),
        };
      }
      return {
        npmi: npmiFallback(topics, reference, 10),
        npmiTrain: npmiFallback(topics, corpus.train, 10),
        npmiUnseen0: npmiFallback(topics, reference, 10, 0),
        td: diversityFallback(topics, 25),
        tu: uniquenessFallback(topics, 10),
      };
    },
  };
}

/** The held-out documents as the reference corpus npmi reads (BowData: counts + vocab). */
function referenceCorpus(corpus) {
  return corpus.test;
}

// ---------------------------------------------------------------------------------------------------- run

function main() {
  const started = new Date();
  const load = os.loadavg();
  let source = brown;
  if (corpusName === 'arxiv') {
    const { file, why } = arxivFile(tk);
    if (!file) {
      console.log(`bench/topics: --corpus arxiv skipped: ${why}`);
      return;
    }
    source = {
      documents: arxivDocuments(file).map((d) => d.tokens),
      name: `arXiv titles + abstracts (../shared/data/${path.relative(path.dirname(path.dirname(file)), file)})`,
      unit: 'papers',
      corpus: 'arxiv',
    };
  }
  const prepared = prepareCorpus(tk, source, {
    minDf: 5,
    maxDf: 0.7,
    vocabSize,
    maxDocs,
    testFraction: 0.15,
    seed: 2019,
  });
  writeCorpus(tmp, prepared);
  // The word2vec variant's embeddings are cached next to the corpus by the first child that trains them.
  fs.rmSync(path.join(tmp, 'etm-word2vec.bin'), { force: true });
  const corpus = readCorpus(tk, tmp);
  const info = corpus.info;
  console.log(
    `corpus: ${info.documents} ${info.corpus === 'arxiv' ? 'arXiv papers' : 'Brown paragraphs'}${maxDocs ? ` (subset of ${maxDocs})` : ''} -> ${info.trainDocs} train / ${info.testDocs} test documents, ` +
      `V = ${info.vocabSize}, ${info.trainTokens} train tokens (${tmp})`,
  );

  const oursOk = !!(tk.topics && typeof tk.topics.NVDM === 'function');
  const torchOk = canImport(torchPython, 'torch');
  const gensimOk = canImport(gensimPython, 'gensim');
  const neural = models.filter((m) => NEURAL.includes(m));
  if (!oursOk && neural.length)
    console.error(
      'tk.topics.NVDM is missing from this build: our models are skipped (the topic models have not landed yet, or run `npm run build:ts`)',
    );
  if (!torchOk && neural.length)
    console.error(
      `torch not importable by ${torchPython} (see /work/shared/tools/torch-env.sh or --python): PyTorch peers skipped`,
    );
  if (!gensimOk && models.includes('lda'))
    console.error(`gensim not importable by ${gensimPython} (apt-get install python3-gensim): LDA skipped`);

  // The peer must compute what ours computes: its loss and gradients against the one-step fixtures our
  // models are tested with (absent before the topic models land).
  let peerCheck = null;
  if (torchOk && neural.length) {
    const r = spawnSync(torchPython, ['-W', 'ignore', path.join(__dirname, '_topics_peer_check.py')], {
      encoding: 'utf8',
      env: childEnv(1),
    });
    const out = (r.stdout || '').trim().split('\n');
    peerCheck = out[out.length - 1] || `check failed to run: ${(r.stderr || '').trim().split('\n').pop()}`;
    console.log(`PyTorch peer check (bench/_topics_peer_check.py): ${peerCheck}`);
    if (r.status !== 0) console.error(out.join('\n'));
  }

  const results = [];
  let turn = 0;
  const record = (impl, model, k, threads, r) => {
    results.push({ impl, model, k, threads, ...r });
    report(results[results.length - 1]);
    // WLDA's second word list from the same model: the decoder weights without the bias.
    if (impl === 'ours' && model === 'wlda' && Array.isArray(r.topics_weights_only)) {
      results.push({ impl, model, k, threads, ...r, topics: r.topics_weights_only, weightsOnly: true });
    }
  };
  for (const threads of threadCounts) {
    for (const k of ks) {
      for (const model of neural) {
        const runners = [];
        if (oursOk) runners.push(['ours', () => runOurs(model, k, threads)]);
        if (torchOk) runners.push(['torch', () => runPeer(torchPython, model, k, threads)]);
        // Alternate who goes first from one configuration to the next, so that neither always gets the
        // quieter (or the warmer) machine.
        const order = runners.map((_, i) => runners[(i + turn) % runners.length]);
        turn++;
        for (const [impl, run] of order) record(impl, model, k, threads, run());
        if (oursOk) {
          for (const v of variants)
            if (VARIANT_MODELS[v] === model) record('ours', model, k, threads, runOurs(model, k, threads, v));
        }
      }
      if (models.includes('lda') && gensimOk)
        record('gensim', 'lda', k, threads, runPeer(gensimPython, 'lda', k, threads));
    }
  }

  if (!results.some((r) => r.topics)) {
    console.error('bench/topics: no trainer produced a result; nothing to score or write');
    process.exitCode = 1;
    return;
  }
  const scorer = makeScorer(corpus);
  for (const r of results) if (r.topics) Object.assign(r, scorer.score(r.topics));
  const rows = results.filter((r) => r.topics);
  for (const r of rows) {
    const peer = rows.find((x) => x.impl === 'torch' && x.model === r.model && x.k === r.k && x.threads === r.threads);
    if (r.impl === 'ours' && !r.variant && !r.weightsOnly && peer)
      r.ratio = peer.seconds_per_epoch / r.seconds_per_epoch;
  }

  const header = [
    'system',
    'K',
    'threads',
    'NPMI',
    'NPMI (train)',
    'NPMI (unseen 0)',
    'TD',
    'TU',
    'held-out ppl',
    's/epoch',
    'PyTorch ÷ ours',
  ];
  const table = rows.map((r) => [
    label(r),
    String(r.k),
    String(r.threads),
    fmt(r.npmi, 3),
    fmt(r.npmiTrain, 3),
    fmt(r.npmiUnseen0, 3),
    fmt(r.td, 3),
    fmt(r.tu, 3),
    fmt(r.perplexity, 0),
    fmt(r.seconds_per_epoch, 2),
    r.ratio ? `${r.ratio.toFixed(2)}x` : '',
  ]);
  console.log(`\nmetrics: ${scorer.source}`);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const row of table) console.log(line(row));
  const failed = results.filter((r) => r.error);
  for (const r of failed) console.log(`${label(r)} K=${r.k} threads=${r.threads}: failed (${r.error})`);

  if (!write) return;
  const cmd = `npm run build:ts && npm run bench -- topics${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`;
  const torchInfo = rows.find((r) => r.impl === 'torch');
  const torchThreads = rows.some((r) => r.impl === 'torch' && r.threads > 1);
  const ldaInfo = rows.find((r) => r.impl === 'gensim');
  const busy = load[0] > 0.5 * os.cpus().length;
  const lines = [
    `## ${SECTION}`,
    '',
    `Corpus: ${info.source}: ${info.documents} ${info.unit}${info.maxDocs ? `, a random ${info.maxDocs} of them (--quick)` : ''}, built with ${info.builtWith}; lowercased, ` +
      `scikit-learn's English stop words, tokens of one letter and tokens with anything but letters dropped (ETM's preprocessing); ` +
      `vocabulary from the training documents with document frequency >= ${info.minDf} and <= ${info.maxDf} x documents` +
      `${info.vocabCap ? `, the ${info.vocabCap} most frequent` : ''}: V = ${info.vocabSize}; training documents with fewer than ${info.minDocLength} ` +
      `vocabulary words dropped, test documents with fewer than 2; a seeded ${Math.round(100 * (1 - info.testFraction))}/${Math.round(100 * info.testFraction)} split: ` +
      `${info.trainDocs} training documents (${info.trainTokens} tokens), ${info.testDocs} test documents (${info.testTokens} tokens), each halved by token order for document completion.`,
    `Machine: ${cpuModel()}, ${os.cpus().length} logical CPUs; our SIMD level ${tk.backend().simd}; ${threadCounts.join(' and ')} thread(s), the same for every trainer of a row (torch.set_num_threads, OMP/OPENBLAS/MKL_NUM_THREADS). ` +
      `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')}, load average before the run ${load.map((x) => x.toFixed(2)).join(' / ')}.` +
      (busy
        ? ' **The machine was busy: timings were taken under load;** ours and PyTorch alternate per configuration, so compare the ratios' +
          (torchThreads
            ? ", and only at 1 thread: PyTorch's OpenMP threads degrade badly when the cores are shared (a PyTorch WLDA step took 30 ms on 1 thread and 175-645 ms on 2 threads of this machine under load)."
            : '.')
        : ''),
    `Command: \`${cmd}\`.`,
    `Neural models: the architectures and optimisers of the spec (NVDM Adam 1e-3 batch 512; WLDA Adam 2e-3 batch 200; ETM Adam 5e-3, weight decay 1.2e-6, batch 1000, trainable rho; ` +
      `GMNTM Adam 2e-3 batch 200, ${pretrainEpochs} pretraining epoch(s), then EM, then the mixture ELBO), ${epochs} epoch(s) each${torchEpochs !== epochs ? ` (the PyTorch peers: ${torchEpochs})` : ''} (GMNTM: after pretraining and EM). ` +
      `PyTorch peer: bench/_topics_peer.py${torchInfo ? ` (${torchInfo.system})` : ''}; in brackets how it read the bag of words, ` +
      `${torchFirstLayer === 'auto' ? 'the faster in three timed steps of each before training' : `--torch-first-layer ${torchFirstLayer}`}: ` +
      'dense = a dense [B, V] batch for nn.Linear and the loss, sparse = a torch.sparse CSR batch for the first layer (torch.addmm) and the loss read at the stored entries only. ' +
      'Ours read the counts through tk.sparse.spmm and evaluate the loss at the stored entries.' +
      (peerCheck
        ? ` Peer check against the one-step fixtures of test/fixtures/topic_models.json (loss and gradients, both paths): ${peerCheck}.`
        : ''),
    `LDA: gensim LdaModel (online variational Bayes), ${ldaPasses} passes, chunksize 2000, iterations 50, alpha symmetric 1/K, eta 1/K, decay 0.5, offset 1${ldaInfo ? ` (${ldaInfo.system})` : ''}; ` +
      "s/epoch is its time per pass; its perplexity uses theta from gensim's inference() on the first halves and its topic-word matrix, with the same formula" +
      (ldaInfo
        ? `; gensim's own bound (log_perplexity on the whole test documents, exp(-bound)) was ${rows
            .filter((r) => r.impl === 'gensim')
            .map((r) => `${fmt(r.gensim_bound_perplexity, 0)} (K=${r.k})`)
            .join(', ')}, not comparable.`
        : '.'),
    'Rows in brackets after textkernels (issue 6, topic diversity; docs/TOPIC-MODELS.md): "topic words: weights only" = the same trained WLDA, its top words ' +
      'ranked by the decoder weight column without the bias (topics(n, { bias: false }), W-LDA\'s "Top Words2"; perplexity and time are the model\'s); ' +
      '"Xavier init" = WLDA initialised as W-LDA\'s code (init: \'xavier\': Xavier-uniform weights, zero biases); "frozen word2vec" = ETM with frozen ' +
      "skip-gram embeddings (tk.embeddings.Word2Vec with ETM's skipgram.py settings: dim 300, window 4, 10 negatives, min count 2, 50 epochs) trained on the training documents" +
      `${
        rows.some((r) => r.embedding_seconds)
          ? ` (embedding training ${rows
              .filter((r) => r.embedding_seconds)
              .map((r) => `${fmt(r.embedding_seconds, 0)} s`)
              .join(', ')}, not in s/epoch)`
          : ''
      }.`,
    `Metrics (${scorer.source}), the same code for every system, from each system's top words: NPMI over the top 10 words with document co-occurrence in the ${info.testDocs} held-out test documents ` +
      '(ETM’s formula: a pair that never co-occurs scores -1); NPMI (train): the same over the training documents, the reference ETM’s code uses ' +
      '(more documents, so fewer pairs that never co-occur; a diagnostic beside the held-out NPMI, which is the issue’s); ' +
      'NPMI (unseen 0): the held-out NPMI with W-LDA’s convention (its npmi_calc.py scores a never co-occurring pair 0, not -1; a diagnostic too); TD = unique words among the top 25 of all topics / (25 K); TU = W-LDA’s topic uniqueness over the top 10. ' +
      'Held-out perplexity: document completion (theta from the first half, exp of the mean over documents of -Σ n log p / N on the second half), each model through its own decoder. ' +
      's/epoch: median over the epochs after the first.',
    '',
    `| ${header.join(' | ')} |`,
    `|---|${header
      .slice(1)
      .map(() => '---:')
      .join('|')}|`,
    ...table.map((row) => `| ${row.join(' | ')} |`),
  ];
  if (failed.length)
    lines.push('', ...failed.map((r) => `- ${label(r)} K=${r.k} threads=${r.threads} failed: ${r.error}`));
  const k0 = ks[0];
  const shown = rows.filter((r) => r.k === k0 && r.threads === threadCounts[0]);
  if (shown.length) {
    lines.push('', `<details><summary>Top 10 words of the first 5 topics, K = ${k0}</summary>`, '');
    for (const r of shown) {
      lines.push(`**${label(r)}**`, '');
      for (const t of r.topics.slice(0, 5)) lines.push(`- ${t.slice(0, 10).join(' ')}`);
      lines.push('');
    }
    lines.push('</details>');
  }
  writeResultsSection(SECTION, lines.join('\n') + '\n');
}

function label(r) {
  const who =
    r.impl === 'ours' ? 'textkernels' : r.impl === 'torch' ? 'PyTorch' : r.impl === 'gensim' ? 'gensim' : r.impl || '?';
  const notes = [];
  if (r.impl === 'torch' && r.first_layer) notes.push(r.first_layer);
  if (r.variant) notes.push(VARIANT_NAMES[r.variant] || r.variant);
  if (r.weightsOnly) notes.push('topic words: weights only');
  return `${who} ${NAMES[r.model] || r.model}${notes.length ? ` (${notes.join('; ')})` : ''}`;
}

function report(r) {
  if (r.error) return;
  const first = r.topics && r.topics[0] ? r.topics[0].slice(0, 8).join(' ') : '';
  console.log(
    `${label(r).padEnd(28)} K=${String(r.k).padEnd(3)} ${fmt(r.seconds_per_epoch, 2)} s/epoch  ` +
      `t=${r.threads}  [${(r.epoch_seconds || []).map((t) => t.toFixed(2)).join(' ')}]  ppl ${fmt(r.perplexity, 0)}` +
      `${r.losses && r.losses.length ? `  loss ${fmt(r.losses[0], 2)} -> ${fmt(r.losses[r.losses.length - 1], 2)}` : ''}  topic 0: ${first}`,
  );
}

main();

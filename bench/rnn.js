#!/usr/bin/env node
// Recurrent-layer benchmark: one training step (forward + backward of output.sum(), the input
// requiring grad) of a one-layer tk.nn.LSTM / GRU against torch.nn.LSTM / GRU on the CPU, on the
// same thread counts, in one run.
//
//   npm run build:ts && npm run bench -- rnn [--threads 1,2] [--cells LSTM,GRU] [--rounds 2]
//                                             [--min-seconds 1] [--quick] [--python PATH] [--no-write]
//                                             [--no-tfjs]
//   node bench/rnn.js --gc-peak [--threads 2]   (memory only: our peak with V8 collecting lazily, as
//       in the table, and with a full collection after every step; prints, writes nothing)
//
// Every measurement runs in a fresh child process (ours: this file with --child; PyTorch:
// bench/_rnn_peer.py), so each gets the same start and its own peak memory; the two alternate
// (ours, torch, ours, torch, ...) for each shape so that background load hits both alike. Each
// child takes the median of its timed steps after one warm-up step; the table shows the median
// over rounds. Peak memory is the growth of the resident set during the steps (maxRSS after the
// steps minus the resident size before the first one), which counts the whole training step:
// saved activations, gradients and (for us) garbage the JS heap has not collected yet.
// TensorFlow.js (@tensorflow/tfjs, wasm backend, bench/_rnn_tfjs.js) runs the first shape at one
// thread (its wasm backend is single-threaded in Node), one round: a step takes seconds there.
// Writes the "## RNN" section of bench/RESULTS.md unless --no-write.
'use strict';
const { arg, flag, checkOptions, cpuModel, writeResultsSection } = require('./_common');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

function rssKb() {
  try {
    const pages = Number(fs.readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
    return (pages * 4096) / 1024;
  } catch {
    return process.memoryUsage().rss / 1024;
  }
}

// --child '{"cell","B","T","I","H","threads","minSeconds"}': time our step, print JSON.
function child(spec) {
  const tk = require('..');
  const { cell, B, T, I, H, threads, minSeconds } = spec;
  tk.setNumThreads(threads);
  const m = new tk.nn[cell]({ inputSize: I, hiddenSize: H, batchFirst: false, seed: 1 });
  const x = tk.randn([T, B, I], { seed: 2 }).setRequiresGrad(true);
  const step = () => {
    m.zeroGrad();
    x.grad = null;
    const { output } = m.forward(x);
    tk.sum(output).backward();
    // --gc-peak: the step's own working set, without earlier steps' garbage (global.gc needs
    // node --expose-gc).
    if (spec.gcEachStep) global.gc();
  };
  const before = rssKb();
  step();
  const times = [];
  const start = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  while (times.length < (spec.steps ?? 3) || (elapsed() < minSeconds && times.length < 30)) {
    const t0 = process.hrtime.bigint();
    step();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const peakKb = process.resourceUsage().maxRSS;
  console.log(
    JSON.stringify({ ms: times[times.length >> 1], reps: times.length, peak_mb: Math.max(0, peakKb - before) / 1024 }),
  );
}

const fmt = (x, d = 1) => (x === undefined || x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Peak resident growth of our step over 30 steps, collected lazily (as the table measures it) and with
// a full collection after each step, for every shape and cell, on one thread count.
function gcPeak() {
  const threads = Number(arg('threads', '2').split(',')[0]);
  console.log(`| cell | B | T | I | H | peak MB (GC at V8's pace) | peak MB (GC after each step) |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const cell of arg('cells', 'LSTM,GRU').split(',')) {
    for (const [B, T, I, H] of [
      [32, 64, 128, 256],
      [64, 128, 256, 512],
      [16, 256, 64, 128],
      [1, 512, 128, 128],
    ]) {
      const peaks = [false, true].map((gcEachStep) => {
        const spec = { cell, B, T, I, H, threads, minSeconds: 0, steps: 30, gcEachStep };
        const r = spawnSync(process.execPath, ['--expose-gc', __filename, '--child', JSON.stringify(spec)], {
          encoding: 'utf8',
          env: { ...process.env, TEXTKERNELS_NUM_THREADS: String(threads) },
        });
        if (r.status !== 0) throw new Error(r.stderr.slice(-2000));
        return JSON.parse(r.stdout.trim().split('\n').pop()).peak_mb;
      });
      console.log(`| ${cell} | ${B} | ${T} | ${I} | ${H} | ${peaks[0].toFixed(1)} | ${peaks[1].toFixed(1)} |`);
    }
  }
}

function main() {
  if (flag('gc-peak')) return gcPeak();
  const quick = flag('quick');
  const threadCounts = arg('threads', '1,2').split(',').map(Number);
  const cells = arg('cells', 'LSTM,GRU').split(',');
  const rounds = Number(arg('rounds', quick ? '1' : '2'));
  const minSeconds = Number(arg('min-seconds', quick ? '0.3' : '1'));
  const python = arg('python', process.env.PYTHON || '/tmp/torch-env/bin/python');
  const write = !flag('no-write');
  const withTfjs = !flag('no-tfjs');
  const shapes = quick
    ? [
        [32, 64, 128, 256],
        [1, 512, 128, 128],
      ]
    : [
        [32, 64, 128, 256],
        [64, 128, 256, 512],
        [16, 256, 64, 128],
        [1, 512, 128, 128],
      ];
  let tk;
  try {
    tk = require('..');
  } catch (err) {
    console.error(`bench/rnn: could not load the package (${err.message}).\nRun \`npm run build:ts\` first.`);
    process.exit(1);
  }
  const info = tk.backend();
  const load = os.loadavg();
  const started = new Date();
  let torchInfo = null;
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;

  const runOurs = (spec) => {
    const r = spawnSync(process.execPath, [__filename, '--child', JSON.stringify(spec)], {
      encoding: 'utf8',
      env: { ...env, TEXTKERNELS_NUM_THREADS: String(spec.threads) },
      maxBuffer: 1 << 24,
    });
    if (r.status !== 0) {
      console.error(`bench/rnn: our child failed: ${r.stderr.slice(-2000)}`);
      return null;
    }
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };
  const runTorch = (spec) => {
    const penv = { ...env, OMP_NUM_THREADS: String(spec.threads), MKL_NUM_THREADS: String(spec.threads) };
    const r = spawnSync(
      python,
      [
        path.join(__dirname, '_rnn_peer.py'),
        spec.cell,
        ...[spec.B, spec.T, spec.I, spec.H, spec.threads].map(String),
        String(spec.minSeconds),
      ],
      { encoding: 'utf8', env: penv, maxBuffer: 1 << 24 },
    );
    if (r.status !== 0) {
      console.error(`bench/rnn: torch peer failed (${python}): ${r.error ? r.error.message : r.stderr.slice(-2000)}`);
      return null;
    }
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    torchInfo = out.info;
    return out;
  };

  const runTfjs = (spec) => {
    const r = spawnSync(
      process.execPath,
      [
        path.join(__dirname, '_rnn_tfjs.js'),
        spec.cell,
        ...[spec.B, spec.T, spec.I, spec.H].map(String),
        String(spec.minSeconds),
        'wasm',
      ],
      { encoding: 'utf8', env, maxBuffer: 1 << 24 },
    );
    if (r.status !== 0) {
      console.error(`bench/rnn: TensorFlow.js peer failed: ${r.error ? r.error.message : r.stderr.slice(-2000)}`);
      return null;
    }
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };

  const sections = [];
  const allRatios = [];
  const tfjsRows = [];
  let tfjsInfo = null;
  for (const threads of threadCounts) {
    const rows = [];
    for (const cell of cells) {
      for (const [B, T, I, H] of shapes) {
        const spec = { cell, B, T, I, H, threads, minSeconds };
        const ours = [];
        const theirs = [];
        for (let r = 0; r < rounds; r++) {
          console.error(`threads ${threads} ${cell} (${B}, ${T}, ${I}, ${H}) round ${r + 1}: ours...`);
          ours.push(runOurs(spec));
          console.error(`threads ${threads} ${cell} (${B}, ${T}, ${I}, ${H}) round ${r + 1}: torch...`);
          theirs.push(runTorch(spec));
        }
        const o = median(ours.map((x) => (x ? x.ms : NaN)));
        if (withTfjs && threads === 1 && B === shapes[0][0] && T === shapes[0][1] && I === shapes[0][2]) {
          console.error(`threads 1 ${cell} (${B}, ${T}, ${I}, ${H}): TensorFlow.js (wasm)...`);
          const tfr = runTfjs(spec);
          if (tfr) {
            tfjsInfo = tfr;
            tfjsRows.push(
              `| ${cell} | ${B} | ${T} | ${I} | ${H} | ${fmt(o)} | ${fmt(tfr.ms)} | ${fmt(tfr.ms / o, 1)} |`,
            );
            console.log(tfjsRows[tfjsRows.length - 1]);
          }
        }
        const t = median(theirs.map((x) => (x ? x.ms : NaN)));
        const om = median(ours.map((x) => (x ? x.peak_mb : NaN)));
        const tm = median(theirs.map((x) => (x ? x.peak_mb : NaN)));
        // Useful work: forward 2*T*B*(I+H)*G*H multiply-adds*2, backward about twice that.
        const G = cell === 'LSTM' ? 4 : 3;
        const gflop = (3 * 2 * T * B * (I + H) * G * H) / 1e9;
        allRatios.push({ threads, cell, shape: [B, T, I, H], ratio: t / o });
        rows.push(
          `| ${cell} | ${B} | ${T} | ${I} | ${H} | ${fmt(o)} | ${fmt(t)} | ${fmt(t / o, 2)} | ${fmt(gflop / (o / 1e3))} | ${fmt(gflop / (t / 1e3))} | ${fmt(om, 0)} | ${fmt(tm, 0)} |`,
        );
        console.log(rows[rows.length - 1]);
      }
    }
    sections.push(
      [
        `### ${threads} thread${threads > 1 ? 's' : ''}`,
        '',
        'One training step (forward + backward) of one layer, time-major; ms = median; speed-up = torch ms / ours ms;',
        'GFLOP/s counts 3 x the forward GEMM work; peak MB = resident-set growth during the steps.',
        '',
        '| cell | B | T | I | H | ours ms | torch ms | speed-up | ours GFLOP/s | torch GFLOP/s | ours peak MB | torch peak MB |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
        ...rows,
      ].join('\n'),
    );
  }
  if (tfjsRows.length) {
    sections.push(
      [
        '### Against TensorFlow.js',
        '',
        `One training step as above, 1 thread; TensorFlow.js ${tfjsInfo.version}, wasm backend (${tfjsInfo.threads} thread),`,
        'tf.layers.lstm / gru with returnSequences, gradients by tf.variableGrads for the input and every weight;',
        'TF.js ms is the median of its steps in one child process; speed-up = TF.js ms / ours ms.',
        '',
        '| cell | B | T | I | H | ours ms | TF.js ms | speed-up |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
        ...tfjsRows,
      ].join('\n'),
    );
  }
  const header = [
    '## RNN',
    '',
    `Machine: ${cpuModel()}, ${os.cpus().length} logical CPUs; our SIMD level ${info.simd}; threads ${threadCounts.join(' and ')}.`,
    `Peer: ${torchInfo ? `${torchInfo.version} (oneDNN ${torchInfo.mkldnn ? 'available' : 'unavailable'})` : 'torch unavailable'}; ${tfjsRows.length ? `TensorFlow.js ${tfjsInfo.version} (wasm) on the first shape, 1 thread` : 'TensorFlow.js not measured'}.`,
    `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')}, load average before the run ${load.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min).`,
    `Command: \`npm run build:ts && npm run bench -- rnn${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}\` ` +
      `(each figure the median over ${rounds} round${rounds > 1 ? 's' : ''} of alternating child processes; torch via ${python}).`,
    '',
    'What is measured: tk.nn.LSTM / GRU (the fused native layer: one input-projection GEMM, then per step the',
    'recurrent product against W_hh packed once per call and one fused pointwise pass; backward in reverse with',
    'large GEMMs for the weight gradients) against torch.nn.LSTM / GRU, which on this CPU runs oneDNN for the',
    'LSTM (its AVX2 path: the machine has no AVX-512) and a generic per-step path for the GRU.',
    '',
  ].join('\n');
  const section = header + '\n' + sections.join('\n\n') + '\n';
  if (write) {
    writeResultsSection('RNN', section);
  }
}

const ci = process.argv.indexOf('--child');
if (ci >= 0) child(JSON.parse(process.argv[ci + 1]));
else {
  checkOptions(__filename);
  main();
}

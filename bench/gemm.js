#!/usr/bin/env node
// GEMM benchmark: our SGEMM (the native sgemm export, and tk.matmul on tensors) against numpy on
// its BLAS (OpenBLAS) and PyTorch CPU, on the same thread counts, in one run.
//
//   npm run build:ts && npm run bench -- gemm [--threads 1,2] [--quick] [--min-seconds 0.15] [--rounds 2]
//                                              [--python /tmp/torch-env/bin/python] [--no-write]
//
// require('..') resolves the package's main entry, dist/index.js, so build the TypeScript first
// (`npm run build:ts`) and the addon (`npm run build:native`). The Python peers
// (bench/_gemm_peer.py) run as child processes with OPENBLAS_NUM_THREADS / OMP_NUM_THREADS /
// MKL_NUM_THREADS set to the thread count and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from
// their environment, so OpenBLAS picks its own kernel for this CPU. Each figure is the median of
// the timed repetitions (at least 3, for at least --min-seconds) after two warm-up calls; the
// whole comparison runs --rounds times and each library keeps its better round per shape. Writes the "## GEMM" section of
// bench/RESULTS.md unless --no-write.
'use strict';
const { arg, flag, checkOptions, cpuModel, writeResultsSection } = require('./_common');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

checkOptions(__filename);

let tk;
let native;
try {
  tk = require('..');
  native = require('../dist/native').native;
} catch (err) {
  console.error(
    `bench/gemm: could not load the package (${err.message}).\nRun \`npm run build:ts\` (and \`npm run build:native\`) first.`,
  );
  process.exit(1);
}

const quick = flag('quick');
const threadCounts = arg('threads', '1,2').split(',').map(Number);
const minSeconds = Number(arg('min-seconds', quick ? '0.1' : '0.15'));
const rounds = Number(arg('rounds', quick ? '1' : '2'));
const python = arg('python', process.env.PYTHON || '/tmp/torch-env/bin/python');
const write = !flag('no-write');

const squares = (quick ? [64, 256, 1024] : [64, 128, 256, 512, 1024, 2048]).map((s) => [s, s, s]);
const skinny = [];
for (const m of quick ? [32, 128] : [32, 64, 128])
  for (const k of quick ? [256, 1024] : [128, 256, 512, 1024])
    for (const n of quick ? [1024, 4096] : [512, 1024, 2048, 4096]) skinny.push([m, n, k]);
const shapes = [...squares, ...skinny];

const gflops = ([m, n, k], seconds) => (2 * m * n * k) / seconds / 1e9;

function median(fn) {
  fn();
  fn();
  const times = [];
  const start = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  while (times.length < 3 || (elapsed() < minSeconds && times.length < 50)) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

function randomData(n, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function runOurs(threads) {
  tk.setNumThreads(threads);
  const out = {};
  for (const shape of shapes) {
    const [m, n, k] = shape;
    const A = randomData(m * k, 1);
    const B = randomData(k * n, 2);
    const C = new Float32Array(m * n);
    const direct = median(() => native.sgemm(false, false, m, n, k, 1, A, 0, k, B, 0, n, 0, C, 0, n));
    const a = new tk.Tensor(A, [m, k]);
    const b = new tk.Tensor(B, [k, n]);
    const viaMatmul = median(() => tk.matmul(a, b));
    out[shape.join('x')] = { direct, matmul: viaMatmul };
  }
  return out;
}

function runPeer(lib, threads) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  env.OPENBLAS_NUM_THREADS = String(threads);
  env.OMP_NUM_THREADS = String(threads);
  env.MKL_NUM_THREADS = String(threads);
  const r = spawnSync(
    python,
    [path.join(__dirname, '_gemm_peer.py'), lib, String(threads), JSON.stringify(shapes), String(minSeconds)],
    { env, encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) {
    console.error(`bench/gemm: ${lib} peer failed (${python}): ${r.error ? r.error.message : r.stderr.slice(-2000)}`);
    return null;
  }
  const parsed = JSON.parse(r.stdout.trim().split('\n').pop());
  const out = {};
  for (const x of parsed.results) out[x.shape.join('x')] = x.seconds;
  return { info: parsed.info, times: out };
}

const fmt = (x, d = 1) => (x === undefined || x === null || !Number.isFinite(x) ? '—' : x.toFixed(d));

function main() {
  const info = tk.backend();
  const load = os.loadavg();
  const started = new Date();
  const sections = [];
  const peerInfo = {};
  for (const threads of threadCounts) {
    // Whole rounds of (ours, numpy, torch), keeping each shape's best round: on a shared machine a
    // burst of load then costs one round of one library, not the comparison.
    let ours = null;
    let np = null;
    let th = null;
    const best = (x, y) => (x === null || x === undefined ? y : y === null || y === undefined ? x : Math.min(x, y));
    for (let r = 0; r < rounds; r++) {
      console.error(`threads ${threads}, round ${r + 1}/${rounds}: ours, numpy, torch...`);
      const o = runOurs(threads);
      const n = runPeer('numpy', threads);
      const t = runPeer('torch', threads);
      if (!ours) ours = o;
      else
        for (const key of Object.keys(o))
          for (const v of ['direct', 'matmul']) ours[key][v] = best(ours[key][v], o[key][v]);
      for (const [acc, cur, set] of [
        [np, n, (v) => (np = v)],
        [th, t, (v) => (th = v)],
      ]) {
        if (!cur) continue;
        if (!acc) set(cur);
        else for (const key of Object.keys(cur.times)) acc.times[key] = best(acc.times[key], cur.times[key]);
      }
    }
    if (np) peerInfo.numpy = np.info;
    if (th) peerInfo.torch = th.info;
    const rows = [];
    const ratios = { np: [], th: [] };
    for (const shape of shapes) {
      const key = shape.join('x');
      const o = gflops(shape, ours[key].direct);
      const om = gflops(shape, ours[key].matmul);
      const n = np ? gflops(shape, np.times[key]) : NaN;
      const t = th ? gflops(shape, th.times[key]) : NaN;
      const kind = shape[0] === shape[1] && shape[1] === shape[2] ? 'square' : 'skinny';
      ratios.np.push([kind, o / n]);
      ratios.th.push([kind, o / t]);
      rows.push(
        `| ${shape[0]} | ${shape[1]} | ${shape[2]} | ${fmt(o)} | ${fmt(om)} | ${fmt(n)} | ${fmt(t)} | ${fmt(o / n, 2)} | ${fmt(o / t, 2)} |`,
      );
    }
    const geo = (list, kind) => {
      const xs = list.filter(([k, r]) => k === kind && Number.isFinite(r)).map(([, r]) => r);
      return xs.length ? Math.exp(xs.reduce((s, r) => s + Math.log(r), 0) / xs.length) : NaN;
    };
    const summary =
      `Geometric means, ours/numpy: squares ${fmt(geo(ratios.np, 'square'), 2)}, skinny ${fmt(geo(ratios.np, 'skinny'), 2)}; ` +
      `ours/torch: squares ${fmt(geo(ratios.th, 'square'), 2)}, skinny ${fmt(geo(ratios.th, 'skinny'), 2)}.`;
    const table = [
      `### ${threads} thread${threads > 1 ? 's' : ''}`,
      '',
      `GFLOP/s (2·M·N·K / median time; the better of ${rounds} round${rounds > 1 ? 's' : ''}), C[M, N] = A[M, K] @ B[K, N], float32, row-major.`,
      '',
      '| M | N | K | ours (sgemm) | ours (tk.matmul) | numpy/OpenBLAS | torch | ours/numpy | ours/torch |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      summary,
    ].join('\n');
    console.log(table + '\n');
    sections.push(table);
  }
  const header = [
    '## GEMM',
    '',
    `Machine: ${cpuModel()}, ${os.cpus().length} logical CPUs; our SIMD level ${info.simd} (kernel ${native.gemmKernelName()}); threads ${threadCounts.join(' and ')}.`,
    `Peers: ${peerInfo.numpy ? peerInfo.numpy.version : 'numpy unavailable'}${peerInfo.numpy && peerInfo.numpy.blas_config ? ` (${peerInfo.numpy.blas_config.trim()})` : ''}; ${peerInfo.torch ? peerInfo.torch.version : 'torch unavailable'}.`,
    `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')}, load average before the run ${load.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min).`,
    `Command: \`npm run build:ts && npm run bench -- gemm${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}\` ` +
      `(Python peers: ${python}, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, OPENBLAS/OMP/MKL_NUM_THREADS = threads).`,
    '',
  ].join('\n');
  const notes = [
    '',
    'Notes: "ours (sgemm)" calls the native export on preallocated buffers; "ours (tk.matmul)" includes',
    'allocating the output tensor. numpy and torch write into preallocated outputs (`out=`). Ratios are',
    'ours (sgemm) / peer, > 1 means ours is faster. On a CPU without AVX-512, OpenBLAS and MKL run their',
    'AVX2 kernels, the same instruction set as ours, so parity rather than a large lead is the expected',
    'outcome for large squares.',
  ].join('\n');
  const section = header + '\n' + sections.join('\n\n') + '\n' + notes + '\n';
  if (write) {
    writeResultsSection('GEMM', section);
  }
}

main();

#!/usr/bin/env node
// Attention benchmark: our fused scaled-dot-product attention (forward, and forward + backward)
// against PyTorch CPU's scaled_dot_product_attention on the same thread count, in interleaved
// rounds (ours, torch, ours, torch, ...) because the machine may be shared; the peak memory of one
// causal forward + backward at growing T, each in its own child process; and one training step of
// a TransformerEncoderLayer.
//
//   npm run build:ts && npm run bench -- attention [--threads 2] [--rounds 3] [--min-seconds 1]
//                                                   [--quick] [--python PATH] [--no-write]
//
// Writes the "## Attention" section of bench/RESULTS.md unless --no-write.
'use strict';
const { arg, flag, checkOptions, cpuModel, writeResultsSection } = require('./_common');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const tk = require('..');

function median(fn, minSeconds) {
  fn();
  fn();
  const times = [];
  const start = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  while (times.length < 3 || (elapsed() < minSeconds && times.length < 30)) {
    const t0 = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

// ---- child modes -----------------------------------------------------------------------------------

if (process.argv[2] === '--child-mem') {
  // One causal forward + backward at [B, H, T, D]; prints peak RSS before and after (KiB).
  const [B, H, T, D, threads] = process.argv.slice(3, 8).map(Number);
  tk.setNumThreads(threads);
  // Inputs filled in place (no temporaries), so the baseline peak is the inputs themselves.
  const make = (s) => {
    const d = new Float32Array(B * H * T * D);
    for (let i = 0; i < d.length; i++) d[i] = Math.sin(i * 0.37 + s);
    return new tk.Tensor(d, [B, H, T, D]);
  };
  const q = make(1).setRequiresGrad();
  const k = make(2).setRequiresGrad();
  const v = make(3).setRequiresGrad();
  const g = make(4);
  // VmHWM is this process's own high-water mark; maxRSS also counts the parent's resident set at
  // fork time (Linux keeps it across exec), which is the benchmark's main process with its tensors.
  const peakKib = () => {
    const m = /VmHWM:\s*(\d+)/.exec(
      fs.existsSync('/proc/self/status') ? fs.readFileSync('/proc/self/status', 'utf8') : '',
    );
    return m ? Number(m[1]) : process.resourceUsage().maxRSS;
  };
  const base = peakKib();
  tk.nn.functional.scaledDotProductAttention(q, k, v, { isCausal: true }).backward(g);
  console.log(JSON.stringify({ base_kib: base, peak_kib: peakKib() }));
  process.exit(0);
}

// ---- main ------------------------------------------------------------------------------------------

checkOptions(__filename);

const quick = flag('quick');
const threads = Number(arg('threads', String(Math.min(2, os.cpus().length))));
const rounds = Number(arg('rounds', quick ? '1' : '3'));
const minSeconds = Number(arg('min-seconds', quick ? '0.3' : '1'));
const python = arg('python', process.env.PYTHON || '/tmp/torch-env/bin/python');
const write = !flag('no-write');
const shapes = [
  [8, 8, 256, 64, 1],
  [8, 8, 256, 64, 0],
  [4, 8, 1024, 64, 1],
  [4, 8, 1024, 64, 0],
];
const memT = [1024, 2048, 4096];
const layerCfg = { B: 32, T: 128, dModel: 256, nhead: 4, dff: 1024 };

function peer(args) {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const r = spawnSync(python, [path.join(__dirname, '_attention_peer.py'), ...args.map(String)], {
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`torch peer failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function oursSdpa([B, H, T, D, causal]) {
  const q = tk.randn([B, H, T, D], { seed: 1 }).setRequiresGrad();
  const k = tk.randn([B, H, T, D], { seed: 2 }).setRequiresGrad();
  const v = tk.randn([B, H, T, D], { seed: 3 }).setRequiresGrad();
  const g = tk.randn([B, H, T, D], { seed: 4 });
  const opts = { isCausal: causal === 1 };
  const f = tk.nn.functional.scaledDotProductAttention;
  const fwd = median(() => tk.noGrad(() => f(q, k, v, opts)), minSeconds);
  const step = median(() => {
    q.grad = k.grad = v.grad = null;
    f(q, k, v, opts).backward(g);
  }, minSeconds);
  return { fwd, step };
}

function oursLayer() {
  const { B, T, dModel, nhead, dff } = layerCfg;
  const layer = new tk.nn.TransformerEncoderLayer({ dModel, nhead, dimFeedforward: dff, dropout: 0.1, seed: 1 });
  const opt = new tk.optim.SGD(layer.parameters(), { lr: 1e-3 });
  const x = tk.randn([B, T, dModel], { seed: 2 });
  const g = tk.randn([B, T, dModel], { seed: 3 });
  return median(() => {
    opt.zeroGrad();
    layer.forward(x).backward(g);
    opt.step();
  }, minSeconds);
}

const ms = (s) => (s * 1e3).toFixed(1);
const gmean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

function main() {
  const started = new Date();
  const load = os.loadavg();
  tk.setNumThreads(threads);
  const ours = shapes.map(() => []);
  const theirs = shapes.map(() => []);
  let torchVersion = '';
  for (let r = 0; r < rounds; r++) {
    shapes.forEach((s, i) => ours[i].push(oursSdpa(s)));
    const p = peer(['sdpa', threads, JSON.stringify(shapes), minSeconds]);
    torchVersion = p.version;
    p.results.forEach((x, i) => theirs[i].push(x));
    console.error(`round ${r + 1}/${rounds} done`);
  }
  const rows = shapes.map((s, i) => {
    const best = (xs, key) => Math.min(...xs.map((x) => x[key]));
    const stepRatios = ours[i].map((o, r) => theirs[i][r].step / o.step);
    const fwdRatios = ours[i].map((o, r) => theirs[i][r].fwd / o.fwd);
    return {
      shape: `(${s.slice(0, 4).join(', ')})${s[4] ? ' causal' : ''}`,
      oursFwd: best(ours[i], 'fwd'),
      torchFwd: best(theirs[i], 'fwd'),
      oursStep: best(ours[i], 'step'),
      torchStep: best(theirs[i], 'step'),
      fwdRatio: gmean(fwdRatios),
      stepRatio: gmean(stepRatios),
      stepRange: [Math.min(...stepRatios), Math.max(...stepRatios)],
    };
  });

  // Peak memory: each T in a fresh child process, ours and torch's.
  const mem = memT.map((T) => {
    const o = spawnSync(process.execPath, [__filename, '--child-mem', 1, 8, T, 64, threads], { encoding: 'utf8' });
    if (o.status !== 0) throw new Error(`memory child failed: ${o.stderr}`);
    const om = JSON.parse(o.stdout.trim());
    const pm = peer(['mem', threads, 1, 8, T, 64]);
    return { T, ours: om, torch: pm };
  });

  // Encoder layer training step, interleaved.
  const lo = [];
  const lt = [];
  const { B, T, dModel, nhead, dff } = layerCfg;
  for (let r = 0; r < rounds; r++) {
    lo.push(oursLayer());
    lt.push(peer(['layer', threads, B, T, dModel, nhead, dff, minSeconds]).step);
  }

  const table = [
    '| (B, heads, T, d) | ours fwd ms | torch fwd ms | fwd speed-up | ours fwd+bwd ms | torch fwd+bwd ms | fwd+bwd speed-up (range over rounds) |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.shape} | ${ms(r.oursFwd)} | ${ms(r.torchFwd)} | ${r.fwdRatio.toFixed(2)}x | ${ms(r.oursStep)} | ${ms(r.torchStep)} | ${r.stepRatio.toFixed(2)}x (${r.stepRange.map((x) => x.toFixed(2)).join('-')}) |`,
    ),
  ].join('\n');
  const mib = (k) => (k / 1024).toFixed(0);
  const memTable = [
    "| T | ours peak RSS MiB (growth over inputs) | torch peak RSS MiB (growth) | output + lse + 3 gradients MiB (linear) | the 8 heads' T x T probabilities would be MiB |",
    '|---:|---:|---:|---:|---:|',
    ...mem.map(
      (m) =>
        `| ${m.T} | ${mib(m.ours.peak_kib)} (+${mib(m.ours.peak_kib - m.ours.base_kib)}) | ${mib(m.torch.peak_kib)} (+${mib(m.torch.peak_kib - m.torch.base_kib)}) | ${((4 * 8 * m.T * 64 * 4 + 8 * m.T * 4) / 2 ** 20).toFixed(0)} | ${((8 * m.T * m.T * 4) / 2 ** 20).toFixed(0)} |`,
    ),
  ].join('\n');
  const layerLine =
    `TransformerEncoderLayer training step (forward, backward, SGD; B=${B}, T=${T}, d_model=${dModel}, ${nhead} heads, ` +
    `dim_feedforward=${dff}, dropout 0.1, post-norm, ReLU): ours ${ms(Math.min(...lo))} ms, torch ${ms(Math.min(...lt))} ms ` +
    `(best of ${rounds} rounds; speed-up ${gmean(lo.map((o, i) => lt[i] / o)).toFixed(2)}x, geometric mean of interleaved rounds).`;
  const info = require('../dist/native').native.backendInfo();
  const header = [
    '## Attention',
    '',
    `Machine: ${cpuModel()}, ${os.cpus().length} logical CPUs; SIMD level ${info.simd}; ${threads} threads for both libraries. Peer: ${torchVersion}.`,
    `Run ${started.toISOString().replace(/\.\d+Z$/, 'Z')}, load average before the run ${load.map((x) => x.toFixed(2)).join(' / ')} (1/5/15 min). ` +
      (load[0] > os.cpus().length
        ? 'The machine was busy (load above its core count): absolute times are noisy. '
        : '') +
      'Speed-ups are geometric means of interleaved rounds (ours, torch, ours, torch, ...).',
    `Command: \`npm run build:ts && npm run bench -- attention${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}\`. Times are the best of ${rounds} rounds of medians; speed-up = torch time / our time.`,
    '',
  ].join('\n');
  const section = [
    header,
    'Scaled dot-product attention, float32, q = k = v shape; fwd+bwd = forward then backward of all three inputs:',
    '',
    table,
    '',
    "Peak memory of one causal forward + backward at (B, heads, d) = (1, 8, 64), each T in a fresh process (VmHWM, the process's own high-water mark; growth = peak minus the high-water mark after allocating the inputs):",
    '',
    memTable,
    '',
    layerLine,
    '',
    'Notes: read the speed-ups (interleaved rounds) rather than the absolute times. Our kernel is FlashAttention-2 style on tiles of',
    '64 queries x 128 keys (forward) and 64 x 64 (backward), with unpacked AVX2 tile products (no packing, no transposes of P or dS); the backward parallelises over',
    '(batch, head), and also over chunks of keys when there are fewer than 8 heads in all (not the case in these shapes). Key rows of at most 512 are taken whole per',
    'query tile, and in training the probabilities are kept for the backward (B*H*Tq*Tk floats, up to a budget of 2^24 by default: setAttentionProbsBudget), which then',
    'skips one of its five tile products and all of its exp(); the T = 256 rows use this, the T = 1024 rows and the memory table recompute. The memory table shows no',
    "T x T term: growth over the inputs stays at the size of the outputs and gradients; torch's own kernel is also linear in T.",
    '',
  ].join('\n');
  console.log(section);
  if (write) {
    writeResultsSection('Attention', section);
  }
}

main();

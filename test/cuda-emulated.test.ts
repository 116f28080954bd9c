// Every CUDA kernel in cuda/*.cu, run by the emulator (cuda/emu/, docs/CUDA.md "The emulator")
// against the CPU kernels of the main addon on the same inputs, under several thread orders and
// both guard-page alignments; then deliberately broken copies of the sources, which must fail.
//
// The emulated addon is built here (test/cuda-emu/build.js into build-emulated/, incremental) when
// missing or stale. Adding a kernel file cuda/<op>.cu means adding test/cuda-emu/launchers/<op>.cc
// and one describe block below (or, for kernels the library calls, a device binding in cuda/binding/
// and its test/cuda-device-*.test.ts); the build picks both up by name.
import * as fs from 'fs';
import * as path from 'path';

import { native } from '../lib/native';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const emuBuild = require('./cuda-emu/build.js') as {
  build(opts?: { variant?: string; overrides?: Record<string, string> }): Promise<string>;
  hasCompiler(): boolean;
  rewrite(text: string, rel: string): string;
  ROOT: string;
};

type Fn = (...args: unknown[]) => unknown;
interface EmuStats {
  launches: number;
  blocks: number;
  threads: number;
  switches: number;
  barriers: number;
  warpSyncs: number;
  atomics: number;
}
interface EmuControl {
  configure(c: {
    seed?: number;
    alignEnd?: boolean;
    shuffleBlocks?: boolean;
    atomicYield?: number;
    timeoutMs?: number;
  }): void;
  stats(): EmuStats;
  resetStats(): void;
}
// The control functions, and one launcher per kernel (test/cuda-emu/launchers/*.cc).
type EmuAddon = EmuControl & Record<string, Fn>;

const cpu = native as unknown as Record<string, Fn>;
const compilerPresent = emuBuild.hasCompiler();
if (!compilerPresent) {
  console.log('cuda-emulated: SKIPPED: no C++ compiler (g++ or $CXX) to build the emulated CUDA kernels');
}
const suite = compilerPresent ? describe : describe.skip;

// Thread orders (cuda/emu/runtime.cc): seed 0 runs the lowest ready thread first (each thread, and
// so each warp, as far as it can), 1 the highest, odd seeds by random per-thread priorities, even
// seeds a random ready thread at every switch (near lockstep); the random ones also permute blocks
// and switch after atomics. Guard placements: alignEnd buffers end at a guard page, else start
// right after one.
const ORDERS = [
  { seed: 0, alignEnd: true },
  { seed: 1, alignEnd: false },
  { seed: 7, alignEnd: true },
  { seed: 4242, alignEnd: false },
];

function loadAddon(file: string): EmuAddon {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as EmuAddon;
}

function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((hi - lo) * (s >>> 8)) / 16777216;
  }
  return out;
}

// The first element outside atol + rtol * |want| (NaN must meet NaN, infinities must be equal), or null.
function mismatch(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  atol: number,
  rtol: number,
): { i: number; got: number; want: number } | null {
  if (got.length !== want.length) return { i: -1, got: got.length, want: want.length };
  for (let i = 0; i < want.length; ++i) {
    const g = got[i],
      w = want[i];
    if (
      Number.isNaN(w) ? Number.isNaN(g) : !Number.isFinite(w) ? g === w : Math.abs(g - w) <= atol + rtol * Math.abs(w)
    )
      continue;
    return { i, got: g, want: w };
  }
  return null;
}

function expectMatch(label: string, got: ArrayLike<number>, want: ArrayLike<number>, atol = 1e-5, rtol = 1e-5) {
  const m = mismatch(got, want, atol, rtol);
  if (m) throw new Error(`${label}: element ${m.i} is ${m.got}, the CPU gives ${m.want} (atol ${atol}, rtol ${rtol})`);
}

// Runs fn under every order; fn gets a label naming the order.
function underOrders(emu: EmuAddon, fn: (label: string) => void, extra: { shuffleBlocks?: boolean } = {}) {
  for (const o of ORDERS) {
    emu.configure({ ...o, shuffleBlocks: extra.shuffleBlocks ?? true });
    fn(`seed ${o.seed}, ${o.alignEnd ? 'end' : 'start'}-aligned`);
  }
}

// ---- the cases, shared by the real and the broken builds ------------------------------------------

interface GemmCase {
  ta: boolean;
  tb: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  pad?: number; // extra elements per stored row (lda, ldb, ldc)
  batch?: number;
  nanC?: boolean;
}

// Runs one GEMM on `impl` (CPU or emulated) with arrays sized exactly to their footprint.
function runGemm(impl: Record<string, Fn>, c: GemmCase, seed: number): Float32Array {
  const pad = c.pad ?? 0;
  const batch = c.batch ?? 1;
  const aRows = c.ta ? c.k : c.m,
    aCols = c.ta ? c.m : c.k;
  const bRows = c.tb ? c.n : c.k,
    bCols = c.tb ? c.k : c.n;
  const lda = aCols + pad,
    ldb = bCols + pad,
    ldc = c.n + pad;
  const spanA = aRows > 0 ? (aRows - 1) * lda + aCols : 0;
  const spanB = bRows > 0 ? (bRows - 1) * ldb + bCols : 0;
  const spanC = c.m > 0 ? (c.m - 1) * ldc + c.n : 0;
  const a = rand(Math.max(1, spanA * batch), seed);
  const b = rand(Math.max(1, spanB * batch), seed + 1);
  const cc = rand(Math.max(1, spanC * batch), seed + 2);
  if (c.nanC) cc.fill(NaN);
  if (batch === 1) {
    impl.sgemm(
      c.ta,
      c.tb,
      c.m,
      c.n,
      c.k,
      c.alpha,
      a,
      0,
      Math.max(1, lda),
      b,
      0,
      Math.max(1, ldb),
      c.beta,
      cc,
      0,
      Math.max(1, ldc),
    );
  } else {
    impl.sgemmStridedBatched(
      c.ta,
      c.tb,
      c.m,
      c.n,
      c.k,
      c.alpha,
      a,
      0,
      lda,
      b,
      0,
      ldb,
      c.beta,
      cc,
      0,
      ldc,
      batch,
      spanA,
      spanB,
      spanC,
    );
  }
  return cc;
}

const GEMM_CASES: GemmCase[] = [
  { ta: false, tb: false, m: 1, n: 1, k: 1, alpha: 1, beta: 0 },
  { ta: false, tb: false, m: 70, n: 67, k: 33, alpha: 1, beta: 0 },
  { ta: true, tb: false, m: 65, n: 3, k: 17, alpha: 0.5, beta: 0.25, pad: 3 },
  { ta: false, tb: true, m: 5, n: 129, k: 40, alpha: -1, beta: 1 },
  { ta: true, tb: true, m: 64, n: 64, k: 16, alpha: 1, beta: 0, nanC: true },
  { ta: false, tb: false, m: 33, n: 17, k: 9, alpha: 1, beta: 0.5, batch: 3 },
  { ta: false, tb: false, m: 9, n: 7, k: 0, alpha: 1, beta: 2 },
  { ta: false, tb: false, m: 9, n: 7, k: 5, alpha: 0, beta: 0, nanC: true },
];

function gemmLabel(c: GemmCase): string {
  return `${c.ta ? 'T' : 'N'}${c.tb ? 'T' : 'N'} m=${c.m} n=${c.n} k=${c.k} alpha=${c.alpha} beta=${c.beta}${
    c.pad ? ` pad=${c.pad}` : ''
  }${c.batch ? ` batch=${c.batch}` : ''}${c.nanC ? ' C=NaN' : ''}`;
}

function checkGemm(emu: EmuAddon, c: GemmCase, order: string) {
  const want = runGemm(cpu, c, 11);
  const got = runGemm(emu, c, 11);
  expectMatch(`sgemm ${gemmLabel(c)} (${order})`, got, want, 1e-5 * Math.max(1, c.k), 1e-5);
}

const ACTIVATIONS = [
  { name: 'sigmoid', op: 0, unary: 9, fromOutput: true },
  { name: 'tanh', op: 1, unary: 8, fromOutput: true },
  { name: 'relu', op: 2, unary: 10, fromOutput: true },
  { name: 'gelu', op: 3, unary: 11, fromOutput: false },
  { name: 'gelu_tanh', op: 4, unary: 12, fromOutput: false },
  { name: 'softplus', op: 5, unary: 13, fromOutput: false },
];

function activationInput(n: number): Float32Array {
  const x = rand(n, 5, -8, 8);
  const special = [0, -0, NaN, Infinity, -Infinity, 30, -30, 1e-30, 88, -88];
  special.forEach((v, i) => {
    if (i < n) x[i] = v;
  });
  return x;
}

// tol: relative; 0 (bit for bit, forward) against the CPU's scalar path, which evaluates the same
// math/activations.h formulas with the same libm.
// Runs fn with the CPU kernels on their scalar path (the same formulas and libm as the emulated ones).
function withScalarCpu<T>(fn: () => T): T {
  const simd = (cpu.backendInfo() as { simd: string }).simd;
  cpu.setSimdLevel('sse2');
  try {
    return fn();
  } finally {
    cpu.setSimdLevel(simd);
  }
}

function checkActivation(emu: EmuAddon, a: (typeof ACTIVATIONS)[number], n: number, order: string, tol = 0) {
  const x = activationInput(n);
  const yCpu = new Float32Array(n);
  cpu.unaryForward(a.unary, yCpu, x, 1, 20);
  const y = new Float32Array(n);
  emu.activationForward(a.op, y, x);
  expectMatch(`${a.name} forward n=${n} (${order})`, y, yCpu, tol, tol);
  const inPlace = x.slice();
  emu.activationForward(a.op, inPlace, inPlace);
  expectMatch(`${a.name} forward in place n=${n} (${order})`, inPlace, yCpu, tol, tol);
  const dy = rand(n, 9);
  const dxCpu = new Float32Array(n);
  cpu.unaryBackward(a.unary, dxCpu, dy, a.fromOutput ? null : x, a.fromOutput ? yCpu : null, 1, 20);
  const dx = new Float32Array(n);
  emu.activationBackward(a.op, dx, dy, a.fromOutput ? null : x, a.fromOutput ? yCpu : null);
  // The CPU's backward kernels write some derivatives their own way (softplus: 1 ulp apart).
  const btol = Math.max(tol, 2.5e-7);
  expectMatch(`${a.name} backward n=${n} (${order})`, dx, dxCpu, btol, btol);
}

// ---- RNN -----------------------------------------------------------------------------------------

interface RnnCase {
  cell: number; // 0 LSTM, 1 GRU, 2 tanh, 3 relu
  T: number;
  B: number;
  I: number;
  H: number;
  reverse?: boolean;
  residual?: boolean;
  lengths?: number[];
  noBias?: boolean;
}

function rnnRun(impl: Record<string, Fn>, c: RnnCase, saved?: Record<string, Float32Array>) {
  const G = c.cell === 0 ? 4 : c.cell === 1 ? 3 : 1;
  const S = c.cell <= 1 ? 4 : 1;
  const lstm = c.cell === 0;
  const { T, B, I, H } = c;
  const BH = B * H;
  const x = rand(T * B * I, 21);
  const h0 = rand(BH, 22);
  const c0 = lstm ? rand(BH, 23) : null;
  const wIh = rand(G * H * I, 24, -0.5, 0.5);
  const wHh = rand(G * H * H, 25, -0.5, 0.5);
  const bIh = c.noBias ? null : rand(G * H, 26);
  const bHh = c.noBias ? null : rand(G * H, 27);
  const lengths = c.lengths ? Int32Array.from(c.lengths) : null;
  const ldy = H + 2; // strided y, as a bidirectional layer writes it
  const fwd = {
    y: new Float32Array(T * B * ldy),
    hN: new Float32Array(BH),
    cN: lstm ? new Float32Array(BH) : null,
    savedGates: new Float32Array(T * B * S * H),
    savedH: new Float32Array((T + 1) * BH),
    savedC: lstm ? new Float32Array((T + 1) * BH) : null,
  };
  const args = [c.cell, !!c.reverse, !!c.residual, T, B, I, H];
  impl.rnnForward(
    ...args,
    fwd.y,
    1,
    ldy,
    fwd.hN,
    fwd.cN,
    fwd.savedGates,
    fwd.savedH,
    fwd.savedC,
    x,
    h0,
    c0,
    wIh,
    wHh,
    bIh,
    bHh,
    lengths,
  );
  // The backward reads the CPU's saved state when given (both sides then see the same inputs). It
  // consumes savedGates (the gate gradients overwrite it), so it gets a copy: fwd.savedGates stays
  // the forward's, for the comparison, and the CPU's stays for the other side's backward.
  const sv = saved ?? { savedGates: fwd.savedGates, savedH: fwd.savedH, savedC: fwd.savedC as Float32Array };
  const dy = rand(T * B * ldy, 31);
  const bwd = {
    dx: rand(T * B * I, 32), // accumulated into
    dh0: new Float32Array(BH),
    dc0: lstm ? new Float32Array(BH) : null,
    dwIh: new Float32Array(G * H * I),
    dwHh: new Float32Array(G * H * H),
    dbIh: c.noBias ? null : new Float32Array(G * H),
    dbHh: c.noBias ? null : new Float32Array(G * H),
  };
  impl.rnnBackward(
    ...args,
    bwd.dx,
    true,
    bwd.dh0,
    bwd.dc0,
    bwd.dwIh,
    bwd.dwHh,
    bwd.dbIh,
    bwd.dbHh,
    dy,
    1,
    ldy,
    rand(BH, 33),
    lstm ? rand(BH, 34) : null,
    x,
    wIh,
    wHh,
    sv.savedGates.slice(),
    sv.savedH,
    lstm ? sv.savedC : null,
    lengths,
  );
  return { fwd, bwd };
}

function checkRnn(emu: EmuAddon, c: RnnCase, order: string) {
  const want = rnnRun(cpu, c);
  const got = rnnRun(emu, c, {
    savedGates: want.fwd.savedGates,
    savedH: want.fwd.savedH,
    savedC: want.fwd.savedC as Float32Array,
  });
  const label = `rnn cell=${c.cell} T=${c.T} B=${c.B} I=${c.I} H=${c.H}${c.reverse ? ' reverse' : ''}${
    c.residual ? ' residual' : ''
  }${c.lengths ? ' lengths' : ''} (${order})`;
  for (const [k, v] of Object.entries(want.fwd)) {
    if (v) expectMatch(`${label} ${k}`, (got.fwd as Record<string, Float32Array | null>)[k] as Float32Array, v);
  }
  for (const [k, v] of Object.entries(want.bwd)) {
    if (v)
      expectMatch(`${label} ${k}`, (got.bwd as Record<string, Float32Array | null>)[k] as Float32Array, v, 2e-5, 1e-4);
  }
}

const RNN_CASES: RnnCase[] = [
  { cell: 0, T: 4, B: 3, I: 5, H: 7, lengths: [4, 2, 3] },
  { cell: 1, T: 3, B: 2, I: 6, H: 9, reverse: true },
  { cell: 2, T: 3, B: 3, I: 4, H: 5, residual: true, noBias: true },
  { cell: 3, T: 2, B: 1, I: 3, H: 33, reverse: true, lengths: [1] },
  { cell: 0, T: 2, B: 4, I: 3, H: 70 }, // 280 units: two blocks per step kernel, several GEMM tiles
];

// ---- attention -----------------------------------------------------------------------------------

interface AttnCase {
  B: number;
  H: number;
  Tq: number;
  Tk: number;
  D: number;
  causal?: boolean;
  padding?: boolean;
  addMask?: boolean;
  p?: number;
}

function attnRun(impl: Record<string, Fn>, c: AttnCase, fwdIn?: { out: Float32Array; lse: Float32Array }) {
  const { B, H, Tq, Tk, D } = c;
  const q = rand(B * H * Tq * D, 41),
    k = rand(B * H * Tk * D, 42),
    v = rand(B * H * Tk * D, 43);
  const add = c.addMask ? rand(H * Tk, 44, -2, 0) : null;
  const maskShape = c.addMask ? [1, H, 1, Tk] : [1, 1, 1, 1];
  let kp: Uint8Array | null = null;
  if (c.padding) {
    kp = new Uint8Array(B * Tk);
    for (let j = 0; j < Tk; ++j) kp[j] = j % 3 === 1 ? 1 : 0;
    for (let j = 0; j < Tk; ++j) kp[Tk + j] = 1; // batch row 1 fully masked
  }
  const scale = 1 / Math.sqrt(D);
  const tail = [B, H, Tq, Tk, D, scale, !!c.causal, c.p ?? 0, 5, 9];
  const out = new Float32Array(B * H * Tq * D),
    lse = new Float32Array(B * H * Tq);
  impl.attentionForward(out, lse, q, k, v, add, maskShape, kp, ...tail);
  const dout = rand(B * H * Tq * D, 45);
  const dq = new Float32Array(q.length),
    dk = new Float32Array(k.length),
    dv = new Float32Array(v.length);
  const o = fwdIn ?? { out, lse };
  impl.attentionBackward(dq, dk, dv, dout, q, k, v, o.out, o.lse, add, maskShape, kp, ...tail);
  return { out, lse, dq, dk, dv };
}

function checkAttention(emu: EmuAddon, c: AttnCase, order: string) {
  const want = attnRun(cpu, c);
  const got = attnRun(emu, c, { out: want.out, lse: want.lse });
  const label = `attention B=${c.B} H=${c.H} Tq=${c.Tq} Tk=${c.Tk} D=${c.D}${c.causal ? ' causal' : ''}${
    c.padding ? ' padding' : ''
  }${c.addMask ? ' mask' : ''}${c.p ? ` p=${c.p}` : ''} (${order})`;
  expectMatch(`${label} out`, got.out, want.out, 2e-6, 1e-5);
  expectMatch(`${label} lse`, got.lse, want.lse, 2e-6, 1e-5);
  for (const k of ['dq', 'dk', 'dv'] as const) expectMatch(`${label} ${k}`, got[k], want[k], 2e-5, 1e-4);
}

const ATTN_CASES: AttnCase[] = [
  { B: 1, H: 2, Tq: 20, Tk: 37, D: 24 },
  { B: 2, H: 1, Tq: 17, Tk: 33, D: 40, causal: true, padding: true, addMask: true, p: 0.25 },
  { B: 1, H: 1, Tq: 33, Tk: 16, D: 128, causal: true }, // the largest head size, three query tiles
  { B: 1, H: 1, Tq: 1, Tk: 5, D: 1, p: 0.5 },
];

// ---- SGNS ----------------------------------------------------------------------------------------

function sgnsArgs(syn0: Float32Array, syn1: Float32Array) {
  const V = 40,
    D = 37,
    K = 5,
    window = 3;
  // A unigram table over V words with counts 1 + (w % 4) * 3: starts[w] the first slot of word w.
  const starts = new BigInt64Array(V + 1);
  for (let w = 0; w < V; ++w) starts[w + 1] = starts[w] + BigInt(1 + (w % 4) * 3);
  const tableSize = Number(starts[V]);
  const shift = 2;
  const buckets = new Int32Array((tableSize >> shift) + 1);
  for (let j = 0, w = 0; j < buckets.length; ++j) {
    const slot = BigInt(j << shift);
    while (w + 1 < V && starts[w + 1] <= slot) ++w;
    buckets[j] = w;
  }
  const centers = Int32Array.from([3, 17, 8, 25, 3, 39, 11]);
  const ctxPtr = new Int32Array(centers.length + 1);
  const ids: number[] = [];
  centers.forEach((cw, b) => {
    const n = 2 * window - (b % 3); // windows of different widths
    for (let i = 0; i < n; ++i) ids.push((cw + 1 + i * 7) % V);
    ctxPtr[b + 1] = ids.length;
  });
  return [
    syn0,
    syn1,
    D,
    centers,
    ctxPtr,
    Int32Array.from(ids),
    2 * window,
    K,
    0.025,
    12345,
    starts,
    buckets,
    shift,
    V,
    tableSize,
  ];
}

function checkSgns(emu: EmuAddon, order: string) {
  const V = 40,
    D = 37;
  const syn0 = rand(V * D, 51, -0.5, 0.5),
    syn1 = rand(V * D, 52, -0.5, 0.5);
  const r0 = syn0.slice(),
    r1 = syn1.slice();
  emu.sgnsReference(...sgnsArgs(r0, r1));
  emu.sgnsWindows(...sgnsArgs(syn0, syn1));
  expectMatch(`sgns syn0 (${order})`, syn0, r0, 1e-6, 1e-5);
  expectMatch(`sgns syn1neg (${order})`, syn1, r1, 1e-6, 1e-5);
  // The updates must have happened at all.
  expect(mismatch(syn0, rand(V * D, 51, -0.5, 0.5), 0, 0)).not.toBeNull();
}

// ---- topic losses and samplers -------------------------------------------------------------------

// Rows of non-negative values summing to 1 (the diffusion kernel's domain: topic proportions).
function simplexRows(rows: number, d: number, seed: number): Float32Array {
  const x = rand(rows * d, seed, 0, 1);
  for (let r = 0; r < rows; ++r) {
    let s = 0;
    for (let l = 0; l < d; ++l) s += x[r * d + l];
    for (let l = 0; l < d; ++l) x[r * d + l] /= s;
  }
  return x;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; ++i) m = Math.max(m, Math.abs(a[i]));
  return m;
}

interface MmdCase {
  kind: number; // 0 diffusion, 1 rbf, 2 imq (math::MmdKernelKind)
  n: number;
  m: number;
  d: number;
  h: number;
  gx: boolean;
  gy: boolean;
}

const MMD_KINDS = ['diffusion', 'rbf', 'imq'];

// n 130 and m 259 rows: 2 and 3 chunks of the kernel's 128 keys, the last ones partial; d 37.
// For the broken copies: rbf (its keys are the raw inputs, so key row n is past the end of x's
// buffer), gradients on both sides, n and m not multiples of the 128-key chunk.
const MMD_INJECT: MmdCase = { kind: 1, n: 130, m: 140, d: 21, h: 2, gx: true, gy: true };

const MMD_CASES: MmdCase[] = [
  { kind: 0, n: 130, m: 259, d: 37, h: 0.5, gx: true, gy: true },
  { kind: 0, n: 259, m: 130, d: 37, h: 0.5, gx: false, gy: false },
  { kind: 1, n: 130, m: 259, d: 37, h: 2, gx: true, gy: true },
  { kind: 1, n: 259, m: 130, d: 37, h: 2, gx: true, gy: false },
  { kind: 1, n: 130, m: 259, d: 37, h: 2, gx: false, gy: false },
  { kind: 2, n: 130, m: 259, d: 37, h: 1.5, gx: true, gy: true },
  { kind: 2, n: 259, m: 130, d: 37, h: 1.5, gx: false, gy: true },
  { kind: 2, n: 130, m: 259, d: 37, h: 1.5, gx: false, gy: false },
];

function mmdRun(impl: Record<string, Fn>, c: MmdCase) {
  const x = c.kind === 0 ? simplexRows(c.n, c.d, 61) : rand(c.n * c.d, 61);
  const y = c.kind === 0 ? simplexRows(c.m, c.d, 62) : rand(c.m * c.d, 62, -0.8, 1.2);
  const gx = c.gx ? new Float32Array(c.n * c.d) : null;
  const gy = c.gy ? new Float32Array(c.m * c.d) : null;
  const loss = impl.mmdForward(gx, gy, x, y, c.n, c.m, c.d, c.kind, c.h) as number;
  return { loss, gx, gy };
}

// Tolerances. The two sides do not reduce in the same order: the CPU gets the dot products from
// blocked sgemm tiles, sums each row's kernel values per 128 x 128 tile and accumulates the
// gradients by sgemm over a tile's 128 rows; the GPU loops over the features per key, sums per thread
// over the 128-key chunks and adds the threads in order. The CPU's AVX2 rows also evaluate exp by a
// polynomial within 2 ulp of expf (the GPU code, like the CPU's scalar rows, calls expf).
// - The loss sum_ij w_ij k_ij (k in (0, 1]) cancels (xx + yy - 2 xy) to ~1e-3 here, while
//   sum |w_ij| = 4, so a tolerance relative to the loss itself would mean nothing. The bound is
//   absolute, from that scale: even if every kernel value were off by 2 ulp (2.4e-7) in one
//   direction, the loss moves by at most 4 * 2.4e-7 ~ 1e-6. Seen: 4e-9 with the AVX2 rows, 5e-16
//   with the scalar ones. One pair of keys dropped or counted twice moves it by
//   w k >= k / (m (m - 1)) ~ 1.5e-5 k, far above 1e-6.
// - A gradient element is a float sum over the n + m keys whose terms cancel, so it is held relative
//   to the gradient's largest element: 3e-5 of it. Seen: up to 7e-6 for diffusion (its d feature /
//   dx = 0.5 / sqrt(x) reaches 500 at the clip), 2e-7 for rbf and imq; one key's share is
//   ~1 / (n + m) ~ 2.5e-3 of it.
function checkMmd(emu: EmuAddon, c: MmdCase, order: string) {
  const want = mmdRun(cpu, c);
  const got = mmdRun(emu, c);
  const label = `mmd ${MMD_KINDS[c.kind]} n=${c.n} m=${c.m} d=${c.d}${c.gx ? ' gx' : ''}${c.gy ? ' gy' : ''} (${order})`;
  expectMatch(`${label} loss`, [got.loss], [want.loss], 1e-6, 0);
  for (const k of ['gx', 'gy'] as const) {
    const w = want[k],
      g = got[k];
    if (w && g) expectMatch(`${label} ${k}`, g, w, 3e-5 * maxAbs(w), 0);
  }
}

// The Gaussian KLs: mu, logvar in [-2, 2] (exp(logvar) up to e^2), dloss per row or one broadcast
// value (stride 0). Both sides evaluate math/topics.h per element with the same (host) libm and sum
// each row in double in the same order, so they agree bit for bit (the CPU has no SIMD path here).
function checkGaussianKl(emu: EmuAddon, B: number, J: number, stride: number, order: string) {
  const mu = rand(B * J, 71, -2, 2),
    lv = rand(B * J, 72, -2, 2);
  const label = `gaussianKl B=${B} J=${J} stride=${stride} (${order})`;
  const want = new Float32Array(B),
    got = new Float32Array(B);
  cpu.gaussianKlForward(want, mu, lv, B, J);
  emu.gaussianKlForward(got, mu, lv, B, J);
  expectMatch(`${label} loss`, got, want, 0, 0);
  const dloss = stride === 1 ? rand(B, 73) : Float32Array.of(0.75);
  for (const [wmu, wlv] of [
    [true, true],
    [false, true],
    [true, false],
  ]) {
    const grads = (impl: Record<string, Fn>) => {
      const dmu = wmu ? new Float32Array(B * J) : null,
        dlv = wlv ? new Float32Array(B * J) : null;
      impl.gaussianKlBackward(dmu, dlv, dloss, mu, lv, B, J, stride, 1 / B);
      return { dmu, dlv };
    };
    const w = grads(cpu),
      g = grads(emu);
    if (w.dmu) expectMatch(`${label} dmu`, g.dmu as Float32Array, w.dmu, 0, 0);
    if (w.dlv) expectMatch(`${label} dlogvar`, g.dlv as Float32Array, w.dlv, 0, 0);
  }
}

interface GmmCase {
  B: number;
  J: number;
  K: number;
  stride: number;
  skip?: number[]; // gradients not asked for (null): 0 dz, 1 dmu, 2 dlogvar, 3 dmeans, 4 dlogvars, 5 dlogPi
}

const GMM_CASES: GmmCase[] = [
  { B: 37, J: 11, K: 1, stride: 1 },
  { B: 70, J: 9, K: 5, stride: 1 },
  { B: 19, J: 300, K: 3, stride: 0, skip: [0, 2, 4] }, // K * J = 900: several blocks of the component kernel
];

function checkGmm(emu: EmuAddon, c: GmmCase, order: string) {
  const { B, J, K } = c;
  const z = rand(B * J, 81, -2, 2),
    mu = rand(B * J, 82, -2, 2),
    lv = rand(B * J, 83, -1.5, 1),
    means = rand(K * J, 84, -1.5, 1.5),
    lvs = rand(K * J, 85, -1, 1);
  const logits = rand(K, 86, -1, 1);
  const lse = Math.log(logits.reduce((a, v) => a + Math.exp(v), 0));
  const logPi = logits.map((v) => v - lse);
  const label = `gaussianMixtureKl B=${B} J=${J} K=${K} stride=${c.stride}${c.skip ? ` skip ${c.skip}` : ''} (${order})`;
  const fwd = (impl: Record<string, Fn>) => {
    const loss = new Float32Array(B),
      logEta = new Float32Array(B * K);
    impl.gaussianMixtureKlForward(loss, logEta, z, mu, lv, means, lvs, logPi, B, J, K);
    return { loss, logEta };
  };
  const want = fwd(cpu),
    got = fwd(emu);
  // Bit for bit, as the Gaussian KL: the same per-row double sums over J and K, the same libm.
  expectMatch(`${label} loss`, got.loss, want.loss, 0, 0);
  expectMatch(`${label} logEta`, got.logEta, want.logEta, 0, 0);
  const dloss = c.stride === 1 ? rand(B, 87) : Float32Array.of(1.25);
  const bwd = (impl: Record<string, Fn>) => {
    const g = [B * J, B * J, B * J, K * J, K * J, K].map((n, i) => (c.skip?.includes(i) ? null : new Float32Array(n)));
    impl.gaussianMixtureKlBackward(...g, dloss, z, mu, lv, means, lvs, logPi, want.logEta, B, J, K, c.stride, 0.5);
    return g;
  };
  const gw = bwd(cpu),
    gg = bwd(emu);
  // dmeans, dlogvars, dlogPi are sums over the B rows, in double and in row order on both sides.
  ['dz', 'dmu', 'dlogvar', 'dmeans', 'dlogvars', 'dlogPi'].forEach((name, i) => {
    const w = gw[i];
    if (w) expectMatch(`${label} ${name}`, gg[i] as Float32Array, w, 0, 0);
  });
}

// Samples: both sides draw element i (gamma) or row r (Dirichlet) from the same Philox stream with
// the same math/topics.h code and the host libm, so they agree bit for bit. (On a GPU, device
// expf/logf may differ by an ulp, and a rejection test at its threshold could go the other way.)
function checkSamples(emu: EmuAddon, order: string) {
  for (const alpha of [0.05, 0.5, 1, 2.5, 40]) {
    const want = new Float32Array(1001),
      got = new Float32Array(1001);
    expect(emu.gammaSample(got, alpha, 1234, 5)).toBe(cpu.gammaSample(want, alpha, 1234, 5));
    expectMatch(`gammaSample alpha=${alpha} (${order})`, got, want, 0, 0);
  }
  for (const K of [1, 3, 20]) {
    const conc = Float32Array.from({ length: K }, (_, k) => 0.05 + k * 0.3);
    const rows = 300; // two blocks of 256 threads
    const want = new Float32Array(rows * K),
      got = new Float32Array(rows * K);
    expect(emu.dirichletSample(got, conc, rows, K, 99, 3)).toBe(cpu.dirichletSample(want, conc, rows, K, 99, 3));
    expectMatch(`dirichletSample K=${K} (${order})`, got, want, 0, 0);
  }
}

// ---- the tests -----------------------------------------------------------------------------------

suite('CUDA kernels under the emulator match the CPU', () => {
  let emu: EmuAddon;
  beforeAll(async () => {
    emu = loadAddon(await emuBuild.build());
  }, 600000);

  // A kernel file is run under the emulator either by a launcher here or through the library's
  // device bindings (cuda/binding/*.cc include its header), which test/cuda-device*.test.ts drive.
  it('covers every kernel file in cuda/ with a launcher or a device binding', () => {
    const kernels = fs.readdirSync(path.join(emuBuild.ROOT, 'cuda')).filter((f) => f.endsWith('.cu'));
    const launchers = fs
      .readdirSync(path.join(__dirname, 'cuda-emu', 'launchers'))
      .map((f) => f.replace(/\.cc$/, '.cu'));
    const bindingDir = path.join(emuBuild.ROOT, 'cuda', 'binding');
    const bound = fs
      .readdirSync(bindingDir)
      .filter((f) => f.endsWith('.cc'))
      .flatMap((f) => [...fs.readFileSync(path.join(bindingDir, f), 'utf8').matchAll(/#include "cuda\/(\w+)\.h"/g)])
      .map((m) => `${m[1]}.cu`);
    expect(kernels.filter((k) => !launchers.includes(k) && !bound.includes(k))).toEqual([]);
  });

  it('sgemm (tiled kernel): transposes, odd sizes, padded strides, beta, NaN in C, batches', () => {
    emu.resetStats();
    underOrders(emu, (order) => GEMM_CASES.forEach((c) => checkGemm(emu, c, order)));
    const s = emu.stats();
    expect(s.barriers).toBeGreaterThan(0); // the tiled kernel really ran block by block
  });

  it('random fills: same Philox numbers as the CPU', () => {
    for (const n of [1, 5, 1027]) {
      underOrders(emu, (order) => {
        for (const [kind, a, b] of [
          [0, -2, 3],
          [1, 0.5, 2],
          [2, 0.3, 1 / 0.7],
          [3, 0, 0],
        ]) {
          const want = kind === 3 ? new Uint32Array(n) : new Float32Array(n);
          const got = kind === 3 ? new Uint32Array(n) : new Float32Array(n);
          const blocks = cpu.randomFill(kind, want, 77, 3, a, b);
          expect(emu.randomFill(kind, got, 77, 3, a, b)).toBe(blocks);
          // Uniform, Bernoulli and uint32 bit for bit; normal within a few ulp (libm).
          expectMatch(`randomFill kind ${kind} n=${n} (${order})`, got, want, 0, kind === 1 ? 1e-6 : 0);
        }
      });
    }
  });

  it('activations forward (bit for bit with the CPU scalar path) and backward, in place too', () => {
    withScalarCpu(() =>
      underOrders(emu, (order) => {
        for (const a of ACTIVATIONS) for (const n of [1, 1000]) checkActivation(emu, a, n, order);
      }),
    );
    // The vectorised CPU kernels round a few results differently (erf/exp approximations).
    const simd = (cpu.backendInfo() as { simd: string }).simd;
    emu.configure({ seed: 0 });
    for (const a of ACTIVATIONS) checkActivation(emu, a, 1000, `seed 0, CPU ${simd}`, 1e-6);
  });

  it('rnn: LSTM, GRU, tanh, relu layers, forward and backward (step kernels + tiled GEMMs)', () => {
    underOrders(emu, (order) => RNN_CASES.forEach((c) => checkRnn(emu, c, order)));
  });

  it('attention forward and backward: odd sizes, causal, padding, float mask, dropout', () => {
    emu.resetStats();
    underOrders(emu, (order) => ATTN_CASES.forEach((c) => checkAttention(emu, c, order)));
    const s = emu.stats();
    expect(s.warpSyncs).toBeGreaterThan(0);
    expect(s.atomics).toBeGreaterThan(0);
  });

  it('sgns windows against the sequential reference', () => {
    // Blocks update shared rows without atomics (Hogwild), so they keep their order here.
    underOrders(emu, (order) => checkSgns(emu, order), { shuffleBlocks: false });
  });

  it('topic losses: MMD (diffusion, rbf, imq; several key chunks; with and without gradients)', () => {
    emu.resetStats();
    underOrders(emu, (order) => MMD_CASES.forEach((c) => checkMmd(emu, c, order)));
    expect(emu.stats().barriers).toBeGreaterThan(0);
  });

  it('topic losses: Gaussian KL and Gaussian-mixture KL, forward and backward', () => {
    underOrders(emu, (order) => {
      checkGaussianKl(emu, 300, 13, 1, order);
      checkGaussianKl(emu, 7, 50, 0, order);
      GMM_CASES.forEach((c) => checkGmm(emu, c, order));
    });
  });

  it('gamma and Dirichlet samples: bit for bit with the CPU on the same seed and offset', () => {
    underOrders(emu, (order) => checkSamples(emu, order));
  });

  it('reports an out-of-bounds access with the kernel, block, thread and buffer', () => {
    emu.configure({ seed: 0, alignEnd: true });
    // C one element too short for M x N: the tiled kernel's last store runs past its end.
    const a = rand(6 * 4, 1),
      b = rand(4 * 5, 2),
      c = new Float32Array(6 * 5 - 1);
    let err: { kind?: string; message?: string } = {};
    try {
      emu.sgemm(false, false, 6, 5, 4, 1, a, 0, 4, b, 0, 5, 0, c, 0, 5);
    } catch (e) {
      err = e as typeof err;
    }
    expect(err.kind).toBe('fault');
    expect(err.message).toMatch(
      /out-of-bounds write: 0 bytes past the end of cudaMalloc buffer #\d+ \(116 bytes\) in kernel sgemm_tiled_kernel<TA, TB> \(launched at cuda\/gemm\.cu:\d+\), block \(0,0,0\), thread \(\d+,0,0\)/,
    );
  });
});

// ---- the emulator itself (test/cuda-emu/selftest.cu) ----------------------------------------------

suite('the emulator itself', () => {
  let emu: EmuAddon;
  beforeAll(async () => {
    emu = loadAddon(await emuBuild.build());
  }, 600000);

  function fault(...args: unknown[]): string {
    try {
      emu.selftest(...args);
    } catch (e) {
      const err = e as { kind?: string; message: string };
      return `${err.kind}: ${err.message}`;
    }
    return 'no error';
  }

  it('reports overruns with end-aligned buffers and underruns with start-aligned ones', () => {
    emu.configure({ seed: 0, alignEnd: true });
    expect(fault('shifted_store', new Float32Array(100), 2, 64, 0, 1, 100)).toMatch(
      /^fault: out-of-bounds write: 0 bytes past the end of cudaMalloc buffer #\d+ \(400 bytes\) in kernel shifted_store_kernel \(launched at test\/cuda-emu\/selftest.cu:\d+\), block \(1,0,0\), thread \(35,0,0\)$/,
    );
    emu.configure({ seed: 0, alignEnd: false });
    expect(fault('shifted_store', new Float32Array(100), 2, 64, 0, -1, 100)).toMatch(
      /^fault: out-of-bounds write: 4 bytes before the start of cudaMalloc buffer #\d+ \(400 bytes\) .* block \(0,0,0\), thread \(0,0,0\)$/,
    );
    const ok = new Float32Array(100);
    expect(fault('shifted_store', ok, 2, 64, 0, 0, 100)).toBe('no error');
    expect(Array.from(ok)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('guards static and dynamic shared memory, and enforces the shared memory limits', () => {
    emu.configure({ seed: 0, alignEnd: true });
    expect(fault('shared_overrun', new Float32Array(64), 1, 64, 0, 1, 0)).toMatch(
      /out-of-bounds write: 0 bytes past the end of __shared__ s \(256 bytes\) .* thread \(63,0,0\)$/,
    );
    emu.configure({ seed: 0, alignEnd: false });
    expect(fault('shared_overrun', new Float32Array(64), 1, 64, 0, -1, 0)).toMatch(
      /out-of-bounds write: 4 bytes before the start of __shared__ s \(256 bytes\) .* thread \(0,0,0\)$/,
    );
    emu.configure({ seed: 0, alignEnd: true });
    const out = new Float32Array(64);
    expect(fault('dynamic_shared', out, 1, 64, 256, 0, 0)).toBe('no error');
    expect(out[0]).toBe(1);
    expect(out[63]).toBe(0);
    // The launch's shmem bytes are all there is: 128 bytes hold 32 floats.
    expect(fault('dynamic_shared', new Float32Array(64), 1, 64, 128, 0, 0)).toMatch(
      /past the end of extern __shared__ memory \(128 bytes\) .* thread \(32,0,0\)$/,
    );
    expect(fault('too_much_shared', new Float32Array(64), 1, 64, 0, 0, 0)).toMatch(/exceeds 48 KB \(52000 bytes\)/);
    // Over 48 KB of dynamic shared memory without cudaFuncSetAttribute fails at launch, as on a GPU.
    expect(fault('dynamic_shared', new Float32Array(64), 1, 64, 60000, 0, 0)).toBe(
      'error: launch failed: invalid argument',
    );
    expect(fault('shifted_store', new Float32Array(64), 1, 2048, 0, 0, 10)).toBe(
      'error: launch failed: invalid configuration argument',
    );
  });

  it('rewrites every declarator of a __shared__ declaration, and only code', () => {
    const src = [
      '  __shared__ double part_k[kThreads], part_c[kThreads];',
      '  __shared__ float tile[kRows][kD + 1], total;',
      '  __shared__ Pair<int, float> pairs[2 * (kN + 1)],',
      '      spare;',
      '  // __shared__ float in_a_comment[4];',
      '  const char* s = "__shared__ float in_a_string[4];";',
      '  __shared__ float *not_an_array;',
      '  __shared__ float bad[4], *mixed;',
    ].join('\n');
    const out = emuBuild.rewrite(src, 'x.cu').split('\n').slice(1); // after the #line
    expect(out).toHaveLength(src.split('\n').length); // line numbers kept
    const vars = (line: string) =>
      Array.from(
        line.matchAll(/shared_var<([^>]*(?:<[^>]*>[^>]*)?)>\(&tk_emu_shared_(\w+)/g),
        (m) => `${m[2]}: ${m[1]}`,
      );
    expect(vars(out[0])).toEqual(['part_k: double [kThreads]', 'part_c: double [kThreads]']);
    expect(vars(out[1])).toEqual(['tile: float [kRows][kD + 1]', 'total: float']);
    expect(vars(out[2])).toEqual(['pairs: Pair<int, float> [2 * (kN + 1)]', 'spare: Pair<int, float>']);
    expect(out[3]).toBe('');
    // Comments and strings stay; forms it does not know stay too (and then fail to compile, since
    // __shared__ is not defined), so nothing escapes the guards silently.
    expect(out.slice(4)).toEqual(src.split('\n').slice(4));
  });

  it('gives each declarator its own guarded shared array', () => {
    emu.configure({ seed: 0, alignEnd: true });
    const out = new Float32Array(64);
    expect(fault('shared_declarators', out, 1, 64, 0, 0, 0)).toBe('no error');
    expect(Array.from(out)).toEqual(Array(64).fill(111));
    expect(fault('shared_declarators', new Float32Array(64), 1, 64, 0, 1, 0)).toMatch(
      /out-of-bounds write: 0 bytes past the end of __shared__ a \(256 bytes\) .* thread \(63,0,0\)$/,
    );
    emu.configure({ seed: 1, alignEnd: false });
    expect(fault('shared_declarators', new Float32Array(64), 1, 64, 0, -1, 0)).toMatch(
      /out-of-bounds write: 4 bytes before the start of __shared__ a \(256 bytes\) .* thread \(0,0,0\)$/,
    );
  });

  it('fails a barrier that not all threads reach, and a shuffle with an exited lane', () => {
    emu.configure({ seed: 0 });
    expect(fault('divergent_barrier', new Float32Array(32), 1, 32, 0, 0, 0)).toMatch(
      /^fault: __syncthreads\(\) reached by 16 of 32 threads; the others exited without reaching it \(e.g. thread \(16,0,0\)\)/,
    );
    expect(fault('exited_lane', new Float32Array(32), 1, 32, 0, 0, 0)).toMatch(
      /^fault: __shfl_sync: lane 3 of the mask has already exited/,
    );
  });

  it('ends a kernel that never reaches a switch point (the watchdog)', () => {
    emu.configure({ seed: 0, timeoutMs: 300 });
    try {
      expect(fault('spin_wait', new Float32Array(2), 1, 32, 0, 0, 0)).toMatch(
        /^fault: the kernel did not finish within 300 ms .* thread \(0,0,0\)$/,
      );
      // Thread 1 first: the flag is already set when thread 0 looks.
      emu.configure({ seed: 1 });
      expect(fault('spin_wait', new Float32Array(2), 1, 32, 0, 0, 0)).toBe('no error');
    } finally {
      emu.configure({ timeoutMs: 30000 });
    }
  });

  it('runs threads in different orders, so a missing barrier shows', () => {
    const nanCounts = ORDERS.map((o) => {
      emu.configure({ ...o });
      const out = new Float32Array(256);
      emu.selftest('neighbour', out, 2, 128, 0, 0, 0);
      return out.filter(Number.isNaN).length;
    });
    expect(nanCounts.every((n) => n > 0)).toBe(true); // ascending: 254; descending: 2; random: ~128
    expect(new Set(nanCounts).size).toBeGreaterThan(2);
    for (const o of ORDERS) {
      emu.configure({ ...o });
      const out = new Float32Array(256);
      emu.selftest('neighbour', out, 2, 128, 0, 1, 0);
      expect(Array.from(out)).toEqual(Array.from({ length: 256 }, (_, i) => (i >> 7) * 1000 + (((i & 127) + 1) % 128)));
    }
  });

  it('gives CUDA semantics to shuffles (with widths), votes, counting barriers and atomics', () => {
    for (const o of ORDERS) {
      emu.configure({ ...o });
      const w = new Int32Array(64 * 8);
      emu.selftest('warp_ops', w, 1, 64, 0, 0, 0);
      let ballot = 0;
      for (let l = 0; l < 32; l += 3) ballot |= 1 << l;
      for (let t = 0; t < 64; ++t) {
        const lane = t & 31;
        const seg = lane & ~7;
        expect(Array.from(w.subarray(t * 8, t * 8 + 8))).toEqual([
          50,
          (lane ^ 3) * 10,
          (lane & 7) + 2 < 8 ? (lane + 2) * 10 : lane * 10,
          (lane & 7) >= 3 ? (seg + (lane & 7) - 3) * 10 : lane * 10,
          ballot,
          t >= 32 ? 1 : 0,
          0,
          lane < 16 ? lane ^ 1 : -1,
        ]);
      }
      const counts = new Int32Array(40 * 4);
      emu.selftest('barrier_count', counts, 1, 40, 0, 0, 0);
      expect(Array.from(counts)).toEqual(Array.from({ length: 40 }, () => [20, 5, 1, 1]).flat());
      const counter = new Int32Array(1),
        sum = new Float32Array(1),
        mx = new Int32Array(1),
        first = new Int32Array([-1]);
      emu.selftest('atomics', counter, 3, 96, 0, 0, 0, sum, mx, first);
      expect([counter[0], sum[0], mx[0]]).toEqual([288, 144, 100]);
      expect(first[0]).toBeGreaterThanOrEqual(0);
      if (o.seed === 0) expect(first[0]).toBe(0);
    }
  });
});

// ---- deliberately broken copies --------------------------------------------------------------------

interface Injection {
  name: string;
  file: string;
  from: RegExp | string;
  to: string;
  nth?: number; // which occurrence (0-based)
  underrun?: boolean;
  // race: the result is wrong (a mismatch, or garbage that then faults) in every order except
  // mayPass; fault: out of bounds past the end (caught end-aligned) or, with underrun, before the start.
  expect: 'race' | 'fault';
  mayPass?: number[]; // seeds in which the race cannot show (said why at the injection)
  run: (emu: EmuAddon, order: string) => void;
}

function replaceNth(text: string, from: RegExp | string, to: string, nth: number): string {
  const re = typeof from === 'string' ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g') : from;
  let i = 0;
  let hit = false;
  const out = text.replace(re, (m) => {
    if (i++ === nth) {
      hit = true;
      return to;
    }
    return m;
  });
  if (!hit) throw new Error(`injection: ${String(from)} (occurrence ${nth}) not found`);
  return out;
}

const INJECTIONS: Injection[] = [
  {
    name: 'gemm: the barrier after the tile loads removed',
    file: 'cuda/gemm.cu',
    from: '__syncthreads();',
    to: '/* removed */',
    nth: 0,
    expect: 'race',
    run: (emu, order) => checkGemm(emu, GEMM_CASES[1], order),
  },
  {
    name: 'gemm: the barrier after the accumulation removed',
    file: 'cuda/gemm.cu',
    from: '__syncthreads();',
    to: '/* removed */',
    nth: 1,
    expect: 'race',
    run: (emu, order) => checkGemm(emu, GEMM_CASES[1], order),
  },
  {
    name: 'gemm tiles: `r < m` became `r <= m` in the A tile load',
    file: 'cuda/gemm_tiles.cuh',
    from: 'if (r < m && q < k)',
    to: 'if (r <= m && q < k)',
    expect: 'fault',
    run: (emu, order) => checkGemm(emu, GEMM_CASES[1], order),
  },
  {
    name: 'activations: `i < n` became `i <= n` in the forward kernel',
    file: 'cuda/activations.cu',
    from: 'i < n;',
    to: 'i <= n;',
    nth: 0,
    expect: 'fault',
    run: (emu, order) => withScalarCpu(() => checkActivation(emu, ACTIVATIONS[0], 1000, order)),
  },
  {
    name: 'attention: the barrier before the key/value tile loads removed',
    file: 'cuda/attention.cu',
    from: '__syncthreads();',
    to: '/* removed */',
    nth: 0,
    expect: 'race',
    run: (emu, order) => checkAttention(emu, { B: 1, H: 1, Tq: 16, Tk: 70, D: 24 }, order),
  },
  {
    name: 'attention: the barrier after the key/value tile loads removed',
    file: 'cuda/attention.cu',
    from: '__syncthreads();',
    to: '/* removed */',
    nth: 1,
    expect: 'race',
    run: (emu, order) => checkAttention(emu, { B: 1, H: 1, Tq: 16, Tk: 70, D: 24 }, order),
  },
  {
    name: 'attention backward: the barrier after staging K and V removed',
    file: 'cuda/attention.cu',
    from: '__syncthreads();',
    to: '/* removed */',
    nth: 2,
    expect: 'race',
    run: (emu, order) => checkAttention(emu, { B: 1, H: 1, Tq: 16, Tk: 40, D: 24 }, order),
  },
  {
    name: 'attention backward: the barrier before writing dK and dV removed',
    file: 'cuda/attention.cu',
    from: '__syncthreads();',
    to: '/* removed */',
    nth: 3,
    expect: 'race',
    // The race needs one warp to finish its rows while another still adds into dK/dV: the random
    // pick order keeps warps too close to lockstep for that; the priority orders do not.
    mayPass: [4242],
    run: (emu, order) => checkAttention(emu, { B: 1, H: 1, Tq: 16, Tk: 40, D: 24 }, order),
  },
  ...[0, 1, 2].map((nth): Injection => ({
    name: `sgns: barrier ${nth + 1} of 3 removed`,
    file: 'cuda/sgns.cu',
    from: '__syncthreads();',
    to: '/* removed */',
    nth,
    expect: 'race',
    // Barrier 1 guards the negatives thread 0 draws: lowest-index-first runs thread 0 first.
    mayPass: nth === 0 ? [0] : [],
    run: (emu, order) => checkSgns(emu, order),
  })),
  {
    name: 'topic losses: the MMD barrier between the kernel values and the gradient accumulation removed',
    file: 'cuda/topic_losses.cu',
    from: '__syncthreads();',
    to: '/* removed */',
    nth: 1,
    expect: 'race',
    // Thread t accumulates feature t from every key's coefficient: whichever thread below d runs
    // ahead reads coefficients not yet written (NaN), in every order.
    run: (emu, order) => checkMmd(emu, MMD_INJECT, order),
  },
  {
    name: 'topic losses: the MMD barrier before thread 0 adds the partial sums removed',
    file: 'cuda/topic_losses.cu',
    from: '__syncthreads();',
    to: '/* removed */',
    nth: 3,
    expect: 'race',
    // Highest-index-first runs thread 0 last, after every other thread wrote its partial sums.
    mayPass: [1],
    run: (emu, order) => checkMmd(emu, MMD_INJECT, order),
  },
  {
    name: 'topic losses: `j >= rows` became `j > rows` in the MMD key loop',
    file: 'cuda/topic_losses.cuh',
    from: 'if (j >= p.keys->rows || j == p.self)',
    to: 'if (j > p.keys->rows || j == p.self)',
    expect: 'fault',
    run: (emu, order) => checkMmd(emu, MMD_INJECT, order),
  },
  {
    name: 'gemm tiles: `s >= n` became `s > n` in the store of C',
    file: 'cuda/gemm_tiles.cuh',
    from: 'if (s >= n) continue;',
    to: 'if (s > n) continue;',
    expect: 'fault',
    run: (emu, order) => checkGemm(emu, GEMM_CASES[1], order),
  },
  {
    name: 'random: element index one too low (`blk * 4 + lane - 1`)',
    file: 'cuda/random_block.cuh',
    from: 'const int64_t i = blk * 4 + lane;',
    to: 'const int64_t i = blk * 4 + lane - 1;',
    expect: 'fault',
    underrun: true,
    run: (emu) => {
      const want = new Float32Array(1027),
        got = new Float32Array(1027);
      cpu.randomFill(0, want, 77, 3, 0, 1);
      emu.randomFill(0, got, 77, 3, 0, 1);
      expectMatch('randomFill uniform', got, want, 0, 0);
    },
  },
];

suite('deliberately broken copies of the kernels fail under the emulator', () => {
  let intact: EmuAddon;
  beforeAll(async () => {
    intact = loadAddon(await emuBuild.build()); // the broken variants reuse its objects
  }, 600000);

  for (const inj of INJECTIONS) {
    it(
      inj.name,
      async () => {
        const src = fs.readFileSync(path.join(emuBuild.ROOT, inj.file), 'utf8');
        const broken = replaceNth(src, inj.from, inj.to, inj.nth ?? 0);
        // The control: the same check passes on the intact kernels in every order.
        for (const o of ORDERS) {
          intact.configure({ ...o, shuffleBlocks: inj.file !== 'cuda/sgns.cu' });
          inj.run(intact, `seed ${o.seed} (intact)`);
        }
        const variant = `broken-${path.basename(inj.file).replace(/\W/g, '_')}-${INJECTIONS.indexOf(inj)}`;
        const emu = loadAddon(await emuBuild.build({ variant, overrides: { [inj.file]: broken } }));
        const outcomes: string[] = [];
        for (const o of ORDERS) {
          emu.configure({ ...o, shuffleBlocks: inj.file !== 'cuda/sgns.cu' });
          try {
            inj.run(emu, `seed ${o.seed}`);
            outcomes.push('pass');
          } catch (e) {
            const err = e as { kind?: string; message: string };
            outcomes.push(err.kind === 'fault' ? 'fault' : 'mismatch');
            if (err.kind === 'fault' && inj.expect === 'fault') {
              expect(err.message).toMatch(
                inj.underrun
                  ? /out-of-bounds (read|write): \d+ bytes before the start of/
                  : /out-of-bounds (read|write): \d+ bytes past the end of/,
              );
            }
          }
        }
        // Overruns fault wherever buffers end at a guard page, underruns where they start right
        // after one; races must show in every order, not by chance.
        const caught = (o: (typeof ORDERS)[number]) =>
          inj.expect === 'race' ? !(inj.mayPass ?? []).includes(o.seed) : o.alignEnd !== !!inj.underrun;
        if (process.env.TK_EMU_VERBOSE) console.log(`${inj.name}: ${outcomes.join(', ')}`);
        // A race fails as a mismatch, or as a fault when the garbage it reads becomes an index.
        const verdict = outcomes.map((r) => (inj.expect === 'race' && r !== 'pass' ? 'race' : r));
        expect(verdict).toEqual(ORDERS.map((o, i) => (caught(o) ? inj.expect : verdict[i])));
      },
      300000,
    );
  }
});

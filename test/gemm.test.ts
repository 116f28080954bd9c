// The native SGEMM (native/kernels/gemm.cc) against a float64 reference, on every SIMD path this
// CPU runs and on 1 and 2 threads, plus the argument checks of the sgemm/sgemmStridedBatched exports.
import { native } from '../lib/native';
import '../lib/ops/matmul';
import { backend, setNumThreads, setSimdLevel } from '../lib';

// A small deterministic generator so every shape is reproducible.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Case {
  ta: boolean;
  tb: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
  lda: number;
  ldb: number;
  ldc: number;
  aOff: number;
  bOff: number;
  cOff: number;
}

function fill(rnd: () => number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rnd() * 2 - 1;
  return out;
}

/** Runs one case through native.sgemm and checks every element of C, including the untouched padding. */
function check(c: Case, rnd: () => number, label: string, packed = false): void {
  const aRows = c.ta ? c.k : c.m;
  const bRows = c.tb ? c.n : c.k;
  const A = fill(rnd, c.aOff + aRows * c.lda);
  const B = fill(rnd, c.bOff + bRows * c.ldb);
  const C = fill(rnd, c.cOff + c.m * c.ldc + 3);
  if (c.beta === 0 && c.n > 0) for (let i = 0; i < c.m; i++) C[c.cOff + i * c.ldc] = NaN; // must be overwritten
  const expected = Float64Array.from(C);
  for (let i = 0; i < c.m; i++)
    for (let j = 0; j < c.n; j++) {
      let s = 0;
      for (let p = 0; p < c.k; p++) {
        const av = c.ta ? A[c.aOff + p * c.lda + i] : A[c.aOff + i * c.lda + p];
        const bv = c.tb ? B[c.bOff + j * c.ldb + p] : B[c.bOff + p * c.ldb + j];
        s += av * bv;
      }
      const ci = c.cOff + i * c.ldc + j;
      expected[ci] = c.alpha * s + (c.beta === 0 ? 0 : c.beta * C[ci]);
    }
  (packed ? native.sgemmPacked : native.sgemm)(
    c.ta,
    c.tb,
    c.m,
    c.n,
    c.k,
    c.alpha,
    A,
    c.aOff,
    c.lda,
    B,
    c.bOff,
    c.ldb,
    c.beta,
    C,
    c.cOff,
    c.ldc,
  );
  const tol = 2e-6 * (c.k + 4);
  for (let i = 0; i < C.length; i++) {
    const ok =
      (Number.isNaN(C[i]) && Number.isNaN(expected[i])) ||
      Math.abs(C[i] - expected[i]) <= tol * (1 + Math.abs(expected[i]));
    if (!ok) throw new Error(`${label} ${JSON.stringify(c)}: C[${i}] = ${C[i]}, expected ${expected[i]}`);
  }
}

function randomCases(seed: number, count: number, maxMN: number, maxK: number): Case[] {
  const rnd = lcg(seed);
  const pick = (max: number): number => {
    const r = rnd();
    // A third of the sizes are 0, 1 or just past a register block edge.
    if (r < 0.1) return Math.floor(rnd() * 2);
    if (r < 0.33) return [5, 6, 7, 8, 15, 16, 17, 31, 33][Math.floor(rnd() * 9)];
    return 1 + Math.floor(rnd() * max);
  };
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const ta = rnd() < 0.5;
    const tb = rnd() < 0.5;
    const m = pick(maxMN);
    const n = pick(maxMN);
    const k = pick(maxK);
    const padA = rnd() < 0.5 ? 0 : 1 + Math.floor(rnd() * 5);
    const padB = rnd() < 0.5 ? 0 : 1 + Math.floor(rnd() * 5);
    const padC = rnd() < 0.5 ? 0 : 1 + Math.floor(rnd() * 5);
    cases.push({
      ta,
      tb,
      m,
      n,
      k,
      alpha: [1, -0.5, 2, 0][i % 4 === 3 && rnd() < 0.3 ? 3 : Math.floor(rnd() * 3)],
      beta: [0, 1, 0.75][Math.floor(rnd() * 3)],
      lda: Math.max(1, ta ? m : k) + padA,
      ldb: Math.max(1, tb ? k : n) + padB,
      ldc: Math.max(1, n) + padC,
      aOff: Math.floor(rnd() * 3),
      bOff: Math.floor(rnd() * 3),
      cOff: Math.floor(rnd() * 3),
    });
  }
  return cases;
}

const supported = backend().simdSupported;
const levels = ['sse2', 'avx2', 'avx512'].filter((l) =>
  supported === 'avx512' ? true : supported === 'avx2' ? l !== 'avx512' : l === 'sse2',
);

const initialLevel = backend().simd;
afterAll(() => {
  setSimdLevel(initialLevel as 'avx2');
  setNumThreads(0);
});

describe.each(levels)('sgemm at SIMD level %s', (level) => {
  beforeAll(() => setSimdLevel(level as 'sse2'));
  for (const threads of [1, 2]) {
    test(`random shapes, ${threads} thread(s)`, () => {
      setNumThreads(threads);
      expect(native.gemmKernelName()).toMatch(new RegExp(`^${level}-`));
      const rnd = lcg(100 + threads);
      randomCases(threads, 150, 40, 70).forEach((c, i) => check(c, rnd, `small #${i}`));
      // Past the cache blocks (kc = 256, mc = 144) and big enough to be split across threads.
      randomCases(50 + threads, 6, 300, 600).forEach((c, i) => check(c, rnd, `large #${i}`));
    });
  }
  test('pre-packed B (SgemmPackedB), 2 threads', () => {
    setNumThreads(2);
    const rnd = lcg(21);
    randomCases(77, 80, 40, 70).forEach((c, i) => check(c, rnd, `packed small #${i}`, true));
    randomCases(78, 4, 300, 600).forEach((c, i) => check(c, rnd, `packed large #${i}`, true));
  });
  test('skinny shapes split along N', () => {
    setNumThreads(2);
    const rnd = lcg(7);
    for (const [m, n, k] of [
      [32, 520, 130],
      [7, 1030, 64],
      [130, 40, 260],
    ]) {
      for (const ta of [false, true])
        for (const tb of [false, true])
          check(
            {
              ta,
              tb,
              m,
              n,
              k,
              alpha: 1,
              beta: 0.5,
              lda: ta ? m : k,
              ldb: tb ? k : n,
              ldc: n,
              aOff: 0,
              bOff: 0,
              cOff: 0,
            },
            rnd,
            'skinny',
          );
    }
  });
  test('matrix-vector products (m = 1 or n = 1), strided vectors, 1 and 2 threads', () => {
    const rnd = lcg(8);
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      for (const [m, n, k] of [
        [1, 400, 400],
        [400, 1, 400],
        [1, 1, 5000],
        [1, 33, 200],
        [70, 1, 90],
      ]) {
        for (const ta of [false, true])
          for (const tb of [false, true])
            for (const beta of [0, 0.5]) {
              const lda = Math.max(1, ta ? m : k) + (ta ? 2 : 0);
              const ldb = Math.max(1, tb ? k : n) + (tb ? 0 : 3);
              check(
                { ta, tb, m, n, k, alpha: 0.75, beta, lda, ldb, ldc: n + 1, aOff: 1, bOff: 2, cOff: 0 },
                rnd,
                'gemv',
              );
            }
      }
    }
  });
  test('results do not depend on the thread count', () => {
    const rnd = lcg(9);
    const [m, n, k] = [150, 300, 400];
    const A = fill(rnd, m * k);
    const B = fill(rnd, k * n);
    const out: Float32Array[] = [];
    for (const threads of [1, 2]) {
      setNumThreads(threads);
      const C = new Float32Array(m * n);
      native.sgemm(false, false, m, n, k, 1, A, 0, k, B, 0, n, 0, C, 0, n);
      out.push(C);
    }
    expect(Buffer.from(out[0].buffer).equals(Buffer.from(out[1].buffer))).toBe(true);
  });
});

describe('sgemm semantics', () => {
  test('beta = 0 overwrites NaN in C; alpha = 0 or K = 0 scales C without reading A or B', () => {
    const A = new Float32Array([NaN, 1, 2, 3]);
    const B = new Float32Array([1, 2, 3, 4]);
    const C = new Float32Array([NaN, NaN, NaN, NaN]);
    native.sgemm(false, false, 2, 2, 2, 0, A, 0, 2, B, 0, 2, 0, C, 0, 2);
    expect(Array.from(C)).toEqual([0, 0, 0, 0]);
    C.set([1, 2, 3, 4]);
    native.sgemm(false, false, 2, 2, 2, 0, A, 0, 2, B, 0, 2, 3, C, 0, 2);
    expect(Array.from(C)).toEqual([3, 6, 9, 12]);
    native.sgemm(false, false, 2, 2, 0, 1, A, 0, 1, B, 0, 2, 0.5, C, 0, 2);
    expect(Array.from(C)).toEqual([1.5, 3, 4.5, 6]);
    // M or N = 0 touches nothing, even with empty arrays.
    native.sgemm(
      false,
      false,
      0,
      5,
      3,
      1,
      new Float32Array(0),
      0,
      3,
      new Float32Array(15),
      0,
      5,
      0,
      new Float32Array(0),
      0,
      5,
    );
  });

  for (const threads of [1, 2]) {
    test(`strided batched, including a shared operand (stride 0) and interleaved C, ${threads} thread(s)`, () => {
      setNumThreads(threads);
      const rnd = lcg(11 + threads);
      for (const [batch, m, n, k, sharedB] of [
        [5, 3, 4, 6, false],
        [4, 20, 33, 17, true],
        [3, 70, 90, 130, false],
        [0, 3, 3, 3, false],
      ] as [number, number, number, number, boolean][]) {
        for (const ta of [false, true])
          for (const tb of [false, true]) {
            const sa = m * k + 2;
            const sb = sharedB ? 0 : k * n + 1;
            const A = fill(rnd, Math.max(1, batch) * sa);
            const B = fill(rnd, sharedB ? k * n : Math.max(1, batch) * sb);
            // C interleaved as [m, batch, n]: ldc = batch * n, strideC = n.
            const ldc = Math.max(1, batch) * n;
            const C = fill(rnd, m * ldc);
            const C0 = Float32Array.from(C);
            native.sgemmStridedBatched(
              ta,
              tb,
              m,
              n,
              k,
              1.5,
              A,
              0,
              ta ? m : k,
              B,
              0,
              tb ? k : n,
              0.5,
              C,
              0,
              ldc,
              batch,
              sa,
              sb,
              n,
            );
            for (let bi = 0; bi < batch; bi++)
              for (let i = 0; i < m; i++)
                for (let j = 0; j < n; j++) {
                  let s = 0;
                  for (let p = 0; p < k; p++) {
                    const av = ta ? A[bi * sa + p * m + i] : A[bi * sa + i * k + p];
                    const bv = tb ? B[bi * sb + j * k + p] : B[bi * sb + p * n + j];
                    s += av * bv;
                  }
                  const ci = i * ldc + bi * n + j;
                  const e = 1.5 * s + 0.5 * C0[ci];
                  if (Math.abs(C[ci] - e) > 1e-4 * (1 + Math.abs(e))) {
                    throw new Error(`batch ${bi} (${i}, ${j}) ta ${ta} tb ${tb}: ${C[ci]} vs ${e}`);
                  }
                }
          }
      }
    });
  }
});

// Errors thrown by the addon come from Node's realm, not jest's, so match them by name.
function expectThrow(fn: () => void, name: 'TypeError' | 'RangeError', message?: RegExp): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).not.toBeNull();
  const e = err as Error;
  expect([e.name, e.message]).toEqual([name, expect.stringMatching(message ?? /./)]);
}

describe('sgemm argument checks', () => {
  const A = new Float32Array(12); // 3 x 4
  const B = new Float32Array(20); // 4 x 5
  const C = new Float32Array(15); // 3 x 5
  type Args = Parameters<typeof native.sgemm>;
  const good: Args = [false, false, 3, 5, 4, 1, A, 0, 4, B, 0, 5, 0, C, 0, 5];
  const call = (patch: Record<number, unknown>) => () => {
    const args = good.slice() as unknown[];
    for (const [i, v] of Object.entries(patch)) args[Number(i)] = v;
    native.sgemm(...(args as Args));
  };
  test('valid call', () => {
    expect(call({})).not.toThrow();
    expect(call({ 0: true, 8: 3 })).not.toThrow(); // A^T stored [4, 3]
  });
  test('TypeError for wrong types', () => {
    expectThrow(call({ 0: 1 }), 'TypeError');
    expectThrow(call({ 0: 1 }), 'TypeError', /transA/);
    expectThrow(call({ 6: new Float64Array(12) }), 'TypeError', /^A must be a Float32Array/);
    expectThrow(call({ 9: [1, 2] }), 'TypeError', /^B must be/);
    expectThrow(call({ 13: null }), 'TypeError', /^C must be/);
    expectThrow(call({ 5: '1' }), 'TypeError', /alpha must be a number/);
    expectThrow(() => (native.sgemm as unknown as (...a: unknown[]) => void)(false, false, 1), 'TypeError');
  });
  test('RangeError for sizes, leading dimensions, offsets and overlap', () => {
    expectThrow(call({ 2: -1 }), 'RangeError', /^M must be an integer/);
    expectThrow(call({ 3: 1.5 }), 'RangeError', /^N must be an integer/);
    expectThrow(call({ 5: NaN }), 'RangeError', /alpha must be finite/);
    expectThrow(call({ 12: Infinity }), 'RangeError', /beta must be finite/);
    expectThrow(call({ 8: 3 }), 'RangeError', /^lda must be at least max\(1, 4\)/);
    expect(call({ 0: true })).toThrow(/^A has 12 elements, but A\^T/); // A^T stored [4, lda 4] needs 16
    expectThrow(call({ 11: 4 }), 'RangeError', /^ldb must be at least/);
    expectThrow(call({ 15: 4 }), 'RangeError', /^ldc must be at least/);
    expectThrow(call({ 7: 1 }), 'RangeError', /^A has 12 elements/);
    expectThrow(call({ 10: 100 }), 'RangeError', /^bOffset is 100, past the end of B/);
    expectThrow(call({ 14: 1 }), 'RangeError', /^C has 15 elements/);
    expectThrow(call({ 8: 2 ** 40, 2: 2 ** 30 }), 'RangeError');
    const shared = new Float32Array(64);
    const view = new Float32Array(shared.buffer, 8 * 4, 15);
    expectThrow(call({ 6: shared, 13: view }), 'RangeError', /C overlaps A/);
    expectThrow(call({ 9: shared, 13: shared, 14: 19 }), 'RangeError', /C overlaps B/);
    expect(call({ 6: shared, 13: shared, 14: 12 })).not.toThrow(); // adjacent, not overlapping
  });
  test('strided batched checks', () => {
    type BArgs = Parameters<typeof native.sgemmStridedBatched>;
    const a = new Float32Array(24);
    const b = new Float32Array(40);
    const c = new Float32Array(30);
    const ok: BArgs = [false, false, 3, 5, 4, 1, a, 0, 4, b, 0, 5, 0, c, 0, 5, 2, 12, 20, 15];
    const bcall = (patch: Record<number, unknown>) => () => {
      const args = ok.slice() as unknown[];
      for (const [i, v] of Object.entries(patch)) args[Number(i)] = v;
      native.sgemmStridedBatched(...(args as BArgs));
    };
    expect(bcall({})).not.toThrow();
    expectThrow(bcall({ 16: 3 }), 'RangeError', /^A has 24 elements.*strideA/);
    expectThrow(bcall({ 18: 21 }), 'RangeError', /^B has 40 elements/);
    expectThrow(bcall({ 19: 10 }), 'RangeError', /strideC 10 makes the batch's C matrices overlap/);
    expect(bcall({ 18: 0, 9: new Float32Array(20) })).not.toThrow();
    expectThrow(bcall({ 16: -1 }), 'RangeError', /^batch must be/);
    expectThrow(bcall({ 17: 'x' }), 'TypeError');
  });
});

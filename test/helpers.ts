// Shared test utilities: PyTorch fixtures, closeness checks, finite-difference gradient checks.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor, noGrad } from '../lib/tensor';

export const fixturesDir = path.join(__dirname, 'fixtures');

/** A fixture written by test/reference/*.py: JSON where tensors are { shape, data } objects. */
export function loadFixture<T = Record<string, unknown>>(name: string): T {
  const file = path.join(fixturesDir, name.endsWith('.json') ? name : `${name}.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

export interface FixtureTensor {
  shape: number[];
  data: number[];
  dtype?: 'float32' | 'int32' | 'bool';
}

export function fromFixture(t: FixtureTensor, opts: { requiresGrad?: boolean } = {}): Tensor {
  const data = t.dtype === 'int32' || t.dtype === 'bool' ? Int32Array.from(t.data) : Float32Array.from(t.data);
  return new Tensor(data, t.shape, opts);
}

export interface Tolerance {
  atol?: number;
  rtol?: number;
}

/** max |a - e| <= atol + rtol * |e| elementwise; reports the worst element on failure. */
export function expectClose(
  actual: Tensor | ArrayLike<number>,
  expected: Tensor | FixtureTensor | ArrayLike<number>,
  { atol = 1e-5, rtol = 1e-5 }: Tolerance = {},
  label = '',
): void {
  const a = actual instanceof Tensor ? actual.data : actual;
  let e: ArrayLike<number>;
  if (expected instanceof Tensor) e = expected.data;
  else if ((expected as FixtureTensor).shape !== undefined && Array.isArray((expected as FixtureTensor).data)) {
    const fe = expected as FixtureTensor;
    if (actual instanceof Tensor) expect([label, actual.shape]).toEqual([label, fe.shape]);
    e = fe.data;
  } else e = expected as ArrayLike<number>;
  // Fixture scripts write NaN and infinities as strings, which JSON cannot hold.
  if (Array.isArray(e)) e = e.map((v) => (typeof v === 'string' ? Number(v) : v));
  expect([label, a.length]).toEqual([label, e.length]);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i];
    const ei = e[i];
    if (Number.isNaN(ei) && Number.isNaN(ai)) continue;
    if (ai === ei) continue; // covers matching infinities
    const excess = Math.abs(ai - ei) - (atol + rtol * Math.abs(ei));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${label ? label + ': ' : ''}element ${worst} is ${a[worst]}, expected ${e[worst]} ` +
        `(|diff| ${Math.abs(a[worst] - e[worst])}, atol ${atol}, rtol ${rtol})`,
    );
  }
}

/**
 * Checks the analytic gradient of sum(f(inputs) * w) for a fixed random weighting w against
 * central finite differences. Float32 forward passes limit accuracy, so eps and tolerances are
 * those of a float32 check (inputs should be well-conditioned, away from kinks).
 */
export function gradcheck(
  f: (...inputs: Tensor[]) => Tensor,
  inputs: Tensor[],
  {
    eps = 1e-2,
    atol = 2e-3,
    rtol = 2e-2,
    seed = 1,
  }: { eps?: number; atol?: number; rtol?: number; seed?: number } = {},
): void {
  const out0 = f(...inputs);
  // A fixed pseudo-random weighting so every output element matters.
  let s = seed >>> 0;
  const rnd = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const w = new Float32Array(out0.size);
  for (let i = 0; i < w.length; i++) w[i] = 1 + rnd();
  const objective = (): number =>
    noGrad(() => {
      const o = f(...inputs);
      let acc = 0;
      for (let i = 0; i < o.size; i++) acc += o.data[i] * w[i];
      return acc;
    });
  for (const x of inputs) x.grad = null;
  out0.backward(new Tensor(w.slice(), out0.shape));
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    const analytic = x.grad ? x.grad.data : new Float32Array(x.size);
    const numeric = new Float64Array(x.size);
    const d = x.data as Float32Array;
    for (let i = 0; i < x.size; i++) {
      const orig = d[i];
      d[i] = orig + eps;
      const up = objective();
      d[i] = orig - eps;
      const down = objective();
      d[i] = orig;
      numeric[i] = (up - down) / (2 * eps);
    }
    expectClose(analytic, numeric, { atol, rtol }, `gradient of input ${k}`);
  });
}

/**
 * The error fn throws; fails the test if it returns. Errors from the addon come from Node's realm,
 * not jest's, so callers compare error.name rather than use instanceof.
 */
export function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

/**
 * fn throws an error named `name` whose message matches every RegExp and contains every string given.
 */
export function expectThrowNamed(fn: () => unknown, name: string, ...patterns: (RegExp | string | undefined)[]): void {
  const e = errorOf(fn);
  expect(e.name).toBe(name);
  for (const p of patterns) {
    if (p === undefined) continue;
    if (typeof p === 'string') expect(e.message).toContain(p);
    else expect(e.message).toMatch(p);
  }
}

/** mulberry32: a small seeded generator of the tests' own, independent of tk's samplers. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

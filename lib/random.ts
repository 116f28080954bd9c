// Seeded random numbers. A Generator is Philox4x32-10 (native/include/textkernels/math/philox.h):
// its whole state is { seed, offset }, so it saves with a checkpoint and restores exactly, and the
// same seed draws the same numbers whatever the thread count (and on CUDA). Numbers differ from
// PyTorch's CPU generator (mt19937); tests compare distributions, not draws.
//
// Every function that draws takes `{ seed }` (a fresh generator for that call: the same seed gives
// the same tensor) or `{ generator }` (draws advance it); with neither, the global default
// generator is used, seeded like PyTorch's with 67280421310721 until manualSeed() is called.
import { checkInt, typeError } from './errors';
import { native } from './native';

export interface GeneratorState {
  seed: number;
  offset: number;
}

export interface RandomOptions {
  seed?: number;
  generator?: Generator;
}

const MAX_SEED = Number.MAX_SAFE_INTEGER;

export class Generator {
  private seedValue: number;
  private offsetValue = 0;

  constructor(seed: number = DEFAULT_SEED) {
    this.seedValue = checkInt('seed', seed, 0, MAX_SEED);
  }

  get seed(): number {
    return this.seedValue;
  }

  manualSeed(seed: number): this {
    this.seedValue = checkInt('seed', seed, 0, MAX_SEED);
    this.offsetValue = 0;
    return this;
  }

  getState(): GeneratorState {
    return { seed: this.seedValue, offset: this.offsetValue };
  }

  setState(state: GeneratorState): this {
    if (state === null || typeof state !== 'object') throw typeError('state', '{ seed, offset }', state);
    this.seedValue = checkInt('state.seed', state.seed, 0, MAX_SEED);
    this.offsetValue = checkInt('state.offset', state.offset, 0, MAX_SEED);
    return this;
  }

  /** Fills out with U[low, high). */
  uniform(out: Float32Array, low = 0, high = 1): Float32Array {
    this.offsetValue += native.randomFill(0, out, this.seedValue, this.offsetValue, low, high);
    return out;
  }

  /** Fills out with N(mean, std^2) (Box-Muller). */
  normal(out: Float32Array, mean = 0, std = 1): Float32Array {
    this.offsetValue += native.randomFill(1, out, this.seedValue, this.offsetValue, mean, std);
    return out;
  }

  /** Fills out with `scale` where U >= p, else 0: an inverted-dropout keep mask. */
  bernoulliMask(out: Float32Array, p: number, scale: number): Float32Array {
    this.offsetValue += native.randomFill(2, out, this.seedValue, this.offsetValue, p, scale);
    return out;
  }

  /** n raw 32-bit draws. */
  uint32(n: number): Uint32Array {
    const out = new Uint32Array(checkInt('n', n));
    this.offsetValue += native.randomFill(3, out, this.seedValue, this.offsetValue);
    return out;
  }

  /** An integer uniform on [0, n) (for n <= 2^32; rejection-free, bias below 2^-20 for n < 2^12). */
  randint(n: number): number {
    checkInt('n', n, 1, 2 ** 32);
    const w = this.uint32(2);
    // 53 random bits, so the modulo bias is negligible for any n < 2^32.
    const r = w[0] * 2 ** 21 + (w[1] >>> 11);
    return r % n;
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    checkInt('n', n);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    const words = this.uint32(2 * n);
    for (let i = n - 1; i > 0; i--) {
      const r = words[2 * i] * 2 ** 21 + (words[2 * i + 1] >>> 11);
      const j = r % (i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}

/** PyTorch's default CPU seed, so "no seed given" is reproducible run to run, as it is there. */
export const DEFAULT_SEED = 67280421310721;

export const defaultGenerator = new Generator(DEFAULT_SEED);

/** Seeds the default generator (torch.manual_seed). */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** The generator a drawing function should use for these options. */
export function resolveGenerator(opts?: RandomOptions): Generator {
  if (opts?.generator !== undefined) {
    if (!(opts.generator instanceof Generator)) throw typeError('generator', 'a tk.Generator', opts.generator);
    return opts.generator;
  }
  if (opts?.seed !== undefined) return new Generator(opts.seed);
  return defaultGenerator;
}

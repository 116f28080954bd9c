import * as tk from '../lib';
import { scaledDotProductAttention } from '../lib/ops/attention';
import { Tensor } from '../lib/tensor';
import { expectClose, gradcheck, loadFixture } from './helpers';
import { B64Tensor, fromB64, wave } from './attention_inputs';

interface SdpaCase {
  B: number;
  H: number;
  Tq: number;
  Tk: number;
  D: number;
  seed: number;
  causal: boolean;
  rank3: boolean;
  mask?: 'bool' | 'float' | 'boolHeads';
  kpm?: number[];
  scale?: number;
  out: B64Tensor;
  dq: B64Tensor;
  dk: B64Tensor;
  dv: B64Tensor;
}

const GRAD = { atol: 1e-5, rtol: 1e-4 };
const FWD = { atol: 1e-5, rtol: 1e-5 };

// The masks test/reference/attention.py builds, in our API (SDPA bool: true = allowed).
function optionsFor(c: SdpaCase): tk.nn.functional.ScaledDotProductAttentionOptions {
  const opts: tk.nn.functional.ScaledDotProductAttentionOptions = { isCausal: c.causal };
  if (c.mask === 'bool') {
    const m: boolean[][] = [];
    for (let i = 0; i < c.Tq; i++) m.push(Array.from({ length: c.Tk }, (_, j) => (i + 2 * j) % 5 !== 0 || j === 0));
    opts.attnMask = m;
  } else if (c.mask === 'float') {
    opts.attnMask = tk.mul(wave([c.Tq, c.Tk], c.seed + 4), 2);
  } else if (c.mask === 'boolHeads') {
    const d = new Int32Array(c.H * c.Tq * c.Tk);
    for (let h = 0; h < c.H; h++)
      for (let i = 0; i < c.Tq; i++)
        for (let j = 0; j < c.Tk; j++) d[(h * c.Tq + i) * c.Tk + j] = (i * 3 + j + h) % 4 !== 1 ? 1 : 0;
    for (let j = 0; j < c.Tk; j++) d[j] = 0;
    opts.attnMask = new Tensor(d, [1, c.H, c.Tq, c.Tk]);
  }
  if (c.kpm) {
    const kp = new Uint8Array(c.B * c.Tk);
    c.kpm.forEach((n, b) => kp.fill(1, b * c.Tk + c.Tk - n, (b + 1) * c.Tk));
    opts.keyPaddingMask = kp;
  }
  if (c.scale !== undefined) opts.scale = c.scale;
  return opts;
}

function runCase(c: SdpaCase): void {
  const qs = c.rank3 ? [c.B, c.Tq, c.D] : [c.B, c.H, c.Tq, c.D];
  const ks = c.rank3 ? [c.B, c.Tk, c.D] : [c.B, c.H, c.Tk, c.D];
  const q = wave(qs, c.seed, true);
  const k = wave(ks, c.seed + 1, true);
  const v = wave(ks, c.seed + 2, true);
  const out = tk.nn.functional.scaledDotProductAttention(q, k, v, optionsFor(c));
  expectClose(out, fromB64(c.out), FWD, 'out');
  out.backward(wave(qs, c.seed + 3));
  expectClose(q.grad!, fromB64(c.dq), GRAD, 'dq');
  expectClose(k.grad!, fromB64(c.dk), GRAD, 'dk');
  expectClose(v.grad!, fromB64(c.dv), GRAD, 'dv');
}

const label = (c: SdpaCase): string =>
  `B${c.B} H${c.H} Tq${c.Tq} Tk${c.Tk} d${c.D}${c.causal ? ' causal' : ''}${c.mask ? ' ' + c.mask : ''}${c.kpm ? ' kpm' : ''}${c.rank3 ? ' rank3' : ''}`;

describe('scaledDotProductAttention matches PyTorch', () => {
  for (const file of ['attention', 'attention_tiles', 'attention_long']) {
    const fx = loadFixture<{ sdpa: SdpaCase[] }>(file);
    for (const c of fx.sdpa) {
      it(`${file}: ${label(c)}`, () => runCase(c));
    }
  }

  // Short sequences keep the probabilities for the backward; the same cases with none kept take
  // the backward that recomputes them from the log-sum-exp.
  it('matches with the probabilities recomputed in the backward instead of kept', () => {
    const prev = tk.nn.functional.setAttentionProbsBudget(0);
    try {
      for (const file of ['attention', 'attention_tiles', 'attention_long']) {
        for (const c of loadFixture<{ sdpa: SdpaCase[] }>(file).sdpa) runCase(c);
      }
    } finally {
      tk.nn.functional.setAttentionProbsBudget(prev);
    }
  });

  it('gives the same results on the SSE2 path and with one thread', () => {
    const c = loadFixture<{ sdpa: SdpaCase[] }>('attention_tiles').sdpa[0];
    const threads = tk.getNumThreads();
    try {
      tk.setSimdLevel('sse2');
      tk.setNumThreads(1);
      runCase(c);
    } finally {
      tk.setSimdLevel('avx2');
      tk.setNumThreads(threads);
    }
  });
});

// A direct softmax(q k^T * scale + mask) v from the differentiable ops, to compare against.
function naive(q: Tensor, k: Tensor, v: Tensor, additive: Tensor | null, scale: number): Tensor {
  let s = tk.mul(tk.matmul(q, tk.transpose(k, -1, -2)), scale);
  if (additive) s = tk.add(s, additive);
  return tk.matmul(tk.softmax(s, -1), v);
}

describe('scaledDotProductAttention', () => {
  it('gives bit-identical gradients on 1 and 2 threads (few heads: the backward splits the keys)', () => {
    const run = (threads: number): number[][] => {
      const before = tk.getNumThreads();
      tk.setNumThreads(threads);
      try {
        const q = tk.randn([1, 2, 150, 16], { seed: 1 }).setRequiresGrad();
        const k = tk.randn([1, 2, 200, 16], { seed: 2 }).setRequiresGrad();
        const v = tk.randn([1, 2, 200, 16], { seed: 3 }).setRequiresGrad();
        scaledDotProductAttention(q, k, v, { isCausal: true }).sum().backward();
        return [q.grad!, k.grad!, v.grad!].map((g) => Array.from(g.data));
      } finally {
        tk.setNumThreads(before);
      }
    };
    expect(run(1)).toEqual(run(2));
  });

  it('passes gradcheck with causal and float masks', () => {
    const q = tk
      .mul(tk.randn([1, 2, 3, 4], { seed: 1 }), 0.5)
      .detach()
      .setRequiresGrad();
    const k = tk
      .mul(tk.randn([1, 2, 5, 4], { seed: 2 }), 0.5)
      .detach()
      .setRequiresGrad();
    const v = tk.randn([1, 2, 5, 4], { seed: 3 }).setRequiresGrad();
    const fm = tk.randn([3, 5], { seed: 4 });
    gradcheck((a, b, c) => tk.nn.functional.scaledDotProductAttention(a, b, c, { attnMask: fm }), [q, k, v]);
    gradcheck((a, b, c) => tk.nn.functional.scaledDotProductAttention(a, b, c, { isCausal: true }), [q, k, v]);
  });

  it('agrees with the unfused computation on a long causal sequence across tiles', () => {
    const q = tk.randn([1, 1, 200, 8], { seed: 5 });
    const k = tk.randn([1, 1, 200, 8], { seed: 6 });
    const v = tk.randn([1, 1, 200, 8], { seed: 7 });
    const mask = new Float32Array(200 * 200);
    for (let i = 0; i < 200; i++) for (let j = i + 1; j < 200; j++) mask[i * 200 + j] = -Infinity;
    const ref = naive(q, k, v, new Tensor(mask, [200, 200]), 1 / Math.sqrt(8));
    expectClose(scaledDotProductAttention(q, k, v, { isCausal: true }), ref, { atol: 2e-5, rtol: 1e-4 });
  });

  // Keys beyond 512 take the online softmax over key tiles, and a backward that recomputes; up to
  // 512 the whole row, with the probabilities kept (causal rows end inside a backward tile here).
  it('agrees with the unfused computation and its gradients on short and long key rows', () => {
    const cases: { Tq: number; Tk: number; opts: tk.nn.functional.ScaledDotProductAttentionOptions }[] = [
      { Tq: 70, Tk: 200, opts: { isCausal: true } },
      { Tq: 70, Tk: 600, opts: {} },
      { Tq: 70, Tk: 600, opts: { isCausal: true } },
      { Tq: 600, Tk: 530, opts: { isCausal: true } },
    ];
    const kp = new Uint8Array(2 * 600);
    kp.fill(1, 600 - 77, 600); // batch row 0 pads its last 77 keys
    cases.push({ Tq: 70, Tk: 600, opts: { keyPaddingMask: kp } });
    for (const { Tq, Tk, opts } of cases) {
      const q = tk.randn([2, 2, Tq, 8], { seed: 21 }).setRequiresGrad();
      const k = tk.randn([2, 2, Tk, 8], { seed: 22 }).setRequiresGrad();
      const v = tk.randn([2, 2, Tk, 8], { seed: 23 }).setRequiresGrad();
      const g = tk.randn([2, 2, Tq, 8], { seed: 24 });
      const add = new Float32Array(2 * Tq * Tk);
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < Tq; i++)
          for (let j = 0; j < Tk; j++) {
            const masked = (opts.isCausal && j > i) || (opts.keyPaddingMask && kp[b * Tk + j] === 1);
            if (masked) add[(b * Tq + i) * Tk + j] = -Infinity;
          }
      const out = scaledDotProductAttention(q, k, v, opts);
      out.backward(g);
      const grads = [q.grad!, k.grad!, v.grad!];
      const q2 = q.detach().setRequiresGrad();
      const k2 = k.detach().setRequiresGrad();
      const v2 = v.detach().setRequiresGrad();
      const ref = naive(q2, k2, v2, new Tensor(add, [2, 1, Tq, Tk]), 1 / Math.sqrt(8));
      ref.backward(g);
      const tol = { atol: 2e-5, rtol: 1e-4 };
      expectClose(out, ref, tol, `out Tq${Tq} Tk${Tk}`);
      [q2.grad!, k2.grad!, v2.grad!].forEach((r, i) => expectClose(grads[i], r, tol, `grad ${i} Tq${Tq} Tk${Tk}`));
    }
  });

  it('gives the same forward whether or not it keeps the probabilities', () => {
    const q = tk.randn([2, 3, 100, 16], { seed: 31 });
    const k = tk.randn([2, 3, 90, 16], { seed: 32 });
    const v = tk.randn([2, 3, 90, 16], { seed: 33 });
    for (const opts of [{}, { isCausal: true }, { dropoutP: 0.3, seed: 5 }]) {
      const plain = scaledDotProductAttention(q, k, v, opts);
      const kept = scaledDotProductAttention(q.detach().setRequiresGrad(), k, v, opts);
      expect(kept.requiresGrad).toBe(true);
      expect(Array.from(kept.data)).toEqual(Array.from(plain.data));
    }
  });

  // A kept buffer goes back to a pool after its backward and is reused, uncleared, by the next
  // forward of the same size: a causal call after a non-causal one must not read the old values.
  it('reuses a pooled probability buffer without reading its old contents', () => {
    const grads = (causal: boolean): Tensor[] => {
      const q = tk.randn([1, 2, 70, 16], { seed: 41 }).setRequiresGrad();
      const k = tk.randn([1, 2, 200, 16], { seed: 42 }).setRequiresGrad();
      const v = tk.randn([1, 2, 200, 16], { seed: 43 }).setRequiresGrad();
      scaledDotProductAttention(q, k, v, { isCausal: causal }).backward(tk.randn([1, 2, 70, 16], { seed: 44 }));
      return [q.grad!, k.grad!, v.grad!];
    };
    const prev = tk.nn.functional.setAttentionProbsBudget(0);
    let recomputed: Tensor[];
    try {
      recomputed = grads(true);
    } finally {
      tk.nn.functional.setAttentionProbsBudget(prev);
    }
    grads(false); // fills the pooled buffer with non-zero probabilities everywhere
    const reused = grads(true);
    reused.forEach((g, i) => expectClose(g, recomputed[i], GRAD, `grad ${i}`));
  });

  it('checks the budget of kept probabilities', () => {
    expect(() => tk.nn.functional.setAttentionProbsBudget(-1)).toThrow(RangeError);
    expect(() => tk.nn.functional.setAttentionProbsBudget(1.5)).toThrow(TypeError);
    const prev = tk.nn.functional.setAttentionProbsBudget(7);
    expect(tk.nn.functional.setAttentionProbsBudget(prev)).toBe(7);
  });

  it('gives zeros and zero gradients for fully masked rows, not NaN', () => {
    const q = tk.randn([2, 1, 3, 4], { seed: 8 }).setRequiresGrad();
    const k = tk.randn([2, 1, 4, 4], { seed: 9 }).setRequiresGrad();
    const v = tk.randn([2, 1, 4, 4], { seed: 10 }).setRequiresGrad();
    // Batch row 1 has every key padded.
    const out = scaledDotProductAttention(q, k, v, {
      keyPaddingMask: [
        [false, false, true, false],
        [true, true, true, true],
      ],
    });
    expect(Array.from(out.data.slice(12))).toEqual(new Array(12).fill(0));
    expect(out.data.every((x) => Number.isFinite(x))).toBe(true);
    out.sum().backward();
    expect(Array.from(q.grad!.data.slice(12))).toEqual(new Array(12).fill(0));
    expect(Array.from(v.grad!.data.slice(16))).toEqual(new Array(16).fill(0));
    // Key 2 of batch row 0 is padded: it gets no gradient.
    expect(Array.from(k.grad!.data.slice(8, 12))).toEqual([0, 0, 0, 0]);
    expect(Array.from(v.grad!.data.slice(8, 12))).toEqual([0, 0, 0, 0]);
  });

  it('accepts boolean masks as int32 tensors, Uint8Array and arrays alike', () => {
    const q = tk.randn([1, 1, 2, 4], { seed: 11 });
    const k = tk.randn([1, 1, 3, 4], { seed: 12 });
    const v = tk.randn([1, 1, 3, 4], { seed: 13 });
    const arr = [
      [true, false, true],
      [true, true, false],
    ];
    const a = scaledDotProductAttention(q, k, v, { attnMask: arr });
    const b = scaledDotProductAttention(q, k, v, { attnMask: Uint8Array.from([1, 0, 1, 1, 1, 0]) });
    const c = scaledDotProductAttention(q, k, v, { attnMask: new Tensor(Int32Array.from([1, 0, 1, 1, 1, 0]), [2, 3]) });
    const add = new Tensor(Float32Array.from([0, -Infinity, 0, 0, 0, -Infinity]), [2, 3]);
    const d = naive(q, k, v, add, 0.5);
    expectClose(a, d);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(Array.from(c.data)).toEqual(Array.from(a.data));
  });

  it('handles empty sequences', () => {
    const q = tk.zeros([1, 2, 0, 4]);
    const k = tk.randn([1, 2, 3, 4], { seed: 1 });
    expect(scaledDotProductAttention(q, k, k).shape).toEqual([1, 2, 0, 4]);
    const q1 = tk.randn([1, 2, 2, 4], { seed: 1 });
    const e = tk.zeros([1, 2, 0, 4]);
    expect(Array.from(scaledDotProductAttention(q1, e, e).data)).toEqual(new Array(16).fill(0));
  });

  it('propagates NaN', () => {
    const q = tk.randn([1, 1, 2, 4], { seed: 1 });
    const k = tk.randn([1, 1, 3, 4], { seed: 2 });
    k.data[0] = NaN;
    const out = scaledDotProductAttention(q, k, k);
    expect(out.data.every((x) => Number.isNaN(x))).toBe(true);
  });

  it('stays finite for large scores', () => {
    const q = tk.mul(tk.randn([1, 1, 4, 8], { seed: 1 }), 1e3);
    const k = tk.mul(tk.randn([1, 1, 4, 8], { seed: 2 }), 1e3);
    const v = tk.randn([1, 1, 4, 8], { seed: 3 });
    const out = scaledDotProductAttention(q, k, v);
    expect(out.data.every((x) => Number.isFinite(x))).toBe(true);
  });

  it('dropout is seeded, replayed in the backward, and scales kept probabilities', () => {
    const q = tk.randn([2, 2, 16, 8], { seed: 1 }).setRequiresGrad();
    const k = tk.randn([2, 2, 16, 8], { seed: 2 }).setRequiresGrad();
    const v = tk.randn([2, 2, 16, 8], { seed: 3 }).setRequiresGrad();
    const a = scaledDotProductAttention(q, k, v, { dropoutP: 0.3, seed: 42 });
    const b = scaledDotProductAttention(q, k, v, { dropoutP: 0.3, seed: 42 });
    const c = scaledDotProductAttention(q, k, v, { dropoutP: 0.3, seed: 43 });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    const gen = new tk.Generator(5);
    const d = scaledDotProductAttention(q, k, v, { dropoutP: 0.3, generator: gen });
    const e = scaledDotProductAttention(q, k, v, { dropoutP: 0.3, generator: gen });
    expect(Array.from(d.data)).not.toEqual(Array.from(e.data));
    // The backward regenerates the same mask: check against finite differences on a small case.
    const qs = tk
      .mul(tk.randn([1, 1, 3, 4], { seed: 4 }), 0.5)
      .detach()
      .setRequiresGrad();
    const ks = tk
      .mul(tk.randn([1, 1, 4, 4], { seed: 5 }), 0.5)
      .detach()
      .setRequiresGrad();
    const vs = tk.randn([1, 1, 4, 4], { seed: 6 }).setRequiresGrad();
    gradcheck((x, y, z) => scaledDotProductAttention(x, y, z, { dropoutP: 0.4, seed: 9 }), [qs, ks, vs]);
    // p = 1 drops everything.
    expect(scaledDotProductAttention(q, k, v, { dropoutP: 1, seed: 1 }).data.every((x) => x === 0)).toBe(true);
  });

  it("dropout drops probability (b, h, i, j) by the generator's word ((b * H + h) * Tq + i) * Tk + j", () => {
    // q = k = 0 gives uniform probabilities 1 / Tk, and v = I makes the output those probabilities
    // after dropout; Tk = 130 spans two key tiles and rows that start mid-block.
    const [B, H, Tq, Tk, p] = [2, 2, 3, 130, 0.3];
    const q = tk.zeros([B, H, Tq, Tk]);
    const k = tk.zeros([B, H, Tk, Tk]);
    const eye = new Float32Array(B * H * Tk * Tk);
    for (let bh = 0; bh < B * H; bh++) for (let j = 0; j < Tk; j++) eye[(bh * Tk + j) * Tk + j] = 1;
    const v = tk.tensor(eye, [B, H, Tk, Tk]);
    const out = scaledDotProductAttention(q, k, v, { dropoutP: p, seed: 5 }).data;
    const words = new tk.Generator(5).uint32(B * H * Tq * Tk);
    const keep = Math.fround(1 / (1 - p));
    for (let idx = 0; idx < words.length; idx++) {
      const kept = Math.fround((words[idx] >>> 8) / 16777216) >= Math.fround(p);
      expect(out[idx]).toBeCloseTo(kept ? keep / Tk : 0, 6);
    }
  });

  it('dropout keeps about 1 - p of the probability mass, unbiased on average', () => {
    const q = tk.zeros([1, 1, 64, 4]);
    const k = tk.zeros([1, 1, 256, 4]);
    const v = tk.ones([1, 1, 256, 4]);
    // Uniform probabilities 1/256: each output is (kept count) / 256 / (1 - p).
    const out = scaledDotProductAttention(q, k, v, { dropoutP: 0.25, seed: 3 });
    let mean = 0;
    for (const x of out.data) mean += x / out.size;
    expect(Math.abs(mean - 1)).toBeLessThan(0.02);
  });

  it('is a Tensor method', () => {
    const q = tk.randn([1, 1, 2, 4], { seed: 1 });
    expect(Array.from(q.scaledDotProductAttention(q, q).data)).toEqual(
      Array.from(scaledDotProductAttention(q, q, q).data),
    );
  });
});

describe('scaledDotProductAttention rejects bad input', () => {
  const q = tk.randn([1, 2, 3, 4], { seed: 1 });
  const k = tk.randn([1, 2, 5, 4], { seed: 2 });
  const err = (name: string, re: RegExp) => expect.objectContaining({ name, message: expect.stringMatching(re) });
  it('mismatched heads, head sizes and ranks', () => {
    expect(() => scaledDotProductAttention(q, tk.randn([1, 3, 5, 4]), tk.randn([1, 3, 5, 4]))).toThrow(
      err('RangeError', /batch and head/),
    );
    expect(() => scaledDotProductAttention(q, tk.randn([1, 2, 5, 8]), k)).toThrow(err('RangeError', /head size of k/));
    expect(() => scaledDotProductAttention(q, k, tk.randn([1, 2, 5, 8]))).toThrow(err('RangeError', /head size/));
    expect(() => scaledDotProductAttention(q, k, tk.randn([1, 2, 6, 4]))).toThrow(
      err('RangeError', /different lengths/),
    );
    expect(() => scaledDotProductAttention(tk.randn([3, 4]), k, k)).toThrow(err('RangeError', /q must be/));
    expect(() => scaledDotProductAttention(q, tk.randn([2, 5, 4]), k)).toThrow(err('RangeError', /same rank/));
    expect(() => scaledDotProductAttention(q, new Tensor(new Int32Array(40), [1, 2, 5, 4]), k)).toThrow(
      err('TypeError', /k must be a float32/),
    );
  });
  it('masks of the wrong shape or type', () => {
    expect(() => scaledDotProductAttention(q, k, k, { attnMask: tk.zeros([3, 4]) })).toThrow(
      err('RangeError', /does not broadcast/),
    );
    expect(() => scaledDotProductAttention(q, k, k, { attnMask: Uint8Array.from([1, 0]) })).toThrow(
      err('RangeError', /15 elements/),
    );
    expect(() => scaledDotProductAttention(q, k, k, { attnMask: 'yes' as never })).toThrow(
      err('TypeError', /attnMask/),
    );
    expect(() => scaledDotProductAttention(q, k, k, { attnMask: new Tensor(Int32Array.from([2]), [1]) })).toThrow(
      err('RangeError', /0 and 1/),
    );
    expect(() => scaledDotProductAttention(q, k, k, { keyPaddingMask: [[true, false]] })).toThrow(
      err('RangeError', /keyPaddingMask must have shape \[1, 5\]/),
    );
    expect(() => scaledDotProductAttention(q, k, k, { keyPaddingMask: tk.zeros([1, 5]) })).toThrow(
      err('TypeError', /boolean/),
    );
    expect(() => scaledDotProductAttention(q, k, k, { attnMask: tk.zeros([3, 5]), isCausal: true })).toThrow(
      err('RangeError', /isCausal/),
    );
    expect(() => scaledDotProductAttention(q, k, k, { dropoutP: 1.5 })).toThrow(err('RangeError', /dropoutP/));
    expect(() => scaledDotProductAttention(q, k, k, { scale: NaN })).toThrow(err('TypeError', /scale/));
  });
});

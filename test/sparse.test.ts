import * as tk from '../lib';
import {
  expectClose,
  FixtureTensor,
  fromFixture,
  gradcheck,
  loadFixture,
  expectThrowNamed as throwsNamed,
} from './helpers';

type Case = Record<string, unknown>;
const F = (c: Case, k: string): FixtureTensor => c[k] as FixtureTensor;
const fx = loadFixture<Case[]>('sparse');
const { CsrMatrix, spmm, spmmTransposed } = tk.sparse;

function csrOf(c: Case): InstanceType<typeof CsrMatrix> {
  return new CsrMatrix(
    c.R as number,
    c.C as number,
    Int32Array.from(F(c, 'indptr').data),
    Int32Array.from(F(c, 'indices').data),
    Float32Array.from(F(c, 'values').data),
  );
}

describe('spmm', () => {
  it.each(fx.map((c, i) => [i, c] as const))('matches torch.sparse.mm and its gradient, case %i', (_i, c) => {
    const a = csrOf(c);
    const b = fromFixture(F(c, 'dense'), { requiresGrad: true });
    const y = spmm(a, b);
    expectClose(y, F(c, 'y'), { atol: 1e-5, rtol: 1e-5 }, 'forward');
    y.backward(fromFixture(F(c, 'g')));
    expectClose(b.grad!, F(c, 'gdense'), { atol: 1e-5, rtol: 1e-4 }, 'grad');
  });

  it('passes gradcheck, forward and transposed', () => {
    const a = CsrMatrix.fromTriplets([3, 4], [0, 0, 2, 2, 1], [1, 3, 0, 1, 3], [1.5, -2, 0.5, 1, 3]);
    gradcheck((b) => spmm(a, b), [tk.randn([4, 2], { seed: 1, requiresGrad: true })]);
    gradcheck((g) => spmmTransposed(a, g), [tk.randn([3, 2], { seed: 2, requiresGrad: true })]);
  });

  it('is deterministic across thread counts for the gradient', () => {
    const R = 300;
    const C = 50;
    const rows: number[] = [];
    const cols: number[] = [];
    const vals: number[] = [];
    for (let r = 0; r < R; r++)
      for (let k = 0; k < 8; k++) {
        rows.push(r);
        cols.push((r * 7 + k * 13) % C);
        vals.push(Math.sin(r + k));
      }
    const a = CsrMatrix.fromTriplets([R, C], rows, cols, vals);
    const g = tk.randn([R, 64], { seed: 3 });
    const run = (threads: number): Float32Array => {
      tk.setNumThreads(threads);
      return spmmTransposed(a, g).f32.slice();
    };
    const one = run(1);
    const two = run(2);
    tk.setNumThreads(0);
    expect(Buffer.from(one.buffer).equals(Buffer.from(two.buffer))).toBe(true);
    expectClose(spmm(a.transpose(), g), one, { atol: 1e-5, rtol: 1e-5 });
  });

  it('rejects a dense operand of the wrong shape', () => {
    const a = CsrMatrix.fromTriplets([2, 3], [0], [1], [1]);
    expect(() => spmm(a, tk.zeros([2, 3]))).toThrow(/dense must have shape \[3, H\]/);
    expect(() => spmm(a, tk.zeros([3]))).toThrow(RangeError);
    expect(() => spmm(tk.zeros([2, 3]) as unknown as InstanceType<typeof CsrMatrix>, tk.zeros([3, 1]))).toThrow(
      TypeError,
    );
    expect(() => spmmTransposed(a, tk.zeros([3, 1]))).toThrow(/dense must have shape \[2, H\]/);
  });
});

describe('CsrMatrix', () => {
  it('round-trips dense and triplets, summing duplicates', () => {
    const d = tk.tensor([
      [0, 1, 0],
      [2, 0, 3],
      [0, 0, 0],
    ]);
    const a = CsrMatrix.fromDense(d);
    expect(Array.from(a.indptr)).toEqual([0, 1, 3, 3]);
    expect(Array.from(a.indices)).toEqual([1, 0, 2]);
    expect(a.nnz).toBe(3);
    expect(a.shape).toEqual([3, 3]);
    expect(a.toDense().toArray()).toEqual(d.toArray());
    const b = CsrMatrix.fromTriplets([3, 3], [1, 0, 1, 1], [2, 1, 0, 2], [1, 1, 2, 2]);
    expect(b.toDense().toArray()).toEqual(d.toArray());
    expect(b.nnz).toBe(3);
    expect(a.transpose().toDense().toArray()).toEqual([
      [0, 2, 0],
      [1, 0, 0],
      [0, 3, 0],
    ]);
  });

  it('selects rows for a mini-batch', () => {
    const a = CsrMatrix.fromDense(
      tk.tensor([
        [0, 1, 0],
        [2, 0, 3],
        [0, 0, 4],
      ]),
    );
    const batch = a.selectRows([2, 0, 2]);
    expect(batch.rows).toBe(3);
    expect(batch.toDense().toArray()).toEqual([
      [0, 0, 4],
      [0, 1, 0],
      [0, 0, 4],
    ]);
    expect(a.selectRows(new Int32Array(0)).rows).toBe(0);
    expect(() => a.selectRows([3])).toThrow(/rowList\[0\]/);
  });

  it('validates its structure on construction', () => {
    throwsNamed(() => new CsrMatrix(2, 3, [0, 2, 1], [0, 1], [1, 1]), 'RangeError', /non-decreasing/);
    throwsNamed(() => new CsrMatrix(2, 3, [0, 1, 2], [0, 3], [1, 1]), 'RangeError', /indices\[1\] = 3 is out of range/);
    throwsNamed(() => new CsrMatrix(2, 3, [1, 1, 2], [0, 1], [1, 1]), 'RangeError', /indptr\[0\]/);
    throwsNamed(() => new CsrMatrix(2, 3, [0, 1, 3], [0, 1], [1, 1]), 'RangeError', /indptr\[2\]/);
    expect(() => new CsrMatrix(2, 3, [0, 1], [0], [1])).toThrow(/indptr must have rows \+ 1/);
    expect(() => new CsrMatrix(2, 3, [0, 1, 2], [0, 1], [1])).toThrow(/same length/);
    expect(() => new CsrMatrix(-1, 3, [0], [], [])).toThrow(/rows/);
    expect(() => CsrMatrix.fromTriplets([2, 2], [0, 2], [0, 0], [1, 1])).toThrow(/rows\[1\]/);
    expect(() => CsrMatrix.fromTriplets([2, 2], [0], [5], [1])).toThrow(/cols\[0\]/);
  });

  it('native spmm rejects malformed CSR arguments', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const n = require('../lib/native').native;
    const out = new Float32Array(4);
    const dense = new Float32Array(6);
    const ok = [new Int32Array([0, 1, 2]), new Int32Array([0, 2]), new Float32Array([1, 1])];
    n.spmm(out, ...ok, dense, 2, 3, 2);
    throwsNamed(() => n.spmm(out, new Int32Array([0, 1, 5]), ok[1], ok[2], dense, 2, 3, 2), 'RangeError');
    throwsNamed(() => n.spmm(out, ok[0], new Int32Array([0, -1]), ok[2], dense, 2, 3, 2), 'RangeError');
    throwsNamed(() => n.spmm(out, ...ok, new Float32Array(5), 2, 3, 2), 'RangeError');
    throwsNamed(() => n.spmm(dense, ...ok, dense, 2, 3, 2), 'RangeError');
    throwsNamed(() => n.spmmTransposed(new Float32Array(5), ...ok, out, 2, 3, 2), 'RangeError');
    throwsNamed(() => n.spmm(out, ok[0], ok[1], new Float32Array(1), dense, 2, 3, 2), 'RangeError');
    throwsNamed(() => n.spmm(out, ...ok, dense, 2, 3), 'TypeError');
  });
});

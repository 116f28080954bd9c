import * as tk from '../lib';
import { native } from '../lib/native';
import { Tensor } from '../lib/tensor';
import { loadDecoded } from './ewfixture';
import { expectClose, FixtureTensor, fromFixture, gradcheck } from './helpers';

interface ShapeCase {
  name: string;
  op: string;
  params: Record<string, unknown>;
  inputs: FixtureTensor[];
  outs: FixtureTensor[];
  ws: FixtureTensor[];
  grads: FixtureTensor[];
}
const fixture = loadDecoded<{ cases: ShapeCase[] }>('shape');

type Fn = (xs: Tensor[], p: Record<string, unknown>) => Tensor | Tensor[];
const ops: Record<string, Fn> = {
  permute: ([x], p) => x.permute(p.dims as number[]),
  transpose: ([x], p) => tk.transpose(x, p.dim0 as number, p.dim1 as number),
  t: ([x]) => x.t(),
  slice: ([x], p) => tk.slice(x, p.dim as number, p.start as number | null, p.end as number | null, p.step as number),
  concat: (xs, p) => tk.concat(xs, p.dim as number),
  stack: (xs, p) => tk.stack(xs, p.dim as number),
  expand: ([x], p) => x.expand(p.shape as number[]),
  broadcastTo: ([x], p) => tk.broadcastTo(x, p.shape as number[]),
  repeat: ([x], p) => x.repeat(p.sizes as number[]),
  flatten: ([x], p) => tk.flatten(x, p.startDim as number | undefined, p.endDim as number | undefined),
  squeeze: ([x], p) => x.squeeze(p.dim as number | number[] | undefined),
  unsqueeze: ([x], p) => tk.unsqueeze(x, p.dim as number),
  reshape: ([x], p) => x.reshape(p.shape as number[]),
  split: ([x], p) => tk.split(x, p.split as number | number[], p.dim as number),
  chunk: ([x], p) => x.chunk(p.chunks as number, p.dim as number),
  narrow: ([x], p) => x.narrow(p.dim as number, p.start as number, p.length as number),
};

describe('layout ops against PyTorch', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const xs = c.inputs.map((t) => fromFixture(t, { requiresGrad: true }));
      const res = ops[c.op](xs, c.params);
      const outs = Array.isArray(res) ? res : [res];
      expect(outs.length).toBe(c.outs.length);
      outs.forEach((o, i) => {
        expect(o.shape).toEqual(c.outs[i].shape);
        expectClose(o, fromFixture(c.outs[i]), { atol: 0, rtol: 0 }, `${c.name} output ${i}`);
      });
      // One backward through the weighted sum of all outputs.
      const total = outs.map((o, i) => tk.mul(o, fromFixture(c.ws[i])).sum()).reduce((a, b) => tk.add(a, b));
      total.backward();
      xs.forEach((x, i) => expectClose(x.grad!, c.grads[i], { atol: 1e-6, rtol: 1e-6 }, `${c.name} grad ${i}`));
    });
  }
});

describe('strided copies', () => {
  it('transposes large matrices exactly (tiled path) and identically for any thread count', () => {
    const x = tk.randn([301, 517], { seed: 1 });
    const y = x.t();
    expect(y.shape).toEqual([517, 301]);
    let ok = true;
    for (let i = 0; i < 301 && ok; i++)
      for (let j = 0; j < 517; j++) if (y.data[j * 301 + i] !== x.data[i * 517 + j]) ok = false;
    expect(ok).toBe(true);
    const before = tk.getNumThreads();
    tk.setNumThreads(1);
    try {
      const y1 = x.t();
      let same = true;
      for (let i = 0; i < y.size; i++) if (y1.data[i] !== y.data[i]) same = false;
      expect(same).toBe(true);
    } finally {
      tk.setNumThreads(before);
    }
  });
  it('permutes batched 3-D tensors through the tiled path', () => {
    const x = tk.randn([3, 40, 50], { seed: 2 });
    const y = tk.permute(x, [0, 2, 1]);
    let ok = true;
    for (let b = 0; b < 3; b++)
      for (let i = 0; i < 40; i++)
        for (let j = 0; j < 50; j++) if (y.data[(b * 50 + j) * 40 + i] !== x.data[(b * 40 + i) * 50 + j]) ok = false;
    expect(ok).toBe(true);
  });
});

describe('int32 tensors', () => {
  const ids = tk.tensor(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    { dtype: 'int32' },
  );
  it('reshape, permute, slice, concat, stack, expand and repeat keep int32', () => {
    const checks: [Tensor, unknown][] = [
      [
        ids.reshape(3, 2),
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
      ],
      [
        ids.t(),
        [
          [1, 4],
          [2, 5],
          [3, 6],
        ],
      ],
      [
        tk.slice(ids, 1, 1),
        [
          [2, 3],
          [5, 6],
        ],
      ],
      [
        tk.concat([ids, ids], 0),
        [
          [1, 2, 3],
          [4, 5, 6],
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
      [
        tk.stack([ids.slice(0, 0, 1), ids.slice(0, 1, 2)], 0).squeeze(1),
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
      [
        tk.slice(ids, 1, 0, 1).expand(2, 2),
        [
          [1, 1],
          [4, 4],
        ],
      ],
      [
        ids.slice(0, 0, 1).repeat(2, 1),
        [
          [1, 2, 3],
          [1, 2, 3],
        ],
      ],
      [
        ids.clone(),
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
      ],
    ];
    for (const [t, expected] of checks) {
      expect(t.dtype).toBe('int32');
      expect(t.toArray()).toEqual(expected);
      expect(t.requiresGrad).toBe(false);
    }
  });
  it('refuses to concatenate int32 with float32', () => {
    expect(() => tk.concat([ids, tk.ones([2, 3])])).toThrow(TypeError);
  });
});

describe('views share data', () => {
  it('reshape, view, flatten, squeeze and unsqueeze', () => {
    const x = tk.arange(6);
    expect(x.reshape(2, 3).data).toBe(x.data);
    expect(x.view([3, -1]).shape).toEqual([3, 2]);
    expect(x.view(2, 3).flatten().data).toBe(x.data);
    expect(x.unsqueeze(0).squeeze().data).toBe(x.data);
    expect(tk.flatten(tk.tensor(3)).shape).toEqual([1]);
    expect(x.contiguous()).toBe(x);
    expect(x.clone().data).not.toBe(x.data);
  });
});

describe('gradcheck', () => {
  const r = (shape: number[], seed: number): Tensor => tk.uniform(shape, -2, 2, { seed, requiresGrad: true });
  it('every layout op', () => {
    gradcheck((x) => tk.permute(x, [2, 0, 1]), [r([2, 3, 4], 1)]);
    gradcheck((x) => tk.transpose(x, 0, 1), [r([3, 2], 2)]);
    gradcheck((x) => tk.slice(x, 1, -3, null, 2), [r([2, 5], 3)]);
    gradcheck((a, b) => tk.concat([a, b], 1), [r([2, 2], 4), r([2, 3], 5)]);
    gradcheck((a, b) => tk.stack([a, b], 1), [r([2, 3], 6), r([2, 3], 7)]);
    gradcheck((x) => tk.expand(x, [2, 3, 4]), [r([3, 1], 8)]);
    gradcheck((x) => tk.repeat(x, [2, 2]), [r([2, 3], 9)]);
    gradcheck((x) => tk.reshape(x, [3, -1]), [r([2, 3], 10)]);
    gradcheck((x) => tk.squeeze(tk.unsqueeze(x, 1)), [r([2, 3], 11)]);
    gradcheck((x) => tk.flatten(x, 1), [r([2, 3, 2], 12)]);
    gradcheck((x) => tk.clone(x), [r([4], 13)]);
    gradcheck((x) => tk.concat(tk.chunk(x, 2, 1).reverse(), 1), [r([2, 4], 14)]);
  });
});

describe('bad input', () => {
  const x = tk.ones([2, 3]);
  it('throws RangeError for bad shapes and dims', () => {
    expect(() => x.reshape(4, 2)).toThrow(/\[4, 2\].*\[2, 3\]/);
    expect(() => x.reshape(-1, -1)).toThrow(RangeError);
    expect(() => x.permute([0, 0])).toThrow(RangeError);
    expect(() => x.permute([0])).toThrow(RangeError);
    expect(() => x.transpose(0, 2)).toThrow(RangeError);
    expect(() => tk.ones([2, 2, 2]).t()).toThrow(RangeError);
    expect(() => x.unsqueeze(3)).toThrow(RangeError);
    expect(() => x.slice(2, 0, 1)).toThrow(RangeError);
    expect(() => x.slice(1, 0, 2, 0)).toThrow(RangeError);
    expect(() => tk.concat([x, tk.ones([3, 3])], 1)).toThrow(/tensors\[1\] has shape \[3, 3\]/);
    expect(() => tk.concat([])).toThrow(RangeError);
    expect(() => tk.stack([x, tk.ones([3, 2])])).toThrow(RangeError);
    expect(() => x.expand(3, 3)).toThrow(/\[2, 3\].*\[3, 3\]/);
    expect(() => x.expand(3)).toThrow(RangeError);
    expect(() => x.split([1, 1], 1)).toThrow(RangeError);
    expect(() => x.repeat(2)).toThrow(RangeError);
    expect(() => x.flatten(1, 0)).toThrow(RangeError);
  });
  it('throws TypeError for wrong types', () => {
    expect(() => tk.reshape([1, 2] as unknown as Tensor, [2])).toThrow(TypeError);
    expect(() => x.reshape([2, 1.5])).toThrow(TypeError);
    expect(() => x.slice(1, 0.5)).toThrow(TypeError);
    expect(() => tk.concat(x as unknown as Tensor[])).toThrow(TypeError);
    expect(() => tk.concat([x, 3 as unknown as Tensor])).toThrow(TypeError);
    expect(() => x.transpose('0' as unknown as number, 1)).toThrow(TypeError);
  });
  it('stridedCopy rejects out-of-bounds views', () => {
    const names = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        return (e as Error).name;
      }
      return 'none';
    };
    const a = new Float32Array(6);
    const b = new Float32Array(6);
    expect(names(() => native.stridedCopy(a, 0, [3, 1], b, 1, [3, 1], [2, 3]))).toBe('RangeError');
    expect(names(() => native.stridedCopy(a, 0, [3, 1], b, 0, [3, 2], [2, 3]))).toBe('RangeError');
    expect(names(() => native.stridedCopy(a, 0, [3], b, 0, [3, 1], [2, 3]))).toBe('RangeError');
    expect(names(() => native.stridedCopy(a, 0, [3, 1], new Int32Array(6), 0, [3, 1], [2, 3]))).toBe('TypeError');
    expect(names(() => native.stridedCopy(a, 0, [3, 1], a, 0, [3, 1], [2, 3]))).toBe('RangeError');
    expect(names(() => native.stridedCopy(a, -1, [3, 1], b, 0, [3, 1], [2, 3]))).toBe('RangeError');
    expect(names(() => native.stridedCopy(a, 0, [3, 1], b, 0, [3, 1], [2, 3]))).toBe('none');
  });
});

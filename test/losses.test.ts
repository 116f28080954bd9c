import * as tk from '../lib';
import { expectClose, FixtureTensor, fromFixture, gradcheck, loadFixture } from './helpers';

type Case = Record<string, unknown>;
const F = (c: Case, k: string): FixtureTensor => c[k] as FixtureTensor;
const fx = loadFixture<Record<string, Case[]>>('losses');
const FWD = { atol: 1e-5, rtol: 1e-5 };
const GRAD = { atol: 1e-5, rtol: 1e-4 };
type Red = 'mean' | 'sum' | 'none';

const label = (c: Case): string =>
  `${F(c, 'x') ? JSON.stringify(F(c, 'x').shape) : ''} ${c.reduction}` +
  `${c.weight ? ' weight' : ''}${c.posWeight ? ' posWeight' : ''}${c.labelSmoothing ? ` ls=${c.labelSmoothing}` : ''}` +
  `${c.ignoreIndex !== undefined && c.ignoreIndex !== -100 ? ` ignore=${c.ignoreIndex}` : ''}${c.allIgnored ? ' all ignored' : ''}`;

describe('crossEntropy with class indices', () => {
  it.each(fx.crossEntropy.map((c, i) => [i, label(c), c] as const))('matches PyTorch, case %i: %s', (_i, _l, c) => {
    const x = fromFixture(F(c, 'x'), { requiresGrad: true });
    const loss = tk.crossEntropy(x, fromFixture(F(c, 'target')), {
      weight: c.weight ? fromFixture(F(c, 'weight')) : undefined,
      ignoreIndex: c.ignoreIndex as number,
      labelSmoothing: c.labelSmoothing as number,
      reduction: c.reduction as Red,
    });
    const tol = c.large ? { atol: 1e-5, rtol: 1e-6 } : FWD;
    expectClose(loss, fromFixture(F(c, 'loss')), tol, 'loss');
    expect(loss.shape).toEqual(F(c, 'loss').shape);
    if (c.allIgnored) return;
    loss.backward(fromFixture(F(c, 'g')));
    expectClose(x.grad!, F(c, 'gx'), GRAD, 'grad');
  });

  it('gives NaN for mean when every target is ignored', () => {
    const loss = tk.crossEntropy(tk.randn([2, 3], { seed: 1 }), [-100, -100]);
    expect(Number.isNaN(loss.item())).toBe(true);
  });

  it('takes Int32Array, number[] and int32 tensors alike', () => {
    const x = tk.randn([3, 4], { seed: 2 });
    const a = tk.crossEntropy(x, [1, 0, 3]).item();
    expect(tk.crossEntropy(x, new Int32Array([1, 0, 3])).item()).toBe(a);
    expect(tk.crossEntropy(x, tk.tensor(new Int32Array([1, 0, 3]), [3])).item()).toBe(a);
  });

  it('passes gradcheck with weight, ignoreIndex and labelSmoothing', () => {
    const x = tk.randn([4, 3, 2], { seed: 3, requiresGrad: true });
    const weight = tk.tensor([0.5, 2, 1]);
    const target = [
      [0, 2],
      [1, -100],
      [2, 2],
      [0, 1],
    ];
    for (const reduction of ['mean', 'sum', 'none'] as Red[]) {
      gradcheck((a) => tk.crossEntropy(a, target, { weight, labelSmoothing: 0.1, reduction }), [x]);
    }
  });

  it('rejects bad targets and options, naming the argument', () => {
    const x = tk.zeros([2, 3]);
    expect(() => tk.crossEntropy(x, [0, 3])).toThrow(/target\[1\] = 3 is out of range/);
    expect(() => tk.crossEntropy(x, [0, -1])).toThrow(RangeError);
    expect(() => tk.crossEntropy(x, [0, 1, 2])).toThrow(/target has shape \[3\], expected \[2\]/);
    expect(() => tk.crossEntropy(x, tk.tensor(new Int32Array(4), [2, 2]))).toThrow(RangeError);
    expect(() => tk.crossEntropy(x, tk.zeros([2, 4]))).toThrow(/target of class probabilities/);
    expect(() => tk.crossEntropy(x, [0, 1], { weight: tk.ones([2]) })).toThrow(/weight must have one value per class/);
    expect(() => tk.crossEntropy(x, [0, 1], { reduction: 'avg' as Red })).toThrow(/reduction must be one of/);
    expect(() => tk.crossEntropy(x, [0, 1], { labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
    expect(() => tk.crossEntropy(x, [0, 1], { ignoreIndex: 0.5 })).toThrow(TypeError);
    expect(() => tk.crossEntropy(tk.zeros([]), 0)).toThrow(/class dimension/);
    expect(() => tk.crossEntropy(x, tk.tensor([0, 1]))).toThrow(RangeError);
  });
});

describe('crossEntropy with class probabilities', () => {
  it.each(fx.crossEntropyProb.map((c, i) => [i, label(c), c] as const))('matches PyTorch, case %i: %s', (_i, _l, c) => {
    const x = fromFixture(F(c, 'x'), { requiresGrad: true });
    const t = fromFixture(F(c, 'target'), { requiresGrad: true });
    const loss = tk.crossEntropy(x, t, {
      weight: c.weight ? fromFixture(F(c, 'weight')) : null,
      labelSmoothing: c.labelSmoothing as number,
      reduction: c.reduction as Red,
    });
    expectClose(loss, F(c, 'loss'), FWD, 'loss');
    loss.backward(fromFixture(F(c, 'g')));
    expectClose(x.grad!, F(c, 'gx'), GRAD, 'grad logits');
    expectClose(t.grad!, F(c, 'gtarget'), GRAD, 'grad target');
  });

  it('passes gradcheck for logits and target', () => {
    const x = tk.randn([3, 4], { seed: 4, requiresGrad: true });
    const t = tk.softmax(tk.randn([3, 4], { seed: 5 }), 1).setRequiresGrad();
    gradcheck((a, b) => tk.crossEntropy(a, b, { labelSmoothing: 0.2, weight: tk.tensor([1, 2, 0.5, 1]) }), [x, t]);
  });
});

describe('nllLoss', () => {
  it.each(fx.nllLoss.map((c, i) => [i, label(c), c] as const))('matches PyTorch, case %i: %s', (_i, _l, c) => {
    const x = fromFixture(F(c, 'x'), { requiresGrad: true });
    const loss = tk.nllLoss(x, fromFixture(F(c, 'target')), {
      weight: c.weight ? fromFixture(F(c, 'weight')) : null,
      reduction: c.reduction as Red,
    });
    expectClose(loss, F(c, 'loss'), FWD, 'loss');
    loss.backward(fromFixture(F(c, 'g')));
    expectClose(x.grad!, F(c, 'gx'), GRAD, 'grad');
  });

  it('agrees with crossEntropy on logSoftmax and passes gradcheck', () => {
    const x = tk.randn([5, 3], { seed: 6, requiresGrad: true });
    const target = [0, 2, 1, 1, -100];
    expect(tk.nllLoss(tk.logSoftmax(x, 1), target).item()).toBeCloseTo(tk.crossEntropy(x, target).item(), 6);
    gradcheck((a) => tk.nllLoss(a, target, { weight: tk.tensor([1, 2, 3]), reduction: 'sum' }), [x]);
  });

  it('rejects bad targets', () => {
    expect(() => tk.nllLoss(tk.zeros([2, 3]), [0, 5])).toThrow(/target\[1\] = 5/);
    expect(() => tk.nllLoss(tk.zeros([2, 3]), [0])).toThrow(/target has shape/);
  });
});

describe('binaryCrossEntropyWithLogits', () => {
  it.each(fx.bce.map((c, i) => [i, label(c), c] as const))('matches PyTorch, case %i: %s', (_i, _l, c) => {
    const x = fromFixture(F(c, 'x'), { requiresGrad: true });
    const t = fromFixture(F(c, 'target'), { requiresGrad: true });
    const loss = tk.binaryCrossEntropyWithLogits(x, t, {
      weight: c.weight ? fromFixture(F(c, 'weight')) : null,
      posWeight: c.posWeight ? fromFixture(F(c, 'posWeight')) : null,
      reduction: c.reduction as Red,
    });
    // Logits of 1e4 give losses of ~1e4, where a float32 ulp is ~1e-3.
    expectClose(loss, F(c, 'loss'), { atol: 1e-5, rtol: 1e-6 }, 'loss');
    loss.backward(fromFixture(F(c, 'g')));
    expectClose(x.grad!, F(c, 'gx'), GRAD, 'grad input');
    expectClose(t.grad!, F(c, 'gtarget'), { atol: 1e-4, rtol: 1e-4 }, 'grad target');
  });

  it('is finite for logits of +-1e4 and passes gradcheck', () => {
    const l = tk.binaryCrossEntropyWithLogits(tk.tensor([1e4, -1e4]), tk.tensor([0, 1]), { reduction: 'none' });
    expect(Array.from(l.data)).toEqual([1e4, 1e4]);
    const x = tk.randn([3, 2], { seed: 7, requiresGrad: true });
    const t = tk.rand([3, 2], { seed: 8, requiresGrad: true });
    gradcheck(
      (a, b) => tk.binaryCrossEntropyWithLogits(a, b, { posWeight: tk.tensor([2, 0.5]), weight: tk.tensor([3]) }),
      [x, t],
    );
  });

  it('rejects mismatched shapes', () => {
    const x = tk.zeros([2, 3]);
    expect(() => tk.binaryCrossEntropyWithLogits(x, tk.zeros([3]))).toThrow(/target has shape/);
    expect(() => tk.binaryCrossEntropyWithLogits(x, tk.zeros([2, 3]), { posWeight: tk.ones([2]) })).toThrow(
      /posWeight/,
    );
    expect(() => tk.binaryCrossEntropyWithLogits(x, tk.zeros([2, 3]), { weight: tk.ones([4, 2, 3]) })).toThrow(
      /weight/,
    );
    expect(() => tk.binaryCrossEntropyWithLogits(x, tk.zeros([2, 3]), { reduction: 'batchmean' as Red })).toThrow(
      RangeError,
    );
  });
});

describe('mseLoss, l1Loss, smoothL1Loss, klDiv', () => {
  const fns: Record<string, (a: tk.Tensor, b: tk.Tensor, o: Record<string, unknown>) => tk.Tensor> = {
    mseLoss: (a, b, o) => tk.mseLoss(a, b, o),
    l1Loss: (a, b, o) => tk.l1Loss(a, b, o),
    smoothL1Loss: (a, b, o) => tk.smoothL1Loss(a, b, o),
    klDiv: (a, b, o) => tk.klDiv(a, b, o),
  };
  it.each(fx.pointwise.map((c, i) => [i, `${c.name} ${JSON.stringify(c.opts)} ${c.reduction}`, c] as const))(
    'matches PyTorch, case %i: %s',
    (_i, _l, c) => {
      const a = fromFixture(F(c, 'input'), { requiresGrad: true });
      const b = fromFixture(F(c, 'target'), { requiresGrad: true });
      const loss = fns[c.name as string](a, b, { ...(c.opts as object), reduction: c.reduction });
      expectClose(loss, F(c, 'loss'), FWD, 'loss');
      loss.backward(fromFixture(F(c, 'g')));
      expectClose(a.grad!, F(c, 'ginput'), GRAD, 'grad input');
      expectClose(b.grad!, fromFixture(F(c, 'gtarget')), GRAD, 'grad target');
    },
  );

  it('passes gradcheck', () => {
    const a = tk.randn([2, 3], { seed: 9, requiresGrad: true });
    const b = tk.randn([2, 3], { seed: 10, requiresGrad: true });
    gradcheck((x, y) => tk.mseLoss(x, y), [a, b]);
    gradcheck((x, y) => tk.smoothL1Loss(x, y, { beta: 0.5, reduction: 'sum' }), [a, b], { eps: 1e-3 });
    const p = tk.softmax(tk.randn([2, 3], { seed: 11 }), 1).setRequiresGrad();
    gradcheck(
      (x, y) => tk.klDiv(x, y, { reduction: 'batchmean' }),
      [tk.logSoftmax(a, 1).detach().setRequiresGrad(), p],
    );
  });

  it('rejects mismatched shapes and bad reductions', () => {
    expect(() => tk.mseLoss(tk.zeros([2]), tk.zeros([3]))).toThrow(/target has shape/);
    expect(() => tk.l1Loss(tk.zeros([2]), tk.zeros([2]), { reduction: 'batchmean' as Red })).toThrow(RangeError);
    expect(() => tk.smoothL1Loss(tk.zeros([2]), tk.zeros([2]), { beta: -1 })).toThrow(/beta/);
    expect(() => tk.klDiv(tk.zeros([2]), tk.zeros([2]), { reduction: 'avg' as Red })).toThrow(/reduction/);
  });
});

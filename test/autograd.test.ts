// The engine on its own, with ops defined here through fromOp, so it is tested independently of
// the native kernels.
import { fromOp, handOver, noGrad, Tensor, enableGrad, isGradEnabled } from '../lib/tensor';
import { tensor } from '../lib/creation';

function mulOp(a: Tensor, b: Tensor): Tensor {
  const out = new Float32Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] * b.data[i];
  return fromOp('mul', out, a.shape, [a, b], (g) => {
    const ga = new Float32Array(a.size);
    const gb = new Float32Array(b.size);
    for (let i = 0; i < ga.length; i++) {
      ga[i] = g.data[i] * b.data[i];
      gb[i] = g.data[i] * a.data[i];
    }
    return [new Tensor(ga, a.shape), new Tensor(gb, b.shape)];
  });
}

function sumOp(a: Tensor): Tensor {
  let s = 0;
  for (const v of a.data) s += v;
  return fromOp('sum', new Float32Array([s]), [], [a], (g) => [
    new Tensor(new Float32Array(a.size).fill(g.data[0]), a.shape),
  ]);
}

// Passes its gradient through unchanged: checks the engine never mutates a handed-over gradient.
function identityOp(a: Tensor): Tensor {
  return fromOp('identity', a.f32.slice(), a.shape, [a], (g) => [g]);
}

// mulOp whose backward hands its fresh gradients over to the engine; `same` returns a's gradient
// tensor for both inputs (right only when a and b hold equal values).
function mulHandedOver(a: Tensor, b: Tensor, same = false): Tensor {
  const out = new Float32Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] * b.data[i];
  return fromOp('mulHandedOver', out, a.shape, [a, b], (g) => {
    const ga = new Float32Array(a.size);
    for (let i = 0; i < ga.length; i++) ga[i] = g.data[i] * b.data[i];
    const ta = handOver(new Tensor(ga, a.shape));
    if (same) return [ta, ta];
    const gb = new Float32Array(b.size);
    for (let i = 0; i < gb.length; i++) gb[i] = g.data[i] * a.data[i];
    return [ta, handOver(new Tensor(gb, b.shape))];
  });
}

describe('autograd engine', () => {
  it('keeps handed-over gradients without copying, and never aliases two gradients', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const w = tensor([4, 5, 6], { requiresGrad: true });
    // x feeds two products: the engine adds the second gradient into the first it kept.
    sumOp(mulHandedOver(mulHandedOver(x, w), x)).backward();
    // d/dx (x^2 w) = 2 x w, d/dw = x^2
    expect(Array.from(x.grad!.data)).toEqual([8, 20, 36]);
    expect(Array.from(w.grad!.data)).toEqual([1, 4, 9]);
    expect(x.grad!.storage).not.toBe(w.grad!.storage);
    // One tensor returned for two inputs (equal values, so it is both one's gradient): kept for the
    // first only, so the two leaves' gradients do not share a buffer.
    const p = tensor([1, 2], { requiresGrad: true });
    const q = tensor([1, 2], { requiresGrad: true });
    sumOp(mulHandedOver(p, q, true)).backward();
    expect(Array.from(p.grad!.data)).toEqual([1, 2]);
    expect(Array.from(q.grad!.data)).toEqual([1, 2]);
    expect(p.grad!.storage).not.toBe(q.grad!.storage);
    p.grad!.f32[0] = 7;
    expect(q.grad!.data[0]).toBe(1);
    // A second backward adds into the kept gradient; x's and w's buffers stay separate.
    sumOp(mulHandedOver(x, w)).backward();
    expect(Array.from(x.grad!.data)).toEqual([12, 25, 42]);
    expect(Array.from(w.grad!.data)).toEqual([2, 6, 12]);
    // A handed-over gradient that meets one the engine does not own (identityOp passes g on) is
    // summed into the handed-over buffer; the caller's seed is untouched.
    const z = tensor([1, 1], { requiresGrad: true });
    const seed = tensor([3, 4]);
    const a = identityOp(z);
    const b = mulHandedOver(z, tensor([2, 2]));
    const s = fromOp(
      'add',
      a.f32.map((v, i) => v + b.data[i]),
      [2],
      [a, b],
      (g) => [g, g],
    );
    s.backward(seed);
    expect(Array.from(z.grad!.data)).toEqual([9, 12]);
    expect(Array.from(seed.data)).toEqual([3, 4]);
  });

  it('accumulates gradients through a diamond (x used twice)', () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = mulOp(x, x); // x^2
    const z = sumOp(mulOp(y, x)); // sum x^3
    z.backward();
    expect(Array.from(x.grad!.data)).toEqual([3, 12, 27]);
  });

  it('adds up across backward calls until grads are cleared, as PyTorch does', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    sumOp(mulOp(x, x)).backward();
    sumOp(mulOp(x, x)).backward();
    expect(Array.from(x.grad!.data)).toEqual([4, 8]);
  });

  it('does not write into gradients that alias other tensors', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const a = identityOp(x);
    const b = identityOp(x);
    const seed = tensor([1, 1]);
    const s = identityOp(identityOp(a));
    s.backward(seed);
    identityOp(b).backward(seed);
    expect(Array.from(seed.data)).toEqual([1, 1]);
    expect(Array.from(x.grad!.data)).toEqual([2, 2]);
  });

  it('keeps .grad of non-leaves only after retainGrad()', () => {
    const x = tensor([2], { requiresGrad: true });
    const y = mulOp(x, x).retainGrad();
    const w = mulOp(x, x);
    sumOp(mulOp(y, w)).backward();
    expect(y.grad!.data[0]).toBe(4);
    expect(w.grad).toBeNull();
    expect(x.grad!.data[0]).toBe(32); // d(x^4)/dx
  });

  it('records nothing under noGrad, and enableGrad turns it back on', () => {
    const x = tensor([1], { requiresGrad: true });
    const y = noGrad(() => mulOp(x, x));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const z = enableGrad(() => mulOp(x, x));
      expect(z.requiresGrad).toBe(true);
    });
    expect(isGradEnabled()).toBe(true);
  });

  it('handles graphs deeper than the JS stack', () => {
    const x = tensor([1.0001], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = identityOp(y);
    sumOp(y).backward();
    expect(x.grad!.data[0]).toBe(1);
  });

  it('explains a backward without a scalar output or without grad', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(() => mulOp(x, x).backward()).toThrow(/one-element tensor/);
    expect(() => tensor([1]).backward()).toThrow(/does not require grad/);
    expect(() => mulOp(x, x).backward(tensor([1, 2, 3]))).toThrow(RangeError);
  });

  it('detach() shares data and cuts the graph', () => {
    const x = tensor([3], { requiresGrad: true });
    const d = mulOp(x, x).detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.data[0]).toBe(9);
  });
});

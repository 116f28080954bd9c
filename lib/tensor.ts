// Tensor and the autograd engine.
//
// A Tensor is contiguous, row-major data in a typed array the garbage collector owns (so reading
// results is free), a shape, and for autograd a grad function: the op that made it, the inputs it
// read and a backward closure. Ops live in lib/ops/*: each file keeps an op's forward call and its
// backward closure together and adds the op to Tensor.prototype as a method, so every op is both a
// function (tk.exp(x)) and a method (x.exp()).
//
// dtypes: 'float32' for values, 'int32' for token ids, class indices and masks (0/1). Only float32
// tensors take part in autograd.
import { shapeStr, typeError, rangeError, isNonNegInt } from './errors';

export type DType = 'float32' | 'int32';
export type TypedData = Float32Array | Int32Array;
export type Device = 'cpu';

/** What made a tensor: the inputs read and how gradients flow back to them. */
export interface GradFn {
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  /** Gradients for each input (null where an input needs none), given the output's gradient. */
  backward(gradOutput: Tensor): (Tensor | null)[];
}

export interface TensorOptions {
  requiresGrad?: boolean;
  dtype?: DType;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording off (torch.no_grad). fn must be synchronous. */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with gradient recording on (torch.enable_grad), e.g. inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(name: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw typeError(name, 'an array of non-negative integers', shape);
  for (let i = 0; i < shape.length; i++) {
    if (!isNonNegInt(shape[i])) throw rangeError(`${name}[${i}]`, 'a non-negative integer', shape[i]);
  }
  if (numelOf(shape) > 2 ** 32) throw rangeError(name, 'a shape of at most 2^32 elements', shape);
  return shape.slice();
}

export class Tensor {
  data: TypedData;
  readonly shape: number[];
  readonly dtype: DType;
  readonly device: Device = 'cpu';
  requiresGrad: boolean;
  grad: Tensor | null = null;
  gradFn: GradFn | null = null;
  /** Non-leaf tensors keep .grad only after retainGrad(), as in PyTorch. */
  private retainsGrad = false;

  constructor(data: TypedData, shape: readonly number[], opts: TensorOptions = {}) {
    if (!(data instanceof Float32Array) && !(data instanceof Int32Array)) {
      throw typeError('data', 'a Float32Array or Int32Array', data);
    }
    const s = checkShape('shape', shape);
    if (numelOf(s) !== data.length) {
      throw new RangeError(`data has ${data.length} elements, shape ${shapeStr(s)} needs ${numelOf(s)}`);
    }
    const dtype: DType = data instanceof Int32Array ? 'int32' : 'float32';
    if (opts.dtype !== undefined && opts.dtype !== dtype) {
      throw new TypeError(`dtype '${opts.dtype}' does not match data (${data.constructor.name})`);
    }
    this.data = data;
    this.shape = s;
    this.dtype = dtype;
    this.requiresGrad = false;
    if (opts.requiresGrad) this.setRequiresGrad(true);
  }

  get size(): number {
    return this.data.length;
  }

  numel(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The data as a Float32Array; throws for int32 tensors. */
  get f32(): Float32Array {
    if (!(this.data instanceof Float32Array)) throw new TypeError(`expected a float32 tensor, got ${this.dtype}`);
    return this.data;
  }

  setRequiresGrad(flag = true): this {
    if (flag && this.dtype !== 'float32') {
      throw new TypeError(`only float32 tensors can require gradients, this one is ${this.dtype}`);
    }
    if (!flag && !this.isLeaf) {
      throw new Error('requiresGrad can only be turned off on leaf tensors; use detach()');
    }
    this.requiresGrad = flag;
    return this;
  }

  retainGrad(): this {
    if (!this.requiresGrad) throw new Error("can't retain grad on a tensor that doesn't require grad");
    this.retainsGrad = true;
    return this;
  }

  /** A tensor sharing this one's data, cut from the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  item(): number {
    if (this.size !== 1) {
      throw new RangeError(`item() needs a tensor with one element, this one has shape ${shapeStr(this.shape)}`);
    }
    return this.data[0];
  }

  /** Nested arrays in the shape of the tensor (a number for a 0-d tensor). */
  toArray(): NestedArray {
    if (this.shape.length === 0) return this.data[0];
    const build = (dim: number, offset: number): NestedArray[] | number[] => {
      const n = this.shape[dim];
      if (dim === this.shape.length - 1) return Array.from(this.data.subarray(offset, offset + n));
      const stride = numelOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  toString(): string {
    const head = `Tensor(shape=${shapeStr(this.shape)}, dtype=${this.dtype}`;
    const grad = this.gradFn ? `, gradFn=${this.gradFn.name}` : this.requiresGrad ? ', requiresGrad=true' : '';
    const preview = Array.from(this.data.subarray(0, 8))
      .map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(5)))
      .join(', ');
    return `${head}${grad}, data=[${preview}${this.size > 8 ? ', ...' : ''}])`;
  }

  /**
   * Accumulates d(this)/d(leaf) into every leaf's .grad. grad defaults to 1 for a one-element
   * tensor. Gradients add up across calls until zeroed, as in PyTorch.
   */
  backward(grad?: Tensor | number): void {
    if (!this.requiresGrad) {
      throw new Error('backward() on a tensor that does not require grad (did every input have requiresGrad: false?)');
    }
    let g: Tensor;
    if (grad === undefined) {
      if (this.size !== 1) {
        throw new RangeError(
          `backward() without a gradient needs a one-element tensor, this one has shape ${shapeStr(this.shape)}`,
        );
      }
      g = new Tensor(new Float32Array(1).fill(1), this.shape);
    } else if (typeof grad === 'number') {
      g = new Tensor(new Float32Array(this.size).fill(grad), this.shape);
    } else {
      if (!(grad instanceof Tensor)) throw typeError('grad', 'a Tensor or a number', grad);
      if (!sameShape(grad.shape, this.shape)) {
        throw new RangeError(`grad has shape ${shapeStr(grad.shape)}, expected ${shapeStr(this.shape)}`);
      }
      g = grad.detach();
    }
    runBackward(this, g);
  }
}

export type NestedArray = number | NestedArray[];

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Tensors reachable from root through grad functions, each after all tensors that consume it. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative post-order DFS: graphs of long recurrent loops are deeper than the JS stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.gradFn ? t.gradFn.inputs : [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i];
      if (child && child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order.reverse();
}

function addInto(acc: Float32Array, g: Float32Array): void {
  for (let i = 0; i < acc.length; i++) acc[i] += g[i];
}

function runBackward(root: Tensor, rootGrad: Tensor): void {
  const order = topologicalOrder(root);
  // Gradients that flow in from several consumers are summed into buffers this engine owns;
  // a gradient handed over by a backward closure may alias another tensor, so it is never
  // written in place.
  const grads = new Map<Tensor, { t: Tensor; owned: boolean }>();
  grads.set(root, { t: rootGrad, owned: false });
  noGrad(() => {
    for (const t of order) {
      const entry = grads.get(t);
      if (!entry) continue;
      grads.delete(t);
      const g = entry.t;
      if (t.gradFn === null || (t as unknown as { retainsGrad: boolean }).retainsGrad) {
        if (t.grad === null) {
          t.grad = new Tensor(entry.owned ? g.f32 : g.f32.slice(), t.shape);
        } else {
          addInto(t.grad.f32, g.f32);
        }
      }
      if (t.gradFn === null) continue;
      const inputGrads = t.gradFn.backward(g);
      const inputs = t.gradFn.inputs;
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i];
        const gi = inputGrads[i];
        if (!input || !input.requiresGrad || !gi) continue;
        if (!sameShape(gi.shape, input.shape)) {
          throw new Error(
            `internal: ${t.gradFn.name} backward gave a gradient of shape ${shapeStr(gi.shape)} for an input of shape ${shapeStr(input.shape)}`,
          );
        }
        const prev = grads.get(input);
        if (!prev) {
          grads.set(input, { t: gi, owned: false });
        } else if (prev.owned) {
          addInto(prev.t.f32, gi.f32);
        } else {
          const sum = prev.t.f32.slice();
          addInto(sum, gi.f32);
          grads.set(input, { t: new Tensor(sum, input.shape), owned: true });
        }
      }
    }
  });
}

/**
 * Wraps an op's output. When recording and some input requires grad, the result records
 * `backward`, which maps the output's gradient to one gradient per input (null to skip).
 */
export function fromOp(
  name: string,
  data: TypedData,
  shape: readonly number[],
  inputs: readonly (Tensor | null)[],
  backward: ((gradOutput: Tensor) => (Tensor | null)[]) | null,
): Tensor {
  const out = new Tensor(data, shape);
  if (backward && gradEnabled && data instanceof Float32Array && inputs.some((t) => t !== null && t.requiresGrad)) {
    out.requiresGrad = true;
    out.gradFn = { name, inputs, backward };
  }
  return out;
}

/** Throws a TypeError naming `name` unless x is a Tensor (of the given dtype, when given). */
export function checkTensor(name: string, x: unknown, dtype?: DType): Tensor {
  if (!(x instanceof Tensor)) throw typeError(name, 'a Tensor', x);
  if (dtype !== undefined && x.dtype !== dtype) {
    throw new TypeError(`${name} must be a ${dtype} tensor, got ${x.dtype} of shape ${shapeStr(x.shape)}`);
  }
  return x;
}

/** Normalises a possibly negative dimension index against a rank, as PyTorch does. */
export function normDim(name: string, dim: number, rank: number): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim)) throw typeError(name, 'an integer', dim);
  const lo = rank === 0 ? -1 : -rank;
  const hi = rank === 0 ? 0 : rank - 1;
  if (dim < lo || dim > hi) throw rangeError(name, `in [${lo}, ${hi}] for a tensor of rank ${rank}`, dim);
  return dim < 0 ? dim + Math.max(rank, 1) : dim;
}

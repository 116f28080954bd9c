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
//
// Devices: a 'cpu' tensor's storage is its typed array (.data); a 'cuda' tensor's is a CudaStorage,
// device memory from the caching allocator (cuda/device_memory.h), which JS cannot read: .data
// throws there, and .cpu() / .to('cpu') / item() / toArray() copy back. Ops dispatch on their
// inputs' device (sameDevice, below) and refuse mixed devices with a TypeError.
import { shapeStr, typeError, rangeError, isNonNegInt } from './errors';
import { cudaKernels, DeviceBuffer } from './cuda/runtime';

export type DType = 'float32' | 'int32';
export type TypedData = Float32Array | Int32Array;
export type Device = 'cpu' | 'cuda';

/** Device memory holding a CUDA tensor's elements: the allocator's buffer, its length and dtype. */
export class CudaStorage {
  constructor(
    readonly buffer: DeviceBuffer,
    readonly length: number,
    readonly dtype: DType,
  ) {}
}

/** What a tensor's elements live in: a typed array on the CPU, device memory on the GPU. */
export type Storage = TypedData | CudaStorage;

export function dtypeCode(dtype: DType): number {
  return dtype === 'float32' ? 0 : 1;
}

export function storageDtype(s: Storage): DType {
  return s instanceof CudaStorage ? s.dtype : s instanceof Int32Array ? 'int32' : 'float32';
}

export function checkDevice(name: string, device: unknown): Device {
  if (device !== 'cpu' && device !== 'cuda') {
    if (typeof device === 'string' && /^cuda:\d+$/.test(device)) {
      throw new RangeError(`${name}: '${device}': only one CUDA device is supported; use 'cuda'`);
    }
    throw typeError(name, "'cpu' or 'cuda'", device);
  }
  return device;
}

// TEXTKERNELS_POISON_UNINIT=1 (set by the test suite) fills every storage allocated without `zero`
// with NaN (float32) or -2^31 + 1 (int32), so that an op relying on zeros it did not ask for fails its
// tests instead of reading whatever the allocator left there.
const poisonUninit = process.env.TEXTKERNELS_POISON_UNINIT === '1';
// Below this many elements a zeroed typed array costs no more than an uninitialised one.
const UNINIT_MIN_LENGTH = 4096;

/**
 * New storage of `length` elements on `device`, undefined contents unless `zero` (ops that write every
 * element skip the fill: on the CPU that saves clearing megabytes in the allocator for each op output).
 */
export function allocStorage(device: Device, dtype: DType, length: number, zero = false): Storage {
  if (device === 'cpu') {
    if (zero || (length < UNINIT_MIN_LENGTH && !poisonUninit)) {
      return dtype === 'int32' ? new Int32Array(length) : new Float32Array(length);
    }
    const bytes = Buffer.allocUnsafeSlow(length * 4);
    if (dtype === 'int32') {
      const a = new Int32Array(bytes.buffer, bytes.byteOffset, length);
      return poisonUninit ? a.fill(-0x7fffffff) : a;
    }
    const f = new Float32Array(bytes.buffer, bytes.byteOffset, length);
    return poisonUninit ? f.fill(NaN) : f;
  }
  const k = cudaKernels();
  const buffer = k.alloc(length, dtypeCode(dtype));
  if (zero) k.fill(buffer, 0);
  return new CudaStorage(buffer, length, dtype);
}

/** A copy of a storage on `device` (host to device, device to host, or within one device). */
export function copyStorage(src: Storage, device: Device): Storage {
  if (!(src instanceof CudaStorage)) {
    if (device === 'cpu') return src.slice();
    return new CudaStorage(cudaKernels().fromHost(src), src.length, storageDtype(src));
  }
  const k = cudaKernels();
  if (device === 'cpu') {
    const host = src.dtype === 'int32' ? new Int32Array(src.length) : new Float32Array(src.length);
    k.toHost(src.buffer, host);
    return host;
  }
  const dst = k.alloc(src.length, dtypeCode(src.dtype));
  k.copy(dst, src.buffer);
  return new CudaStorage(dst, src.length, src.dtype);
}

/**
 * The one device all of an op's tensor arguments are on (null/undefined entries skipped), or a
 * TypeError naming two that differ. Ops call this first and dispatch on the answer.
 */
export function sameDevice(op: string, tensors: Record<string, Tensor | null | undefined>): Device {
  let device: Device | null = null;
  let first = '';
  for (const name of Object.keys(tensors)) {
    const t = tensors[name];
    if (!t) continue;
    if (device === null) {
      device = t.device;
      first = name;
    } else if (t.device !== device) {
      throw new TypeError(
        `${op}: expected all tensors on one device, but ${first} is on ${device} and ${name} is on ${t.device}; ` +
          `move them with .to('${device}') or .to('${t.device}')`,
      );
    }
  }
  return device ?? 'cpu';
}

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
  /** 'cpu' (default) or 'cuda': where the tensor's storage lives. */
  device?: Device;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

// retainGraph of the Tensor.backward call running now; true outside backward, so that an op's
// backward closure called directly keeps its saved state.
let graphRetained = true;

/**
 * Whether the graph must stay usable after the backward that is running (`retainGraph`, torch's
 * retain_graph). Backward closures that consume their saved state (the recurrent layers) read it;
 * true outside Tensor.backward.
 */
export function gradGraphRetained(): boolean {
  return graphRetained;
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
  // Exactly one of the two is set: the CPU's typed array, or the GPU's device memory.
  private _data: TypedData | null;
  private _cuda: CudaStorage | null;
  readonly shape: number[];
  readonly dtype: DType;
  requiresGrad: boolean;
  grad: Tensor | null = null;
  gradFn: GradFn | null = null;
  /** Non-leaf tensors keep .grad only after retainGrad(), as in PyTorch. */
  private retainsGrad = false;

  /**
   * A tensor over `data` (not copied) of the given shape. data may be device storage (CudaStorage);
   * opts.device: 'cuda' with a typed array copies it to the GPU.
   */
  constructor(data: Storage, shape: readonly number[], opts: TensorOptions = {}) {
    if (!(data instanceof Float32Array) && !(data instanceof Int32Array) && !(data instanceof CudaStorage)) {
      throw typeError('data', 'a Float32Array or Int32Array', data);
    }
    const s = checkShape('shape', shape);
    if (numelOf(s) !== data.length) {
      throw new RangeError(`data has ${data.length} elements, shape ${shapeStr(s)} needs ${numelOf(s)}`);
    }
    const dtype: DType = storageDtype(data);
    if (opts.dtype !== undefined && opts.dtype !== dtype) {
      const what = data instanceof CudaStorage ? `${data.dtype} device storage` : data.constructor.name;
      throw new TypeError(`dtype '${opts.dtype}' does not match data (${what})`);
    }
    const device =
      opts.device === undefined ? (data instanceof CudaStorage ? 'cuda' : 'cpu') : checkDevice('device', opts.device);
    const stored = (data instanceof CudaStorage ? 'cuda' : 'cpu') === device ? data : copyStorage(data, device);
    this._data = stored instanceof CudaStorage ? null : stored;
    this._cuda = stored instanceof CudaStorage ? stored : null;
    this.shape = s;
    this.dtype = dtype;
    this.requiresGrad = false;
    if (opts.requiresGrad) this.setRequiresGrad(true);
  }

  /** The elements, on the CPU. A CUDA tensor's live on the GPU: copy them with .cpu() first. */
  get data(): TypedData {
    if (this._data === null) {
      throw new TypeError(
        `this tensor (shape ${shapeStr(this.shape)}) is on cuda, so its data cannot be read from JavaScript: ` +
          "copy it with .cpu() or .to('cpu') first",
      );
    }
    return this._data;
  }

  get device(): Device {
    return this._cuda === null ? 'cpu' : 'cuda';
  }

  /** The storage, whichever the device (what ops pass to the kernels). */
  get storage(): Storage {
    return this._cuda ?? (this._data as TypedData);
  }

  /** A CUDA tensor's device buffer (what ops pass to the device kernels); a TypeError on the CPU. */
  get buffer(): DeviceBuffer {
    if (this._cuda === null)
      throw new TypeError(`expected a cuda tensor, this one (shape ${shapeStr(this.shape)}) is on cpu`);
    return this._cuda.buffer;
  }

  get size(): number {
    return (this._cuda ?? (this._data as TypedData)).length;
  }

  numel(): number {
    return this.size;
  }

  /**
   * This tensor on `device`: itself when already there, else a copy that autograd differentiates
   * (the gradient goes back to this device), as torch.Tensor.to.
   */
  to(device: Device): Tensor {
    const d = checkDevice('device', device);
    if (d === this.device) return this;
    const from = this.device;
    return fromOp('to', copyStorage(this.storage, d), this.shape, [this], (g) => [g.to(from)]);
  }

  cpu(): Tensor {
    return this.to('cpu');
  }

  cuda(): Tensor {
    return this.to('cuda');
  }

  /**
   * A CPU copy made without blocking the event loop: the device-to-host copy is waited for on a
   * worker thread (torch's non_blocking copy followed by a synchronize). Not recorded by autograd.
   */
  async toCpuAsync(): Promise<Tensor> {
    if (this._cuda === null) return this;
    const host = this.dtype === 'int32' ? new Int32Array(this.size) : new Float32Array(this.size);
    await cudaKernels().toHostAsync(this._cuda.buffer, host);
    return new Tensor(host, this.shape);
  }

  /**
   * Gives a CUDA tensor's memory back to the allocator's cache now rather than when the garbage
   * collector finds the tensor (tf.dispose's role); using the tensor afterwards is a TypeError.
   * A no-op on the CPU, whose arrays the collector owns.
   */
  dispose(): void {
    if (this._cuda !== null) cudaKernels().release(this._cuda.buffer);
  }

  /**
   * Moves this tensor's storage (and its .grad's) to `device` in place, keeping its identity: what
   * Module.to does to parameters, so optimizers holding them keep working. Leaf tensors only.
   */
  moveTo_(device: Device): this {
    const d = checkDevice('device', device);
    if (!this.isLeaf) throw new Error('moveTo_ works on leaf tensors only (parameters and buffers)');
    if (d === this.device) return this;
    const moved = copyStorage(this.storage, d);
    this._data = moved instanceof CudaStorage ? null : moved;
    this._cuda = moved instanceof CudaStorage ? moved : null;
    if (this.grad) this.grad.moveTo_(d);
    return this;
  }

  /** The elements on the host: the array itself on the CPU, a fresh copy from the GPU. */
  private hostData(): TypedData {
    return this._data ?? (copyStorage(this._cuda as CudaStorage, 'cpu') as TypedData);
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
    return new Tensor(this.storage, this.shape);
  }

  item(): number {
    if (this.size !== 1) {
      throw new RangeError(`item() needs a tensor with one element, this one has shape ${shapeStr(this.shape)}`);
    }
    return this.hostData()[0];
  }

  /** Nested arrays in the shape of the tensor (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const data = this.hostData();
    if (this.shape.length === 0) return data[0];
    const build = (dim: number, offset: number): NestedArray[] | number[] => {
      const n = this.shape[dim];
      if (dim === this.shape.length - 1) return Array.from(data.subarray(offset, offset + n));
      const stride = numelOf(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < n; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  toString(): string {
    const dev = this._cuda === null ? '' : ', device=cuda';
    const head = `Tensor(shape=${shapeStr(this.shape)}, dtype=${this.dtype}${dev}`;
    const grad = this.gradFn ? `, gradFn=${this.gradFn.name}` : this.requiresGrad ? ', requiresGrad=true' : '';
    const preview = Array.from(this.hostData().subarray(0, 8))
      .map((v) => (Number.isInteger(v) ? String(v) : v.toPrecision(5)))
      .join(', ');
    return `${head}${grad}, data=[${preview}${this.size > 8 ? ', ...' : ''}])`;
  }

  /**
   * Accumulates d(this)/d(leaf) into every leaf's .grad. grad defaults to 1 for a one-element
   * tensor. Gradients add up across calls until zeroed, as in PyTorch. Ops may free their saved
   * state during the backward (as PyTorch does), so a second backward through the same graph throws
   * unless the first one passed `{ retainGraph: true }`.
   */
  backward(grad?: Tensor | number, opts: { retainGraph?: boolean } = {}): void {
    if (opts === null || typeof opts !== 'object') throw typeError('opts', 'an object', opts);
    const retainGraph = opts.retainGraph ?? false;
    if (typeof retainGraph !== 'boolean') throw typeError('retainGraph', 'a boolean', retainGraph);
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
      g = new Tensor(new Float32Array(1).fill(1), this.shape, { device: this.device });
    } else if (typeof grad === 'number') {
      g = new Tensor(new Float32Array(this.size).fill(grad), this.shape, { device: this.device });
    } else {
      if (!(grad instanceof Tensor)) throw typeError('grad', 'a Tensor or a number', grad);
      if (!sameShape(grad.shape, this.shape)) {
        throw new RangeError(`grad has shape ${shapeStr(grad.shape)}, expected ${shapeStr(this.shape)}`);
      }
      if (grad.device !== this.device) {
        throw new TypeError(`grad is on ${grad.device} but this tensor is on ${this.device}`);
      }
      g = grad.detach();
    }
    const prev = graphRetained;
    graphRetained = retainGraph;
    try {
      runBackward(this, g);
    } finally {
      graphRetained = prev;
    }
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

// acc += g, on whichever device both are (the engine checked they agree).
function addInto(acc: Tensor, g: Tensor): void {
  if (acc.device === 'cuda') {
    cudaKernels().accumulate(acc.buffer, g.buffer);
    return;
  }
  const a = acc.f32;
  const b = g.f32;
  for (let i = 0; i < a.length; i++) a[i] += b[i];
}

// Gradients that a backward closure allocated for this call alone and keeps no reference to. The
// engine may keep such a gradient (as a leaf's .grad, or as the buffer later gradients add into)
// instead of copying it, as PyTorch's AccumulateGrad steals a gradient nothing else holds. A
// closure that returns one tensor for two inputs hands it over to the first only (delete below).
const handedOver = new WeakSet<Tensor>();

/** Marks a gradient that a backward closure allocated itself and does not keep: see handedOver. */
export function handOver(t: Tensor): Tensor {
  handedOver.add(t);
  return t;
}

function cloneOf(g: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(copyStorage(g.storage, g.device), shape);
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
          t.grad = entry.owned ? new Tensor(g.storage, t.shape) : cloneOf(g, t.shape);
        } else {
          addInto(t.grad, g);
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
        if (gi.device !== input.device) {
          throw new Error(
            `internal: ${t.gradFn.name} backward gave a gradient on ${gi.device} for an input on ${input.device}`,
          );
        }
        const prev = grads.get(input);
        if (!prev) {
          grads.set(input, { t: gi, owned: handedOver.delete(gi) });
        } else if (prev.owned) {
          addInto(prev.t, gi);
        } else if (handedOver.delete(gi)) {
          // prev + gi and gi + prev are the same floats: addition is commutative in IEEE 754.
          addInto(gi, prev.t);
          grads.set(input, { t: gi, owned: true });
        } else {
          const sum = cloneOf(prev.t, input.shape);
          addInto(sum, gi);
          grads.set(input, { t: sum, owned: true });
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
  data: Storage,
  shape: readonly number[],
  inputs: readonly (Tensor | null)[],
  backward: ((gradOutput: Tensor) => (Tensor | null)[]) | null,
): Tensor {
  const out = new Tensor(data, shape);
  if (backward && gradEnabled && out.dtype === 'float32' && inputs.some((t) => t !== null && t.requiresGrad)) {
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

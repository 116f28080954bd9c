// Making tensors: from values, filled, seeded random.
import { checkOptions, rangeError, shapeStr, typeError } from './errors';
import { RandomOptions, resolveGenerator } from './random';
import { cudaKernels } from './cuda/runtime';
import {
  allocStorage,
  checkDevice,
  checkShape,
  checkTensor,
  CudaStorage,
  Device,
  DType,
  NestedArray,
  numelOf,
  Tensor,
  TensorOptions,
} from './tensor';

export type TensorValues = number | boolean | NestedArray | boolean[] | ArrayLike<number> | Float32Array | Int32Array;

function inferShape(values: unknown, where = 'values'): number[] {
  const shape: number[] = [];
  let v: unknown = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  if (shape.length === 0 && typeof v !== 'number' && typeof v !== 'boolean') {
    throw typeError(where, 'a number, a (nested) array of numbers or a typed array', values);
  }
  return shape;
}

function flattenInto(values: unknown, shape: number[], dim: number, out: number[], path: string): void {
  if (dim === shape.length) {
    if (typeof values === 'boolean') out.push(values ? 1 : 0);
    else if (typeof values === 'number') out.push(values);
    else throw typeError(path, 'a number', values);
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[dim]) {
    throw new RangeError(`${path} must be an array of length ${shape[dim]} (ragged nested arrays are not tensors)`);
  }
  for (let i = 0; i < values.length; i++) flattenInto(values[i], shape, dim + 1, out, `${path}[${i}]`);
}

/**
 * tk.tensor(values, shape?, { requiresGrad, dtype }).
 * values: a number, nested arrays (shape inferred), or a flat array / typed array with `shape`.
 * A Float32Array or Int32Array given with a shape is used as is, not copied.
 */
export function tensor(
  values: TensorValues,
  shape?: readonly number[] | TensorOptions,
  opts: TensorOptions = {},
): Tensor {
  if (shape !== undefined && !Array.isArray(shape)) {
    opts = shape as TensorOptions;
    shape = undefined;
  }
  opts = checkOptions('opts', opts);
  const dims = shape as readonly number[] | undefined;
  const dtype: DType = opts.dtype ?? (values instanceof Int32Array ? 'int32' : 'float32');
  if (dtype !== 'float32' && dtype !== 'int32') throw typeError('dtype', "'float32' or 'int32'", dtype);
  const Ctor = dtype === 'int32' ? Int32Array : Float32Array;
  let data: Float32Array | Int32Array;
  let finalShape: number[];
  if (ArrayBuffer.isView(values)) {
    const src = values as unknown as ArrayLike<number>;
    finalShape = dims ? checkShape('shape', dims) : [src.length];
    data = src instanceof Ctor ? src : Ctor.from(src);
  } else if (typeof values === 'number' || typeof values === 'boolean') {
    finalShape = dims ? checkShape('shape', dims) : [];
    data = new Ctor(numelOf(finalShape)).fill(Number(values));
  } else if (Array.isArray(values)) {
    const inferred = inferShape(values);
    const flat: number[] = [];
    flattenInto(values, inferred, 0, flat, 'values');
    finalShape = dims ? checkShape('shape', dims) : inferred;
    data = Ctor.from(flat);
  } else {
    throw typeError('values', 'a number, a (nested) array of numbers or a typed array', values);
  }
  if (data.length !== numelOf(finalShape)) {
    throw new RangeError(
      `values have ${data.length} elements, shape ${shapeStr(finalShape)} needs ${numelOf(finalShape)}`,
    );
  }
  if (dtype === 'int32' && !(values instanceof Int32Array)) {
    const src = ArrayBuffer.isView(values) ? (values as unknown as ArrayLike<number>) : null;
    if (src) {
      for (let i = 0; i < src.length; i++) {
        if (!Number.isInteger(src[i])) throw rangeError(`values[${i}]`, 'an integer for an int32 tensor', src[i]);
      }
    }
  }
  return new Tensor(data, finalShape, { requiresGrad: opts.requiresGrad, device: opts.device });
}

export interface FillOptions extends TensorOptions {}

export function full(shape: readonly number[], value: number, opts: FillOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const s = checkShape('shape', shape);
  const device = opts.device === undefined ? 'cpu' : checkDevice('opts.device', opts.device);
  const Ctor = opts.dtype === 'int32' ? Int32Array : Float32Array;
  if (device === 'cpu') return new Tensor(new Ctor(numelOf(s)).fill(value), s, opts);
  // On the GPU, filled in place: the value converted as the CPU's typed array would convert it.
  const storage = allocStorage(device, opts.dtype ?? 'float32', numelOf(s)) as CudaStorage;
  cudaKernels().fill(storage.buffer, new Ctor([value])[0]);
  return new Tensor(storage, s, opts);
}

export function zeros(shape: readonly number[], opts: FillOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  return full(shape, 0, opts);
}

export function ones(shape: readonly number[], opts: FillOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  return full(shape, 1, opts);
}

export function zerosLike(x: Tensor, opts: FillOptions = {}): Tensor {
  checkTensor('x', x);
  opts = checkOptions('opts', opts);
  return full(x.shape, 0, { dtype: x.dtype, ...opts });
}

export function onesLike(x: Tensor, opts: FillOptions = {}): Tensor {
  checkTensor('x', x);
  opts = checkOptions('opts', opts);
  return full(x.shape, 1, { dtype: x.dtype, ...opts });
}

/** 0, 1, ..., n-1 (or start..end by step), float32 unless dtype says int32. */
export function arange(start: number, end?: number, step = 1, opts: FillOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  if (end === undefined) {
    end = start;
    start = 0;
  }
  if (!Number.isFinite(start) || !Number.isFinite(end) || !Number.isFinite(step) || step === 0) {
    throw new RangeError(`arange needs finite start, end and a non-zero step, got ${start}, ${end}, ${step}`);
  }
  const n = Math.max(0, Math.ceil((end - start) / step));
  const Ctor = opts.dtype === 'int32' ? Int32Array : Float32Array;
  const data = new Ctor(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n], opts);
}

export interface RandOptions extends RandomOptions {
  requiresGrad?: boolean;
  /**
   * Where the result goes. The numbers are drawn on the CPU and copied, so one seed gives the same
   * tensor on either device.
   */
  device?: Device;
}

/** U[0, 1) (or [low, high) with tk.uniform), from a seeded Philox generator (see random.ts). */
export function rand(shape: readonly number[], opts: RandOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  return uniform(shape, 0, 1, opts);
}

export function uniform(shape: readonly number[], low: number, high: number, opts: RandOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const s = checkShape('shape', shape);
  const data = resolveGenerator(opts).uniform(new Float32Array(numelOf(s)), low, high);
  return new Tensor(data, s, { requiresGrad: opts.requiresGrad, device: opts.device });
}

/** N(0, 1) draws from a seeded Philox generator (see random.ts). */
export function randn(shape: readonly number[], opts: RandOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const s = checkShape('shape', shape);
  const data = resolveGenerator(opts).normal(new Float32Array(numelOf(s)), 0, 1);
  return new Tensor(data, s, { requiresGrad: opts.requiresGrad, device: opts.device });
}

/** Integers uniform on [low, high) as an int32 tensor. */
export function randint(
  low: number,
  high: number,
  shape: readonly number[],
  opts: RandomOptions & { device?: Device } = {},
): Tensor {
  opts = checkOptions('opts', opts);
  if (!Number.isInteger(low) || !Number.isInteger(high) || high <= low) {
    throw new RangeError(`randint needs integers low < high, got ${low}, ${high}`);
  }
  const s = checkShape('shape', shape);
  const n = numelOf(s);
  const words = resolveGenerator(opts).uint32(2 * n);
  const span = high - low;
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = low + ((words[2 * i] * 2 ** 21 + (words[2 * i + 1] >>> 11)) % span);
  return new Tensor(data, s, { device: opts.device });
}

// Pointwise ops with NumPy/PyTorch broadcasting: binary arithmetic, unary activations,
// comparisons, where and maskedFill, each with its backward pass.
//
// Broadcasting passes each input's strides over the output shape to the kernel (0 along broadcast
// dimensions), so no expanded copy is made. A gradient flowing back to a broadcast input is summed
// back to that input's shape with sumToShape, which other ops may use too.
//
// CUDA tensors run the same calls on the device exports (cuda/binding/elementwise.cc, kernels in
// cuda/elementwise.cu), which take the CPU exports' arguments with device buffers in place of typed
// arrays. Numbers mixed with CUDA tensors become one-element device tensors; a condition given as
// booleans or a Uint8Array is copied to the device of the tensors it is used with.
import { tensor } from '../creation';
import { cudaKernels } from '../cuda/runtime';
import { checkOptions, describe, shapeStr, typeError } from '../errors';
import { native } from '../native';
import {
  allocStorage,
  checkTensor,
  CudaStorage,
  Device,
  fromOp,
  numelOf,
  sameDevice,
  sameShape,
  Tensor,
} from '../tensor';
import type { NativeAddon } from '../native';
import type { OnDevice } from '../cuda/runtime';

declare module '../native' {
  interface NativeAddon {
    binaryForward(
      op: number,
      out: Float32Array,
      a: Float32Array,
      b: Float32Array,
      shape: number[],
      aStrides: number[],
      bStrides: number[],
      alpha: number,
    ): void;
    binaryBackward(
      op: number,
      da: Float32Array | null,
      db: Float32Array | null,
      g: Float32Array,
      a: Float32Array,
      b: Float32Array,
      out: Float32Array,
      shape: number[],
      aStrides: number[],
      bStrides: number[],
    ): void;
    compare(
      op: number,
      out: Int32Array,
      a: Float32Array | Int32Array,
      b: Float32Array | Int32Array,
      shape: number[],
      aStrides: number[],
      bStrides: number[],
    ): void;
    where(
      out: Float32Array | Int32Array,
      cond: Int32Array,
      a: Float32Array | Int32Array,
      b: Float32Array | Int32Array,
      shape: number[],
      condStrides: number[],
      aStrides: number[],
      bStrides: number[],
    ): void;
    unaryForward(op: number, out: Float32Array, x: Float32Array, p0: number, p1: number): void;
    unaryBackward(
      op: number,
      dx: Float32Array,
      g: Float32Array,
      x: Float32Array | null,
      y: Float32Array | null,
      p0: number,
      p1: number,
    ): void;
    /**
     * out = g (contiguous, `shape`) summed over the dimensions along which `outShape` (aligned at
     * the end, each size equal or 1) was broadcast to `shape`; out is contiguous with outShape.
     */
    sumToShape(out: Float32Array, g: Float32Array, shape: number[], outShape: number[]): void;
    /** out[i] = x[i] as float32 (rounded to nearest), the promotion of int32 operands. */
    int32ToFloat32(out: Float32Array, x: Int32Array): void;
  }
}

// The device twins: the same arguments with device buffers (float32 or int32 as above).
declare module '../cuda/runtime' {
  // The CPU signatures above with device buffers for the arrays.
  interface CudaKernels {
    binaryForward: OnDevice<NativeAddon['binaryForward']>;
    binaryBackward: OnDevice<NativeAddon['binaryBackward']>;
    compare: OnDevice<NativeAddon['compare']>;
    where: OnDevice<NativeAddon['where']>;
    unaryForward: OnDevice<NativeAddon['unaryForward']>;
    unaryBackward: OnDevice<NativeAddon['unaryBackward']>;
    sumToShape: OnDevice<NativeAddon['sumToShape']>;
    int32ToFloat32: OnDevice<NativeAddon['int32ToFloat32']>;
  }
}

declare module '../tensor' {
  interface Tensor {
    add(other: Tensor | number, opts?: { alpha?: number }): Tensor;
    sub(other: Tensor | number, opts?: { alpha?: number }): Tensor;
    mul(other: Tensor | number): Tensor;
    div(other: Tensor | number): Tensor;
    pow(exponent: Tensor | number): Tensor;
    maximum(other: Tensor | number): Tensor;
    minimum(other: Tensor | number): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    gelu(opts?: { approximate?: 'none' | 'tanh' }): Tensor;
    softplus(opts?: { beta?: number; threshold?: number }): Tensor;
    leakyRelu(negativeSlope?: number): Tensor;
    clamp(opts: { min?: number | null; max?: number | null }): Tensor;
    square(): Tensor;
    where(condition: Condition, other: Tensor | number): Tensor;
    maskedFill(mask: Condition, value: number): Tensor;
    eq(other: Tensor | number): Tensor;
    ne(other: Tensor | number): Tensor;
    lt(other: Tensor | number): Tensor;
    le(other: Tensor | number): Tensor;
    gt(other: Tensor | number): Tensor;
    ge(other: Tensor | number): Tensor;
    logicalNot(): Tensor;
  }
}

// ---------------------------------------------------------------------------------------------
// Broadcasting

/** The shape two or more shapes broadcast to (torch.broadcast_shapes); RangeError naming them. */
function checkShapeArg(name: string, s: unknown): void {
  if (!Array.isArray(s) || !s.every((d) => Number.isInteger(d) && d >= 0)) {
    throw typeError(name, 'an array of non-negative integers', s);
  }
}

export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  shapes.forEach((s, i) => checkShapeArg(`shapes[${i}]`, s));
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else throw new RangeError(`shapes ${shapes.map(shapeStr).join(' and ')} cannot be broadcast together`);
    }
  }
  return out;
}

function broadcastNamed(op: string, names: string[], shapes: (readonly number[])[]): number[] {
  try {
    return broadcastShapes(...shapes);
  } catch {
    const parts = shapes.map((s, i) => `${names[i]} of shape ${shapeStr(s)}`);
    throw new RangeError(`${op}: ${parts.join(' and ')} cannot be broadcast together`);
  }
}

/** Strides (in elements) of a contiguous tensor of shape `inShape` read over `outShape`: 0 where broadcast. */
export function broadcastStrides(inShape: readonly number[], outShape: readonly number[]): number[] {
  checkShapeArg('inShape', inShape);
  checkShapeArg('outShape', outShape);
  if (inShape.length > outShape.length) {
    throw new RangeError(`inShape ${shapeStr(inShape)} has more dimensions than outShape ${shapeStr(outShape)}`);
  }
  const r = outShape.length;
  const k = inShape.length;
  const strides = new Array<number>(r).fill(0);
  let acc = 1;
  for (let i = k - 1; i >= 0; i--) {
    strides[r - k + i] = inShape[i] === 1 ? 0 : acc;
    acc *= inShape[i];
  }
  return strides;
}

// ---------------------------------------------------------------------------------------------
// Storage and dispatch

function f32Out(device: Device, length: number): Float32Array | CudaStorage {
  return allocStorage(device, 'float32', length) as Float32Array | CudaStorage;
}

/** The device of the tensors among `args` (numbers go wherever the tensors are). */
function deviceOf(op: string, args: Record<string, unknown>): Device {
  const tensors: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(args)) if (v instanceof Tensor) tensors[k] = v;
  return sameDevice(op, tensors);
}

/**
 * Sums a gradient over the dimensions along which an input of `shape` was broadcast to
 * grad.shape, giving a tensor of `shape` on grad's device. Returns grad itself when the shapes
 * match. On the CPU the sums are those of sum(grad, dims, { keepdim: true }), bit for bit.
 */
export function sumToShape(grad: Tensor, shape: readonly number[]): Tensor {
  checkTensor('grad', grad, 'float32');
  if (!Array.isArray(shape)) throw typeError('shape', 'an array of sizes', shape);
  if (sameShape(grad.shape, shape)) return grad;
  const lead = grad.shape.length - shape.length;
  let ok = lead >= 0;
  for (let i = 0; ok && i < shape.length; i++) {
    const g = grad.shape[lead + i];
    ok = shape[i] === g || shape[i] === 1;
  }
  if (!ok) {
    throw new RangeError(
      `sumToShape: grad of shape ${shapeStr(grad.shape)} is not a broadcast of shape ${shapeStr(shape)}`,
    );
  }
  const target = shape.slice();
  const out = f32Out(grad.device, numelOf(target));
  if (out instanceof CudaStorage) cudaKernels().sumToShape(out.buffer, grad.buffer, grad.shape, target);
  else native.sumToShape(out, grad.f32, grad.shape, target);
  return fromOp('sumToShape', out, target, [grad], (g) => [broadcastTo(g, grad.shape)]);
}

/** x (of a shape that broadcasts to `shape`) copied out to `shape` on its device. */
function broadcastTo(x: Tensor, shape: number[]): Tensor {
  const one = new Tensor(Int32Array.of(1), [], { device: x.device });
  return selectRaw(one, x, x, shape);
}

/** A one-element tensor holding v on `device` (float32, or int32 when `int`). */
function scalar(v: number, device: Device = 'cpu', int = false): Tensor {
  return new Tensor(int ? Int32Array.of(v) : Float32Array.of(v), [], { device });
}

/** x as float32: itself, or an int32 tensor converted on its device (PyTorch's int -> float promotion). */
function toFloat(x: Tensor): Tensor {
  if (x.dtype === 'float32') return x;
  const out = f32Out(x.device, x.size);
  if (out instanceof CudaStorage) cudaKernels().int32ToFloat32(out.buffer, x.buffer);
  else native.int32ToFloat32(out, x.data as Int32Array);
  return new Tensor(out, x.shape);
}

/** A binary op's operand: a Tensor (int32 promoted to float32, as PyTorch promotes int with float) or a number. */
function floatOperand(op: string, name: string, v: Tensor | number, device: Device): Tensor {
  if (typeof v === 'number') return scalar(v, device);
  if (v instanceof Tensor) return toFloat(v);
  throw typeError(`${op}: ${name}`, 'a Tensor or a number', v);
}

// ---------------------------------------------------------------------------------------------
// Binary arithmetic

const enum Bin {
  Add = 0,
  Sub = 1,
  Mul = 2,
  Div = 3,
  Pow = 4,
  Maximum = 5,
  Minimum = 6,
}

function scaled(g: Tensor, s: number): Tensor {
  if (s === 1) return g;
  const out = f32Out(g.device, g.size);
  if (out instanceof CudaStorage) cudaKernels().unaryForward(Un.Scale, out.buffer, g.buffer, s, 0);
  else native.unaryForward(Un.Scale, out, g.f32, s, 0);
  return new Tensor(out, g.shape);
}

function binary(name: string, op: Bin, a: Tensor | number, b: Tensor | number, alpha = 1): Tensor {
  const device = deviceOf(name, { input: a, other: b });
  const ta = floatOperand(name, 'input', a, device);
  const tb = floatOperand(name, 'other', b, device);
  const shape = broadcastNamed(name, ['input', 'other'], [ta.shape, tb.shape]);
  const as = broadcastStrides(ta.shape, shape);
  const bs = broadcastStrides(tb.shape, shape);
  const out = f32Out(device, numelOf(shape));
  if (out instanceof CudaStorage) {
    cudaKernels().binaryForward(op, out.buffer, ta.buffer, tb.buffer, shape, as, bs, alpha);
  } else {
    native.binaryForward(op, out, ta.f32, tb.f32, shape, as, bs, alpha);
  }
  return fromOp(name, out, shape, [ta, tb], (g) => {
    const needA = ta.requiresGrad;
    const needB = tb.requiresGrad;
    if (op === Bin.Add || op === Bin.Sub) {
      return [
        needA ? sumToShape(g, ta.shape) : null,
        needB ? scaled(sumToShape(g, tb.shape), op === Bin.Sub ? -alpha : alpha) : null,
      ];
    }
    const n = numelOf(shape);
    const da = needA ? f32Out(device, n) : null;
    const db = needB ? f32Out(device, n) : null;
    if (device === 'cuda') {
      const k = cudaKernels();
      const buf = (s: Float32Array | CudaStorage | null) => (s === null ? null : (s as CudaStorage).buffer);
      k.binaryBackward(
        op,
        buf(da),
        buf(db),
        g.buffer,
        ta.buffer,
        tb.buffer,
        (out as CudaStorage).buffer,
        shape,
        as,
        bs,
      );
    } else {
      native.binaryBackward(
        op,
        da as Float32Array | null,
        db as Float32Array | null,
        g.f32,
        ta.f32,
        tb.f32,
        out as Float32Array,
        shape,
        as,
        bs,
      );
    }
    return [
      da ? sumToShape(new Tensor(da, shape), ta.shape) : null,
      db ? sumToShape(new Tensor(db, shape), tb.shape) : null,
    ];
  });
}

function alphaOf(op: string, opts: { alpha?: number } | undefined): number {
  if (opts === undefined) return 1;
  if (typeof opts !== 'object' || opts === null) throw typeError(`${op}: opts`, 'an object like { alpha }', opts);
  const alpha = opts.alpha ?? 1;
  if (typeof alpha !== 'number') throw typeError(`${op}: alpha`, 'a number', alpha);
  return alpha;
}

/** input + alpha * other, broadcasting (torch.add). */
export function add(input: Tensor | number, other: Tensor | number, opts?: { alpha?: number }): Tensor {
  return binary('add', Bin.Add, input, other, alphaOf('add', opts));
}
/** input - alpha * other, broadcasting (torch.sub). */
export function sub(input: Tensor | number, other: Tensor | number, opts?: { alpha?: number }): Tensor {
  return binary('sub', Bin.Sub, input, other, alphaOf('sub', opts));
}
export function mul(input: Tensor | number, other: Tensor | number): Tensor {
  return binary('mul', Bin.Mul, input, other);
}
export function div(input: Tensor | number, other: Tensor | number): Tensor {
  return binary('div', Bin.Div, input, other);
}
/** input ** exponent, elementwise; either may be a tensor (torch.pow). */
export function pow(input: Tensor | number, exponent: Tensor | number): Tensor {
  return binary('pow', Bin.Pow, input, exponent);
}
/** Elementwise max, NaN-propagating; equal inputs share the gradient (torch.maximum). */
export function maximum(input: Tensor | number, other: Tensor | number): Tensor {
  return binary('maximum', Bin.Maximum, input, other);
}
export function minimum(input: Tensor | number, other: Tensor | number): Tensor {
  return binary('minimum', Bin.Minimum, input, other);
}

// ---------------------------------------------------------------------------------------------
// Unary

const enum Un {
  Neg = 0,
  Exp = 1,
  Log = 2,
  Sqrt = 3,
  Rsqrt = 4,
  Abs = 5,
  Sin = 6,
  Cos = 7,
  Tanh = 8,
  Sigmoid = 9,
  Relu = 10,
  Gelu = 11,
  GeluTanh = 12,
  Softplus = 13,
  LeakyRelu = 14,
  Clamp = 15,
  Square = 16,
  Scale = 17,
}

// Ops whose derivative reads the output (saved instead of the input).
const fromOutput = new Set<Un>([Un.Exp, Un.Sqrt, Un.Rsqrt, Un.Tanh, Un.Sigmoid, Un.Relu]);

function unary(name: string, op: Un, x: Tensor, p0 = 0, p1 = 0): Tensor {
  checkTensor(`${name}: input`, x, 'float32');
  const out = f32Out(x.device, x.size);
  if (out instanceof CudaStorage) cudaKernels().unaryForward(op, out.buffer, x.buffer, p0, p1);
  else native.unaryForward(op, out, x.f32, p0, p1);
  return fromOp(name, out, x.shape, [x], (g) => {
    const dx = f32Out(x.device, x.size);
    const useY = fromOutput.has(op);
    if (dx instanceof CudaStorage) {
      const y = (out as CudaStorage).buffer;
      cudaKernels().unaryBackward(op, dx.buffer, g.buffer, useY ? null : x.buffer, useY ? y : null, p0, p1);
    } else {
      native.unaryBackward(op, dx, g.f32, useY ? null : x.f32, useY ? (out as Float32Array) : null, p0, p1);
    }
    return [new Tensor(dx, x.shape)];
  });
}

export function neg(x: Tensor): Tensor {
  return unary('neg', Un.Neg, x);
}
export function exp(x: Tensor): Tensor {
  return unary('exp', Un.Exp, x);
}
export function log(x: Tensor): Tensor {
  return unary('log', Un.Log, x);
}
export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', Un.Sqrt, x);
}
export function rsqrt(x: Tensor): Tensor {
  return unary('rsqrt', Un.Rsqrt, x);
}
export function abs(x: Tensor): Tensor {
  return unary('abs', Un.Abs, x);
}
export function sin(x: Tensor): Tensor {
  return unary('sin', Un.Sin, x);
}
export function cos(x: Tensor): Tensor {
  return unary('cos', Un.Cos, x);
}
export function tanh(x: Tensor): Tensor {
  return unary('tanh', Un.Tanh, x);
}
export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', Un.Sigmoid, x);
}
export function relu(x: Tensor): Tensor {
  return unary('relu', Un.Relu, x);
}
export function square(x: Tensor): Tensor {
  return unary('square', Un.Square, x);
}

/** GELU; approximate 'none' (erf, the default) or 'tanh', as torch.nn.functional.gelu. */
export function gelu(x: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  opts = checkOptions('opts', opts);
  const approximate = opts.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw new TypeError(`gelu: approximate must be 'none' or 'tanh', got ${describe(approximate)}`);
  }
  return unary('gelu', approximate === 'tanh' ? Un.GeluTanh : Un.Gelu, x);
}

/** log(1 + exp(beta x)) / beta, linear where beta x > threshold (torch.nn.functional.softplus). */
export function softplus(x: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  opts = checkOptions('opts', opts);
  const beta = opts.beta ?? 1;
  const threshold = opts.threshold ?? 20;
  if (typeof beta !== 'number' || Number.isNaN(beta)) throw typeError('softplus: beta', 'a number', beta);
  if (beta === 0) throw new RangeError('softplus: beta must be non-zero, got 0');
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) {
    throw typeError('softplus: threshold', 'a number', threshold);
  }
  return unary('softplus', Un.Softplus, x, beta, threshold);
}

/** x where x > 0, else negativeSlope * x (default 0.01, as torch). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  if (typeof negativeSlope !== 'number' || Number.isNaN(negativeSlope)) {
    throw typeError('leakyRelu: negativeSlope', 'a number', negativeSlope);
  }
  return unary('leakyRelu', Un.LeakyRelu, x, negativeSlope);
}

/**
 * Clamps into [min, max] (either may be left out; min > max gives max everywhere). The gradient
 * passes where min <= x <= max, as torch.clamp.
 */
export function clamp(x: Tensor, opts: { min?: number | null; max?: number | null }): Tensor {
  if (typeof opts !== 'object' || opts === null) throw typeError('clamp: opts', 'an object like { min, max }', opts);
  const lo = opts.min ?? null;
  const hi = opts.max ?? null;
  if (lo === null && hi === null) throw new TypeError('clamp: at least one of min and max must be given');
  if (lo !== null && typeof lo !== 'number') throw typeError('clamp: min', 'a number', lo);
  if (hi !== null && typeof hi !== 'number') throw typeError('clamp: max', 'a number', hi);
  return unary('clamp', Un.Clamp, x, lo ?? -Infinity, hi ?? Infinity);
}

// ---------------------------------------------------------------------------------------------
// Conditions, comparisons, where

/** A condition or mask: an int32 or float32 tensor (non-zero is true), a Uint8Array, or (nested) booleans. */
export type Condition = Tensor | Uint8Array | boolean[] | boolean[][] | boolean[][][];

/**
 * A condition as an int32 tensor (non-zero = true). Tensors stay on their device (a float32 one is
 * compared with 0 there); a Uint8Array or booleans become a tensor on `device`.
 */
export function toCondition(name: string, c: unknown, device: Device = 'cpu'): Tensor {
  if (c instanceof Tensor) {
    if (c.dtype === 'int32') return c;
    return compare(name, Cmp.Ne, c, 0);
  }
  let t: Tensor;
  if (c instanceof Uint8Array) {
    t = new Tensor(
      Int32Array.from(c, (v) => (v ? 1 : 0)),
      [c.length],
    );
  } else if (Array.isArray(c)) {
    const flat = c.flat(Infinity) as unknown[];
    flat.forEach((v, i) => {
      if (typeof v !== 'boolean' && v !== 0 && v !== 1) throw typeError(`${name}[${i}]`, 'a boolean', v);
    });
    t = tensor(c as boolean[], { dtype: 'int32' });
  } else {
    throw typeError(name, 'an int32 or float32 tensor, a Uint8Array or an array of booleans', c);
  }
  return device === 'cpu' ? t : new Tensor(t.data, t.shape, { device });
}

const enum Cmp {
  Eq = 0,
  Ne = 1,
  Lt = 2,
  Le = 3,
  Gt = 4,
  Ge = 5,
}

function compare(name: string, op: Cmp, a: Tensor | number, b: Tensor | number): Tensor {
  const isTensor = (v: unknown): v is Tensor => v instanceof Tensor;
  if (!isTensor(a) && typeof a !== 'number') throw typeError(`${name}: input`, 'a Tensor or a number', a);
  if (!isTensor(b) && typeof b !== 'number') throw typeError(`${name}: other`, 'a Tensor or a number', b);
  const device = deviceOf(name, { input: a, other: b });
  const intLike = (v: Tensor | number): boolean => (isTensor(v) ? v.dtype === 'int32' : Number.isInteger(v));
  const asInt = intLike(a) && intLike(b) && (isTensor(a) || isTensor(b));
  const conv = (v: Tensor | number): Tensor => (isTensor(v) ? (asInt ? v : toFloat(v)) : scalar(v, device, asInt));
  const ta = conv(a);
  const tb = conv(b);
  const shape = broadcastNamed(name, ['input', 'other'], [ta.shape, tb.shape]);
  const as = broadcastStrides(ta.shape, shape);
  const bs = broadcastStrides(tb.shape, shape);
  const out = allocStorage(device, 'int32', numelOf(shape));
  if (out instanceof CudaStorage) cudaKernels().compare(op, out.buffer, ta.buffer, tb.buffer, shape, as, bs);
  else native.compare(op, out as Int32Array, ta.data, tb.data, shape, as, bs);
  return new Tensor(out, shape);
}

/** input == other as an int32 0/1 tensor (broadcasting; no gradient). */
export function eq(input: Tensor | number, other: Tensor | number): Tensor {
  return compare('eq', Cmp.Eq, input, other);
}
export function ne(input: Tensor | number, other: Tensor | number): Tensor {
  return compare('ne', Cmp.Ne, input, other);
}
export function lt(input: Tensor | number, other: Tensor | number): Tensor {
  return compare('lt', Cmp.Lt, input, other);
}
export function le(input: Tensor | number, other: Tensor | number): Tensor {
  return compare('le', Cmp.Le, input, other);
}
export function gt(input: Tensor | number, other: Tensor | number): Tensor {
  return compare('gt', Cmp.Gt, input, other);
}
export function ge(input: Tensor | number, other: Tensor | number): Tensor {
  return compare('ge', Cmp.Ge, input, other);
}

/** 1 where x is zero, else 0, as an int32 tensor. */
export function logicalNot(x: Tensor): Tensor {
  checkTensor('logicalNot: input', x);
  return compare('logicalNot', Cmp.Eq, x, 0);
}

/** cond ? a : b over `shape` (all on one device, a and b of one dtype), without autograd. */
function selectRaw(cond: Tensor, a: Tensor, b: Tensor, shape: number[]): Tensor {
  const cs = broadcastStrides(cond.shape, shape);
  const as = broadcastStrides(a.shape, shape);
  const bs = broadcastStrides(b.shape, shape);
  const out = allocStorage(a.device, a.dtype, numelOf(shape));
  if (out instanceof CudaStorage) {
    cudaKernels().where(out.buffer, cond.buffer, a.buffer, b.buffer, shape, cs, as, bs);
  } else {
    native.where(out as Float32Array | Int32Array, cond.data as Int32Array, a.data, b.data, shape, cs, as, bs);
  }
  return new Tensor(out, shape);
}

/**
 * input where condition is true, else other; all three broadcast (torch.where). Both values int32
 * (or integers) give an int32 result; otherwise float32 with gradients to both values.
 */
export function where(condition: Condition, input: Tensor | number, other: Tensor | number): Tensor {
  for (const [n, v] of [
    ['input', input],
    ['other', other],
  ] as const) {
    if (!(v instanceof Tensor) && typeof v !== 'number') throw typeError(`where: ${n}`, 'a Tensor or a number', v);
  }
  const device = deviceOf('where', { condition, input, other });
  const cond = toCondition('where: condition', condition, device);
  const intLike = (v: Tensor | number): boolean => (v instanceof Tensor ? v.dtype === 'int32' : Number.isInteger(v));
  const asInt = intLike(input) && intLike(other) && (input instanceof Tensor || other instanceof Tensor);
  const conv = (v: Tensor | number): Tensor =>
    v instanceof Tensor ? (asInt ? v : toFloat(v)) : scalar(v, device, asInt);
  const a = conv(input);
  const b = conv(other);
  const shape = broadcastNamed('where', ['condition', 'input', 'other'], [cond.shape, a.shape, b.shape]);
  const res = selectRaw(cond, a, b, shape);
  return fromOp('where', res.storage, shape, [a, b], (g) => {
    const zero = scalar(0, device);
    return [
      a.requiresGrad ? sumToShape(selectRaw(cond, g, zero, shape), a.shape) : null,
      b.requiresGrad ? sumToShape(selectRaw(cond, zero, g, shape), b.shape) : null,
    ];
  });
}

/** x with `value` where mask is true; mask broadcasts to x's shape (torch.masked_fill). */
export function maskedFill(x: Tensor, mask: Condition, value: number): Tensor {
  checkTensor('maskedFill: input', x);
  const device = deviceOf('maskedFill', { input: x, mask });
  const m = toCondition('maskedFill: mask', mask, device);
  if (typeof value !== 'number') throw typeError('maskedFill: value', 'a number', value);
  const shape = broadcastNamed('maskedFill', ['input', 'mask'], [x.shape, m.shape]);
  if (!sameShape(shape, x.shape)) {
    throw new RangeError(
      `maskedFill: mask of shape ${shapeStr(m.shape)} does not broadcast to input of shape ${shapeStr(x.shape)}`,
    );
  }
  const v = scalar(value, device, x.dtype === 'int32');
  const res = selectRaw(m, v, x, shape);
  return fromOp('maskedFill', res.storage, shape, [x], (g) => [selectRaw(m, scalar(0, device), g, shape)]);
}

// ---------------------------------------------------------------------------------------------
// Tensor methods

const proto = Tensor.prototype;
proto.add = function (this: Tensor, other: Tensor | number, opts?: { alpha?: number }) {
  return add(this, other, opts);
};
proto.sub = function (this: Tensor, other: Tensor | number, opts?: { alpha?: number }) {
  return sub(this, other, opts);
};
proto.mul = function (this: Tensor, other: Tensor | number) {
  return mul(this, other);
};
proto.div = function (this: Tensor, other: Tensor | number) {
  return div(this, other);
};
proto.pow = function (this: Tensor, exponent: Tensor | number) {
  return pow(this, exponent);
};
proto.maximum = function (this: Tensor, other: Tensor | number) {
  return maximum(this, other);
};
proto.minimum = function (this: Tensor, other: Tensor | number) {
  return minimum(this, other);
};
proto.neg = function (this: Tensor) {
  return neg(this);
};
proto.exp = function (this: Tensor) {
  return exp(this);
};
proto.log = function (this: Tensor) {
  return log(this);
};
proto.sqrt = function (this: Tensor) {
  return sqrt(this);
};
proto.rsqrt = function (this: Tensor) {
  return rsqrt(this);
};
proto.abs = function (this: Tensor) {
  return abs(this);
};
proto.sin = function (this: Tensor) {
  return sin(this);
};
proto.cos = function (this: Tensor) {
  return cos(this);
};
proto.tanh = function (this: Tensor) {
  return tanh(this);
};
proto.sigmoid = function (this: Tensor) {
  return sigmoid(this);
};
proto.relu = function (this: Tensor) {
  return relu(this);
};
proto.gelu = function (this: Tensor, opts?: { approximate?: 'none' | 'tanh' }) {
  return gelu(this, opts);
};
proto.softplus = function (this: Tensor, opts?: { beta?: number; threshold?: number }) {
  return softplus(this, opts);
};
proto.leakyRelu = function (this: Tensor, negativeSlope?: number) {
  return leakyRelu(this, negativeSlope);
};
proto.clamp = function (this: Tensor, opts: { min?: number | null; max?: number | null }) {
  return clamp(this, opts);
};
proto.square = function (this: Tensor) {
  return square(this);
};
proto.where = function (this: Tensor, condition: Condition, other: Tensor | number) {
  return where(condition, this, other);
};
proto.maskedFill = function (this: Tensor, mask: Condition, value: number) {
  return maskedFill(this, mask, value);
};
proto.eq = function (this: Tensor, other: Tensor | number) {
  return eq(this, other);
};
proto.ne = function (this: Tensor, other: Tensor | number) {
  return ne(this, other);
};
proto.lt = function (this: Tensor, other: Tensor | number) {
  return lt(this, other);
};
proto.le = function (this: Tensor, other: Tensor | number) {
  return le(this, other);
};
proto.gt = function (this: Tensor, other: Tensor | number) {
  return gt(this, other);
};
proto.ge = function (this: Tensor, other: Tensor | number) {
  return ge(this, other);
};
proto.logicalNot = function (this: Tensor) {
  return logicalNot(this);
};

// Parameter initialisation (torch.nn.init). Every function fills a float32 tensor in place, outside
// autograd, and returns it. Random ones draw from `{ seed }` (a fresh generator: the same seed gives
// the same values), `{ generator }` (draws advance it) or else the default generator
// (lib/random.ts). Values follow torch's distributions and bounds; the draws differ from torch's
// (Philox, not mt19937).
//
// PyTorch's defaults, for layers: Linear weight kaimingUniform_(w, { a: Math.sqrt(5) }) and bias
// uniform_(b, -1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn from calculateFanInAndFanOut(w); Embedding
// normal_(w); LayerNorm ones_/zeros_.
//
// CUDA tensors are filled with the same values as CPU ones: the draws are made on the host (from the
// same generator, so a seed gives one model on either device) and copied to the device in one
// transfer; constant_ fills on the device.
import { cudaKernels } from '../cuda/runtime';
import { checkNumber, checkOptions, rangeError, shapeStr, typeError } from '../errors';
import { RandomOptions, resolveGenerator } from '../random';
import { checkTensor, Tensor } from '../tensor';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

export type FanMode = 'fan_in' | 'fan_out' | 'fanIn' | 'fanOut';

export interface KaimingOptions extends RandomOptions {
  /** Negative slope of the leaky ReLU after this layer (default 0). */
  a?: number;
  /** 'fan_in' (default) keeps the forward variance, 'fan_out' the backward one. */
  mode?: FanMode;
  /** Default 'leaky_relu', as torch. */
  nonlinearity?: Nonlinearity;
}

/** The array to fill: the tensor's own on the CPU, a host scratch array for a CUDA tensor (see commit). */
function target(name: string, t: unknown): Float32Array {
  const x = checkTensor(name, t, 'float32');
  return x.device === 'cpu' ? (x.data as Float32Array) : new Float32Array(x.size);
}

/** Copies the values filled into target()'s scratch array to a CUDA tensor; returns the tensor. */
function commit(tensor: Tensor, d: Float32Array): Tensor {
  if (tensor.device === 'cuda' && d.length > 0) {
    const k = cudaKernels();
    const tmp = k.fromHost(d);
    try {
      k.copy(tensor.buffer, tmp);
    } finally {
      k.release(tmp);
    }
  }
  return tensor;
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5.0 / 3;
    case 'relu':
      return Math.sqrt(2.0);
    case 'leaky_relu': {
      let slope = 0.01;
      if (param !== undefined && param !== null) {
        if (typeof param !== 'number' || Number.isNaN(param)) {
          throw new RangeError(`negative_slope ${String(param)} not a valid number`);
        }
        slope = param;
      }
      return Math.sqrt(2.0 / (1 + slope ** 2));
    }
    case 'selu':
      return 3.0 / 4;
    default:
      throw new RangeError(`Unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

/** [fanIn, fanOut] of a weight [out, in, ...kernel] (torch's _calculate_fan_in_and_fan_out). */
export function calculateFanInAndFanOut(tensor: Tensor): [number, number] {
  checkTensor('tensor', tensor);
  if (tensor.ndim < 2) {
    throw new RangeError(
      `Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape ${shapeStr(tensor.shape)})`,
    );
  }
  let receptive = 1;
  for (let i = 2; i < tensor.ndim; i++) receptive *= tensor.shape[i];
  return [tensor.shape[1] * receptive, tensor.shape[0] * receptive];
}

function correctFan(tensor: Tensor, mode: FanMode): number {
  const m = typeof mode === 'string' ? mode.toLowerCase() : mode;
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  if (m === 'fan_in' || m === 'fanin') return fanIn;
  if (m === 'fan_out' || m === 'fanout') return fanOut;
  throw rangeError('mode', "'fan_in' or 'fan_out'", mode);
}

/** Fills with U[a, b). */
export function uniform_(tensor: Tensor, a = 0, b = 1, opts: RandomOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const d = target('tensor', tensor);
  checkNumber('a', a);
  checkNumber('b', b);
  if (!(a <= b)) throw new RangeError(`uniform_ expects a <= b, got a=${a}, b=${b}`);
  resolveGenerator(opts).uniform(d, a, b);
  return commit(tensor, d);
}

/** Fills with N(mean, std^2). */
export function normal_(tensor: Tensor, mean = 0, std = 1, opts: RandomOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const d = target('tensor', tensor);
  checkNumber('mean', mean);
  checkNumber('std', std, 0);
  resolveGenerator(opts).normal(d, mean, std);
  return commit(tensor, d);
}

/**
 * Fills with N(mean, std^2) restricted to [a, b], by rejection as torch does (resampling the
 * values outside, or for a narrow window drawing uniformly on [a, b] and accepting by density).
 */
export function truncNormal_(tensor: Tensor, mean = 0, std = 1, a = -2, b = 2, opts: RandomOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const d = target('tensor', tensor);
  checkNumber('mean', mean);
  checkNumber('std', std, 0);
  checkNumber('a', a);
  checkNumber('b', b);
  if (!(a <= b)) throw new RangeError(`truncNormal_ expects a <= b, got a=${a}, b=${b}`);
  const gen = resolveGenerator(opts);
  const lo = Math.fround(a);
  const hi = Math.fround(b);
  const n = d.length;
  if (n === 0) return tensor;
  if (std === 0 || !(b > a)) {
    d.fill(Math.min(Math.max(mean, a), b));
    return commit(tensor, d);
  }
  const normCdf = (x: number): number => (1 + erf(x / Math.SQRT2)) / 2;
  const p = normCdf((b - mean) / std) - normCdf((a - mean) / std);
  const draw = new Float32Array(n);
  let pending: number[] = Array.from({ length: n }, (_, i) => i);
  if (p > 0.3) {
    while (pending.length) {
      const buf = draw.subarray(0, pending.length);
      gen.normal(buf, mean, std);
      const next: number[] = [];
      pending.forEach((idx, k) => {
        const v = buf[k];
        if (v < lo || v > hi) next.push(idx);
        else d[idx] = v;
      });
      pending = next;
    }
  } else {
    const mode = Math.max(a, Math.min(mean, b));
    const logPeak = -0.5 * ((mode - mean) / std) ** 2;
    const u = new Float32Array(n);
    while (pending.length) {
      const cand = draw.subarray(0, pending.length);
      const acc = u.subarray(0, pending.length);
      gen.uniform(cand, a, b);
      gen.uniform(acc, 0, 1);
      const next: number[] = [];
      pending.forEach((idx, k) => {
        const z = (cand[k] - mean) / std;
        if (Math.log(acc[k]) > -0.5 * z * z - logPeak) next.push(idx);
        else d[idx] = cand[k];
      });
      pending = next;
    }
  }
  return commit(tensor, d);
}

// erf (JS has none): the Maclaurin series below 2.5, erfc's continued fraction above; ~1e-15.
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let k = 1; k < 100; k++) {
      term *= -x2 / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // Continued fraction for erfc (Lentz), converges fast for x >= 2.5.
  let f = ax;
  let c = ax;
  let dd = 0;
  for (let k = 1; k < 200; k++) {
    const an = k / 2;
    dd = ax + an * dd;
    dd = dd === 0 ? 1e-300 : 1 / dd;
    c = ax + an / c;
    if (c === 0) c = 1e-300;
    const delta = c * dd;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/** Fills with val. */
export function constant_(tensor: Tensor, val: number): Tensor {
  checkTensor('tensor', tensor, 'float32');
  if (typeof val !== 'number') throw typeError('val', 'a number', val);
  if (tensor.device === 'cuda') cudaKernels().fill(tensor.buffer, val);
  else tensor.f32.fill(val);
  return tensor;
}

export function zeros_(tensor: Tensor): Tensor {
  return constant_(tensor, 0);
}

export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}

/** Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(tensor: Tensor, gain = 1, opts: RandomOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  target('tensor', tensor);
  checkNumber('gain', gain);
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  const a = Math.sqrt(3.0) * std;
  return uniform_(tensor, -a, a, opts);
}

/** Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(tensor: Tensor, gain = 1, opts: RandomOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  target('tensor', tensor);
  checkNumber('gain', gain);
  const [fanIn, fanOut] = calculateFanInAndFanOut(tensor);
  const std = gain * Math.sqrt(2.0 / (fanIn + fanOut));
  return normal_(tensor, 0, std, opts);
}

function kaimingStd(tensor: Tensor, opts: KaimingOptions): number {
  const a = checkNumber('a', opts.a ?? 0);
  const fan = correctFan(tensor, opts.mode ?? 'fan_in');
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', a);
  return gain / Math.sqrt(fan);
}

/** He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan). A tensor with no elements is left alone. */
export function kaimingUniform_(tensor: Tensor, opts: KaimingOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  target('tensor', tensor);
  if (tensor.size === 0) return tensor;
  const bound = Math.sqrt(3.0) * kaimingStd(tensor, opts);
  return uniform_(tensor, -bound, bound, opts);
}

/** He normal: N(0, std^2), std = gain / sqrt(fan). A tensor with no elements is left alone. */
export function kaimingNormal_(tensor: Tensor, opts: KaimingOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  target('tensor', tensor);
  if (tensor.size === 0) return tensor;
  return normal_(tensor, 0, kaimingStd(tensor, opts), opts);
}

/**
 * A (semi-)orthogonal matrix times gain (torch.nn.init.orthogonal_): the Q of the QR decomposition
 * of a normal random matrix, with R's diagonal made positive, so Q is uniform (Haar) over
 * orthogonal matrices. Dimensions after the first are flattened; rows < cols gives orthonormal rows.
 */
export function orthogonal_(tensor: Tensor, gain = 1, opts: RandomOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  const d = target('tensor', tensor);
  checkNumber('gain', gain);
  if (tensor.ndim < 2) throw new RangeError('Only tensors with 2 or more dimensions are supported');
  if (tensor.size === 0) return tensor;
  const rows = tensor.shape[0];
  const cols = tensor.size / rows;
  // Work on the tall orientation: n vectors (columns) of length m, m >= n.
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const draw = new Float32Array(m * n);
  resolveGenerator(opts).normal(draw);
  const q: Float64Array[] = [];
  for (let j = 0; j < n; j++) q.push(Float64Array.from({ length: m }, (_, i) => draw[i * n + j]));
  // Modified Gram-Schmidt, twice for stability; positive R diagonal = torch's sign fix.
  for (let j = 0; j < n; j++) {
    const v = q[j];
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[k][i] * v[i];
        for (let i = 0; i < m; i++) v[i] -= dot * q[k][i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) v[i] /= norm;
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) d[r * cols + c] = gain * (rows >= cols ? q[c][r] : q[r][c]);
  }
  return commit(tensor, d);
}

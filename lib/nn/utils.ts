// Gradient clipping (torch.nn.utils.clip_grad_norm_, clip_grad_value_), on either device: the norms
// come from powSum / absMax (CPU exports in native/binding/optim.cc, device exports in
// cuda/binding/reduce.cc: double sums on both), the scaling and clamping from scaleInPlace /
// clampInPlace. Gradients on cuda stay there; only the norm (a number) comes back to the host.
import { checkNumber, typeError } from '../errors';
import { CudaStorage, Tensor } from '../tensor';
import { kernelsOn, raw } from '../ops/reduce_kernels';

declare module '../native' {
  interface NativeAddon {
    /** Sum of |x|^p in double. */
    powSum(x: Float32Array, p: number): number;
    /** max |x| (NaN if any is NaN). */
    absMax(x: Float32Array): number;
  }
}

export interface ClipGradNormOptions {
  /** p of the p-norm: a positive number or Infinity / 'inf' (default 2). */
  normType?: number | 'inf';
  /** Throw if the total norm is NaN or infinite (default false). */
  errorIfNonfinite?: boolean;
}

/** A gradient's float32 storage: a typed array, or device memory for a cuda gradient. */
export type GradStorage = Float32Array | CudaStorage;

function gradsOf(parameters: Tensor | Iterable<Tensor>): GradStorage[] {
  const list = parameters instanceof Tensor ? [parameters] : Array.from(parameters);
  const out: GradStorage[] = [];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw typeError(`parameters[${i}]`, 'a Tensor', p);
    if (p.grad !== null) out.push(p.grad.storage as GradStorage);
  });
  return out;
}

const on = (g: GradStorage) => kernelsOn(g instanceof CudaStorage ? 'cuda' : 'cpu');

/**
 * Norm of all gradients as if concatenated (torch.nn.utils.get_total_norm): each gradient's norm
 * is rounded to float32, as torch's per-tensor norms are, and the norm of those is the total.
 * Accumulation is in double, so the result can differ from torch's in the last float bit. Gradients
 * may live on either device (each is reduced where it is).
 */
export function getTotalNorm(grads: GradStorage[], normType: number | 'inf' = 2, errorIfNonfinite = false): number {
  const p = normType === 'inf' ? Infinity : checkNumber('normType', normType);
  if (!(p > 0)) throw new RangeError(`normType must be positive or Infinity, got ${p}`);
  let total: number;
  if (grads.length === 0) return 0;
  if (p === Infinity) {
    total = 0;
    for (const g of grads) {
      const m = Math.fround(on(g).absMax(raw(g)));
      if (Number.isNaN(m) || Number.isNaN(total)) total = NaN;
      else if (m > total) total = m;
    }
  } else {
    let acc = 0;
    for (const g of grads) {
      const norm = Math.fround(on(g).powSum(raw(g), p) ** (1 / p));
      acc += p === 2 ? norm * norm : p === 1 ? norm : norm ** p;
    }
    total = acc ** (1 / p);
  }
  total = Math.fround(total);
  if (errorIfNonfinite && !Number.isFinite(total)) {
    throw new Error(
      `The total norm of order ${p} for gradients from \`parameters\` is non-finite, so it cannot be clipped. ` +
        'To disable this error and scale the gradients by the non-finite norm anyway, set `errorIfNonfinite: false`',
    );
  }
  return total;
}

/**
 * Scales all gradients in place so that their total norm is at most maxNorm: each is multiplied by
 * min(maxNorm / (total + 1e-6), 1) in float32, as torch does. Returns the total norm before
 * clipping as a 0-d tensor on the CPU (torch returns a tensor; use .item() for the number).
 */
export function clipGradNorm(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  { normType = 2, errorIfNonfinite = false }: ClipGradNormOptions = {},
): Tensor {
  checkNumber('maxNorm', maxNorm);
  const grads = gradsOf(parameters);
  const total = getTotalNorm(grads, normType, errorIfNonfinite);
  if (grads.length) {
    // torch: clamp(max_norm / (total_norm + 1e-6), max=1.0), each step a float32 op.
    const coef = Math.fround(maxNorm / Math.fround(total + Math.fround(1e-6)));
    const c = Number.isNaN(coef) ? coef : Math.min(coef, 1);
    for (const g of grads) on(g).scaleInPlace(raw(g), c);
  }
  return new Tensor(new Float32Array([total]), []);
}

/** Clamps every gradient element to [-clipValue, clipValue] in place (NaN stays NaN). */
export function clipGradValue(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  checkNumber('clipValue', clipValue);
  const grads = gradsOf(parameters);
  const lo = Math.fround(-clipValue);
  const hi = Math.fround(clipValue);
  for (const g of grads) on(g).clampInPlace(raw(g), lo, hi);
}

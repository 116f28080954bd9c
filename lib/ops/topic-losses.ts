// Losses of the neural topic models (issue 6): MMD between two samples (W-LDA), the Gaussian KL to
// N(0, I) (NVDM, ETM) and the Gaussian-mixture KL (GMNTM / VaDE). Each is one fused native kernel
// (native/kernels/topic_losses.cc; per-element math in native/include/textkernels/math/topics.h).
// Also exported as tk.losses.*. These take several inputs, so they are functions only (no Tensor
// methods).
//
// On CUDA tensors each calls the device export of the same name (cuda/binding/topic_losses.cc: the
// kernels of cuda/topic_losses.cu). The few host-side steps of the CPU path (scaling the saved MMD
// gradients, summing the per-row losses) run on the device as tiny products through sgemm
// ([1] x row scales exactly; ones[1, B] x loss[B] sums), so nothing is copied back to the host but
// mmdForward's value, which the export returns as the CPU one does.
import { cudaKernels, DeviceBuffer } from '../cuda/runtime';
import { checkOptions, rangeError, shapeStr, typeError } from '../errors';
import { native } from '../native';
import { allocStorage, checkTensor, CudaStorage, Device, fromOp, isGradEnabled, sameDevice, Tensor } from '../tensor';
import { checkReduction, Reduction, sumOf } from './nnutil';

declare module '../native' {
  interface NativeAddon {
    mmdForward(
      gx: Float32Array | null,
      gy: Float32Array | null,
      x: Float32Array,
      y: Float32Array,
      n: number,
      m: number,
      d: number,
      kernel: number,
      bandwidth: number,
    ): number;
    gaussianKlForward(loss: Float32Array, mu: Float32Array, logvar: Float32Array, B: number, J: number): void;
    gaussianKlBackward(
      dmu: Float32Array | null,
      dlogvar: Float32Array | null,
      dloss: Float32Array,
      mu: Float32Array,
      logvar: Float32Array,
      B: number,
      J: number,
      dlossStride: number,
      scale: number,
    ): void;
    gaussianMixtureKlForward(
      loss: Float32Array,
      logEta: Float32Array,
      z: Float32Array,
      mu: Float32Array,
      logvar: Float32Array,
      means: Float32Array,
      logvars: Float32Array,
      logPi: Float32Array,
      B: number,
      J: number,
      K: number,
    ): void;
    gaussianMixtureKlBackward(
      dz: Float32Array | null,
      dmu: Float32Array | null,
      dlogvar: Float32Array | null,
      dmeans: Float32Array | null,
      dlogvars: Float32Array | null,
      dlogPi: Float32Array | null,
      dloss: Float32Array,
      z: Float32Array,
      mu: Float32Array,
      logvar: Float32Array,
      means: Float32Array,
      logvars: Float32Array,
      logPi: Float32Array,
      logEta: Float32Array,
      B: number,
      J: number,
      K: number,
      dlossStride: number,
      scale: number,
    ): void;
  }
}

type Buf = DeviceBuffer;

declare module '../cuda/runtime' {
  interface CudaKernels {
    mmdForward(
      gx: Buf | null,
      gy: Buf | null,
      x: Buf,
      y: Buf,
      n: number,
      m: number,
      d: number,
      kernel: number,
      bandwidth: number,
    ): number;
    gaussianKlForward(loss: Buf, mu: Buf, logvar: Buf, B: number, J: number): void;
    gaussianKlBackward(
      dmu: Buf | null,
      dlogvar: Buf | null,
      dloss: Buf,
      mu: Buf,
      logvar: Buf,
      B: number,
      J: number,
      dlossStride: number,
      scale: number,
    ): void;
    gaussianMixtureKlForward(
      loss: Buf,
      logEta: Buf,
      z: Buf,
      mu: Buf,
      logvar: Buf,
      means: Buf,
      logvars: Buf,
      logPi: Buf,
      B: number,
      J: number,
      K: number,
    ): void;
    gaussianMixtureKlBackward(
      dz: Buf | null,
      dmu: Buf | null,
      dlogvar: Buf | null,
      dmeans: Buf | null,
      dlogvars: Buf | null,
      dlogPi: Buf | null,
      dloss: Buf,
      z: Buf,
      mu: Buf,
      logvar: Buf,
      means: Buf,
      logvars: Buf,
      logPi: Buf,
      logEta: Buf,
      B: number,
      J: number,
      K: number,
      dlossStride: number,
      scale: number,
    ): void;
  }
}

function bufOf(t: Tensor): Buf {
  return (t.storage as CudaStorage).buffer;
}

function deviceFloats(n: number): CudaStorage {
  return allocStorage('cuda', 'float32', n) as CudaStorage;
}

/** out[0, n) = s[0] * a[0, n) on the device: the 1 x n product [s] x a (one exact product each). */
function scaleOnDevice(a: Buf, n: number, s: Buf): CudaStorage {
  const out = deviceFloats(n);
  if (n > 0) cudaKernels().sgemm(false, false, 1, n, 1, 1, s, 0, 1, a, 0, n, 0, out.buffer, 0, n);
  return out;
}

/** [1] = scale * sum(v[0, B)) on the device (ones[1, B] x v[B, 1]); NaN for a mean of no rows. */
function sumOnDevice(v: Buf, B: number, scale: number, mean: boolean): CudaStorage {
  const cu = cudaKernels();
  const out = deviceFloats(1);
  if (B === 0) {
    cu.fill(out.buffer, mean ? NaN : 0);
    return out;
  }
  const ones = deviceFloats(B);
  cu.fill(ones.buffer, 1);
  cu.sgemm(false, false, 1, 1, B, scale, ones.buffer, 0, B, v, 0, 1, 0, out.buffer, 0, 1);
  return out;
}

export type MmdKernel = 'diffusion' | 'rbf' | 'imq';

export interface MmdOptions {
  /** 'diffusion' (default; rows are points of the simplex), 'rbf' or 'imq'. */
  kernel?: MmdKernel;
  /** diffusion: t; rbf: h in exp(-||a-b||^2 / (2 h^2)); imq: C in C / (C + ||a-b||^2). Default 1. */
  bandwidth?: number;
}

const KERNELS: Record<MmdKernel, number> = { diffusion: 0, rbf: 1, imq: 2 };

function check2d(name: string, t: Tensor, what: string): void {
  if (t.ndim !== 2) throw new RangeError(`${name} must be 2-D ${what}, got shape ${shapeStr(t.shape)}`);
}

/**
 * The unbiased MMD estimator (seed eq. 10) between the rows of x [n, d] and y [m, d]:
 *   sum_{i!=j} k(x_i, x_j) / (n(n-1)) + sum_{i!=j} k(y_i, y_j) / (m(m-1)) - 2 sum_{i,j} k(x_i, y_j) / (nm)
 * as a scalar tensor. Kernels:
 *  - 'diffusion' (W-LDA's information diffusion kernel): k(a, b) = exp(-arccos(s)^2 / t) with
 *    s = clamp(sum_i sqrt(a'_i b'_i), 0, 1), a' = clamp(a, 1e-6, 1) (W-LDA clips inputs so; its upper
 *    clip of s is 1 - 1e-6, ours is 1 with a stable derivative, so identical rows get the finite
 *    limit instead of NaN). Gradients at the clamps are torch.clamp's: 0 outside [lo, hi], passed at
 *    the bounds. An identical pair of rows on the simplex sits at s = 1 up to rounding, so whether
 *    the clamp passes its (finite) gradient is decided by the last bit of s; rows with a coordinate
 *    below 1e-6 have s > 1 with their twin and get no gradient through that pair.
 *  - 'rbf': exp(-||a - b||^2 / (2 h^2)); 'imq': C / (C + ||a - b||^2) with C = bandwidth.
 * n, m >= 2. Value and gradients are one fused native pass over 128 x 128 tiles of row pairs (the
 * n x m kernel matrices are never stored), run whenever x or y requires grad; the backward pass only
 * scales those gradients by the upstream gradient.
 */
export function mmd(x: Tensor, y: Tensor, opts: MmdOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('x', x, 'float32');
  checkTensor('y', y, 'float32');
  check2d('x', x, '[n, d]');
  check2d('y', y, '[m, d]');
  const [n, d] = x.shape;
  const m = y.shape[0];
  if (y.shape[1] !== d) {
    throw new RangeError(
      `x and y must have the same number of columns, got x ${shapeStr(x.shape)}, y ${shapeStr(y.shape)}`,
    );
  }
  if (n < 2) throw new RangeError(`x must have at least 2 rows for the unbiased MMD, got shape ${shapeStr(x.shape)}`);
  if (m < 2) throw new RangeError(`y must have at least 2 rows for the unbiased MMD, got shape ${shapeStr(y.shape)}`);
  if (d < 1) throw new RangeError(`x and y must have at least one column, got shape ${shapeStr(x.shape)}`);
  const kernelName = opts.kernel ?? 'diffusion';
  if (typeof kernelName !== 'string') throw typeError('kernel', "'diffusion', 'rbf' or 'imq'", kernelName);
  if (!Object.prototype.hasOwnProperty.call(KERNELS, kernelName)) {
    throw rangeError('kernel', "one of 'diffusion', 'rbf', 'imq'", kernelName);
  }
  const bandwidth = opts.bandwidth ?? 1;
  if (typeof bandwidth !== 'number') throw typeError('bandwidth', 'a number', bandwidth);
  if (!(bandwidth > 0) || !Number.isFinite(bandwidth) || !(Math.fround(bandwidth) > 0)) {
    throw rangeError('bandwidth', 'a positive finite number', bandwidth);
  }
  // The kernels divide by 2 h^2 (rbf) or h (diffusion, imq) in float32: keep those finite and nonzero.
  const scaleF32 = Math.fround(kernelName === 'rbf' ? 2 * bandwidth * bandwidth : 2 / bandwidth);
  if (!(scaleF32 > 0) || !Number.isFinite(scaleF32)) {
    throw rangeError(
      'bandwidth',
      `a value whose ${kernelName === 'rbf' ? '2 h^2' : '2 / h'} is a normal float32`,
      bandwidth,
    );
  }
  const wantGrad = isGradEnabled() && (x.requiresGrad || y.requiresGrad);
  if (sameDevice('mmd', { x, y }) !== 'cpu') {
    const gxd = wantGrad && x.requiresGrad ? deviceFloats(n * d) : null;
    const gyd = wantGrad && y.requiresGrad ? deviceFloats(m * d) : null;
    const v = cudaKernels().mmdForward(
      gxd && gxd.buffer,
      gyd && gyd.buffer,
      bufOf(x),
      bufOf(y),
      n,
      m,
      d,
      KERNELS[kernelName],
      bandwidth,
    );
    const value = new Tensor(Float32Array.of(v), [], { device: 'cuda' });
    return fromOp('mmd', value.storage, [], [x, y], (g) => [
      gxd && new Tensor(scaleOnDevice(gxd.buffer, n * d, bufOf(g)), x.shape),
      gyd && new Tensor(scaleOnDevice(gyd.buffer, m * d, bufOf(g)), y.shape),
    ]);
  }
  const gx = wantGrad && x.requiresGrad ? new Float32Array(n * d) : null;
  const gy = wantGrad && y.requiresGrad ? new Float32Array(m * d) : null;
  const value = native.mmdForward(gx, gy, x.f32, y.f32, n, m, d, KERNELS[kernelName], bandwidth);
  return fromOp('mmd', Float32Array.of(value), [], [x, y], (g) => {
    const s = g.f32[0];
    const scaled = (a: Float32Array | null, shape: number[]): Tensor | null => {
      if (!a) return null;
      const out = new Float32Array(a.length);
      for (let i = 0; i < a.length; i++) out[i] = a[i] * s;
      return new Tensor(out, shape);
    };
    return [scaled(gx, x.shape), scaled(gy, y.shape)];
  });
}

export interface KLOptions {
  /** Over the batch rows: 'mean' (default), 'sum' or 'none' (one value per row). */
  reduction?: Reduction;
}

function reduceRows(
  name: string,
  loss: Float32Array,
  reduction: string,
  inputs: Tensor[],
  backward: (dloss: Float32Array, stride: number, scale: number) => (Tensor | null)[],
): Tensor {
  const B = loss.length;
  if (reduction === 'none') return fromOp(name, loss, [B], inputs, (g) => backward(g.f32, 1, 1));
  const sum = sumOf(loss);
  const value = reduction === 'sum' ? sum : sum / B; // mean of no rows is NaN, as torch
  const scale = reduction === 'sum' ? 1 : 1 / B;
  return fromOp(name, Float32Array.of(value), [], inputs, (g) => backward(g.f32, 0, scale));
}

/** reduceRows for losses on the device: the same reductions, summed by sumOnDevice. */
function reduceRowsCuda(
  name: string,
  loss: CudaStorage,
  reduction: string,
  inputs: Tensor[],
  backward: (dloss: Buf, stride: number, scale: number) => (Tensor | null)[],
): Tensor {
  const B = loss.length;
  if (reduction === 'none') return fromOp(name, loss, [B], inputs, (g) => backward(bufOf(g), 1, 1));
  const scale = reduction === 'sum' ? 1 : 1 / B;
  const value = sumOnDevice(loss.buffer, B, reduction === 'sum' ? 1 : 1 / B, reduction !== 'sum');
  return fromOp(name, value, [], inputs, (g) => backward(bufOf(g), 0, scale));
}

function checkSameShape(name: string, t: Tensor, refName: string, ref: Tensor): void {
  if (t.shape.length !== ref.shape.length || t.shape.some((s, i) => s !== ref.shape[i])) {
    throw new RangeError(`${name} must have the shape of ${refName} ${shapeStr(ref.shape)}, got ${shapeStr(t.shape)}`);
  }
}

function checkKlReduction(opts: KLOptions): string {
  return checkReduction(opts.reduction ?? 'mean');
}

/**
 * KL(N(mu, exp(logvar)) || N(0, I)) per row of mu, logvar [B, J], summed over J:
 * -0.5 * sum_j (1 + logvar - mu^2 - exp(logvar)); then reduced over B ('mean' by default; 'none'
 * gives [B]).
 */
export function gaussianKL(mu: Tensor, logvar: Tensor, opts: KLOptions = {}): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('mu', mu, 'float32');
  checkTensor('logvar', logvar, 'float32');
  check2d('mu', mu, '[B, J]');
  checkSameShape('logvar', logvar, 'mu', mu);
  const reduction = checkKlReduction(opts);
  const [B, J] = mu.shape;
  if (sameDevice('gaussianKL', { mu, logvar }) !== 'cpu') {
    const cu = cudaKernels();
    const lossD = deviceFloats(B);
    cu.gaussianKlForward(lossD.buffer, bufOf(mu), bufOf(logvar), B, J);
    return reduceRowsCuda('gaussianKL', lossD, reduction, [mu, logvar], (dl, stride, scale) => {
      const dmu = mu.requiresGrad ? deviceFloats(B * J) : null;
      const dlv = logvar.requiresGrad ? deviceFloats(B * J) : null;
      cu.gaussianKlBackward(dmu && dmu.buffer, dlv && dlv.buffer, dl, bufOf(mu), bufOf(logvar), B, J, stride, scale);
      return [dmu && new Tensor(dmu, mu.shape), dlv && new Tensor(dlv, mu.shape)];
    });
  }
  const loss = new Float32Array(B);
  const m = mu.f32;
  const lv = logvar.f32;
  native.gaussianKlForward(loss, m, lv, B, J);
  return reduceRows('gaussianKL', loss, reduction, [mu, logvar], (dl, stride, scale) => {
    const dmu = mu.requiresGrad ? new Float32Array(B * J) : null;
    const dlv = logvar.requiresGrad ? new Float32Array(B * J) : null;
    native.gaussianKlBackward(dmu, dlv, dl, m, lv, B, J, stride, scale);
    return [dmu && new Tensor(dmu, mu.shape), dlv && new Tensor(dlv, mu.shape)];
  });
}

/**
 * The Gaussian-mixture KL term of the GMVAE / GMNTM ELBO (seed eqs. 17-18), per row of z, mu,
 * logvar [B, J] against K diagonal components means, logvars [K, J] with log weights logPi [K]
 * (already normalised, e.g. logSoftmax of learnable logits):
 *   eta = softmax_c(logPi_c + log N(z; means_c, exp(logvars_c)))
 *   loss = 0.5 sum_c eta_c sum_j (logvars_cj + exp(logvar_j - logvars_cj) + (mu_j - means_cj)^2 / exp(logvars_cj))
 *          - sum_c eta_c (logPi_c - log eta_c) - 0.5 sum_j (1 + logvar_j)
 * Gradients reach all six inputs, through eta too, as PyTorch autograd through the same composite
 * expression (with log eta from log_softmax). Reduced over B like gaussianKL.
 */
export function gaussianMixtureKL(
  z: Tensor,
  mu: Tensor,
  logvar: Tensor,
  means: Tensor,
  logvars: Tensor,
  logPi: Tensor,
  opts: KLOptions = {},
): Tensor {
  opts = checkOptions('opts', opts);
  checkTensor('z', z, 'float32');
  checkTensor('mu', mu, 'float32');
  checkTensor('logvar', logvar, 'float32');
  checkTensor('means', means, 'float32');
  checkTensor('logvars', logvars, 'float32');
  checkTensor('logPi', logPi, 'float32');
  check2d('z', z, '[B, J]');
  checkSameShape('mu', mu, 'z', z);
  checkSameShape('logvar', logvar, 'z', z);
  check2d('means', means, '[K, J]');
  checkSameShape('logvars', logvars, 'means', means);
  const [B, J] = z.shape;
  const K = means.shape[0];
  if (means.shape[1] !== J) {
    throw new RangeError(`means must be [K, J] with J = ${J} (z's columns), got ${shapeStr(means.shape)}`);
  }
  if (K < 1) throw new RangeError(`means must have at least one component, got shape ${shapeStr(means.shape)}`);
  if (logPi.ndim !== 1 || logPi.shape[0] !== K) {
    throw new RangeError(`logPi must have shape [${K}] (one log weight per component), got ${shapeStr(logPi.shape)}`);
  }
  const reduction = checkKlReduction(opts);
  const inputs = [z, mu, logvar, means, logvars, logPi];
  const device: Device = sameDevice('gaussianMixtureKL', { z, mu, logvar, means, logvars, logPi });
  if (device !== 'cpu') {
    const cu = cudaKernels();
    const lossD = deviceFloats(B);
    const logEtaD = deviceFloats(B * K);
    const bufs = inputs.map(bufOf);
    cu.gaussianMixtureKlForward(
      lossD.buffer,
      logEtaD.buffer,
      bufs[0],
      bufs[1],
      bufs[2],
      bufs[3],
      bufs[4],
      bufs[5],
      B,
      J,
      K,
    );
    return reduceRowsCuda('gaussianMixtureKL', lossD, reduction, inputs, (dl, stride, scale) => {
      const grads = inputs.map((t) => (t.requiresGrad ? deviceFloats(t.size) : null));
      const gb = grads.map((gr) => gr && gr.buffer);
      cu.gaussianMixtureKlBackward(
        gb[0],
        gb[1],
        gb[2],
        gb[3],
        gb[4],
        gb[5],
        dl,
        bufs[0],
        bufs[1],
        bufs[2],
        bufs[3],
        bufs[4],
        bufs[5],
        logEtaD.buffer,
        B,
        J,
        K,
        stride,
        scale,
      );
      return grads.map((gr, i) => gr && new Tensor(gr, inputs[i].shape));
    });
  }
  const loss = new Float32Array(B);
  const logEta = new Float32Array(B * K);
  const [zd, md, lvd, mk, lvk, lp] = [z.f32, mu.f32, logvar.f32, means.f32, logvars.f32, logPi.f32];
  native.gaussianMixtureKlForward(loss, logEta, zd, md, lvd, mk, lvk, lp, B, J, K);
  return reduceRows('gaussianMixtureKL', loss, reduction, inputs, (dl, stride, scale) => {
    const grads = inputs.map((t) => (t.requiresGrad ? new Float32Array(t.size) : null));
    native.gaussianMixtureKlBackward(
      grads[0],
      grads[1],
      grads[2],
      grads[3],
      grads[4],
      grads[5],
      dl,
      zd,
      md,
      lvd,
      mk,
      lvk,
      lp,
      logEta,
      B,
      J,
      K,
      stride,
      scale,
    );
    return grads.map((gr, i) => gr && new Tensor(gr, inputs[i].shape));
  });
}

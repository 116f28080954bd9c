// Matrix products: matmul (torch.matmul, with broadcasting of batch dimensions), mm, bmm, and
// linear (torch.nn.functional.linear). All run on the native SGEMM (native/kernels/gemm.h), whose
// transpose flags let the backward passes read the saved operands in place: no transposed copies.
// On CUDA tensors the same calls go to the device's sgemm (cuBLAS or our tiled kernel, cuda/gemm.h),
// which takes the same arguments over device buffers.
import { cudaKernels } from '../cuda/runtime';
import { native } from '../native';
import { shapeStr, typeError } from '../errors';
import {
  allocStorage,
  CudaStorage,
  Device,
  Tensor,
  checkTensor,
  fromOp,
  handOver,
  numelOf,
  sameDevice,
} from '../tensor';
import { full } from '../creation';

declare module '../native' {
  interface NativeAddon {
    /**
     * Row-major C = alpha * op(A) @ op(B) + beta * C on the elements starting at the offsets, with
     * op(A) [M, K] (stored [M, lda] or, transposed, [K, lda]), op(B) [K, N], C [M, ldc].
     * beta = 0 never reads C.
     */
    sgemm(
      transA: boolean,
      transB: boolean,
      M: number,
      N: number,
      K: number,
      alpha: number,
      A: Float32Array,
      aOffset: number,
      lda: number,
      B: Float32Array,
      bOffset: number,
      ldb: number,
      beta: number,
      C: Float32Array,
      cOffset: number,
      ldc: number,
    ): void;
    /** `batch` sgemm products, matrix i at offset + i * stride for each operand (stride 0 shares one). */
    sgemmStridedBatched(
      transA: boolean,
      transB: boolean,
      M: number,
      N: number,
      K: number,
      alpha: number,
      A: Float32Array,
      aOffset: number,
      lda: number,
      B: Float32Array,
      bOffset: number,
      ldb: number,
      beta: number,
      C: Float32Array,
      cOffset: number,
      ldc: number,
      batch: number,
      strideA: number,
      strideB: number,
      strideC: number,
    ): void;
    /** sgemm through the pre-packed-B path (native SgemmPackedB): same arguments and checks. */
    sgemmPacked(
      transA: boolean,
      transB: boolean,
      M: number,
      N: number,
      K: number,
      alpha: number,
      A: Float32Array,
      aOffset: number,
      lda: number,
      B: Float32Array,
      bOffset: number,
      ldb: number,
      beta: number,
      C: Float32Array,
      cOffset: number,
      ldc: number,
    ): void;
    /** The GEMM microkernels at the current SIMD level, e.g. 'avx2-6x16/4x24'. */
    gemmKernelName(): string;
  }
}

declare module '../tensor' {
  interface Tensor {
    matmul(other: Tensor): Tensor;
    mm(other: Tensor): Tensor;
    bmm(other: Tensor): Tensor;
  }
}

/** A float32 tensor's storage on either device. */
type F32 = Float32Array | CudaStorage;

function f32Of(t: Tensor): F32 {
  return t.storage as F32;
}

/** Zeroed float32 storage on `device` (gradients accumulate into it). */
function zerosOn(device: Device, length: number): F32 {
  return allocStorage(device, 'float32', length, true) as F32;
}

/** Storage for a product that writes every element (beta = 0 over the whole output): no clearing. */
function outputOn(device: Device, length: number, written: boolean): F32 {
  return allocStorage(device, 'float32', length, !written) as F32;
}

function dev(x: F32): CudaStorage['buffer'] {
  return (x as CudaStorage).buffer;
}

// native.sgemm or its device twin, by where C lives (the callers checked A and B are there too).
function sgemmOn(
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: F32,
  aOff: number,
  lda: number,
  b: F32,
  bOff: number,
  ldb: number,
  beta: number,
  c: F32,
  cOff: number,
  ldc: number,
): void {
  if (c instanceof CudaStorage) {
    cudaKernels().sgemm(ta, tb, m, n, k, alpha, dev(a), aOff, lda, dev(b), bOff, ldb, beta, c.buffer, cOff, ldc);
  } else {
    native.sgemm(
      ta,
      tb,
      m,
      n,
      k,
      alpha,
      a as Float32Array,
      aOff,
      lda,
      b as Float32Array,
      bOff,
      ldb,
      beta,
      c,
      cOff,
      ldc,
    );
  }
}

function sgemmStridedBatchedOn(
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  a: F32,
  lda: number,
  b: F32,
  ldb: number,
  c: F32,
  ldc: number,
  batch: number,
  strideA: number,
  strideB: number,
  strideC: number,
): void {
  if (c instanceof CudaStorage) {
    cudaKernels().sgemmStridedBatched(
      ta,
      tb,
      m,
      n,
      k,
      1,
      dev(a),
      0,
      lda,
      dev(b),
      0,
      ldb,
      0,
      c.buffer,
      0,
      ldc,
      batch,
      strideA,
      strideB,
      strideC,
    );
  } else {
    native.sgemmStridedBatched(
      ta,
      tb,
      m,
      n,
      k,
      1,
      a as Float32Array,
      0,
      lda,
      b as Float32Array,
      0,
      ldb,
      0,
      c,
      0,
      ldc,
      batch,
      strideA,
      strideB,
      strideC,
    );
  }
}

/** C[M, N] (+)= op(A) @ op(B) for contiguous row-major matrices at the given offsets. */
function gemm(
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  a: F32,
  aOff: number,
  b: F32,
  bOff: number,
  beta: number,
  c: F32,
  cOff: number,
): void {
  const lda = Math.max(1, ta ? m : k);
  const ldb = Math.max(1, tb ? k : n);
  sgemmOn(ta, tb, m, n, k, 1, a, aOff, lda, b, bOff, ldb, beta, c, cOff, Math.max(1, n));
}

/**
 * For each index of the broadcast batch shape, the linear batch index into an operand with batch
 * shape `own` (right-aligned, size-1 dimensions repeated).
 */
function batchIndex(own: readonly number[], out: readonly number[]): Int32Array {
  const total = numelOf(out);
  const idx = new Int32Array(total);
  const pad = out.length - own.length;
  const strides: number[] = new Array<number>(out.length).fill(0);
  let s = 1;
  for (let d = out.length - 1; d >= pad; d--) {
    const size = own[d - pad];
    strides[d] = size === 1 ? 0 : s;
    s *= size;
  }
  for (let i = 0; i < total; i++) {
    let rem = i;
    let off = 0;
    for (let d = out.length - 1; d >= 0; d--) {
      const q = rem % out[d];
      rem = (rem - q) / out[d];
      off += q * strides[d];
    }
    idx[i] = off;
  }
  return idx;
}

/** 1 if idx[i] === i for all i, 0 if idx is all zeros, -1 otherwise. */
function uniformStride(idx: Int32Array): number {
  let identity = true;
  let zero = true;
  for (let i = 0; i < idx.length; i++) {
    if (idx[i] !== i) identity = false;
    if (idx[i] !== 0) zero = false;
  }
  return identity ? 1 : zero ? 0 : -1;
}

function broadcastBatch(op: string, a: Tensor, b: Tensor, ab: readonly number[], bb: readonly number[]): number[] {
  const rank = Math.max(ab.length, bb.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = i - (rank - ab.length) >= 0 ? ab[i - (rank - ab.length)] : 1;
    const y = i - (rank - bb.length) >= 0 ? bb[i - (rank - bb.length)] : 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new RangeError(
        `${op}: batch dimensions ${shapeStr(ab)} of a ${shapeStr(a.shape)} and ${shapeStr(bb)} of b ${shapeStr(b.shape)} cannot be broadcast together`,
      );
    }
    out.push(x === 1 ? y : x);
  }
  return out;
}

/**
 * The product of a as batch x [n, k] and b as batch x [k, m] (after 1-D promotion and batch
 * broadcasting), shaped `outShape`, with a backward that sums gradients over broadcast batches.
 */
function batchedProduct(op: string, a: Tensor, b: Tensor): Tensor {
  const device = sameDevice(op, { a, b });
  const da = a.ndim;
  const db = b.ndim;
  const n = da === 1 ? 1 : a.shape[da - 2];
  const k = a.shape[da - 1];
  const k2 = db === 1 ? b.shape[0] : b.shape[db - 2];
  const m = db === 1 ? 1 : b.shape[db - 1];
  if (k !== k2) {
    throw new RangeError(
      `${op}: a ${shapeStr(a.shape)} and b ${shapeStr(b.shape)} cannot be multiplied (${n}x${k} and ${k2}x${m})`,
    );
  }
  const aBatch = da > 2 ? a.shape.slice(0, -2) : [];
  const bBatch = db > 2 ? b.shape.slice(0, -2) : [];
  const batch = broadcastBatch(op, a, b, aBatch, bBatch);
  const outShape = [...batch, ...(da > 1 ? [n] : []), ...(db > 1 ? [m] : [])];
  const nb = numelOf(batch);
  const aIdx = batchIndex(aBatch, batch);
  const bIdx = batchIndex(bBatch, batch);
  const sa = uniformStride(aIdx);
  const sb = uniformStride(bIdx);
  const A = f32Of(a);
  const B = f32Of(b);
  const out = outputOn(device, nb * n * m, nb > 0 && n > 0 && m > 0);
  if (nb > 0 && n > 0 && m > 0) {
    if (sa === 1 && sb === 0) {
      // b shared by every batch: one product with the batch folded into the rows of a.
      gemm(false, false, nb * n, m, k, A, 0, B, 0, 0, out, 0);
    } else if (sa >= 0 && sb >= 0) {
      sgemmStridedBatchedOn(
        false,
        false,
        n,
        m,
        k,
        A,
        Math.max(1, k),
        B,
        Math.max(1, m),
        out,
        Math.max(1, m),
        nb,
        sa * n * k,
        sb * k * m,
        n * m,
      );
    } else {
      for (let i = 0; i < nb; i++)
        gemm(false, false, n, m, k, A, aIdx[i] * n * k, B, bIdx[i] * k * m, 0, out, i * n * m);
    }
  }
  return fromOp(op, out, outShape, [a, b], (gOut) => {
    const g = f32Of(gOut);
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    const empty = nb === 0 || n === 0 || m === 0 || k === 0;
    // The per-batch loops accumulate (batches may share rows of a or b): only they need zeros to start from.
    const overwrites = !empty && sa === 1 && (sb === 0 || sb === 1);
    if (a.requiresGrad) {
      // dA[aIdx[i]] += dC[i] @ B[bIdx[i]]^T
      const gaData = outputOn(device, A.length, overwrites);
      if (!empty) {
        if (sa === 1 && sb === 0) {
          gemm(false, true, nb * n, k, m, g, 0, B, 0, 0, gaData, 0);
        } else if (sa === 1 && sb === 1) {
          sgemmStridedBatchedOn(false, true, n, k, m, g, m, B, m, gaData, k, nb, n * m, k * m, n * k);
        } else {
          for (let i = 0; i < nb; i++)
            gemm(false, true, n, k, m, g, i * n * m, B, bIdx[i] * k * m, 1, gaData, aIdx[i] * n * k);
        }
      }
      ga = new Tensor(gaData, a.shape);
    }
    if (b.requiresGrad) {
      // dB[bIdx[i]] += A[aIdx[i]]^T @ dC[i]
      const gbData = outputOn(device, B.length, overwrites);
      if (!empty) {
        if (sa === 1 && sb === 0) {
          gemm(true, false, k, m, nb * n, A, 0, g, 0, 0, gbData, 0);
        } else if (sa === 1 && sb === 1) {
          sgemmStridedBatchedOn(true, false, k, m, n, A, k, g, m, gbData, m, nb, n * k, n * m, k * m);
        } else {
          for (let i = 0; i < nb; i++)
            gemm(true, false, k, m, n, A, aIdx[i] * n * k, g, i * n * m, 1, gbData, bIdx[i] * k * m);
        }
      }
      gb = new Tensor(gbData, b.shape);
    }
    return [ga, gb];
  });
}

/**
 * torch.matmul: the dot product of two vectors, matrix-vector and matrix-matrix products, and
 * batched products with broadcasting of the batch dimensions. A 1-D first operand is treated as a
 * row vector and a 1-D second operand as a column vector; the added dimension is removed from the
 * result.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkTensor('a', a, 'float32');
  checkTensor('b', b, 'float32');
  if (a.ndim === 0 || b.ndim === 0) {
    throw new RangeError(
      `matmul: both arguments need at least 1 dimension, got a ${shapeStr(a.shape)} and b ${shapeStr(b.shape)}`,
    );
  }
  return batchedProduct('matmul', a, b);
}

/** torch.mm: the product of matrices a [n, k] and b [k, m]. */
export function mm(a: Tensor, b: Tensor): Tensor {
  checkTensor('a', a, 'float32');
  checkTensor('b', b, 'float32');
  if (a.ndim !== 2) throw new RangeError(`mm: a must be a 2-D matrix, got shape ${shapeStr(a.shape)}`);
  if (b.ndim !== 2) throw new RangeError(`mm: b must be a 2-D matrix, got shape ${shapeStr(b.shape)}`);
  return batchedProduct('mm', a, b);
}

/** torch.bmm: batched products of a [B, n, k] and b [B, k, m] (no broadcasting). */
export function bmm(a: Tensor, b: Tensor): Tensor {
  checkTensor('a', a, 'float32');
  checkTensor('b', b, 'float32');
  if (a.ndim !== 3) throw new RangeError(`bmm: a must be a 3-D tensor, got shape ${shapeStr(a.shape)}`);
  if (b.ndim !== 3) throw new RangeError(`bmm: b must be a 3-D tensor, got shape ${shapeStr(b.shape)}`);
  if (a.shape[0] !== b.shape[0]) {
    throw new RangeError(
      `bmm: a ${shapeStr(a.shape)} and b ${shapeStr(b.shape)} must have the same batch size (${a.shape[0]} vs ${b.shape[0]})`,
    );
  }
  return batchedProduct('bmm', a, b);
}

/**
 * torch.nn.functional.linear: x @ weight^T + bias for x [..., in], weight [out, in] and bias
 * [out]; the result is [..., out]. The backward computes grad_x = grad @ weight and
 * grad_weight = grad^T @ x with transposed GEMMs over the flattened rows, and grad_bias as the
 * column sums of grad.
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkTensor('x', x, 'float32');
  checkTensor('weight', weight, 'float32');
  if (bias !== undefined && bias !== null) checkTensor('bias', bias, 'float32');
  if (weight.ndim !== 2) {
    throw new RangeError(`linear: weight must be 2-D [out_features, in_features], got shape ${shapeStr(weight.shape)}`);
  }
  if (x.ndim < 1) throw new RangeError(`linear: x must have at least 1 dimension, got shape ${shapeStr(x.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.shape[x.ndim - 1] !== inF) {
    throw new RangeError(
      `linear: x ${shapeStr(x.shape)} and weight ${shapeStr(weight.shape)} cannot be multiplied: the last dimension of x must be in_features = ${inF}`,
    );
  }
  if (bias && !(bias.ndim === 1 && bias.shape[0] === outF)) {
    throw new RangeError(
      `linear: bias must have shape [${outF}] for weight ${shapeStr(weight.shape)}, got ${shapeStr(bias.shape)}`,
    );
  }
  const device = sameDevice('linear', { x, weight, bias });
  const lead = x.shape.slice(0, -1);
  const rows = numelOf(lead);
  const X = f32Of(x);
  const W = f32Of(weight);
  const out = outputOn(device, rows * outF, rows > 0 && outF > 0);
  // A column of ones on the device: the bias rows as a rank-1 product, and its gradient's column sums.
  const onesCol = device === 'cuda' && bias && rows > 0 ? f32Of(full([rows], 1, { device })) : null;
  if (bias && rows > 0 && outF > 0) {
    if (out instanceof Float32Array) for (let r = 0; r < rows; r++) out.set(bias.f32, r * outF);
    else gemm(false, false, rows, outF, 1, onesCol as F32, 0, f32Of(bias), 0, 0, out, 0);
  }
  if (rows > 0 && outF > 0) {
    // bias + x @ W^T, as torch.addmm: the bias rows are C with beta = 1.
    sgemmOn(
      false,
      true,
      rows,
      outF,
      inF,
      1,
      X,
      0,
      Math.max(1, inF),
      W,
      0,
      Math.max(1, inF),
      bias ? 1 : 0,
      out,
      0,
      outF,
    );
  }
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return fromOp('linear', out, [...lead, outF], inputs, (gOut) => {
    const g = f32Of(gOut);
    const grads: (Tensor | null)[] = [null, null, null];
    if (x.requiresGrad) {
      const gx = outputOn(device, X.length, rows > 0 && inF > 0);
      if (rows > 0 && inF > 0) gemm(false, false, rows, inF, outF, g, 0, W, 0, 0, gx, 0);
      grads[0] = handOver(new Tensor(gx, x.shape));
    }
    if (weight.requiresGrad) {
      const gw = outputOn(device, W.length, outF > 0 && inF > 0);
      if (outF > 0 && inF > 0) gemm(true, false, outF, inF, rows, g, 0, X, 0, 0, gw, 0);
      grads[1] = handOver(new Tensor(gw, weight.shape));
    }
    if (bias && bias.requiresGrad && !(g instanceof Float32Array)) {
      // On the device: ones[1, rows] @ g[rows, out] (float32 sums, where the CPU sums in float64).
      const gb = zerosOn(device, outF);
      if (rows > 0 && outF > 0) gemm(false, false, 1, outF, rows, onesCol as F32, 0, g, 0, 0, gb, 0);
      grads[2] = handOver(new Tensor(gb, bias.shape));
    } else if (bias && bias.requiresGrad && g instanceof Float32Array) {
      // Column sums in double, row after row (as a plain loop would), natively and in parallel.
      const gb = new Float32Array(outF);
      if (rows > 0 && outF > 0) native.sumForward(gb, g, 1, rows, outF);
      grads[2] = handOver(new Tensor(gb, bias.shape));
    }
    return bias ? grads : grads.slice(0, 2);
  });
}

function checkOther(other: unknown): Tensor {
  if (!(other instanceof Tensor)) throw typeError('other', 'a Tensor', other);
  return other;
}

Tensor.prototype.matmul = function (this: Tensor, other: Tensor): Tensor {
  return matmul(this, checkOther(other));
};
Tensor.prototype.mm = function (this: Tensor, other: Tensor): Tensor {
  return mm(this, checkOther(other));
};
Tensor.prototype.bmm = function (this: Tensor, other: Tensor): Tensor {
  return bmm(this, checkOther(other));
};

// Building blocks the topic models share: the sparse first encoder layer and the two fused
// reconstruction losses. Both losses read the document-term counts in CSR form, so the batch is
// never densified: the softmax one keeps the [B, V] log-probabilities it must compute anyway, the
// mixture one (ETM's p = theta beta) evaluates theta beta only where a document has words.
//
// Every layer runs on its tensors' device: the native calls go through kernelsOn(device) on raw
// storage (the CSR arrays stay host arrays, as spmm takes them on both devices), the scratch
// buffers are kept per device, and the JS loops over CPU arrays (bias adds, the losses' reads of
// p at the words, the counts subtracted in the backward) have device paths built from existing
// exports (broadcast binary ops, indexSelect's gather and scatter, spmm for per-document sums).
// The CPU path computes exactly what it did before (bit for bit).
import { CsrMatrix } from '../sparse';
import { typeError } from '../errors';
import { CudaStorage, Device, allocStorage, copyStorage, fromOp, noGrad, sameDevice, Storage, Tensor } from '../tensor';
import { kernelsOn, raw } from '../cuda/dispatch';
import { native } from '../native';
import { cudaKernels } from '../cuda/runtime';
import { allFiniteStorage } from '../ops/reduce_kernels';
import { add, log, mul, relu, softplus } from '../ops/elementwise';
import '../ops/matmul';
import { indexSelect, softmax } from '../ops/nn';
import { sum } from '../ops/reduce';
import { contiguous, reshape, transpose } from '../ops/shape';
import { spmm } from '../sparse';
import { Module, ModuleList, Parameter } from '../nn/module';
import { Linear } from '../nn/layers';
import * as init from '../nn/init';
import { zeros } from '../creation';
import { RandomOptions } from '../random';

/**
 * Whether the upstream gradient of a SparseLinear weight's last backward was finite (then so is
 * the weight's gradient, the counts being finite). TopicModel._step reads and clears it.
 */
export const sparseGradFinite = new WeakMap<Tensor, boolean>();

/**
 * x [B, in] (CSR) -> x W + b [B, out], with W stored [in, out] (the layout spmm reads, the
 * transpose of torch.nn.Linear's weight) and torch.nn.Linear's initialisation U(+-1/sqrt(in)).
 */
export class SparseLinear extends Module {
  declare weight: Tensor;
  declare bias: Tensor;
  readonly inFeatures: number;
  readonly outFeatures: number;
  private gradBuffer: Storage | null = null;

  constructor(inFeatures: number, outFeatures: number, opts: RandomOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.registerParameter('weight', Parameter(zeros([inFeatures, outFeatures])));
    this.registerParameter('bias', Parameter(zeros([outFeatures])));
    const bound = 1 / Math.sqrt(inFeatures);
    init.uniform_(this.weight, -bound, bound, opts);
    init.uniform_(this.bias, -bound, bound, opts);
  }

  /**
   * One fused op. Its backward accumulates the weight's gradient X^T g [in, out] straight into
   * weight.grad (as autograd's AccumulateGrad would) instead of handing it to the engine, which
   * would copy a leaf's gradient once more. The weight's gradient buffer is reused from one step
   * to the next (a tensor taken from .grad is overwritten by the next backward); whether g was finite is recorded for TopicModel's
   * non-finite check (X is checked when the corpus is), so the [in, out] gradient is not rescanned.
   */
  forward(x: CsrMatrix): Tensor {
    if (!(x instanceof CsrMatrix)) throw typeError('x', 'a tk.sparse.CsrMatrix', x);
    if (x.cols !== this.inFeatures) {
      throw new RangeError(`x has ${x.cols} columns, the layer has ${this.inFeatures} inputs`);
    }
    const B = x.rows;
    const H = this.outFeatures;
    const W = this.weight;
    const b = this.bias;
    const device = sameDevice('SparseLinear', { weight: W, bias: b });
    const k = kernelsOn(device);
    let out = allocStorage(device, 'float32', B * H);
    k.spmm(raw(out), x.indptr, x.indices, x.values, raw(W.storage), B, x.cols, H);
    if (out instanceof CudaStorage) {
      // A broadcast add into a second buffer (the binary kernels must not alias their output).
      const biased = allocStorage(device, 'float32', B * H);
      k.binaryForward(0 /* Add */, raw(biased), raw(out), raw(b.storage), [B, H], [H, 1], [0, 1], 1);
      out = biased;
    } else {
      const o = out as Float32Array;
      const bd = b.f32;
      for (let r = 0; r < B; r++) for (let h = 0; h < H; h++) o[r * H + h] += bd[h];
    }
    return fromOp('sparseLinear', out, [B, H], [W, b], (g) => {
      sameDevice('SparseLinear backward', { weight: W, grad: g });
      const finite = allFiniteStorage(g.storage);
      if (W.requiresGrad) {
        // The kernel overwrites every entry. When .grad is unset the previous step's buffer is
        // written again: no [in, out] allocation per step.
        const fresh = W.grad === null;
        if (fresh) {
          const buf = this.gradBuffer;
          if (buf === null || buf.length !== W.size || storageDevice(buf) !== device) {
            this.gradBuffer = allocStorage(device, 'float32', W.size);
          }
          const gb = this.gradBuffer as Storage;
          k.spmmTransposed(raw(gb), x.indptr, x.indices, x.values, raw(g.storage), B, x.cols, H);
          W.grad = new Tensor(gb, W.shape);
        } else {
          const gw = allocStorage(device, 'float32', W.size);
          k.spmmTransposed(raw(gw), x.indptr, x.indices, x.values, raw(g.storage), B, x.cols, H);
          const accT = W.grad as Tensor;
          if (gw instanceof CudaStorage) cudaKernels().accumulate((accT.storage as CudaStorage).buffer, gw.buffer);
          else {
            const acc = accT.f32;
            for (let i = 0; i < acc.length; i++) acc[i] += gw[i];
          }
        }
        // The flag describes what .grad holds: this gradient alone, or the sum it was added to.
        sparseGradFinite.set(W, finite && (fresh || sparseGradFinite.get(W) !== false));
      }
      let gb: Tensor | null = null;
      if (b.requiresGrad) {
        if (device === 'cuda') gb = sum(g, 0);
        else {
          const gd = g.f32;
          const acc = new Float64Array(H);
          for (let r = 0; r < B; r++) for (let h = 0; h < H; h++) acc[h] += gd[r * H + h];
          gb = new Tensor(Float32Array.from(acc), b.shape);
        }
      }
      return [null, gb];
    });
  }
}

function storageDevice(s: Storage): Device {
  return s instanceof CudaStorage ? 'cuda' : 'cpu';
}

/** Per-row sums of a CSR matrix (document lengths). */
export function rowSums(x: CsrMatrix): Float64Array {
  const out = new Float64Array(x.rows);
  for (let r = 0; r < x.rows; r++) {
    let s = 0;
    for (let k = x.indptr[r]; k < x.indptr[r + 1]; k++) s += x.values[k];
    out[r] = s;
  }
  return out;
}

/** The rows of x divided by their sums (empty rows stay empty): ETM's normalised bag of words. */
export function normalizeRows(x: CsrMatrix): CsrMatrix {
  const sums = rowSums(x);
  const values = new Float32Array(x.values.length);
  for (let r = 0; r < x.rows; r++) {
    const s = sums[r];
    for (let k = x.indptr[r]; k < x.indptr[r + 1]; k++) values[k] = s > 0 ? x.values[k] / s : 0;
  }
  return new CsrMatrix(x.rows, x.cols, x.indptr, x.indices, values);
}

/**
 * Per document: -sum_v x_bv log_softmax(logits_b)_v, shape [B]. One native softmax pass makes
 * p [B, V], kept for the backward g_b (n_b p_b - x_b) (a native broadcast multiply, then the
 * counts subtracted at their entries); the loss reads log p at the document's words only. A row
 * where an observed word's p is below 1e-30 (inexact or underflowed) gets its exact log-softmax.
 * On the device, the loss reads the log-softmax itself at the words (see DeviceCsr).
 */
export function softmaxRecon(logits: Tensor, x: CsrMatrix): Tensor {
  const [B, V] = logits.shape;
  const device = logits.device;
  const { p, loss, n, csr } = softmaxLoss(device, logits.storage, B, V, x);
  return fromOp('softmaxRecon', loss, [B], [logits], (g) => {
    sameDevice('softmaxRecon backward', { logits, grad: g });
    return [new Tensor(reconGrad(device, p, g.storage, n, B, V, x, csr), [B, V])];
  });
}

/**
 * The entries of a CSR batch, for the device path of the softmax losses: the flat positions
 * b * V + v and the rows b (device int32, for indexSelect's gather and scatter), the values (device),
 * and, as host CSR arrays, the matrix S [B, nnz] with S[b, e] = -x_e for the entries e of row b,
 * whose product with a gathered column [nnz, 1] is the per-document sum -sum_e x_e y_e.
 */
interface DeviceCsr {
  nnz: number;
  flat: Storage;
  rowOf: Storage;
  values: Storage;
  ident: Int32Array;
  neg: Float32Array;
}

function deviceCsr(device: Device, x: CsrMatrix, B: number, V: number): DeviceCsr {
  const { indptr, indices, values } = x;
  const nnz = indptr[B] - indptr[0];
  const base = indptr[0];
  const flat = new Int32Array(nnz);
  const rowOf = new Int32Array(nnz);
  const ident = new Int32Array(nnz);
  const neg = new Float32Array(nnz);
  const vals = new Float32Array(nnz);
  for (let b = 0; b < B; b++) {
    for (let e = indptr[b]; e < indptr[b + 1]; e++) {
      const i = e - base;
      flat[i] = b * V + indices[e];
      rowOf[i] = b;
      ident[i] = i;
      neg[i] = -values[e];
      vals[i] = values[e];
    }
  }
  return {
    nnz,
    flat: copyStorage(flat, device),
    rowOf: copyStorage(rowOf, device),
    values: copyStorage(vals, device),
    ident,
    neg,
  };
}

/** indptr of a CSR batch rebased to start at 0 (S's row pointers). */
function rebased(x: CsrMatrix, B: number): Int32Array {
  const out = new Int32Array(B + 1);
  for (let b = 0; b <= B; b++) out[b] = x.indptr[b] - x.indptr[0];
  return out;
}

/** Softmax of logits [B, V] and the per-row loss -sum x log p (see softmaxRecon). */
function softmaxLoss(
  device: Device,
  L: Storage,
  B: number,
  V: number,
  x: CsrMatrix,
  pOut?: Storage,
): { p: Storage; loss: Storage; n: Float32Array; csr: DeviceCsr | null } {
  const k = kernelsOn(device);
  const p = pOut ?? allocStorage(device, 'float32', B * V);
  k.softmaxForward(raw(p), raw(L), B, V, 1, false);
  const { indptr, indices, values } = x;
  const n = new Float32Array(B);
  if (device === 'cuda') {
    for (let b = 0; b < B; b++) {
      let c = 0;
      for (let e = indptr[b]; e < indptr[b + 1]; e++) c += values[e];
      n[b] = c;
    }
    const csr = deviceCsr(device, x, B, V);
    if (csr.nnz === 0) return { p, loss: allocStorage(device, 'float32', B, true), n, csr };
    const logp = scratch(device, SCRATCH_LOGP, B * V);
    k.softmaxForward(raw(logp), raw(L), B, V, 1, true);
    const picked = allocStorage(device, 'float32', csr.nnz);
    k.indexSelectForward(raw(picked), raw(logp), raw(csr.flat), 1, B * V, csr.nnz, 1);
    const loss = allocStorage(device, 'float32', B);
    k.spmm(raw(loss), rebased(x, B), csr.ident, csr.neg, raw(picked), B, csr.nnz, 1);
    return { p, loss, n, csr };
  }
  const P = p as Float32Array;
  const Lh = L as Float32Array;
  const loss = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    const off = b * V;
    let s = 0;
    let c = 0;
    let exact = false;
    for (let k = indptr[b]; k < indptr[b + 1]; k++) {
      const pv = P[off + indices[k]];
      if (pv < 1e-30) exact = true;
      s -= values[k] * Math.log(pv);
      c += values[k];
    }
    if (exact) {
      let m = -Infinity;
      for (let v = 0; v < V; v++) if (Lh[off + v] > m) m = Lh[off + v];
      let z = 0;
      for (let v = 0; v < V; v++) z += Math.exp(Lh[off + v] - m);
      const lse = m + Math.log(z);
      s = 0;
      for (let k = indptr[b]; k < indptr[b + 1]; k++) s -= values[k] * (Lh[off + indices[k]] - lse);
    }
    loss[b] = s;
    n[b] = c;
  }
  return { p, loss, n, csr: null };
}

// [B, V] buffers that live only within one call (decoderRecon's logits before the softmax, and
// d logits inside its backward), kept between training steps, one set per device: a fresh 10 MB
// array costs page faults and zeroing at every step. Never handed to a Tensor that outlives the
// call. (Device buffers are reused in stream order: every use is enqueued on the one stream.)
const scratchSlots = new Map<Device, Storage[]>();
function scratch(device: Device, slot: number, n: number): Storage {
  let slots = scratchSlots.get(device);
  if (!slots) scratchSlots.set(device, (slots = []));
  let buf = slots[slot];
  if (device === 'cuda') {
    // A device buffer cannot be viewed shorter: exact sizes (the last, smaller batch reallocates).
    if (!buf || buf.length !== n) buf = slots[slot] = allocStorage(device, 'float32', n);
    return buf;
  }
  if (!buf || buf.length < n) buf = slots[slot] = new Float32Array(n);
  const f = buf as Float32Array;
  return f.length === n ? f : f.subarray(0, n);
}
const SCRATCH_LOGITS = 0;
const SCRATCH_DLOGITS = 1;
const SCRATCH_LOGP = 2;
const SCRATCH_PDIFF = 3;
const SCRATCH_SCATTER = 4;

// decoderRecon's softmax p [B, V] lives from the forward to the end of its backward; the backward
// hands it back here for the next step (a graph whose backward never runs just lets it go).
const softmaxPools = new Map<Device, Storage[]>();
function takeSoftmaxBuffer(device: Device, n: number): Storage {
  const pool = softmaxPools.get(device) ?? [];
  const i = pool.findIndex((b) => b.length === n);
  return i >= 0 ? pool.splice(i, 1)[0] : allocStorage(device, 'float32', n);
}
function returnSoftmaxBuffer(device: Device, buf: Storage): void {
  let pool = softmaxPools.get(device);
  if (!pool) softmaxPools.set(device, (pool = []));
  if (pool.length < 2) pool.push(buf);
}

/**
 * d loss / d logits = g_b (n_b p_b - x_b) [B, V]: a native broadcast multiply, then the counts.
 * Into `out` when given (a scratch buffer the caller consumes before returning), else a new array.
 * On the device the counts term is gathered (g_b per entry), multiplied by x and scattered into
 * [B, V] by indexSelect's kernels, then subtracted.
 */
function reconGrad(
  device: Device,
  p: Storage,
  g: Storage,
  n: Float32Array,
  B: number,
  V: number,
  x: CsrMatrix,
  csr: DeviceCsr | null,
  out?: Storage,
): Storage {
  if (device === 'cuda') {
    const k = kernelsOn(device);
    const c = csr ?? deviceCsr(device, x, B, V);
    const dx = out ?? allocStorage(device, 'float32', B * V);
    const scale = allocStorage(device, 'float32', B);
    k.binaryForward(2 /* Mul */, raw(scale), raw(g), raw(copyStorage(n, device)), [B], [1], [1], 1);
    const pd = c.nnz > 0 ? scratch(device, SCRATCH_PDIFF, B * V) : dx;
    k.binaryForward(2 /* Mul */, raw(pd), raw(p), raw(scale), [B, V], [V, 1], [1, 0], 1);
    if (c.nnz > 0) {
      const gRow = allocStorage(device, 'float32', c.nnz);
      k.indexSelectForward(raw(gRow), raw(g), raw(c.rowOf), 1, B, c.nnz, 1);
      const w = allocStorage(device, 'float32', c.nnz);
      k.binaryForward(2 /* Mul */, raw(w), raw(gRow), raw(c.values), [c.nnz], [1], [1], 1);
      const sc = scratch(device, SCRATCH_SCATTER, B * V);
      k.indexSelectBackward(raw(sc), raw(w), raw(c.flat), 1, B * V, c.nnz, 1, -1);
      k.binaryForward(1 /* Sub */, raw(dx), raw(pd), raw(sc), [B * V], [1], [1], 1);
    }
    return dx;
  }
  const P = p as Float32Array;
  const gd = g as Float32Array;
  const scale = new Float32Array(B);
  for (let b = 0; b < B; b++) scale[b] = gd[b] * n[b];
  let dx: Float32Array;
  if (out) {
    native.binaryForward(2 /* Mul */, out as Float32Array, P, scale, [B, V], [V, 1], [1, 0], 1);
    dx = out as Float32Array;
  } else {
    dx = mul(new Tensor(P, [B, V]), new Tensor(scale, [B, 1])).f32;
  }
  const { indptr, indices, values } = x;
  for (let b = 0; b < B; b++) {
    const off = b * V;
    for (let k = indptr[b]; k < indptr[b + 1]; k++) dx[off + indices[k]] -= gd[b] * values[k];
  }
  return dx;
}

/**
 * The decoder and its reconstruction loss in one op: per document
 * -sum_v x_bv log_softmax(theta_b W^T + b)_v, shape [B], for theta [B, K], a decoder weight W [V, K]
 * and bias b [V] (a Linear(K, V)). Same values as softmaxRecon(linear(theta, W, b), x); the
 * backward's three products (d theta = D W, dW = D^T theta, db = 1^T D with D = d logits) are
 * native GEMMs, so no pass over [B, V] runs in JS. Runs on the tensors' device.
 */
export function decoderRecon(theta: Tensor, weight: Tensor, bias: Tensor | null, x: CsrMatrix): Tensor {
  const device = sameDevice('decoderRecon', { theta, weight, bias });
  const k = kernelsOn(device);
  const [B, K] = theta.shape;
  const V = weight.shape[0];
  const T = raw(theta.storage);
  const W = raw(weight.storage);
  const logits = scratch(device, SCRATCH_LOGITS, B * V);
  if (bias) {
    if (device === 'cuda') k.stridedCopy(raw(logits), 0, [V, 1], raw(bias.storage), 0, [0, 1], [B, V]);
    else for (let r = 0; r < B; r++) (logits as Float32Array).set(bias.f32, r * V);
  }
  if (B > 0) k.sgemm(false, true, B, V, K, 1, T, 0, K, W, 0, K, bias ? 1 : 0, raw(logits), 0, V);
  const { p: probs, loss, n, csr } = softmaxLoss(device, logits, B, V, x, takeSoftmaxBuffer(device, B * V));
  let p: Storage | null = probs;
  const inputs = bias ? [theta, weight, bias] : [theta, weight];
  return fromOp('decoderRecon', loss, [B], inputs, (g) => {
    if (!p) {
      throw new Error(
        'decoderRecon: backward through the same graph a second time (its saved softmax is released after the first); run the forward again',
      );
    }
    sameDevice('decoderRecon backward', { theta, grad: g });
    const D = raw(reconGrad(device, p, g.storage, n, B, V, x, csr, scratch(device, SCRATCH_DLOGITS, B * V)));
    returnSoftmaxBuffer(device, p);
    p = null;
    // With B = 0 no product runs: the gradients must still be zeros on the device.
    const gT = theta.requiresGrad ? allocStorage(device, 'float32', B * K, B === 0) : null;
    if (gT && B > 0) k.sgemm(false, false, B, K, V, 1, D, 0, V, W, 0, K, 0, raw(gT), 0, K);
    const gW = weight.requiresGrad ? allocStorage(device, 'float32', V * K, B === 0) : null;
    if (gW && B > 0) k.sgemm(true, false, V, K, B, 1, D, 0, V, T, 0, K, 0, raw(gW), 0, K);
    const grads: (Tensor | null)[] = [gT && new Tensor(gT, theta.shape), gW && new Tensor(gW, weight.shape)];
    if (bias) {
      const gb = allocStorage(device, 'float32', V, B === 0 || !bias.requiresGrad);
      if (B > 0 && bias.requiresGrad) {
        const ones = copyStorage(new Float32Array(B).fill(1), device);
        k.sgemm(false, false, 1, V, B, 1, raw(ones), 0, B, D, 0, V, 0, raw(gb), 0, V);
      }
      grads.push(bias.requiresGrad ? new Tensor(gb, bias.shape) : null);
    }
    return grads;
  });
}

/**
 * Per document: -sum_v x_bv log(sum_k theta_bk betaT_vk), shape [B], for theta [B, K] and the
 * topic-word matrix transposed, betaT [V, K]. Only the stored entries of x are evaluated.
 * On the device it is composed of device ops (autograd gives the backward): the rows of theta and
 * betaT at the entries gathered by indexSelect [nnz, K], their products summed over K, the log, and
 * the per-document sums -sum_e x_e log p_e as one spmm with S (see DeviceCsr).
 */
export function mixtureRecon(theta: Tensor, betaT: Tensor, x: CsrMatrix): Tensor {
  const device = sameDevice('mixtureRecon', { theta, betaT });
  if (device === 'cuda') return mixtureReconComposed(theta, betaT, x);
  const [B, K] = theta.shape;
  const T = theta.f32;
  const Bt = betaT.f32;
  const { indptr, indices, values } = x;
  const nnz = indptr[B];
  const p = new Float32Array(nnz);
  const loss = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    const to = b * K;
    for (let e = indptr[b]; e < indptr[b + 1]; e++) {
      const bo = indices[e] * K;
      let acc = 0;
      for (let k = 0; k < K; k++) acc += T[to + k] * Bt[bo + k];
      p[e] = acc;
      s -= values[e] * Math.log(acc);
    }
    loss[b] = s;
  }
  return fromOp('mixtureRecon', loss, [B], [theta, betaT], (g) => {
    // R [B, V] with x's sparsity and entries -g_b x_bv / p_bv; d theta = R betaT and
    // d betaT = R^T theta are sparse-dense products (the native spmm kernels).
    const gd = g.f32;
    const r = new Float32Array(nnz);
    for (let b = 0; b < B; b++) {
      for (let e = indptr[b]; e < indptr[b + 1]; e++) r[e] = (-gd[b] * values[e]) / p[e];
    }
    const V = betaT.shape[0];
    let dT: Tensor | null = null;
    let dB: Tensor | null = null;
    if (theta.requiresGrad) {
      const out = new Float32Array(T.length);
      native.spmm(out, indptr, indices, r, Bt, B, V, K);
      dT = new Tensor(out, theta.shape);
    }
    if (betaT.requiresGrad) {
      const out = new Float32Array(Bt.length);
      native.spmmTransposed(out, indptr, indices, r, T, B, V, K);
      dB = new Tensor(out, betaT.shape);
    }
    return [dT, dB];
  });
}

function mixtureReconComposed(theta: Tensor, betaT: Tensor, x: CsrMatrix): Tensor {
  const B = theta.shape[0];
  const nnz = x.indptr[B] - x.indptr[0];
  // No words: zero losses, and zero gradients for both inputs (as the CPU gives).
  if (nnz === 0) return add(mul(sum(theta, 1), 0), mul(sum(betaT), 0));
  const rowOf = new Int32Array(nnz);
  const ident = new Int32Array(nnz);
  const neg = new Float32Array(nnz);
  const base = x.indptr[0];
  for (let b = 0; b < B; b++) {
    for (let e = x.indptr[b]; e < x.indptr[b + 1]; e++) {
      rowOf[e - base] = b;
      ident[e - base] = e - base;
      neg[e - base] = -x.values[e];
    }
  }
  const p = sum(mul(indexSelect(theta, 0, rowOf), indexSelect(betaT, 0, x.indices.slice(base, base + nnz))), 1, true);
  return reshape(spmm(new CsrMatrix(B, nnz, rebased(x, B), ident, neg), log(p)), [B]);
}

export type Activation = 'relu' | 'softplus';

/**
 * The encoder MLP: x (CSR) -> act(x W0 + b0) -> act(Linear) -> ... with sizes `hidden`; the first
 * layer is sparse. Parameters: input.weight [V, h0] (transposed), input.bias, layers.i.{weight,bias}.
 */
export class MlpEncoder extends Module {
  declare input: SparseLinear;
  declare layers: ModuleList;
  private readonly stack: Linear[] = [];
  readonly activation: Activation;

  constructor(vocabSize: number, hidden: readonly number[], activation: Activation, opts: RandomOptions = {}) {
    super();
    this.activation = activation;
    this.registerModule('input', new SparseLinear(vocabSize, hidden[0], opts));
    for (let i = 1; i < hidden.length; i++) this.stack.push(new Linear(hidden[i - 1], hidden[i], opts));
    this.registerModule('layers', new ModuleList(this.stack));
  }

  forward(x: CsrMatrix): Tensor {
    const act = this.activation === 'relu' ? relu : softplus;
    let h = act(this.input.forward(x));
    for (const l of this.stack) h = act(l.forward(h));
    return h;
  }
}

/**
 * softmax over V of decoder.weight[:, k] + decoder.bias (the bias left out when `bias` is false), for a
 * decoder Linear(K, V): [K, V].
 */
export function decoderTopicWord(decoder: Linear, bias = true): Tensor {
  return noGrad(() => {
    const wt = contiguous(transpose(decoder.weight, 0, 1));
    return softmax(bias && decoder.bias ? add(wt, decoder.bias) : wt, 1);
  });
}

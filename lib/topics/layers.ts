// Building blocks the topic models share: the sparse first encoder layer and the two fused
// reconstruction losses. Both losses read the document-term counts in CSR form, so the batch is
// never densified: the softmax one keeps the [B, V] log-probabilities it must compute anyway, the
// mixture one (ETM's p = theta beta) evaluates theta beta only where a document has words.
import { CsrMatrix } from '../sparse';
import { typeError } from '../errors';
import { native } from '../native';
import { fromOp, noGrad, Tensor } from '../tensor';
import { add, mul, relu, softplus } from '../ops/elementwise';
import '../ops/matmul';
import { softmax } from '../ops/nn';
import { contiguous, transpose } from '../ops/shape';
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
  private gradBuffer: Float32Array | null = null;

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
    const out = new Float32Array(B * H);
    native.spmm(out, x.indptr, x.indices, x.values, W.f32, B, x.cols, H);
    const bd = b.f32;
    for (let r = 0; r < B; r++) for (let h = 0; h < H; h++) out[r * H + h] += bd[h];
    return fromOp('sparseLinear', out, [B, H], [W, b], (g) => {
      const gd = g.f32;
      let finite = true;
      for (let i = 0; i < gd.length; i++) {
        if (!Number.isFinite(gd[i])) {
          finite = false;
          break;
        }
      }
      if (W.requiresGrad) {
        // The kernel overwrites every entry. When .grad is unset the previous step's buffer is
        // written again: no [in, out] allocation per step.
        const fresh = W.grad === null;
        if (fresh) {
          if (this.gradBuffer === null || this.gradBuffer.length !== W.size) this.gradBuffer = new Float32Array(W.size);
          native.spmmTransposed(this.gradBuffer, x.indptr, x.indices, x.values, gd, B, x.cols, H);
          W.grad = new Tensor(this.gradBuffer, W.shape);
        } else {
          const gw = new Float32Array(W.size);
          native.spmmTransposed(gw, x.indptr, x.indices, x.values, gd, B, x.cols, H);
          const acc = (W.grad as Tensor).f32;
          for (let i = 0; i < acc.length; i++) acc[i] += gw[i];
        }
        // The flag describes what .grad holds: this gradient alone, or the sum it was added to.
        sparseGradFinite.set(W, finite && (fresh || sparseGradFinite.get(W) !== false));
      }
      let gb: Tensor | null = null;
      if (b.requiresGrad) {
        const acc = new Float64Array(H);
        for (let r = 0; r < B; r++) for (let h = 0; h < H; h++) acc[h] += gd[r * H + h];
        gb = new Tensor(Float32Array.from(acc), b.shape);
      }
      return [null, gb];
    });
  }
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
 */
export function softmaxRecon(logits: Tensor, x: CsrMatrix): Tensor {
  const [B, V] = logits.shape;
  const { p, loss, n } = softmaxLoss(logits.f32, B, V, x);
  return fromOp('softmaxRecon', loss, [B], [logits], (g) => [new Tensor(reconGrad(p, g.f32, n, B, V, x), [B, V])]);
}

/** Softmax of logits [B, V] and the per-row loss -sum x log p (see softmaxRecon). */
function softmaxLoss(
  L: Float32Array,
  B: number,
  V: number,
  x: CsrMatrix,
  pOut?: Float32Array,
): { p: Float32Array; loss: Float32Array; n: Float32Array } {
  const p = pOut ?? new Float32Array(B * V);
  native.softmaxForward(p, L, B, V, 1, false);
  const loss = new Float32Array(B);
  const n = new Float32Array(B);
  const { indptr, indices, values } = x;
  for (let b = 0; b < B; b++) {
    const off = b * V;
    let s = 0;
    let c = 0;
    let exact = false;
    for (let k = indptr[b]; k < indptr[b + 1]; k++) {
      const pv = p[off + indices[k]];
      if (pv < 1e-30) exact = true;
      s -= values[k] * Math.log(pv);
      c += values[k];
    }
    if (exact) {
      let m = -Infinity;
      for (let v = 0; v < V; v++) if (L[off + v] > m) m = L[off + v];
      let z = 0;
      for (let v = 0; v < V; v++) z += Math.exp(L[off + v] - m);
      const lse = m + Math.log(z);
      s = 0;
      for (let k = indptr[b]; k < indptr[b + 1]; k++) s -= values[k] * (L[off + indices[k]] - lse);
    }
    loss[b] = s;
    n[b] = c;
  }
  return { p, loss, n };
}

// [B, V] buffers that live only within one call (decoderRecon's logits before the softmax, and
// d logits inside its backward), kept between training steps: a fresh 10 MB array costs page
// faults and zeroing at every step. Never handed to a Tensor that outlives the call.
const scratchSlots: Float32Array[] = [];
function scratch(slot: number, n: number): Float32Array {
  let buf = scratchSlots[slot];
  if (!buf || buf.length < n) buf = scratchSlots[slot] = new Float32Array(n);
  return buf.length === n ? buf : buf.subarray(0, n);
}
const SCRATCH_LOGITS = 0;
const SCRATCH_DLOGITS = 1;

// decoderRecon's softmax p [B, V] lives from the forward to the end of its backward; the backward
// hands it back here for the next step (a graph whose backward never runs just lets it go).
const softmaxPool: Float32Array[] = [];
function takeSoftmaxBuffer(n: number): Float32Array {
  const i = softmaxPool.findIndex((b) => b.length === n);
  return i >= 0 ? softmaxPool.splice(i, 1)[0] : new Float32Array(n);
}
function returnSoftmaxBuffer(buf: Float32Array): void {
  if (softmaxPool.length < 2) softmaxPool.push(buf);
}

/**
 * d loss / d logits = g_b (n_b p_b - x_b) [B, V]: a native broadcast multiply, then the counts.
 * Into `out` when given (a scratch buffer the caller consumes before returning), else a new array.
 */
function reconGrad(
  p: Float32Array,
  gd: Float32Array,
  n: Float32Array,
  B: number,
  V: number,
  x: CsrMatrix,
  out?: Float32Array,
): Float32Array {
  const scale = new Float32Array(B);
  for (let b = 0; b < B; b++) scale[b] = gd[b] * n[b];
  let dx: Float32Array;
  if (out) {
    native.binaryForward(2 /* Mul */, out, p, scale, [B, V], [V, 1], [1, 0], 1);
    dx = out;
  } else {
    dx = mul(new Tensor(p, [B, V]), new Tensor(scale, [B, 1])).f32;
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
 * native GEMMs, so no pass over [B, V] runs in JS.
 */
export function decoderRecon(theta: Tensor, weight: Tensor, bias: Tensor | null, x: CsrMatrix): Tensor {
  const [B, K] = theta.shape;
  const V = weight.shape[0];
  const T = theta.f32;
  const W = weight.f32;
  const logits = scratch(SCRATCH_LOGITS, B * V);
  if (bias) for (let r = 0; r < B; r++) logits.set(bias.f32, r * V);
  if (B > 0) native.sgemm(false, true, B, V, K, 1, T, 0, K, W, 0, K, bias ? 1 : 0, logits, 0, V);
  const { p: probs, loss, n } = softmaxLoss(logits, B, V, x, takeSoftmaxBuffer(B * V));
  let p: Float32Array | null = probs;
  const inputs = bias ? [theta, weight, bias] : [theta, weight];
  return fromOp('decoderRecon', loss, [B], inputs, (g) => {
    if (!p) {
      throw new Error(
        'decoderRecon: backward through the same graph a second time (its saved softmax is released after the first); run the forward again',
      );
    }
    const D = reconGrad(p, g.f32, n, B, V, x, scratch(SCRATCH_DLOGITS, B * V));
    returnSoftmaxBuffer(p);
    p = null;
    const gT = theta.requiresGrad ? new Float32Array(B * K) : null;
    if (gT && B > 0) native.sgemm(false, false, B, K, V, 1, D, 0, V, W, 0, K, 0, gT, 0, K);
    const gW = weight.requiresGrad ? new Float32Array(V * K) : null;
    if (gW && B > 0) native.sgemm(true, false, V, K, B, 1, D, 0, V, T, 0, K, 0, gW, 0, K);
    const grads: (Tensor | null)[] = [gT && new Tensor(gT, theta.shape), gW && new Tensor(gW, weight.shape)];
    if (bias) {
      const gb = new Float32Array(V);
      if (B > 0 && bias.requiresGrad)
        native.sgemm(false, false, 1, V, B, 1, new Float32Array(B).fill(1), 0, B, D, 0, V, 0, gb, 0, V);
      grads.push(bias.requiresGrad ? new Tensor(gb, bias.shape) : null);
    }
    return grads;
  });
}

/**
 * Per document: -sum_v x_bv log(sum_k theta_bk betaT_vk), shape [B], for theta [B, K] and the
 * topic-word matrix transposed, betaT [V, K]. Only the stored entries of x are evaluated.
 */
export function mixtureRecon(theta: Tensor, betaT: Tensor, x: CsrMatrix): Tensor {
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

/** softmax over V of decoder.weight[:, k] + decoder.bias, for a decoder Linear(K, V): [K, V]. */
export function decoderTopicWord(decoder: Linear): Tensor {
  return noGrad(() => {
    const wt = contiguous(transpose(decoder.weight, 0, 1));
    return softmax(decoder.bias ? add(wt, decoder.bias) : wt, 1);
  });
}

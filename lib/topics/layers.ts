// Building blocks the topic models share: the sparse first encoder layer and the two fused
// reconstruction losses. Both losses read the document-term counts in CSR form, so the batch is
// never densified: the softmax one keeps the [B, V] log-probabilities it must compute anyway, the
// mixture one (ETM's p = theta beta) evaluates theta beta only where a document has words.
import { CsrMatrix, spmm } from '../sparse';
import { native } from '../native';
import { fromOp, noGrad, Tensor } from '../tensor';
import { add, exp, relu, softplus } from '../ops/elementwise';
import { softmax } from '../ops/nn';
import { contiguous, transpose } from '../ops/shape';
import { Module, ModuleList, Parameter } from '../nn/module';
import { Linear } from '../nn/layers';
import * as init from '../nn/init';
import { zeros } from '../creation';
import { RandomOptions } from '../random';

/**
 * x [B, in] (CSR) -> x W + b [B, out], with W stored [in, out] (the layout spmm reads, the
 * transpose of torch.nn.Linear's weight) and torch.nn.Linear's initialisation U(+-1/sqrt(in)).
 */
export class SparseLinear extends Module {
  declare weight: Tensor;
  declare bias: Tensor;
  readonly inFeatures: number;
  readonly outFeatures: number;

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

  forward(x: CsrMatrix): Tensor {
    return add(spmm(x, this.weight), this.bias);
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
 * Per document: -sum_v x_bv log_softmax(logits_b)_v, shape [B]. The log-softmax comes from the
 * native kernel into one [B, V] buffer; the backward g_b (n_b softmax_b - x_b) reuses it.
 */
export function softmaxRecon(logits: Tensor, x: CsrMatrix): Tensor {
  const [B, V] = logits.shape;
  const lp = new Float32Array(B * V);
  native.softmaxForward(lp, logits.f32, B, V, 1, true);
  const loss = new Float32Array(B);
  const n = new Float64Array(B);
  const { indptr, indices, values } = x;
  for (let b = 0; b < B; b++) {
    let s = 0;
    let c = 0;
    const off = b * V;
    for (let k = indptr[b]; k < indptr[b + 1]; k++) {
      s -= values[k] * lp[off + indices[k]];
      c += values[k];
    }
    loss[b] = s;
    n[b] = c;
  }
  return fromOp('softmaxRecon', loss, [B], [logits], (g) => {
    const gd = g.f32;
    // exp(log_softmax) through the native elementwise exp, then the scaling in place.
    const p = exp(new Tensor(lp, [B, V])).f32;
    for (let b = 0; b < B; b++) {
      const a = gd[b] * n[b];
      const off = b * V;
      for (let v = 0; v < V; v++) p[off + v] *= a;
      for (let k = indptr[b]; k < indptr[b + 1]; k++) p[off + indices[k]] -= gd[b] * values[k];
    }
    return [new Tensor(p, [B, V])];
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
    const gd = g.f32;
    const dT = theta.requiresGrad ? new Float32Array(T.length) : null;
    const dB = betaT.requiresGrad ? new Float32Array(Bt.length) : null;
    for (let b = 0; b < B; b++) {
      const to = b * K;
      for (let e = indptr[b]; e < indptr[b + 1]; e++) {
        const r = (-gd[b] * values[e]) / p[e];
        const bo = indices[e] * K;
        if (dT) for (let k = 0; k < K; k++) dT[to + k] += r * Bt[bo + k];
        if (dB) for (let k = 0; k < K; k++) dB[bo + k] += r * T[to + k];
      }
    }
    return [dT && new Tensor(dT, theta.shape), dB && new Tensor(dB, betaT.shape)];
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

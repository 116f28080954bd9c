// Recurrent layers: tk.nn.LSTM, tk.nn.GRU, tk.nn.RNN, with PyTorch's options, parameter names,
// gate orders and shapes.
//
// Each layer (both directions) is ONE autograd op: its forward calls the native kernel
// (native/kernels/rnn.cc: one GEMM for the input projection of all steps, then per step the
// recurrent GEMM and one fused pointwise pass) once per direction, and its backward calls the
// native backward, returning gradients for the input, the initial states and every weight. Layers
// and directions are composed here. On the CPU the op's output is the final states (h_n, c_n) in
// one small buffer, split into h and c by views, and y is a second op on it that passes y's
// gradient to the layer op's backward as it comes (recurrentLayer); on CUDA y, h_n and c_n travel
// in one packed buffer, split into copies whose gradients meet again in the op's backward.
//
// The native backward writes the gate gradients over the saved gates (no second buffer of that size
// at the peak of the training step), so an op's saved state serves one backward, as PyTorch frees
// saved tensors: a second backward through the same graph throws unless the first passed
// `{ retainGraph: true }` (then that backward works on a copy of the gates; SavedState).
//
// On CUDA tensors the layer op calls the device exports of the same name (cuda/binding/rnn.cc: the
// layer drivers of cuda/rnn.cu, per step one GEMM through sgemm_cuda and one fused pointwise
// kernel, the CPU kernel's structure and math). Device buffers have no sub-views, so the slices
// the CPU path takes with subarray() (per-direction states, the pieces of the packed output) are
// copied on the device with a rank-1 sgemm (1 x n = [1] x row, exact: one product by 1 per element).
import { cudaKernels, DeviceBuffer } from '../cuda/runtime';
import { checkInt, checkNumber, checkOptions, rangeError, shapeStr, typeError } from '../errors';
import { zeros } from '../creation';
import { native } from '../native';
import { RandomOptions, resolveGenerator } from '../random';
import { allocStorage, checkTensor, CudaStorage, fromOp, gradGraphRetained, sameDevice, Tensor } from '../tensor';
import { dropout } from '../ops/nn';
import { concat, narrow, transpose, unsqueeze, squeeze } from '../ops/shape';
import { Module, Parameter } from './module';
import * as init from './init';

declare module '../native' {
  interface NativeAddon {
    rnnForward(
      cell: number,
      reverse: boolean,
      residual: boolean,
      T: number,
      B: number,
      I: number,
      H: number,
      y: Float32Array,
      yOffset: number,
      ldy: number,
      hN: Float32Array,
      cN: Float32Array | null,
      savedGates: Float32Array,
      savedH: Float32Array,
      savedC: Float32Array | null,
      x: Float32Array,
      h0: Float32Array | null,
      c0: Float32Array | null,
      wIh: Float32Array,
      wHh: Float32Array,
      bIh: Float32Array | null,
      bHh: Float32Array | null,
      lengths: Int32Array | null,
    ): void;
    rnnBackward(
      cell: number,
      reverse: boolean,
      residual: boolean,
      T: number,
      B: number,
      I: number,
      H: number,
      dx: Float32Array | null,
      accumulateDx: boolean,
      dh0: Float32Array,
      dc0: Float32Array | null,
      dwIh: Float32Array,
      dwHh: Float32Array,
      dbIh: Float32Array | null,
      dbHh: Float32Array | null,
      dy: Float32Array,
      dyOffset: number,
      lddy: number,
      dhN: Float32Array | null,
      dcN: Float32Array | null,
      x: Float32Array,
      wIh: Float32Array,
      wHh: Float32Array,
      savedGates: Float32Array,
      savedH: Float32Array,
      savedC: Float32Array | null,
      lengths: Int32Array | null,
    ): void;
  }
}

declare module '../cuda/runtime' {
  interface CudaKernels {
    /** rnnForward over device buffers; lengths stays a host Int32Array (copied for the call). */
    rnnForward(
      cell: number,
      reverse: boolean,
      residual: boolean,
      T: number,
      B: number,
      I: number,
      H: number,
      y: DeviceBuffer,
      yOffset: number,
      ldy: number,
      hN: DeviceBuffer,
      cN: DeviceBuffer | null,
      savedGates: DeviceBuffer,
      savedH: DeviceBuffer,
      savedC: DeviceBuffer | null,
      x: DeviceBuffer,
      h0: DeviceBuffer | null,
      c0: DeviceBuffer | null,
      wIh: DeviceBuffer,
      wHh: DeviceBuffer,
      bIh: DeviceBuffer | null,
      bHh: DeviceBuffer | null,
      lengths: Int32Array | null,
    ): void;
    rnnBackward(
      cell: number,
      reverse: boolean,
      residual: boolean,
      T: number,
      B: number,
      I: number,
      H: number,
      dx: DeviceBuffer | null,
      accumulateDx: boolean,
      dh0: DeviceBuffer,
      dc0: DeviceBuffer | null,
      dwIh: DeviceBuffer,
      dwHh: DeviceBuffer,
      dbIh: DeviceBuffer | null,
      dbHh: DeviceBuffer | null,
      dy: DeviceBuffer,
      dyOffset: number,
      lddy: number,
      dhN: DeviceBuffer | null,
      dcN: DeviceBuffer | null,
      x: DeviceBuffer,
      wIh: DeviceBuffer,
      wHh: DeviceBuffer,
      savedGates: DeviceBuffer,
      savedH: DeviceBuffer,
      savedC: DeviceBuffer | null,
      lengths: Int32Array | null,
    ): void;
  }
}

export type RNNMode = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';

const CELL: Record<RNNMode, number> = { LSTM: 0, GRU: 1, RNN_TANH: 2, RNN_RELU: 3 };
const GATES: Record<RNNMode, number> = { LSTM: 4, GRU: 3, RNN_TANH: 1, RNN_RELU: 1 };
const SAVED: Record<RNNMode, number> = { LSTM: 4, GRU: 4, RNN_TANH: 1, RNN_RELU: 1 };

export interface RNNBaseOptions extends RandomOptions {
  inputSize: number;
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Default true. */
  bias?: boolean;
  /** Input and output [B, T, F] (default true); false: [T, B, F] as torch's default. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode (default 0). */
  dropout?: number;
  /** Default false. */
  bidirectional?: boolean;
}

export interface RNNOptions extends RNNBaseOptions {
  /** 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
  /** h_t = act(W_ih x_t + W_hh h_{t-1} + b) + h_{t-1} (the residual RNN of the seed); default false. */
  residual?: boolean;
}

export interface RNNForwardOptions extends RandomOptions {
  /** Initial hidden state [numLayers * D, B, H] ([numLayers * D, H] for unbatched input); default zeros. */
  h0?: Tensor | null;
  /** Initial cell state (LSTM only), shaped as h0. */
  c0?: Tensor | null;
  /**
   * Valid length of each batch row (each in [1, T]): steps past it neither update the state nor
   * get gradient, the output is 0 there and h / c are taken at each row's own last step, as
   * PyTorch's pack_padded_sequence (the output keeps all T steps, as pad_packed_sequence with
   * total_length = T).
   */
  lengths?: Int32Array | readonly number[] | null;
}

export interface RNNOutput {
  /** [B, T, D * H] (batchFirst), [T, B, D * H] otherwise, [T, D * H] for unbatched input. */
  output: Tensor;
  /** Final hidden state of every layer and direction, [numLayers * D, B, H]. */
  h: Tensor;
  /** LSTM only: final cell state, shaped as h. */
  c?: Tensor;
}

/**
 * The saved state of one layer op (per direction: gates, h, c). The native backward consumes the
 * gates (it writes the gate gradients over them: kernels/rnn.h), so the state serves one backward,
 * as PyTorch frees saved tensors after a backward: under `retainGraph` the backward gets a copy of
 * the gates and the state stays; otherwise it is released (for the collector) and a second
 * backward throws.
 */
class SavedState<G extends Float32Array | CudaStorage, O> {
  private saved: { gates: G; h: O; c: O | null }[] | null;
  constructor(
    private readonly name: string,
    saved: { gates: G; h: O; c: O | null }[],
    private readonly copyGates: (gates: G) => G,
  ) {
    this.saved = saved;
  }
  take(): { gates: G; h: O; c: O | null }[] {
    const saved = this.saved;
    if (saved === null) {
      throw new Error(
        `${this.name}: trying to backward through the graph a second time; the layer's saved state was consumed by the first backward. Pass { retainGraph: true } to the first backward() to backward through this graph again.`,
      );
    }
    if (gradGraphRetained()) return saved.map((sv) => ({ gates: this.copyGates(sv.gates), h: sv.h, c: sv.c }));
    this.saved = null;
    return saved;
  }
}

interface LayerResult {
  y: Tensor;
  hN: Tensor;
  cN: Tensor | null;
}

/**
 * One layer, both directions, as one autograd op. x [T, B, I] time-major; h0, c0 [D, B, H];
 * weights per direction: w_ih, w_hh, b_ih | null, b_hh | null.
 */
function recurrentLayer(
  mode: RNNMode,
  residual: boolean,
  x: Tensor,
  h0: Tensor | null,
  c0: Tensor | null,
  weights: (Tensor | null)[],
  D: number,
  H: number,
  lengths: Int32Array | null,
): LayerResult {
  const device = sameDevice(`${mode.toLowerCase()}Layer`, {
    input: x,
    h0,
    c0,
    ...Object.fromEntries(weights.map((w, i) => [`weight ${i}`, w])),
  });
  if (device !== 'cpu') return recurrentLayerCuda(mode, residual, x, h0, c0, weights, D, H, lengths);
  const [T, B, I] = x.shape;
  const lstm = mode === 'LSTM';
  const cell = CELL[mode];
  const S = SAVED[mode];
  const G = GATES[mode];
  const BH = B * H;
  const nY = T * B * D * H;
  // y [T, B, D*H] and the final states (h_n, then c_n for the LSTM) in separate buffers: see the op
  // structure below.
  const y = new Float32Array(nY);
  const st = new Float32Array(D * BH * (lstm ? 2 : 1));
  const xs = x.f32;
  const saved: { gates: Float32Array; h: Float32Array; c: Float32Array | null }[] = [];
  for (let d = 0; d < D; d++) {
    const [wIh, wHh, bIh, bHh] = weights.slice(4 * d, 4 * d + 4);
    const sv = {
      gates: new Float32Array(T * B * S * H),
      h: new Float32Array((T + 1) * BH),
      c: lstm ? new Float32Array((T + 1) * BH) : null,
    };
    saved.push(sv);
    native.rnnForward(
      cell,
      d === 1,
      residual,
      T,
      B,
      I,
      H,
      y,
      d * H,
      D * H,
      st.subarray(d * BH, (d + 1) * BH),
      lstm ? st.subarray((D + d) * BH, (D + d + 1) * BH) : null,
      sv.gates,
      sv.h,
      sv.c,
      xs,
      h0 ? h0.f32.subarray(d * BH, (d + 1) * BH) : null,
      c0 ? c0.f32.subarray(d * BH, (d + 1) * BH) : null,
      (wIh as Tensor).f32,
      (wHh as Tensor).f32,
      bIh ? bIh.f32 : null,
      bHh ? bHh.f32 : null,
      lengths,
    );
  }
  // Two ops: the layer op's output is the small state buffer (h_n, c_n), and y is an op on it whose
  // backward only hands its gradient to the layer's (the slot below) and gives the state a zero
  // gradient of the state's (small) size. y's gradient thus reaches the native backward as it
  // comes, with no copy into a buffer of y and the states packed together (one more buffer of y's
  // size at the peak of the step). The y op runs its backward first (it consumes the layer op's
  // output); a backward that does not pass through y (a loss on h only) gives the kernel zeros.
  const slot: { dy: Float32Array | null } = { dy: null };
  const inputs: (Tensor | null)[] = [x, h0, c0, ...weights];
  const name = `${mode.toLowerCase()}Layer`;
  const state = new SavedState(name, saved, (gates) => gates.slice());
  const out = fromOp(name, st, [st.length], inputs, (g) => {
    const sav = state.take();
    const gst = g.f32;
    const gs = slot.dy ?? new Float32Array(nY);
    slot.dy = null;
    const dx = new Float32Array(T * B * I);
    const dh0 = new Float32Array(D * BH);
    const dc0 = lstm ? new Float32Array(D * BH) : null;
    const dws: (Tensor | null)[] = [];
    for (let d = 0; d < D; d++) {
      const [wIh, wHh, bIh, bHh] = weights.slice(4 * d, 4 * d + 4) as [Tensor, Tensor, Tensor | null, Tensor | null];
      const dwIh = new Float32Array(G * H * I);
      const dwHh = new Float32Array(G * H * H);
      const dbIh = bIh ? new Float32Array(G * H) : null;
      const dbHh = bHh ? new Float32Array(G * H) : null;
      const sv = sav[d];
      native.rnnBackward(
        cell,
        d === 1,
        residual,
        T,
        B,
        I,
        H,
        dx,
        d > 0,
        dh0.subarray(d * BH, (d + 1) * BH),
        dc0 ? dc0.subarray(d * BH, (d + 1) * BH) : null,
        dwIh,
        dwHh,
        dbIh,
        dbHh,
        gs,
        d * H,
        D * H,
        gst.subarray(d * BH, (d + 1) * BH),
        lstm ? gst.subarray((D + d) * BH, (D + d + 1) * BH) : null,
        xs,
        wIh.f32,
        wHh.f32,
        sv.gates,
        sv.h,
        sv.c,
        lengths,
      );
      dws.push(
        new Tensor(dwIh, wIh.shape),
        new Tensor(dwHh, wHh.shape),
        dbIh && bIh ? new Tensor(dbIh, bIh.shape) : null,
        dbHh && bHh ? new Tensor(dbHh, bHh.shape) : null,
      );
    }
    return [
      new Tensor(dx, x.shape),
      h0 ? new Tensor(dh0, h0.shape) : null,
      c0 && dc0 ? new Tensor(dc0, c0.shape) : null,
      ...dws,
    ];
  });
  const yt = fromOp(`${name}Output`, y, [T, B, D * H], [out], (g) => {
    // The engine hands each backward a gradient it will not write to; the kernel only reads it.
    slot.dy = g.f32;
    return [new Tensor(new Float32Array(out.size), out.shape)];
  });
  return {
    y: yt,
    hN: part(out, 0, [D, B, H]),
    cN: lstm ? part(out, D * BH, [D, B, H]) : null,
  };
}

function buf(t: Tensor): DeviceBuffer {
  return (t.storage as CudaStorage).buffer;
}

function alloc(n: number, zero = false): CudaStorage {
  return allocStorage('cuda', 'float32', n, zero) as CudaStorage;
}

/**
 * Device copies of ranges: dst[dOff, dOff + n) (+)= src[sOff, sOff + n), as the 1 x n product of
 * [1] and the source row (each element one exact product by 1; accumulate adds dst's old value).
 */
class RangeCopier {
  private one: DeviceBuffer | null = null;
  copy(dst: DeviceBuffer, dOff: number, src: DeviceBuffer, sOff: number, n: number, accumulate = false): void {
    if (n === 0) return;
    const cu = cudaKernels();
    if (!this.one) this.one = cu.fromHost(Float32Array.of(1));
    cu.sgemm(false, false, 1, n, 1, 1, this.one, 0, 1, src, sOff, n, accumulate ? 1 : 0, dst, dOff, n);
  }
  /** A new buffer holding src[sOff, sOff + n). */
  slice(src: DeviceBuffer, sOff: number, n: number): CudaStorage {
    const out = alloc(n);
    this.copy(out.buffer, 0, src, sOff, n);
    return out;
  }
}

/** recurrentLayer on CUDA tensors: the same calls to the device exports, with copies for the slices. */
function recurrentLayerCuda(
  mode: RNNMode,
  residual: boolean,
  x: Tensor,
  h0: Tensor | null,
  c0: Tensor | null,
  weights: (Tensor | null)[],
  D: number,
  H: number,
  lengths: Int32Array | null,
): LayerResult {
  const [T, B, I] = x.shape;
  const lstm = mode === 'LSTM';
  const cell = CELL[mode];
  const S = SAVED[mode];
  const G = GATES[mode];
  const BH = B * H;
  const nY = T * B * D * H;
  const cu = cudaKernels();
  const rc = new RangeCopier();
  const packed = alloc(nY + D * BH * (lstm ? 2 : 1));
  // The per-direction [B, H] slice of a [D, B, H] state (the whole buffer when D = 1).
  const stateOf = (t: Tensor | null, d: number): DeviceBuffer | null =>
    t === null ? null : D === 1 ? buf(t) : rc.slice(buf(t), d * BH, BH).buffer;
  const saved: { gates: CudaStorage; h: CudaStorage; c: CudaStorage | null }[] = [];
  for (let d = 0; d < D; d++) {
    const [wIh, wHh, bIh, bHh] = weights.slice(4 * d, 4 * d + 4);
    const sv = { gates: alloc(T * B * S * H), h: alloc((T + 1) * BH), c: lstm ? alloc((T + 1) * BH) : null };
    saved.push(sv);
    const hN = alloc(BH);
    const cN = lstm ? alloc(BH) : null;
    cu.rnnForward(
      cell,
      d === 1,
      residual,
      T,
      B,
      I,
      H,
      packed.buffer,
      d * H,
      D * H,
      hN.buffer,
      cN ? cN.buffer : null,
      sv.gates.buffer,
      sv.h.buffer,
      sv.c ? sv.c.buffer : null,
      buf(x),
      stateOf(h0, d),
      stateOf(c0, d),
      buf(wIh as Tensor),
      buf(wHh as Tensor),
      bIh ? buf(bIh) : null,
      bHh ? buf(bHh) : null,
      lengths,
    );
    rc.copy(packed.buffer, nY + d * BH, hN.buffer, 0, BH);
    if (cN) rc.copy(packed.buffer, nY + (D + d) * BH, cN.buffer, 0, BH);
  }
  const inputs: (Tensor | null)[] = [x, h0, c0, ...weights];
  const name = `${mode.toLowerCase()}Layer`;
  const state = new SavedState(name, saved, (gates) => rc.slice(gates.buffer, 0, T * B * S * H));
  const out = fromOp(name, packed, [packed.length], inputs, (g) => {
    const sav = state.take();
    const gb = buf(g);
    const dx = alloc(T * B * I);
    const dh0 = D === 1 ? null : alloc(D * BH);
    const dc0 = lstm && D > 1 ? alloc(D * BH) : null;
    let dh0Only: CudaStorage | null = null;
    let dc0Only: CudaStorage | null = null;
    const dws: (Tensor | null)[] = [];
    for (let d = 0; d < D; d++) {
      const [wIh, wHh, bIh, bHh] = weights.slice(4 * d, 4 * d + 4) as [Tensor, Tensor, Tensor | null, Tensor | null];
      const dwIh = alloc(G * H * I);
      const dwHh = alloc(G * H * H);
      const dbIh = bIh ? alloc(G * H) : null;
      const dbHh = bHh ? alloc(G * H) : null;
      const dh0d = alloc(BH);
      const dc0d = lstm ? alloc(BH) : null;
      const sv = sav[d];
      cu.rnnBackward(
        cell,
        d === 1,
        residual,
        T,
        B,
        I,
        H,
        dx.buffer,
        d > 0,
        dh0d.buffer,
        dc0d ? dc0d.buffer : null,
        dwIh.buffer,
        dwHh.buffer,
        dbIh ? dbIh.buffer : null,
        dbHh ? dbHh.buffer : null,
        gb,
        d * H,
        D * H,
        rc.slice(gb, nY + d * BH, BH).buffer,
        lstm ? rc.slice(gb, nY + (D + d) * BH, BH).buffer : null,
        buf(x),
        buf(wIh),
        buf(wHh),
        sv.gates.buffer,
        sv.h.buffer,
        sv.c ? sv.c.buffer : null,
        lengths,
      );
      if (dh0) rc.copy(dh0.buffer, d * BH, dh0d.buffer, 0, BH);
      else dh0Only = dh0d;
      if (dc0 && dc0d) rc.copy(dc0.buffer, d * BH, dc0d.buffer, 0, BH);
      else dc0Only = dc0d;
      dws.push(
        new Tensor(dwIh, wIh.shape),
        new Tensor(dwHh, wHh.shape),
        dbIh && bIh ? new Tensor(dbIh, bIh.shape) : null,
        dbHh && bHh ? new Tensor(dbHh, bHh.shape) : null,
      );
    }
    const dh0All = dh0 ?? dh0Only;
    const dc0All = dc0 ?? dc0Only;
    return [
      new Tensor(dx, x.shape),
      h0 && dh0All ? new Tensor(dh0All, h0.shape) : null,
      c0 && dc0All ? new Tensor(dc0All, c0.shape) : null,
      ...dws,
    ];
  });
  return {
    y: part(out, 0, [T, B, D * H]),
    hN: part(out, nY, [D, B, H]),
    cN: lstm ? part(out, nY + D * BH, [D, B, H]) : null,
  };
}

/**
 * A piece of a packed op output. On the CPU it shares the packed memory (no copy) and its gradient
 * lands in place; on CUDA both are device copies.
 */
function part(packed: Tensor, offset: number, shape: number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (packed.device !== 'cpu') {
    const rc = new RangeCopier();
    return fromOp('rnnOutputPart', rc.slice(buf(packed), offset, n), shape, [packed], (g) => {
      const full = alloc(packed.size, true);
      rc.copy(full.buffer, offset, buf(g), 0, n);
      return [new Tensor(full, packed.shape)];
    });
  }
  const data = packed.f32.subarray(offset, offset + n);
  return fromOp('rnnOutputPart', data, shape, [packed], (g) => {
    const full = new Float32Array(packed.size);
    full.set(g.f32, offset);
    return [new Tensor(full, packed.shape)];
  });
}

function checkBool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw typeError(name, 'a boolean', v);
  return v;
}

/** The shared machinery of LSTM, GRU and RNN (torch.nn.RNNBase). */
export abstract class RNNBase extends Module {
  readonly mode: RNNMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly residual: boolean;
  /** Parameter names in torch's order (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, ..._reverse). */
  readonly flatWeightsNames: string[] = [];

  constructor(mode: RNNMode, opts: RNNBaseOptions, residual = false) {
    super();
    if (opts === null || typeof opts !== 'object') throw typeError('options', 'an object', opts);
    this.mode = mode;
    this.inputSize = checkInt('inputSize', opts.inputSize);
    this.hiddenSize = checkInt('hiddenSize', opts.hiddenSize, 1);
    this.numLayers = checkInt('numLayers', opts.numLayers ?? 1, 1);
    this.bias = checkBool('bias', opts.bias ?? true);
    this.batchFirst = checkBool('batchFirst', opts.batchFirst ?? true);
    this.bidirectional = checkBool('bidirectional', opts.bidirectional ?? false);
    this.residual = checkBool('residual', residual);
    const p = checkNumber('dropout', opts.dropout ?? 0);
    if (!(p >= 0 && p <= 1)) throw rangeError('dropout', 'a probability in [0, 1]', p);
    this.dropout = p;
    const G = GATES[mode];
    const H = this.hiddenSize;
    const D = this.bidirectional ? 2 : 1;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? this.inputSize : H * D;
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const names = [`weight_ih${sfx}`, `weight_hh${sfx}`];
        this.registerParameter(names[0], Parameter(zeros([G * H, inSize])));
        this.registerParameter(names[1], Parameter(zeros([G * H, H])));
        if (this.bias) {
          names.push(`bias_ih${sfx}`, `bias_hh${sfx}`);
          this.registerParameter(names[2], Parameter(zeros([G * H])));
          this.registerParameter(names[3], Parameter(zeros([G * H])));
        }
        this.flatWeightsNames.push(...names);
      }
    }
    this.resetParameters(opts);
  }

  /** Every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H)), as torch; seeded by `{ seed }` or `{ generator }`. */
  resetParameters(opts: RandomOptions = {}): void {
    opts = checkOptions('opts', opts);
    const bound = 1 / Math.sqrt(this.hiddenSize);
    // One generator for every tensor, so that a seed does not repeat the same draws per tensor.
    const generator = resolveGenerator(opts);
    for (const name of this.flatWeightsNames) init.uniform_(this.getParameter(name), -bound, bound, { generator });
  }

  private weightsOf(layer: number, dir: number): (Tensor | null)[] {
    const sfx = `_l${layer}${dir === 1 ? '_reverse' : ''}`;
    const get = (n: string): Tensor => this.getParameter(n);
    return [
      get(`weight_ih${sfx}`),
      get(`weight_hh${sfx}`),
      this.bias ? get(`bias_ih${sfx}`) : null,
      this.bias ? get(`bias_hh${sfx}`) : null,
    ];
  }

  protected run(x: Tensor, opts: RNNForwardOptions = {}): RNNOutput {
    checkTensor('input', x, 'float32');
    if (opts === null || typeof opts !== 'object') throw typeError('options', 'an object', opts);
    const lstm = this.mode === 'LSTM';
    const D = this.bidirectional ? 2 : 1;
    const L = this.numLayers;
    const H = this.hiddenSize;
    if (x.ndim !== 2 && x.ndim !== 3) {
      throw new RangeError(
        `${this.constructor.name}: input must have rank 3 (batched) or 2 (unbatched), got shape ${shapeStr(x.shape)}`,
      );
    }
    if (x.shape[x.ndim - 1] !== this.inputSize) {
      throw new RangeError(
        `${this.constructor.name}: input.size(-1) must be equal to inputSize. Expected ${this.inputSize}, got ${x.shape[x.ndim - 1]} (input shape ${shapeStr(x.shape)})`,
      );
    }
    const unbatched = x.ndim === 2;
    // Time-major [T, B, I] for the kernels.
    let xt = unbatched ? unsqueeze(x, 1) : this.batchFirst ? transpose(x, 0, 1) : x;
    const [T, B] = xt.shape;
    if (T === 0) throw new RangeError(`${this.constructor.name}: input has no time steps (shape ${shapeStr(x.shape)})`);
    const stateShape = unbatched ? [L * D, H] : [L * D, B, H];
    const checkState = (name: string, s: Tensor | null | undefined): Tensor | null => {
      if (s === undefined || s === null) return null;
      checkTensor(name, s, 'float32');
      if (s.ndim !== stateShape.length || s.shape.some((v, i) => v !== stateShape[i])) {
        throw new RangeError(
          `${this.constructor.name}: ${name} must have shape ${shapeStr(stateShape)} (numLayers * numDirections, ${unbatched ? '' : 'batch, '}hiddenSize), got ${shapeStr(s.shape)}`,
        );
      }
      return unbatched ? unsqueeze(s, 1) : s;
    };
    const h0 = checkState('h0', opts.h0);
    if (!lstm && opts.c0 !== undefined && opts.c0 !== null) {
      throw new TypeError(`${this.constructor.name}: c0 is only for LSTM`);
    }
    const c0 = lstm ? checkState('c0', opts.c0) : null;
    let lengths: Int32Array | null = null;
    if (opts.lengths !== undefined && opts.lengths !== null) {
      const ls = opts.lengths;
      if (!(ls instanceof Int32Array) && !Array.isArray(ls)) {
        throw typeError('lengths', 'an Int32Array or an array of integers', ls);
      }
      if (ls.length !== B) throw new RangeError(`lengths must have one entry per batch row (${B}), got ${ls.length}`);
      lengths = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        const v = ls[b];
        if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(`lengths[${b}]`, 'an integer', v);
        if (v < 1 || v > T) throw rangeError(`lengths[${b}]`, `in [1, ${T}] (the sequence length)`, v);
        lengths[b] = v;
      }
    }
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    for (let l = 0; l < L; l++) {
      const weights: (Tensor | null)[] = [];
      for (let d = 0; d < D; d++) weights.push(...this.weightsOf(l, d));
      const r = recurrentLayer(
        this.mode,
        this.residual,
        xt,
        h0 ? (L === 1 ? h0 : narrow(h0, 0, l * D, D)) : null,
        c0 ? (L === 1 ? c0 : narrow(c0, 0, l * D, D)) : null,
        weights,
        D,
        H,
        lengths,
      );
      hs.push(r.hN);
      if (r.cN) cs.push(r.cN);
      xt = r.y;
      if (this.training && this.dropout > 0 && l < L - 1) xt = dropout(xt, this.dropout, { ...randomOpts(opts) });
    }
    const output = unbatched ? squeeze(xt, 1) : this.batchFirst ? transpose(xt, 0, 1) : xt;
    let h = hs.length === 1 ? hs[0] : concat(hs, 0);
    let c = lstm ? (cs.length === 1 ? cs[0] : concat(cs, 0)) : undefined;
    if (unbatched) {
      h = squeeze(h, 1);
      if (c) c = squeeze(c, 1);
    }
    return lstm ? { output, h, c } : { output, h };
  }

  override extraRepr(): string {
    const parts = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.numLayers !== 1) parts.push(`numLayers=${this.numLayers}`);
    if (!this.bias) parts.push('bias=false');
    if (!this.batchFirst) parts.push('batchFirst=false');
    if (this.dropout) parts.push(`dropout=${this.dropout}`);
    if (this.bidirectional) parts.push('bidirectional=true');
    return parts.join(', ');
  }
}

function randomOpts(o: RandomOptions): RandomOptions {
  if (o.generator) return { generator: o.generator };
  if (o.seed !== undefined) return { seed: o.seed };
  return {};
}

/** torch.nn.LSTM: gates i, f, g, o; forward returns { output, h, c }. */
export class LSTM extends RNNBase {
  constructor(opts: RNNBaseOptions) {
    super('LSTM', opts);
  }
  forward(x: Tensor, opts: RNNForwardOptions = {}): RNNOutput & { c: Tensor } {
    return this.run(x, opts) as RNNOutput & { c: Tensor };
  }
}

/** torch.nn.GRU: gates r, z, n with b_hn inside the reset product; forward returns { output, h }. */
export class GRU extends RNNBase {
  constructor(opts: RNNBaseOptions) {
    opts = checkOptions('opts', opts);
    super('GRU', opts);
  }
  forward(x: Tensor, opts: RNNForwardOptions = {}): RNNOutput {
    opts = checkOptions('opts', opts);
    return this.run(x, opts);
  }
}

/** torch.nn.RNN (Elman): h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act 'tanh' | 'relu'. */
export class RNN extends RNNBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(opts: RNNOptions) {
    const nl = opts && typeof opts === 'object' ? (opts.nonlinearity ?? 'tanh') : 'tanh';
    if (nl !== 'tanh' && nl !== 'relu') throw rangeError('nonlinearity', "'tanh' or 'relu'", nl);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', opts, opts.residual ?? false);
    this.nonlinearity = nl;
  }
  forward(x: Tensor, opts: RNNForwardOptions = {}): RNNOutput {
    opts = checkOptions('opts', opts);
    return this.run(x, opts);
  }
}

// Sparse bag-of-words input: CSR matrices and sparse x dense products (tk.sparse). A batch of
// documents as term counts (or tf-idf) times an embedding / first-layer weight [V, H] is the
// linear layer of the topic models and text classifiers; spmm does it without densifying the
// batch and sends the gradient to the dense weight (A^T x grad), deterministically.
import { cudaKernels, DeviceBuffer } from './cuda/runtime';
import { checkInt, rangeError, shapeStr, typeError } from './errors';
import { native } from './native';
import { allocStorage, checkTensor, CudaStorage, Device, fromOp, sameDevice, Storage, Tensor } from './tensor';
import { IndexInput, toIndices } from './ops/nnutil';

declare module './native' {
  interface NativeAddon {
    spmm(
      out: Float32Array,
      indptr: Int32Array,
      indices: Int32Array,
      values: Float32Array,
      dense: Float32Array,
      R: number,
      C: number,
      H: number,
    ): void;
    spmmTransposed(
      out: Float32Array,
      indptr: Int32Array,
      indices: Int32Array,
      values: Float32Array,
      g: Float32Array,
      R: number,
      C: number,
      H: number,
    ): void;
    csrValidate(indptr: Int32Array, indices: Int32Array, values: Float32Array, R: number, C: number): void;
  }
}

// The device exports: the CPU exports' arguments with out and dense / g as device buffers; the CSR
// arrays stay host typed arrays (checked on the host, copied to the device per call).
declare module './cuda/runtime' {
  interface CudaKernels {
    spmm(
      out: DeviceBuffer,
      indptr: Int32Array,
      indices: Int32Array,
      values: Float32Array,
      dense: DeviceBuffer,
      R: number,
      C: number,
      H: number,
    ): void;
    spmmTransposed(
      out: DeviceBuffer,
      indptr: Int32Array,
      indices: Int32Array,
      values: Float32Array,
      g: DeviceBuffer,
      R: number,
      C: number,
      H: number,
    ): void;
  }
}

const MAX_INT32 = 2 ** 31 - 1;

// A CsrMatrix lives on the host (its arrays are what the checks read); building one from a device
// tensor needs the tensor's elements there.
function requireHost(op: string, name: string, x: Tensor): void {
  if (x.device !== 'cpu') {
    throw new TypeError(
      `${op}: ${name} is on ${x.device}, and a CsrMatrix is built on the host: move ${name} to the CPU with ${name}.cpu() first`,
    );
  }
}

function asInt32Array(name: string, v: unknown): Int32Array {
  if (v instanceof Int32Array) return v;
  if (Array.isArray(v)) {
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      if (typeof e !== 'number' || !Number.isInteger(e)) throw typeError(`${name}[${i}]`, 'an integer', e);
      out[i] = e;
    }
    return out;
  }
  throw typeError(name, 'an Int32Array or an array of integers', v);
}

function asFloat32Array(name: string, v: unknown): Float32Array {
  if (v instanceof Float32Array) return v;
  if (Array.isArray(v)) {
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      if (typeof v[i] !== 'number') throw typeError(`${name}[${i}]`, 'a number', v[i]);
      out[i] = v[i];
    }
    return out;
  }
  throw typeError(name, 'a Float32Array or an array of numbers', v);
}

/**
 * A sparse matrix [rows, cols] in compressed sparse row form: row r's values are
 * values[indptr[r] .. indptr[r + 1]) in columns indices[...]. Validated on construction
 * (indptr starts at 0, never decreases and ends at values.length; indices in [0, cols)).
 * Column indices within a row need not be sorted; duplicates add up.
 */
export class CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float32Array;

  constructor(
    rows: number,
    cols: number,
    indptr: Int32Array | readonly number[],
    indices: Int32Array | readonly number[],
    values: Float32Array | readonly number[],
  ) {
    this.rows = checkInt('rows', rows, 0, MAX_INT32 - 1);
    this.cols = checkInt('cols', cols, 0, MAX_INT32);
    this.indptr = asInt32Array('indptr', indptr);
    this.indices = asInt32Array('indices', indices);
    this.values = asFloat32Array('values', values);
    if (this.indptr.length !== this.rows + 1) {
      throw new RangeError(`indptr must have rows + 1 = ${this.rows + 1} entries, got ${this.indptr.length}`);
    }
    if (this.indices.length !== this.values.length) {
      throw new RangeError(
        `indices (${this.indices.length}) and values (${this.values.length}) must have the same length`,
      );
    }
    native.csrValidate(this.indptr, this.indices, this.values, this.rows, this.cols);
  }

  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  /** Stored entries (explicit zeros included). */
  get nnz(): number {
    return this.values.length;
  }

  /**
   * From (row, col, value) triplets in any order; duplicates are summed, entries sorted by
   * (row, col), like scipy's coo_matrix((values, (rows, cols))).tocsr().
   */
  static fromTriplets(
    shape: readonly [number, number] | readonly number[],
    rowIdx: Int32Array | readonly number[],
    colIdx: Int32Array | readonly number[],
    values: Float32Array | readonly number[],
  ): CsrMatrix {
    if (!Array.isArray(shape) || shape.length !== 2) throw typeError('shape', 'an array [rows, cols]', shape);
    const R = checkInt('shape[0]', shape[0], 0, MAX_INT32 - 1);
    const C = checkInt('shape[1]', shape[1], 0, MAX_INT32);
    const r = asInt32Array('rows', rowIdx);
    const c = asInt32Array('cols', colIdx);
    const v = asFloat32Array('values', values);
    if (r.length !== c.length || r.length !== v.length) {
      throw new RangeError(`rows (${r.length}), cols (${c.length}) and values (${v.length}) must have the same length`);
    }
    for (let k = 0; k < r.length; k++) {
      if (r[k] < 0 || r[k] >= R) throw rangeError(`rows[${k}]`, `a row in [0, ${R})`, r[k]);
      if (c[k] < 0 || c[k] >= C) throw rangeError(`cols[${k}]`, `a column in [0, ${C})`, c[k]);
    }
    const order = Array.from({ length: r.length }, (_, k) => k).sort((a, b) => r[a] - r[b] || c[a] - c[b] || a - b);
    const indptr = new Int32Array(R + 1);
    const outIdx: number[] = [];
    const outVal: number[] = [];
    let lastR = -1;
    let lastC = -1;
    for (const k of order) {
      if (r[k] === lastR && c[k] === lastC) {
        outVal[outVal.length - 1] += v[k];
      } else {
        outIdx.push(c[k]);
        outVal.push(v[k]);
        indptr[r[k] + 1]++;
        lastR = r[k];
        lastC = c[k];
      }
    }
    for (let i = 0; i < R; i++) indptr[i + 1] += indptr[i];
    return new CsrMatrix(R, C, indptr, Int32Array.from(outIdx), Float32Array.from(outVal));
  }

  /** The non-zero entries of a 2-D float tensor. */
  static fromDense(x: Tensor): CsrMatrix {
    checkTensor('x', x, 'float32');
    requireHost('CsrMatrix.fromDense', 'x', x);
    if (x.ndim !== 2) throw new RangeError(`x must be 2-D, got shape ${shapeStr(x.shape)}`);
    const [R, C] = x.shape;
    const d = x.f32;
    const indptr = new Int32Array(R + 1);
    const idx: number[] = [];
    const val: number[] = [];
    for (let i = 0; i < R; i++) {
      for (let j = 0; j < C; j++) {
        const e = d[i * C + j];
        if (e !== 0) {
          idx.push(j);
          val.push(e);
        }
      }
      indptr[i + 1] = idx.length;
    }
    return new CsrMatrix(R, C, indptr, Int32Array.from(idx), Float32Array.from(val));
  }

  /** A dense float32 tensor [rows, cols] (duplicates summed). */
  toDense(): Tensor {
    const out = new Float32Array(this.rows * this.cols);
    for (let i = 0; i < this.rows; i++) {
      for (let k = this.indptr[i]; k < this.indptr[i + 1]; k++) out[i * this.cols + this.indices[k]] += this.values[k];
    }
    return new Tensor(out, [this.rows, this.cols]);
  }

  /** The rows at `rowList`, in that order (repeats allowed): a mini-batch of documents. */
  selectRows(rowList: IndexInput): CsrMatrix {
    if (rowList instanceof Tensor) requireHost('CsrMatrix.selectRows', 'rowList', rowList);
    const sel = toIndices('rowList', rowList);
    if (sel.shape.length > 1) throw new RangeError(`rowList must be 1-D, got shape ${shapeStr(sel.shape)}`);
    const ids = sel.data;
    const indptr = new Int32Array(ids.length + 1);
    for (let j = 0; j < ids.length; j++) {
      const r = ids[j];
      if (r < 0 || r >= this.rows) throw rangeError(`rowList[${j}]`, `a row in [0, ${this.rows})`, r);
      indptr[j + 1] = indptr[j] + (this.indptr[r + 1] - this.indptr[r]);
    }
    const nnz = indptr[ids.length];
    const indices = new Int32Array(nnz);
    const values = new Float32Array(nnz);
    for (let j = 0; j < ids.length; j++) {
      const a = this.indptr[ids[j]];
      const b = this.indptr[ids[j] + 1];
      indices.set(this.indices.subarray(a, b), indptr[j]);
      values.set(this.values.subarray(a, b), indptr[j]);
    }
    return new CsrMatrix(ids.length, this.cols, indptr, indices, values);
  }

  /** The transpose [cols, rows] in CSR form (rows sorted by the original row). */
  transpose(): CsrMatrix {
    const nnz = this.nnz;
    const rowIdx = new Int32Array(nnz);
    for (let i = 0; i < this.rows; i++) rowIdx.fill(i, this.indptr[i], this.indptr[i + 1]);
    return CsrMatrix.fromTriplets([this.cols, this.rows], this.indices, rowIdx, this.values);
  }
}

function checkCsr(name: string, a: unknown): CsrMatrix {
  if (!(a instanceof CsrMatrix)) throw typeError(name, 'a tk.sparse.CsrMatrix', a);
  return a;
}

/**
 * out = A x dense (transposed: A^T x dense) on dense's device, as a new tensor of `shape`. The device
 * exports take the CSR arrays as host arrays, like the CPU's (the checks read them), and copy them
 * (or, for A^T, the transpose built from them) to the device per call: a CsrMatrix's arrays are
 * mutable typed arrays, so a cached device copy could go stale.
 */
function spmmOn(device: Device, a: CsrMatrix, dense: Storage, H: number, transposed: boolean, shape: number[]): Tensor {
  const rows = transposed ? a.cols : a.rows;
  const out = allocStorage(device, 'float32', rows * H);
  if (device === 'cpu') {
    const f = transposed ? native.spmmTransposed : native.spmm;
    f(out as Float32Array, a.indptr, a.indices, a.values, dense as Float32Array, a.rows, a.cols, H);
  } else {
    const k = cudaKernels();
    const f = transposed ? k.spmmTransposed : k.spmm;
    f.call(
      k,
      (out as CudaStorage).buffer,
      a.indptr,
      a.indices,
      a.values,
      (dense as CudaStorage).buffer,
      a.rows,
      a.cols,
      H,
    );
  }
  return new Tensor(out, shape);
}

/**
 * sparse [R, C] x dense [C, H] -> dense [R, H] (torch.sparse.mm with a CSR left operand), on dense's
 * device. The gradient goes to the dense operand only: A^T x grad, via spmmTransposed.
 */
export function spmm(a: CsrMatrix, dense: Tensor): Tensor {
  checkCsr('a', a);
  checkTensor('dense', dense, 'float32');
  if (dense.ndim !== 2 || dense.shape[0] !== a.cols) {
    throw new RangeError(
      `dense must have shape [${a.cols}, H] for a sparse matrix of shape ${shapeStr(a.shape)}, got ${shapeStr(dense.shape)}`,
    );
  }
  const device = dense.device;
  const H = dense.shape[1];
  const out = spmmOn(device, a, dense.storage, H, false, [a.rows, H]);
  return fromOp('spmm', out.storage, [a.rows, H], [dense], (g) => {
    sameDevice('spmm backward', { dense, grad: g });
    return [spmmOn(device, a, g.storage, H, true, [...dense.shape])];
  });
}

/**
 * A^T x dense: sparse [R, C] transposed times dense [R, H] -> dense [C, H], on dense's device, with
 * its gradient.
 */
export function spmmTransposed(a: CsrMatrix, dense: Tensor): Tensor {
  checkCsr('a', a);
  checkTensor('dense', dense, 'float32');
  if (dense.ndim !== 2 || dense.shape[0] !== a.rows) {
    throw new RangeError(
      `dense must have shape [${a.rows}, H] for a sparse matrix of shape ${shapeStr(a.shape)}, got ${shapeStr(dense.shape)}`,
    );
  }
  const device = dense.device;
  const H = dense.shape[1];
  const out = spmmOn(device, a, dense.storage, H, true, [a.cols, H]);
  return fromOp('spmmTransposed', out.storage, [a.cols, H], [dense], (g) => {
    sameDevice('spmmTransposed backward', { dense, grad: g });
    return [spmmOn(device, a, g.storage, H, false, [...dense.shape])];
  });
}

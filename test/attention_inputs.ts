// Fixture helpers for the attention tests: inputs from the same formula as
// test/reference/attention.py's `wave`, and tensors stored as base64 float32 / int32 bytes.
import { Tensor } from '../lib/tensor';

export function wave(shape: number[], seed: number, requiresGrad = false): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  const k = (seed % 7) + 1;
  for (let i = 0; i < n; i++) {
    d[i] = Math.fround(Math.sin(i * 0.7853 + seed * 1.618) * Math.cos(i * 0.0123 * k + seed) * 1.5);
  }
  return new Tensor(d, shape, { requiresGrad });
}

export interface B64Tensor {
  shape: number[];
  b64: string;
  dtype: 'float32' | 'int32';
}

export function fromB64(t: B64Tensor, opts: { requiresGrad?: boolean } = {}): Tensor {
  const buf = Buffer.from(t.b64, 'base64');
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  const data = t.dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
  return new Tensor(data, t.shape, t.dtype === 'int32' ? {} : opts);
}

/** A torch state_dict fixture as tensors, for Module.loadStateDict. */
export function stateOf(s: Record<string, B64Tensor>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(s)) out[k] = fromB64(v);
  return out;
}

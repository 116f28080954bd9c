// safetensors (https://huggingface.co/docs/safetensors): the format of HuggingFace checkpoints.
//
// Layout: an 8-byte little-endian header length N, N bytes of JSON
// `{"__metadata__": {..}, "<name>": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..}`
// padded with spaces to a multiple of 8, then the tensors' bytes (offsets relative to the end of
// the header). We write what the Python library writes, byte for byte: tensors ordered by dtype
// (F32 before I32, as its Rust core sorts by descending dtype) and then by name, compact JSON with
// __metadata__ first. Reading accepts any valid file and converts F16, BF16 and F64 to float32,
// and I64, I32, I16, U16, U32, I8, U8 and BOOL to int32 (I64 and U32 range-checked).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { typeError } from '../errors';
import { checkDevice, copyStorage, Device, numelOf, Tensor, TypedData } from '../tensor';

export type SafetensorsDType =
  'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U32' | 'I16' | 'U16' | 'I8' | 'U8' | 'BOOL';

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  /** Bytes of JSON (with padding) after the 8-byte length. */
  headerSize: number;
  metadata: Record<string, string>;
  /** Tensors in file order (by data offset). */
  tensors: Record<string, SafetensorsEntry>;
}

const BYTES: Record<string, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  U32: 4,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};
// The Python library refuses headers above 100 MB; so do we.
const MAX_HEADER = 100_000_000;
const LITTLE_ENDIAN = os.endianness() === 'LE';

// A RangeError, as for any other input whose values are out of what the format allows.
function bad(msg: string): RangeError {
  return new RangeError(`invalid safetensors data: ${msg}`);
}

/** Parses and validates the header of a safetensors buffer (no tensor data is read). */
export function parseSafetensorsHeader(buf: Uint8Array): SafetensorsHeader {
  if (!(buf instanceof Uint8Array)) throw typeError('buffer', 'a Buffer or Uint8Array', buf);
  if (buf.length < 8) throw bad(`${buf.length} bytes is too short for the 8-byte header length (truncated file?)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > MAX_HEADER) throw bad(`header length ${n} is larger than ${MAX_HEADER} bytes`);
  if (8 + n > buf.length)
    throw bad(`header length ${n} runs past the end of the ${buf.length}-byte buffer (truncated file?)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n));
  } catch {
    throw bad('the header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw bad('the header is not a JSON object');
  const dataLength = buf.length - 8 - n;
  const metadata: Record<string, string> = {};
  const entries: [string, SafetensorsEntry][] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`__metadata__ value '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object') throw bad(`entry '${name}' is not an object`);
    if (typeof info.dtype !== 'string') throw bad(`tensor '${name}' has no dtype`);
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw bad(`tensor '${name}' has an invalid shape ${JSON.stringify(info.shape)}`);
    }
    const offs = info.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      !offs.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)
    ) {
      throw bad(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (begin > end) throw bad(`tensor '${name}' has data_offsets [${begin}, ${end}] with begin > end`);
    if (end > dataLength) {
      throw bad(
        `tensor '${name}' has data_offsets [${begin}, ${end}] beyond the ${dataLength} bytes of data (truncated file?)`,
      );
    }
    const size = BYTES[info.dtype];
    const shape = info.shape as number[];
    if (size !== undefined && numelOf(shape) * size !== end - begin) {
      throw bad(
        `tensor '${name}' (${info.dtype}, shape [${shape.join(', ')}]) needs ${numelOf(shape) * size} bytes, data_offsets give ${end - begin}`,
      );
    }
    entries.push([name, { dtype: info.dtype, shape: shape.slice(), dataOffsets: [begin, end] }]);
  }
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  const tensors: Record<string, SafetensorsEntry> = {};
  for (const [k, v] of entries) tensors[k] = v;
  return { headerSize: n, metadata, tensors };
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The bytes [begin, end) copied into a fresh, aligned ArrayBuffer. */
function copyBytes(src: Uint8Array, begin: number, end: number): ArrayBuffer {
  const out = new ArrayBuffer(end - begin);
  new Uint8Array(out).set(src.subarray(begin, end));
  return out;
}

function decode(name: string, e: SafetensorsEntry, data: Uint8Array): Tensor {
  const [begin, end] = e.dataOffsets;
  const n = numelOf(e.shape);
  const dv = new DataView(data.buffer, data.byteOffset + begin, end - begin);
  switch (e.dtype) {
    case 'F32': {
      if (LITTLE_ENDIAN) return new Tensor(new Float32Array(copyBytes(data, begin, end)), e.shape);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return new Tensor(out, e.shape);
    }
    case 'I32': {
      if (LITTLE_ENDIAN) return new Tensor(new Int32Array(copyBytes(data, begin, end)), e.shape);
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      return new Tensor(out, e.shape);
    }
    case 'F64': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return new Tensor(out, e.shape);
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
      return new Tensor(out, e.shape);
    }
    case 'BF16': {
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      // A bfloat16 is the top half of a float32's bits.
      for (let i = 0; i < n; i++) bits[i] = dv.getUint16(2 * i, true) << 16;
      return new Tensor(out, e.shape);
    }
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getBigInt64(8 * i, true);
        if (v < -2147483648n || v > 2147483647n) {
          throw new RangeError(`tensor '${name}' (I64) has value ${v} at index ${i}, outside the int32 range`);
        }
        out[i] = Number(v);
      }
      return new Tensor(out, e.shape);
    }
    case 'U32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = dv.getUint32(4 * i, true);
        if (v > 2147483647)
          throw new RangeError(`tensor '${name}' (U32) has value ${v} at index ${i}, outside the int32 range`);
        out[i] = v;
      }
      return new Tensor(out, e.shape);
    }
    case 'I16':
    case 'U16': {
      const out = new Int32Array(n);
      const get =
        e.dtype === 'I16' ? (i: number) => dv.getInt16(2 * i, true) : (i: number) => dv.getUint16(2 * i, true);
      for (let i = 0; i < n; i++) out[i] = get(i);
      return new Tensor(out, e.shape);
    }
    case 'I8':
      return new Tensor(Int32Array.from(new Int8Array(copyBytes(data, begin, end))), e.shape);
    case 'U8':
      return new Tensor(Int32Array.from(data.subarray(begin, end)), e.shape);
    case 'BOOL':
      return new Tensor(
        Int32Array.from(data.subarray(begin, end), (b) => (b ? 1 : 0)),
        e.shape,
      );
    default:
      throw new TypeError(
        `tensor '${name}' has dtype ${e.dtype}, which textkernels cannot load (supported: ${Object.keys(BYTES).join(', ')})`,
      );
  }
}

/** Tensors of a safetensors buffer: float types as float32, integer and bool types as int32. */
export function parseSafetensors(buf: Uint8Array): Record<string, Tensor> {
  const header = parseSafetensorsHeader(buf);
  const data = buf.subarray(8 + header.headerSize);
  const out: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(header.tensors)) out[name] = decode(name, e, data);
  return out;
}

/**
 * The safetensors bytes of a record of tensors (F32 for float32, I32 for int32); CUDA tensors are
 * copied to the host.
 */
export function serializeSafetensors(record: Record<string, Tensor>, metadata?: Record<string, string>): Buffer {
  if (record === null || typeof record !== 'object') throw typeError('record', 'an object of tensors', record);
  const items: [string, Tensor][] = [];
  for (const [name, t] of Object.entries(record)) {
    if (!(t instanceof Tensor)) throw typeError(`record['${name}']`, 'a Tensor', t);
    if (name === '__metadata__') throw new RangeError("a tensor can't be named '__metadata__'");
    items.push([name, t]);
  }
  // The Python library's order: descending dtype (F32 before I32), then name (byte order).
  const rank = (t: Tensor): number => (t.dtype === 'float32' ? 0 : 1);
  items.sort((a, b) => rank(a[1]) - rank(b[1]) || Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object')
      throw typeError('metadata', 'an object of strings', metadata);
    const meta: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort()) {
      if (typeof metadata[k] !== 'string') throw typeError(`metadata['${k}']`, 'a string', metadata[k]);
      meta[k] = metadata[k];
    }
    header.__metadata__ = meta;
  }
  let offset = 0;
  for (const [name, t] of items) {
    header[name] = {
      dtype: t.dtype === 'float32' ? 'F32' : 'I32',
      shape: t.shape,
      data_offsets: [offset, offset + 4 * t.size],
    };
    offset += 4 * t.size;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + padded + offset, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  let pos = 8 + padded;
  for (const [, t] of items) {
    // A CUDA tensor's elements are copied to the host first (torch's safetensors does the same).
    const data = t.device === 'cpu' ? t.data : (copyStorage(t.storage, 'cpu') as TypedData);
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
    } else {
      const dv = new DataView(out.buffer, out.byteOffset + pos, 4 * t.size);
      for (let i = 0; i < t.size; i++) {
        if (t.dtype === 'float32') dv.setFloat32(4 * i, data[i], true);
        else dv.setInt32(4 * i, data[i], true);
      }
    }
    pos += 4 * t.size;
  }
  return out;
}

/**
 * Writes a record of tensors (a model's stateDict()) as a .safetensors file. The bytes go to a
 * temporary file in the same directory, which is then renamed over `file`, so a failure never
 * leaves a partial file behind.
 */
export function saveSafetensors(file: string, record: Record<string, Tensor>, metadata?: Record<string, string>): void {
  if (typeof file !== 'string' || file === '') throw typeError('path', 'a non-empty string', file);
  const bytes = serializeSafetensors(record, metadata);
  const tmp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`,
  );
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      // The temporary file may never have been created.
    }
    throw e;
  }
}

export interface LoadSafetensorsOptions {
  /** Where to put the tensors (safetensors.torch.load_file's device): 'cpu' (default) or 'cuda'. */
  device?: Device;
}

/**
 * Reads a .safetensors file: float types as float32 tensors, integer and bool types as int32, on
 * `opts.device` (default the CPU).
 */
export function loadSafetensors(file: string, opts: LoadSafetensorsOptions = {}): Record<string, Tensor> {
  if (typeof file !== 'string' || file === '') throw typeError('path', 'a non-empty string', file);
  if (opts === null || typeof opts !== 'object') throw typeError('opts', 'an object', opts);
  const device = opts.device === undefined ? 'cpu' : checkDevice('device', opts.device);
  const buf = fs.readFileSync(file);
  let out: Record<string, Tensor>;
  try {
    out = parseSafetensors(buf);
  } catch (e) {
    if (e instanceof Error) e.message = `${file}: ${e.message}`;
    throw e;
  }
  if (device === 'cuda') {
    for (const k of Object.keys(out)) out[k] = new Tensor(out[k].data, out[k].shape, { device });
  }
  return out;
}

/** The __metadata__ strings and tensor entries of a .safetensors file. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  if (typeof file !== 'string' || file === '') throw typeError('path', 'a non-empty string', file);
  return parseSafetensorsHeader(fs.readFileSync(file));
}

// safetensors reading and writing, against files written by the Python library
// (test/reference/safetensors.py).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  loadSafetensors,
  parseSafetensors,
  parseSafetensorsHeader,
  readSafetensorsHeader,
  saveSafetensors,
  serializeSafetensors,
} from '../lib/io';
import { Tensor } from '../lib/tensor';
import { fixturesDir, loadFixture } from './helpers';

interface Expected {
  shape: number[];
  data: (number | string)[];
  dtype: 'float32' | 'int32';
}

const fx = loadFixture<{
  mixed: Record<string, Expected>;
  plain: Record<string, Expected>;
  mixedMetadata: Record<string, string>;
}>('safetensors');

function expectTensor(t: Tensor, e: Expected, label: string): void {
  expect([label, t.dtype, t.shape]).toEqual([label, e.dtype, e.shape]);
  // Python writes non-finite values as the strings 'inf', '-inf', 'nan'.
  const special: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN };
  const want = e.data.map((v) => (typeof v === 'string' ? special[v] : v));
  // Exact: every conversion (F16, BF16 widening, F64 rounding, integer types) is exact or
  // round-to-nearest, as torch's .float() / .int().
  const typed = e.dtype === 'int32' ? Int32Array.from(want) : Float32Array.from(want);
  expect([label, Array.from(t.data)]).toEqual([label, Array.from(typed)]);
}

const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-safetensors-'));
afterAll(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

describe('reading files written by Python safetensors', () => {
  test('all dtypes convert like torch (.float() / .int())', () => {
    const rec = loadSafetensors(path.join(fixturesDir, 'safetensors_mixed.safetensors'));
    expect(Object.keys(rec).sort()).toEqual(Object.keys(fx.mixed).sort());
    for (const [k, e] of Object.entries(fx.mixed)) expectTensor(rec[k], e, k);
    expect(Object.is(rec.half_specials.data[1], -0)).toBe(true);
    const header = readSafetensorsHeader(path.join(fixturesDir, 'safetensors_mixed.safetensors'));
    expect(header.metadata).toEqual(fx.mixedMetadata);
    expect(header.tensors.ids).toEqual({ dtype: 'I64', shape: [2, 3], dataOffsets: [0, 48] });
  });

  test('an I64 value outside int32 is refused', () => {
    expect(() => loadSafetensors(path.join(fixturesDir, 'safetensors_i64big.safetensors'))).toThrow(
      /'big' \(I64\) has value 1099511627776 at index 1, outside the int32 range/,
    );
  });

  test('serializeSafetensors reproduces the Python library byte for byte', () => {
    const file = path.join(fixturesDir, 'safetensors_f32i32.safetensors');
    const pyBytes = fs.readFileSync(file);
    const rec = loadSafetensors(file);
    for (const [k, e] of Object.entries(fx.plain)) expectTensor(rec[k], e, k);
    // Insertion order differs from the file's: the writer must sort as the library does.
    const shuffled: Record<string, Tensor> = {};
    for (const k of ['steps', 'b.weight', 'scalar', 'count', 'a.weight', 'nothing', 'a.bias']) shuffled[k] = rec[k];
    const ours = serializeSafetensors(shuffled, { format: 'pt' });
    expect(ours.equals(pyBytes)).toBe(true);
  });
});

describe('round trip', () => {
  test('save then load gives the same tensors, metadata and no temporary files', () => {
    const rec: Record<string, Tensor> = {
      'encoder.layers.0.weight': new Tensor(Float32Array.from([1.5, -2, NaN, Infinity, -0, 3e-42]), [2, 3]),
      ids: new Tensor(Int32Array.from([-2147483648, 2147483647, 0]), [3]),
      zero_d: new Tensor(new Float32Array([7]), []),
      empty: new Tensor(new Float32Array(0), [0, 5]),
      'ünïcode ✓': new Tensor(new Float32Array([1]), [1]),
    };
    const file = path.join(tmpDir, 'model.safetensors');
    saveSafetensors(file, rec, { b: '2', a: '1' });
    expect(fs.readdirSync(tmpDir)).toEqual(['model.safetensors']);
    const back = loadSafetensors(file);
    expect(Object.keys(back).sort()).toEqual(Object.keys(rec).sort());
    for (const [k, t] of Object.entries(rec)) {
      expect([k, back[k].dtype, back[k].shape]).toEqual([k, t.dtype, t.shape]);
      const a = back[k].data;
      for (let i = 0; i < t.size; i++) expect(Object.is(a[i], t.data[i])).toBe(true);
    }
    const header = readSafetensorsHeader(file);
    expect(header.metadata).toEqual({ a: '1', b: '2' });
    expect((8 + header.headerSize) % 8).toBe(0);
    // Loaded tensors own their data (aligned copies), not views of the file buffer.
    back.zero_d.data[0] = 1;
    expect(loadSafetensors(file).zero_d.data[0]).toBe(7);
  });

  test('tensors that are views at odd offsets serialize correctly', () => {
    const big = new Float32Array(10).map((_, i) => i);
    const view = new Tensor(big.subarray(3, 7), [4]);
    const back = parseSafetensors(serializeSafetensors({ v: view }));
    expect(Array.from(back.v.data)).toEqual([3, 4, 5, 6]);
    // An unaligned source buffer still parses.
    const bytes = serializeSafetensors({ v: view });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(parseSafetensors(shifted.subarray(1)).v.data)).toEqual([3, 4, 5, 6]);
  });

  test('a failed save leaves nothing behind and keeps the old file', () => {
    const file = path.join(tmpDir, 'keep.safetensors');
    saveSafetensors(file, { a: new Tensor(new Float32Array([1]), [1]) });
    expect(() => saveSafetensors(file, { a: 'nope' as never })).toThrow(TypeError);
    expect(() => saveSafetensors(path.join(tmpDir, 'no', 'such', 'dir.safetensors'), {})).toThrow();
    expect(fs.readdirSync(tmpDir).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(Array.from(loadSafetensors(file).a.data)).toEqual([1]);
  });
});

describe('bad input', () => {
  const good = serializeSafetensors({ w: new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]) }, { k: 'v' });

  function withHeader(json: string, dataBytes = 0): Buffer {
    const h = Buffer.from(json);
    const out = Buffer.alloc(8 + h.length + dataBytes);
    out.writeBigUInt64LE(BigInt(h.length), 0);
    h.copy(out, 8);
    return out;
  }

  test('truncated files', () => {
    expect(() => parseSafetensors(good.subarray(0, 5))).toThrow(/too short.*truncated/);
    expect(() => parseSafetensors(good.subarray(0, 20))).toThrow(/runs past the end.*truncated/);
    expect(() => parseSafetensors(good.subarray(0, good.length - 4))).toThrow(
      /beyond the 12 bytes of data \(truncated/,
    );
  });

  test('bad headers', () => {
    expect(() => parseSafetensors(withHeader('{"w": '))).toThrow(/not valid JSON/);
    expect(() => parseSafetensors(withHeader('[1, 2]'))).toThrow(/not a JSON object/);
    const inv = Buffer.from([0xff, 0xfe]);
    const b = Buffer.alloc(10);
    b.writeBigUInt64LE(2n, 0);
    inv.copy(b, 8);
    expect(() => parseSafetensors(b)).toThrow(/UTF-8/);
    const huge = Buffer.alloc(16);
    huge.writeBigUInt64LE(2n ** 60n, 0);
    expect(() => parseSafetensors(huge)).toThrow(/larger than/);
    expect(() => parseSafetensors(withHeader('{"__metadata__": {"a": 1}}'))).toThrow(/not a string/);
    expect(() => parseSafetensors(withHeader('{"w": {"shape": [1], "data_offsets": [0, 4]}}', 4))).toThrow(/no dtype/);
    expect(() =>
      parseSafetensors(withHeader('{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}', 4)),
    ).toThrow(/invalid shape/);
    expect(() => parseSafetensors(withHeader('{"w": {"dtype": "F32", "shape": [1], "data_offsets": [4]}}', 4))).toThrow(
      /invalid data_offsets/,
    );
    expect(() =>
      parseSafetensors(withHeader('{"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}', 4)),
    ).toThrow(/begin > end/);
    expect(() => parseSafetensorsHeader('x' as never)).toThrow(TypeError);
  });

  test('offsets out of range or inconsistent with the shape', () => {
    expect(() =>
      parseSafetensors(withHeader('{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', 4)),
    ).toThrow(/beyond the 4 bytes of data/);
    expect(() =>
      parseSafetensors(withHeader('{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}', 8)),
    ).toThrow(/needs 12 bytes, data_offsets give 8/);
  });

  test('unsupported dtypes', () => {
    expect(() =>
      parseSafetensors(withHeader('{"w": {"dtype": "F8_E4M3", "shape": [2], "data_offsets": [0, 2]}}', 2)),
    ).toThrow(/dtype F8_E4M3, which textkernels cannot load/);
  });

  test('bad records', () => {
    expect(() => serializeSafetensors({ __metadata__: new Tensor(new Float32Array(1), [1]) })).toThrow(/__metadata__/);
    expect(() => serializeSafetensors({ a: new Tensor(new Float32Array(1), [1]) }, { k: 1 as never })).toThrow(
      TypeError,
    );
    expect(() => saveSafetensors('' as never, {})).toThrow(TypeError);
  });
});

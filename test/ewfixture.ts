// Fixture helpers shared by the elementwise, reduce and shape tests: the reference scripts write
// non-finite values as the strings "NaN", "Infinity", "-Infinity".
import { Tensor } from '../lib/tensor';
import { FixtureTensor, fromFixture, loadFixture } from './helpers';

export type FixtureValue = FixtureTensor | number | string | null | FixtureValue[] | { [k: string]: FixtureValue };

function isFixtureTensor(v: unknown): v is FixtureTensor {
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray((v as FixtureTensor).shape) &&
    Array.isArray((v as FixtureTensor).data)
  );
}

function decode(v: unknown): unknown {
  if (typeof v === 'string' && (v === 'NaN' || v === 'Infinity' || v === '-Infinity')) return Number(v);
  if (isFixtureTensor(v)) return { ...v, data: v.data.map((x) => Number(x)) };
  if (Array.isArray(v)) return v.map(decode);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = decode(x);
    return out;
  }
  return v;
}

export function loadDecoded<T>(name: string): T {
  return decode(loadFixture(name)) as T;
}

/** A fixture value as an op argument: tensors (float ones requiring grad when asked), numbers as is. */
export function arg(v: unknown, requiresGrad: boolean): Tensor | number {
  if (typeof v === 'number') return v;
  if (!isFixtureTensor(v)) throw new Error(`not a fixture tensor: ${JSON.stringify(v)}`);
  const floaty = v.dtype === undefined || v.dtype === 'float32';
  return fromFixture(v, { requiresGrad: requiresGrad && floaty });
}

export interface OpCase {
  name: string;
  op: string;
  params: Record<string, unknown>;
  inputs: Record<string, FixtureTensor | number>;
  out: FixtureTensor;
  w: FixtureTensor | null;
  grads: Record<string, FixtureTensor | null>;
}

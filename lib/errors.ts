// Errors thrown before native code runs. Messages name the argument, what was expected and what
// came, in the manner of sharp's invalidParameterError.

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value))
    return `a ${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  if (typeof value === 'object') {
    const shape = (value as { shape?: unknown }).shape;
    if (Array.isArray(shape)) return `a tensor of shape [${shape.join(', ')}]`;
    return `an object (${(value as object).constructor?.name ?? 'Object'})`;
  }
  if (typeof value === 'string') return `the string '${value}'`;
  return `${typeof value} ${String(value)}`;
}

export function typeError(name: string, expected: string, actual: unknown): TypeError {
  return new TypeError(`${name} must be ${expected}, got ${describe(actual)}`);
}

export function rangeError(name: string, expected: string, actual: unknown): RangeError {
  return new RangeError(`${name} must be ${expected}, got ${describe(actual)}`);
}

/**
 * An options argument: undefined means the defaults; anything but a plain object (null, a number, an
 * array) is a TypeError naming the argument, rather than the engine's "Cannot read properties of null".
 */
export function checkOptions<T extends object>(name: string, opts: T | null | undefined): T {
  if (opts === undefined) return {} as T;
  const tensorLike = typeof opts === 'object' && opts !== null && Array.isArray((opts as { shape?: unknown }).shape);
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts) || ArrayBuffer.isView(opts) || tensorLike) {
    throw typeError(name, 'an options object', opts);
  }
  return opts;
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function isNonNegInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

export function checkInt(name: string, v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(name, 'an integer', v);
  if (v < min || v > max) throw rangeError(name, `an integer in [${min}, ${max}]`, v);
  return v;
}

export function checkNumber(name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw typeError(name, 'a number', v);
  if (v < min || v > max) throw rangeError(name, `a number in [${min}, ${max}]`, v);
  return v;
}

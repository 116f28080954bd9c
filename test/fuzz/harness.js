// Runs in a child process (test/fuzz.test.ts) so that a crash shows up as a failed test, not a dead
// test runner. For every native export it takes valid calls from cases.js, then mutates one
// argument at a time (wrong type, NaN, negative, fractional, huge, short arrays, wrong array
// types) and expects either a TypeError/RangeError or a normal return. Every typed array handed to
// the addon is a view with guard zones on both sides; a write outside the view changes a guard
// and fails the run, so out-of-bounds writes are caught even when they do not crash.
'use strict';
const path = require('path');

const root = path.join(__dirname, '..', '..');
const addon = require('node-gyp-build')(root);
const { cases, large } = require('./cases');

const GUARD = 64;
const SENTINEL = 0x5a;
const guarded = [];

// Allocates a typed array inside a larger buffer with sentinel-filled guard zones.
function guard(Ctor, length) {
  const bytes = Ctor.BYTES_PER_ELEMENT;
  const buf = new ArrayBuffer((length + 2 * GUARD) * bytes);
  new Uint8Array(buf).fill(SENTINEL);
  const view = new Ctor(buf, GUARD * bytes, length);
  view.fill(0);
  guarded.push({ buf, start: GUARD * bytes, end: (GUARD + length) * bytes });
  return view;
}

function checkGuards(label) {
  for (const g of guarded) {
    if (g.buf.byteLength === 0) continue; // detached by a Detacher; checked through its copy
    const u8 = new Uint8Array(g.buf);
    for (let i = 0; i < g.start; i++)
      if (u8[i] !== SENTINEL) throw new Error(`${label}: write before a buffer (byte ${i - g.start})`);
    for (let i = g.end; i < u8.length; i++)
      if (u8[i] !== SENTINEL) throw new Error(`${label}: write past a buffer (byte ${i - g.end})`);
  }
  guarded.length = 0;
}

// A deterministic PRNG so a failure reproduces.
let state = Number(process.env.FUZZ_SEED || 12345) >>> 0;
function rnd() {
  state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
  return state / 2 ** 32;
}

function copyArg(a, alloc) {
  if (ArrayBuffer.isView(a)) {
    const v = alloc(a.constructor, a.length);
    v.set(a);
    return v;
  }
  if (Array.isArray(a)) return a.map((x) => copyArg(x, alloc));
  return a;
}

const MAX_DIM = 2 ** 40; // kMaxDim in native/binding/args.h

// Shape and stride arrays: the typed arrays stay as they are while the declared sizes change, so a
// binding that trusts a size it did not check against a length writes outside a buffer.
function shapeMutations(arg) {
  const out = [
    arg.slice(1),
    [...arg, 1],
    [1, ...arg],
    [...arg].reverse(),
    arg.map((x) => (typeof x === 'number' ? x + 1 : x)),
    arg.map(() => -1),
    arg.map(() => NaN),
    arg.map(() => 1e12),
    arg.map(() => 2 ** 21), // product overflows kMaxDim for rank >= 2
    [...arg, 2 ** 21, 2 ** 21],
    [MAX_DIM, MAX_DIM, MAX_DIM],
    arg.map(() => 0),
    [0, MAX_DIM, MAX_DIM], // empty, but with sizes whose products overflow
    Int32Array.from(arg.filter((x) => typeof x === 'number')),
    [...arg, undefined],
    [...arg, '1'],
  ];
  for (let d = 0; d < arg.length; d++) {
    const set = (v) => {
      const m = arg.slice();
      m[d] = v;
      return m;
    };
    out.push(set(arg[d] + 1), set(arg[d] - 1), set(0), set(arg[d] * 2 + 1), set(arg[d] + 2 ** 32), set(MAX_DIM));
    const zeroElse = arg.map((x, k) => (k === d ? 0 : MAX_DIM));
    out.push(zeroElse);
  }
  return out;
}

function mutations(arg) {
  const out = [undefined, null, 'x', '3', {}, true, NaN, -1, 0.5, 2 ** 31, 2 ** 53, Infinity, -Infinity, []];
  if (typeof arg === 'number') {
    out.push(arg + 1, arg - 1, arg * 2 + 1, -arg, 0, 1e9, arg + 2 ** 32, MAX_DIM, MAX_DIM + 1, -(2 ** 31), 2 ** 31 - 1);
    out.push(arg + 1e-9 * Math.max(1, Math.abs(arg)));
  }
  if (typeof arg === 'boolean') out.push(!arg, 0, 1);
  if (Array.isArray(arg)) out.push(...shapeMutations(arg), new Detacher({ shape: arg }));
  if (ArrayBuffer.isView(arg)) {
    const C = arg.constructor;
    out.push(
      new Lazy({ lazy: C, length: Math.max(0, arg.length - 1) }),
      new Lazy({ lazy: C, length: arg.length + 1 }),
      new Lazy({ lazy: C, length: 0 }),
      new Lazy({ lazy: C, length: arg.length >> 1 }),
      new Lazy({ lazy: C, length: arg.length * 2 + 1 }),
    );
    out.push(new Lazy({ lazy: Float64Array, length: arg.length }), new Lazy({ lazy: Int32Array, length: arg.length }));
    out.push(new Lazy({ lazy: Float32Array, length: arg.length }), new Lazy({ lazy: Uint8Array, length: arg.length }));
    out.push(new Lazy({ lazy: Uint32Array, length: arg.length }), new Lazy({ lazy: Int16Array, length: arg.length * 2 }));
    out.push(new DataView(new ArrayBuffer(arg.length * 4)), Array.from(arg));
    // The same element type over other kinds of memory: shared, resizable (length-tracking), detached.
    const shared = new C(new SharedArrayBuffer(arg.length * C.BYTES_PER_ELEMENT));
    shared.set(arg);
    const resizable = new C(new ArrayBuffer(arg.length * C.BYTES_PER_ELEMENT, { maxByteLength: 4096 }));
    resizable.set(arg);
    const gone = new C(arg.length);
    structuredClone(gone.buffer, { transfer: [gone.buffer] });
    out.push(shared, resizable, gone);
    if (C === Int32Array && arg.length) {
      // Ids just past the largest valid one, at the extremes, and negative, at a random position.
      const max = arg.reduce((m, x) => Math.max(m, x), -Infinity);
      const at = (v, k = Math.floor(rnd() * arg.length)) => {
        const bad = Int32Array.from(arg);
        bad[k] = v;
        return new Lazy({ values: bad });
      };
      out.push(at(2 ** 30), at(-5, 0), at(-1), at(max + 1), at(max + 1, arg.length - 1), at(2 ** 31 - 1));
      out.push(at(-(2 ** 31)), at(arg[arg.length - 1] + 1, arg.length - 1), at(arg[0] + 1, 0));
      if (arg.length > 1) {
        const swapped = Int32Array.from(arg);
        const k = Math.floor(rnd() * (arg.length - 1));
        [swapped[k], swapped[k + 1]] = [swapped[k + 1], swapped[k]];
        out.push(new Lazy({ values: swapped }));
      }
    }
  }
  return out;
}

// Mutations of two arguments at once: numbers swapped (same product of sizes, different shape), one
// size zeroed while another becomes huge, and one typed array replaced by another argument (the
// same array, or a view overlapping it) to exercise the aliasing checks.
function pairMutations(template) {
  const out = [];
  const nums = [];
  const views = [];
  template.forEach((a, i) => {
    if (typeof a === 'number') nums.push(i);
    if (ArrayBuffer.isView(a)) views.push(i);
  });
  for (const i of nums)
    for (const j of nums) {
      if (i < j && template[i] !== template[j]) out.push({ [i]: template[j], [j]: template[i] });
      if (i !== j && template[i] > 0) out.push({ [i]: 0, [j]: MAX_DIM });
    }
  for (const i of views)
    for (const j of views) {
      if (i === j || template[i].constructor !== template[j].constructor) continue;
      out.push({ [i]: new Alias({ of: j, offset: 0 }) });
      if (template[j].length > 1) out.push({ [i]: new Alias({ of: j, offset: 1 }) });
    }
  return out;
}

// A shape array whose first element is a getter that detaches (transfers) the buffers of every typed
// array argument of the call, as JS code run during argument parsing could. A binding that took a
// pointer before reading the shape would then write into memory its arrays no longer own: the
// transferred copies are compared with snapshots after the call.
class Detacher {
  constructor(spec) {
    Object.assign(this, spec);
  }
}
const detached = [];

function detachingShape(shape, args) {
  const arr = shape.slice();
  if (!arr.length) arr.push(1);
  const first = arr[0];
  Object.defineProperty(arr, 0, {
    enumerable: true,
    get() {
      for (const a of args) {
        if (!ArrayBuffer.isView(a) || a.buffer.byteLength === 0 || a.buffer instanceof SharedArrayBuffer) continue;
        const copy = structuredClone(a.buffer, { transfer: [a.buffer] });
        detached.push({ copy, snapshot: new Uint8Array(copy).slice() });
      }
      return first;
    },
  });
  return arr;
}

function checkDetached(label) {
  for (const d of detached) {
    const now = new Uint8Array(d.copy);
    for (let i = 0; i < now.length; i++)
      if (now[i] !== d.snapshot[i]) throw new Error(`${label}: wrote into a buffer detached during argument parsing`);
  }
  detached.length = 0;
}

// A typed array that shares memory with argument `of` of the same call, starting `offset` elements in.
class Alias {
  constructor(spec) {
    Object.assign(this, spec);
  }
}

// Marks mutations that become guarded typed arrays when a call is built.
class Lazy {
  constructor(spec) {
    Object.assign(this, spec);
  }
}

function materialise(m, args) {
  if (m instanceof Detacher) return detachingShape(m.shape, args);
  if (m instanceof Alias) {
    const src = args[m.of];
    const C = src.constructor;
    return new C(src.buffer, src.byteOffset + m.offset * C.BYTES_PER_ELEMENT, src.length - m.offset);
  }
  if (m instanceof Lazy && m.lazy) return guard(m.lazy, m.length);
  if (m instanceof Lazy && m.values) {
    const v = guard(m.values.constructor, m.values.length);
    v.set(m.values);
    return v;
  }
  return m;
}

let calls = 0;
let valid = 0;
const exported = Object.keys(addon).filter((k) => typeof addon[k] === 'function');
const missing = exported.filter((k) => !cases[k]);
if (missing.length) {
  console.error(`FUZZ-MISSING ${missing.join(',')}`);
  process.exit(3);
}
const only = process.env.FUZZ_ONLY ? process.env.FUZZ_ONLY.split(',') : null;
// Every SIMD level this CPU runs (the kernels dispatch at run time), and the thread count the run
// started with; setSimdLevel and setNumThreads are themselves fuzzed, so both are restored after
// every export.
const threads = addon.getNumThreads();
const levels = [...new Set([addon.backendInfo().simdSupported, 'avx2', 'sse2', 'scalar'])].filter(
  (l) => addon.setSimdLevel(l) === l,
);
if (process.env.FUZZ_SIMD) levels.splice(0, levels.length, ...process.env.FUZZ_SIMD.split(','));
for (const level of levels) {
  for (const name of exported) {
    if (only && !only.includes(name)) continue;
    addon.setSimdLevel(level);
    addon.setNumThreads(threads);
    fuzzExport(name, level);
  }
}
addon.setSimdLevel(levels[0]);

function validCall(name, args, label) {
  try {
    addon[name](...args);
    valid++;
  } catch (e) {
    console.error(`FUZZ-VALID-THREW ${label}: ${e && e.message}`);
    process.exit(4);
  }
  try {
    checkGuards(label);
  } catch (e) {
    console.error(`FUZZ-OOB ${e.message}`);
    process.exit(6);
  }
}

function fuzzExport(name, level) {
  if (large[name]) {
    for (const args of large[name](guard)) validCall(name, args, `${name} [${level}] (large valid call)`);
  }
  const templates = cases[name](guard);
  checkGuards(`${name} (setup)`);
  for (const template of templates) {
    // The valid call must succeed and stay inside its buffers.
    validCall(name, copyArg(template, guard), `${name} [${level}] (valid call)`);
    for (let i = 0; i < template.length; i++) {
      for (const m of mutations(template[i])) {
        const mutated = copyArg(template, guard);
        mutated[i] = materialise(m, mutated);
        // Describing a Detacher's array would run its getter before the call.
        const what = m instanceof Detacher ? `${describe(m.shape)} whose [0] getter detaches the arrays` : describe(mutated[i]);
        tryCall(name, mutated, `${name} [${level}] arg ${i} = ${what}`);
      }
    }
    for (const pm of pairMutations(template)) {
      const mutated = copyArg(template, guard);
      const parts = [];
      for (const [k, m] of Object.entries(pm)) {
        mutated[k] = materialise(m, mutated);
        parts.push(m instanceof Alias ? `arg ${k} = view of arg ${m.of} at +${m.offset}` : `arg ${k} = ${describe(m)}`);
      }
      tryCall(name, mutated, `${name} [${level}] ${parts.join(', ')}`);
    }
  }
}

function tryCall(name, args, label) {
  process.stdout.write(`TRY ${label}\n`);
  calls++;
  try {
    addon[name](...args);
  } catch (e) {
    if (!(e instanceof TypeError) && !(e instanceof RangeError)) {
      console.error(`FUZZ-BAD-ERROR ${label}: ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
      process.exit(5);
    }
  }
  try {
    checkGuards(label);
    checkDetached(label);
  } catch (e) {
    console.error(`FUZZ-OOB ${e.message}`);
    process.exit(6);
  }
}
console.log(`FUZZ-OK ${exported.length} exports, SIMD ${levels.join('/')}, ${valid} valid calls, ${calls} mutated calls`);

function describe(v) {
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.length})`;
  if (Array.isArray(v)) return `[${v.slice(0, 6).join(',')}${v.length > 6 ? ',…' : ''}]`;
  if (typeof v === 'string') return `'${v}'`;
  if (v && typeof v === 'object') return '{}';
  return String(v);
}

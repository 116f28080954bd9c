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
// cases.js plus any cases-<concern>.js beside it, so each kernel family keeps its own list.
const cases = Object.assign(
  {},
  ...require('fs')
    .readdirSync(__dirname)
    .filter((f) => /^cases(-[\w-]+)?\.js$/.test(f))
    .sort()
    .map((f) => require(path.join(__dirname, f)).cases),
);

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

function mutations(arg) {
  const out = [undefined, null, 'x', {}, true, NaN, -1, 0.5, 2 ** 31, 2 ** 53, Infinity, -Infinity, []];
  if (typeof arg === 'number') out.push(arg + 1, arg - 1, arg * 2 + 1, -arg, 0, 1e9);
  if (Array.isArray(arg)) {
    out.push(
      arg.slice(1),
      [...arg, 1],
      arg.map((x) => (typeof x === 'number' ? x + 1 : x)),
      arg.map(() => -1),
    );
    out.push(
      arg.map(() => NaN),
      arg.map(() => 1e12),
    );
  }
  if (ArrayBuffer.isView(arg)) {
    const C = arg.constructor;
    out.push(
      new Lazy({ lazy: C, length: Math.max(0, arg.length - 1) }),
      new Lazy({ lazy: C, length: 0 }),
      new Lazy({ lazy: C, length: arg.length >> 1 }),
    );
    out.push(new Lazy({ lazy: Float64Array, length: arg.length }), new Lazy({ lazy: Int32Array, length: arg.length }));
    out.push(new Lazy({ lazy: Float32Array, length: arg.length }), new Lazy({ lazy: Uint8Array, length: arg.length }));
    if (C === Int32Array) {
      const bad = Int32Array.from(arg);
      if (bad.length) bad[Math.floor(rnd() * bad.length)] = 2 ** 30;
      out.push(new Lazy({ values: bad }));
      const neg = Int32Array.from(arg);
      if (neg.length) neg[0] = -5;
      out.push(new Lazy({ values: neg }));
    }
  }
  return out;
}

// Marks mutations that become guarded typed arrays when a call is built.
class Lazy {
  constructor(spec) {
    Object.assign(this, spec);
  }
}

function materialise(m) {
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
for (const name of exported) {
  if (only && !only.includes(name)) continue;
  const templates = cases[name](guard);
  checkGuards(`${name} (setup)`);
  for (const template of templates) {
    // The valid call must succeed and stay inside its buffers.
    const args = copyArg(template, guard);
    try {
      addon[name](...args);
      valid++;
    } catch (e) {
      console.error(`FUZZ-VALID-THREW ${name}: ${e && e.message}`);
      process.exit(4);
    }
    checkGuards(`${name} (valid call)`);
    for (let i = 0; i < template.length; i++) {
      for (const m of mutations(template[i])) {
        const mutated = copyArg(template, guard);
        mutated[i] = materialise(m);
        const label = `${name} arg ${i} = ${describe(mutated[i])}`;
        process.stdout.write(`TRY ${label}\n`);
        calls++;
        try {
          addon[name](...mutated);
        } catch (e) {
          if (!(e instanceof TypeError) && !(e instanceof RangeError)) {
            console.error(`FUZZ-BAD-ERROR ${label}: ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
            process.exit(5);
          }
        }
        checkGuards(label);
      }
    }
  }
}
console.log(`FUZZ-OK ${exported.length} exports, ${valid} valid calls, ${calls} mutated calls`);

function describe(v) {
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.length})`;
  if (Array.isArray(v)) return `[${v.slice(0, 6).join(',')}${v.length > 6 ? ',…' : ''}]`;
  if (typeof v === 'string') return `'${v}'`;
  if (v && typeof v === 'object') return '{}';
  return String(v);
}

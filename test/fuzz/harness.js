// Runs in a child process (test/fuzz.test.ts) so that a crash shows up as a failed test, not a dead
// test runner. For every native export it takes valid calls from cases.js, then mutates one
// argument at a time (wrong type, NaN, negative, fractional, huge, short arrays, wrong array
// types, changed shapes, out-of-range ids, aliasing, detaching getters) and expects either a
// TypeError/RangeError or a normal return. Every typed array handed to the addon is a view with
// guard zones on both sides; a write outside the view changes a guard and fails the run, so
// out-of-bounds writes are caught even when they do not crash. A call that returns normally is run
// a second time with different guard bytes: outputs that change read memory outside their arrays.
'use strict';
const path = require('path');

const root = path.join(__dirname, '..', '..');
// FUZZ_DEVICE=emulated fuzzes the device exports instead (the `cuda` object of the emulated addon,
// test/cuda-emu/build.js): the same cases and mutations, with every Float32Array/Int32Array argument
// copied to a device buffer for the call and back after it. An access outside a device buffer faults
// in the emulator (guard pages) and comes back as a plain Error, which fails the run like a crash.
const DEVICE = process.env.FUZZ_DEVICE === 'emulated';
// The CPU addon's exports about the machine, absent on the device object; and the device object's
// own memory and stream exports, which take device buffers by design (test/cuda-device.test.ts).
const HOST_ONLY = new Set(['backendInfo', 'setNumThreads', 'getNumThreads', 'setSimdLevel']);
const DEVICE_MEMORY = new Set([
  'alloc',
  'fromHost',
  'toHost',
  'toHostAsync',
  'copy',
  'fill',
  'accumulate',
  'release',
  'memoryStats',
  'emptyCache',
  'resetPeakStats',
  'sizeClass',
  'synchronize',
  'deviceInfo',
  'createStream',
  'setStream',
  'streamSynchronize',
  'gemmImpl',
]);

// Arguments that the device exports, like the CPU ones, take as host typed arrays: values the
// argument checks read (sequence lengths, Dirichlet concentrations), copied to the device per call.
const DEVICE_HOST_ARGS = {
  rnnForward: [22],
  rnnBackward: [26],
  dirichletSample: [1],
  spmm: [1, 2, 3],
  spmmTransposed: [1, 2, 3],
};

function deviceExports() {
  const { cuda } = require(path.join(root, 'build-emulated', 'default', 'cuda_emu.node'));
  const out = {};
  for (const [name, fn] of Object.entries(cuda)) {
    if (typeof fn !== 'function' || DEVICE_MEMORY.has(name)) continue;
    out[name] = (...args) => {
      const host = DEVICE_HOST_ARGS[name] || [];
      const moved = args.map((a, i) =>
        !host.includes(i) &&
        (a instanceof Float32Array || a instanceof Int32Array) &&
        a.buffer.byteLength > 0 &&
        !(a.buffer instanceof SharedArrayBuffer)
          ? cuda.fromHost(a)
          : null,
      );
      try {
        const ret = fn(...args.map((a, i) => moved[i] || a));
        moved.forEach((b, i) => {
          if (b && args[i].buffer.byteLength > 0) cuda.toHost(b, args[i]);
        });
        return ret;
      } finally {
        for (const b of moved) if (b) cuda.release(b);
      }
    };
  }
  return out;
}

const addon = DEVICE ? deviceExports() : require('node-gyp-build')(root);
// cases.js plus any cases-<concern>.js beside it, so each kernel family keeps its own list; each
// file exports `cases` and optionally `large`.
const caseFiles = require('fs')
  .readdirSync(__dirname)
  .filter((f) => /^cases(-[\w-]+)?\.js$/.test(f))
  .sort()
  .map((f) => require(path.join(__dirname, f)));
const cases = Object.assign({}, ...caseFiles.map((m) => m.cases));
const large = Object.assign({}, ...caseFiles.map((m) => m.large || {}));

const GUARD = 64;
// No call here needs more than a few milliseconds; one that takes seconds loops over (or allocates
// for) a size that no array backs.
const SLOW_MS = Number(process.env.FUZZ_SLOW_MS || 3000);
const SENTINELS = [0x5a, 0xa5];
let sentinel = SENTINELS[0];
const guarded = [];

// Allocates a typed array inside a larger buffer with sentinel-filled guard zones.
function guard(Ctor, length) {
  const bytes = Ctor.BYTES_PER_ELEMENT;
  const buf = new ArrayBuffer((length + 2 * GUARD) * bytes);
  new Uint8Array(buf).fill(sentinel);
  const view = new Ctor(buf, GUARD * bytes, length);
  view.fill(0);
  guarded.push({ buf, sentinel, start: GUARD * bytes, end: (GUARD + length) * bytes });
  return view;
}

// Checks and forgets the guards allocated since the last call.
function checkGuards(label) {
  for (const g of guarded) {
    if (g.buf.byteLength === 0) continue; // detached by a detaching shape; checked through its copy
    const u8 = new Uint8Array(g.buf);
    for (let i = 0; i < g.start; i++)
      if (u8[i] !== g.sentinel) throw new Error(`${label}: write before a buffer (byte ${i - g.start})`);
    for (let i = g.end; i < u8.length; i++)
      if (u8[i] !== g.sentinel) throw new Error(`${label}: write past a buffer (byte ${i - g.end})`);
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
    out.push(2 ** 31 - 2); // the largest row/column count the sparse bindings accept
    out.push(arg + 1e-9 * Math.max(1, Math.abs(arg)));
  }
  if (typeof arg === 'boolean') out.push(!arg, 0, 1);
  if (Array.isArray(arg)) {
    out.push(...shapeMutations(arg));
    out.push(new Make((args) => detachingShape(arg, args), `${describe(arg)} whose [0] getter detaches the arrays`));
  }
  if (ArrayBuffer.isView(arg)) {
    const C = arg.constructor;
    const sized = (Ctor, length) => new Make(() => guard(Ctor, length));
    out.push(sized(C, Math.max(0, arg.length - 1)), sized(C, arg.length + 1), sized(C, 0));
    out.push(sized(C, arg.length >> 1), sized(C, arg.length * 2 + 1));
    out.push(sized(Float64Array, arg.length), sized(Int32Array, arg.length), sized(Float32Array, arg.length));
    out.push(sized(Uint8Array, arg.length), sized(Uint32Array, arg.length), sized(Int16Array, arg.length * 2));
    out.push(new DataView(new ArrayBuffer(arg.length * 4)), Array.from(arg));
    // The same element type over other kinds of memory: shared, resizable (length-tracking), detached.
    const bytes = arg.length * C.BYTES_PER_ELEMENT;
    const over = (buffer) => {
      const v = new C(buffer);
      v.set(arg);
      return v;
    };
    out.push(new Make(() => over(new SharedArrayBuffer(bytes))));
    out.push(new Make(() => over(new ArrayBuffer(bytes, { maxByteLength: bytes + 4096 }))));
    out.push(
      new Make(() => {
        const gone = new C(arg.length);
        structuredClone(gone.buffer, { transfer: [gone.buffer] });
        return gone;
      }),
    );
    if (C === Int32Array && arg.length) {
      // Ids just past the largest valid one, at the extremes, and negative, at a random position.
      const max = arg.reduce((m, x) => Math.max(m, x), -Infinity);
      const at = (v, k = Math.floor(rnd() * arg.length)) => {
        const bad = Int32Array.from(arg);
        bad[k] = v;
        return values(bad);
      };
      out.push(at(2 ** 30), at(-5, 0), at(-1), at(max + 1), at(max + 1, arg.length - 1), at(2 ** 31 - 1));
      out.push(at(-(2 ** 31)), at(arg[arg.length - 1] + 1, arg.length - 1), at(arg[0] + 1, 0));
      if (arg.length > 1) {
        const swapped = Int32Array.from(arg);
        const k = Math.floor(rnd() * (arg.length - 1));
        [swapped[k], swapped[k + 1]] = [swapped[k + 1], swapped[k]];
        out.push(values(swapped));
      }
    }
  }
  return out;
}

// Mutations of several arguments at once: numbers swapped (same product of sizes, different shape),
// sizes zeroed while another becomes huge, and one typed array replaced by another argument (the
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
  // Every size zero but one, which is huge: nothing to read or write, yet a kernel that loops over
  // the huge size would hang.
  for (const huge of [MAX_DIM, 2 ** 31 - 2])
    for (const i of nums) {
      const pm = {};
      for (const j of nums) pm[j] = i === j ? huge : 0;
      out.push(pm);
    }
  for (const i of views)
    for (const j of views) {
      if (i === j || template[i].constructor !== template[j].constructor) continue;
      out.push({ [i]: new Make((args) => viewOf(args[j], 0), `view of arg ${j}`) });
      if (template[j].length > 1) out.push({ [i]: new Make((args) => viewOf(args[j], 1), `view of arg ${j} at +1`) });
    }
  return out;
}

// A mutation built afresh for each run of a call (guarded arrays, views of other arguments, arrays
// over special memory); `desc` labels it without building it.
class Make {
  constructor(make, desc) {
    this.make = make;
    this.desc = desc;
  }
}

// A guarded Int32Array holding `v`.
function values(v) {
  return new Make(() => {
    const a = guard(Int32Array, v.length);
    a.set(v);
    return a;
  });
}

// A typed array sharing memory with `src`, starting `offset` elements in.
function viewOf(src, offset) {
  const C = src.constructor;
  return new C(src.buffer, src.byteOffset + offset * C.BYTES_PER_ELEMENT, src.length - offset);
}

// A shape array whose first element is a getter that detaches (transfers) the buffers of every typed
// array argument of the call, as JS code run during argument parsing could. A binding that took a
// pointer before reading the shape would then write into memory its arrays no longer own: the
// transferred copies are compared with snapshots after the call.
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

function materialise(m, args) {
  return m instanceof Make ? m.make(args) : m;
}

let calls = 0;
let valid = 0;
const exported = Object.keys(addon).filter((k) => typeof addon[k] === 'function' && !(DEVICE && HOST_ONLY.has(k)));
const missing = exported.filter((k) => !cases[k]);
if (missing.length) {
  console.error(`FUZZ-MISSING ${missing.join(',')}`);
  process.exit(3);
}
const only = process.env.FUZZ_ONLY ? process.env.FUZZ_ONLY.split(',') : null;
// Every SIMD level this CPU runs (the kernels dispatch at run time), and the thread count the run
// started with; setSimdLevel and setNumThreads are themselves fuzzed, so both are restored after
// every export.
const threads = DEVICE ? 0 : addon.getNumThreads();
const levels = DEVICE
  ? ['device']
  : [...new Set([addon.backendInfo().simdSupported, 'avx2', 'sse2', 'scalar'])].filter(
      (l) => addon.setSimdLevel(l) === l,
    );
if (process.env.FUZZ_SIMD && !DEVICE) levels.splice(0, levels.length, ...process.env.FUZZ_SIMD.split(','));
for (const level of levels) {
  for (const name of exported) {
    if (only && !only.includes(name)) continue;
    if (!DEVICE) {
      addon.setSimdLevel(level);
      addon.setNumThreads(threads);
    }
    fuzzExport(name, level);
  }
}
if (!DEVICE) addon.setSimdLevel(levels[0]);

// Runs build() => args twice, with different guard bytes. The first run must throw a
// TypeError/RangeError or return; `mustReturn` (valid calls) requires a return. A call that returns
// must return again, and give the same result and array contents, when the guard bytes differ.
function run(name, build, label, mustReturn) {
  process.stdout.write(`TRY ${label}\n`);
  const results = [];
  for (const s of SENTINELS) {
    sentinel = s;
    const args = build();
    let ret;
    const t0 = process.hrtime.bigint();
    try {
      ret = addon[name](...args);
    } catch (e) {
      if (mustReturn || results.length) {
        console.error(`FUZZ-VALID-THREW ${label}: ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
        process.exit(4);
      }
      // The message must say what was wrong: at least a word naming an argument.
      if ((!(e instanceof TypeError) && !(e instanceof RangeError)) || !/[A-Za-z]{2,}/.test(e.message)) {
        console.error(`FUZZ-BAD-ERROR ${label}: ${e && e.constructor && e.constructor.name}: ${e && e.message}`);
        process.exit(5);
      }
      check(label);
      return;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms > SLOW_MS) {
      console.error(
        `FUZZ-SLOW ${label}: returned after ${ms.toFixed(0)} ms (work or memory not bounded by the arrays?)`,
      );
      process.exit(8);
    }
    results.push({
      ret: JSON.stringify(ret === undefined ? null : ret),
      nan: Number.isNaN(ret),
      contents: (check(label), viewBytes(args)),
    });
  }
  const [r0, r1] = results;
  const same =
    r0.ret === r1.ret &&
    r0.nan === r1.nan &&
    r0.contents.length === r1.contents.length &&
    r0.contents.every((c, k) => c.length === r1.contents[k].length && c.every((x, i) => x === r1.contents[k][i]));
  if (!same) {
    console.error(`FUZZ-OOB-READ ${label}: the result depends on the bytes around the arrays (an out-of-bounds read)`);
    process.exit(7);
  }
  valid++;
}

// The bytes of every typed-array argument after a call.
function viewBytes(args) {
  return args
    .filter((a) => ArrayBuffer.isView(a))
    .map((v) => (v.buffer.byteLength ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(0)));
}

function check(label) {
  try {
    checkGuards(label);
    checkDetached(label);
  } catch (e) {
    console.error(`FUZZ-OOB ${e.message}`);
    process.exit(6);
  }
}

function fuzzExport(name, level) {
  // The large calls test threading and SIMD tails of the CPU kernels; under the emulator they would
  // only be slow.
  if (large[name] && !DEVICE) {
    // Built once per guard byte (building one call means building them all); every call then checks
    // the guards of the whole list.
    const built = SENTINELS.map((s) => {
      sentinel = s;
      const list = large[name](guard);
      return { list, regs: guarded.splice(0) };
    });
    built[0].list.forEach((_, t) => {
      const build = () => {
        const b = built[SENTINELS.indexOf(sentinel)];
        guarded.push(...b.regs);
        return b.list[t];
      };
      run(name, build, `${name} [${level}] large call ${t}`, true);
    });
  }
  const templates = cases[name](guard);
  check(`${name} (setup)`);
  for (const template of templates) {
    run(name, () => copyArg(template, guard), `${name} [${level}] valid call ${describe(template)}`, true);
    for (let i = 0; i < template.length; i++) {
      for (const m of mutations(template[i])) {
        const build = () => {
          const args = copyArg(template, guard);
          args[i] = materialise(m, args);
          return args;
        };
        calls++;
        run(name, build, `${name} [${level}] arg ${i} = ${describeMutation(m)}`, false);
      }
    }
    for (const pm of pairMutations(template)) {
      const build = () => {
        const args = copyArg(template, guard);
        for (const [k, m] of Object.entries(pm)) args[k] = materialise(m, args);
        return args;
      };
      const what = Object.entries(pm).map(([k, m]) => `arg ${k} = ${describeMutation(m)}`);
      calls++;
      run(name, build, `${name} [${level}] ${what.join(', ')}`, false);
    }
  }
}

function describeMutation(m) {
  if (!(m instanceof Make)) return describe(m);
  if (m.desc) return m.desc;
  // Built only to be described: its guards are dropped unchecked.
  const v = m.make([]);
  guarded.length = 0;
  return `${v.buffer instanceof SharedArrayBuffer ? 'shared ' : v.buffer.resizable ? 'resizable ' : v.buffer.byteLength ? '' : 'detached '}${describe(v)}`;
}

console.log(
  `FUZZ-OK ${exported.length} exports, SIMD ${levels.join('/')}, ${calls} mutated calls, ${valid} calls returned (each run twice)`,
);

function describe(v) {
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.length})`;
  if (Array.isArray(v)) return `[${v.slice(0, 6).join(',')}${v.length > 6 ? ',…' : ''}]`;
  if (typeof v === 'string') return `'${v}'`;
  if (v && typeof v === 'object') return '{}';
  return String(v);
}

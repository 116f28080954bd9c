// Malformed input to the public TypeScript API: every call must throw a TypeError or RangeError
// whose message names the offending argument, before (or instead of) reaching native code. The
// native-level counterpart is test/fuzz.test.ts.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tk from '../lib';

// Compared by name: errors thrown by the native addon come from the main realm, not jest's sandbox,
// so instanceof would fail for them.
type ErrorName = 'TypeError' | 'RangeError';
const TypeError_: ErrorName = 'TypeError';
const RangeError_: ErrorName = 'RangeError';
// A malformed file is not a malformed argument: lib/io/safetensors.ts throws a plain Error
// ('invalid safetensors data: ...', prefixed with the path) for bad contents; a RangeError would
// do as well.
const FileError: readonly string[] = ['Error', 'RangeError'];

interface Case {
  what: string;
  call: () => unknown;
  error: ErrorName | readonly string[];
  names: RegExp; // the argument the message must name
}

const x23 = () =>
  tk.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
const logits = () => tk.randn([4, 5], { seed: 1 });
const table = () => tk.randn([6, 3], { seed: 2 });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-fuzz-ts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function file(name: string, bytes: Uint8Array): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, bytes);
  return p;
}
// A safetensors header: 8-byte little-endian length, then JSON.
function safetensors(header: unknown, data: Uint8Array = new Uint8Array(0), lengthOverride?: number): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthOverride ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const cases: Case[] = [
  // creation
  { what: 'tensor from a string', call: () => tk.tensor('abc' as never), error: TypeError_, names: /^values must/ },
  {
    what: 'tensor with a ragged nested array',
    call: () => tk.tensor([[1, 2], [3]]),
    error: RangeError_,
    names: /values\[1\]/,
  },
  {
    what: 'tensor with a non-number element',
    call: () => tk.tensor([1, 'a' as never]),
    error: TypeError_,
    names: /values\[1\]/,
  },
  {
    what: 'tensor with data/shape mismatch',
    call: () => new tk.Tensor(new Float32Array(5), [2, 3]),
    error: RangeError_,
    names: /data .*shape \[2, 3\]/,
  },
  { what: 'zeros with a negative size', call: () => tk.zeros([2, -1]), error: RangeError_, names: /shape\[1\]/ },
  { what: 'zeros with a fractional size', call: () => tk.zeros([2.5]), error: RangeError_, names: /shape\[0\]/ },
  { what: 'randint with high <= low', call: () => tk.randint(5, 5, [3]), error: RangeError_, names: /low < high/ },
  { what: 'arange with step 0', call: () => tk.arange(0, 5, 0), error: RangeError_, names: /step/ },

  // elementwise / matmul
  {
    what: 'add with incompatible shapes',
    call: () => tk.add(x23(), tk.ones([4])),
    error: RangeError_,
    names: /input of shape \[2, 3\] and other of shape \[4\]/,
  },
  { what: 'add with a string', call: () => tk.add(x23(), 'a' as never), error: TypeError_, names: /other/ },
  {
    what: 'add with a NaN alpha',
    call: () => tk.add(x23(), x23(), { alpha: 'x' as never }),
    error: TypeError_,
    names: /alpha/,
  },
  {
    what: 'where with a mask of the wrong shape',
    call: () => tk.where([true, false] as never, x23(), 0),
    error: RangeError_,
    names: /condition of shape \[2\]/,
  },
  {
    what: 'matmul with mismatched inner dims',
    call: () => tk.matmul(x23(), tk.ones([2, 4])),
    error: RangeError_,
    names: /a \[2, 3\] and b \[2, 4\]/,
  },
  { what: 'matmul with a scalar', call: () => tk.matmul(tk.tensor(1), x23()), error: RangeError_, names: /\ba \[\]/ },
  {
    what: 'matmul with a non-tensor',
    call: () => tk.matmul(x23(), [1, 2, 3] as never),
    error: TypeError_,
    names: /^b must be a Tensor/,
  },
  {
    what: 'matmul on int32 tensors',
    call: () => tk.matmul(tk.tensor([[1]], { dtype: 'int32' }), tk.ones([1, 1])),
    error: TypeError_,
    names: /^a must be a float32 tensor/,
  },
  {
    what: 'linear with a wrong weight shape',
    call: () => tk.linear(x23(), tk.ones([4, 2])),
    error: RangeError_,
    names: /weight \[4, 2\]/,
  },
  {
    what: 'clamp with a string bound',
    call: () => tk.clamp(x23(), { min: 'a' as never }),
    error: TypeError_,
    names: /min/,
  },

  // reductions and shapes
  { what: 'sum over an out-of-range dim', call: () => tk.sum(x23(), 2), error: RangeError_, names: /dim/ },
  { what: 'sum over a fractional dim', call: () => tk.sum(x23(), 0.5), error: TypeError_, names: /dim/ },
  { what: 'max over an empty dim', call: () => tk.max(tk.zeros([2, 0]), 1), error: RangeError_, names: /dimension 1/ },
  { what: 'reshape to a different numel', call: () => tk.reshape(x23(), [4, 2]), error: RangeError_, names: /shape/ },
  {
    what: 'permute with a repeated dim',
    call: () => tk.permute(x23(), [0, 0]),
    error: RangeError_,
    names: /dims \[0, 0\]/,
  },
  {
    what: 'concat with mismatched shapes',
    call: () => tk.concat([x23(), tk.ones([2, 2, 1])], 0),
    error: RangeError_,
    names: /tensors\[1\]/,
  },
  { what: 'slice with a bad dim', call: () => tk.slice(x23(), 5, 0, 1), error: RangeError_, names: /dim/ },

  // nn ops
  { what: 'softmax with an out-of-range dim', call: () => tk.softmax(x23(), 2), error: RangeError_, names: /dim/ },
  { what: 'softmax without a dim', call: () => tk.softmax(x23(), undefined as never), error: TypeError_, names: /dim/ },
  { what: 'logSoftmax with dim NaN', call: () => tk.logSoftmax(x23(), NaN), error: TypeError_, names: /dim/ },
  {
    what: 'layerNorm with a wrong normalizedShape',
    call: () => tk.layerNorm(x23(), [2]),
    error: RangeError_,
    names: /normalizedShape/,
  },
  {
    what: 'layerNorm with a wrong weight shape',
    call: () => tk.layerNorm(x23(), [3], tk.ones([2])),
    error: RangeError_,
    names: /weight/,
  },
  {
    what: 'layerNorm with a negative eps',
    call: () => tk.layerNorm(x23(), 3, null, null, -1),
    error: RangeError_,
    names: /epsilon|eps/,
  },
  {
    what: 'embedding with an id past the table',
    call: () => tk.embedding([0, 6], table()),
    error: RangeError_,
    names: /ids/,
  },
  {
    what: 'embedding with a negative id',
    call: () => tk.embedding(new Int32Array([-1]), table()),
    error: RangeError_,
    names: /ids/,
  },
  { what: 'embedding with fractional ids', call: () => tk.embedding([0.5], table()), error: TypeError_, names: /ids/ },
  {
    what: 'embedding with a float tensor of ids',
    call: () => tk.embedding(tk.tensor([1, 2]), table()),
    error: TypeError_,
    names: /ids/,
  },
  {
    what: 'embedding with a 1-D weight',
    call: () => tk.embedding([0], tk.ones([6])),
    error: RangeError_,
    names: /weight/,
  },
  {
    what: 'embedding with paddingIdx out of range',
    call: () => tk.embedding([0], table(), { paddingIdx: 6 }),
    error: RangeError_,
    names: /paddingIdx/,
  },
  {
    what: 'indexSelect with an index past the dim',
    call: () => tk.indexSelect(x23(), 1, [3]),
    error: RangeError_,
    names: /index/,
  },
  {
    what: 'gather with an index past the dim',
    call: () =>
      tk.gather(x23(), 1, [
        [0, 3],
        [1, 1],
      ]),
    error: RangeError_,
    names: /index/,
  },
  { what: 'dropout with p > 1', call: () => tk.dropout(x23(), 1.5), error: RangeError_, names: /\bp\b/ },

  // losses
  {
    what: 'crossEntropy with a target past C',
    call: () => tk.crossEntropy(logits(), [0, 1, 2, 5]),
    error: RangeError_,
    names: /target/,
  },
  {
    what: 'crossEntropy with a negative target',
    call: () => tk.crossEntropy(logits(), [0, 1, -2, 3]),
    error: RangeError_,
    names: /target/,
  },
  {
    what: 'crossEntropy with a short target',
    call: () => tk.crossEntropy(logits(), [0, 1]),
    error: RangeError_,
    names: /target/,
  },
  {
    what: 'crossEntropy with a bad reduction',
    call: () => tk.crossEntropy(logits(), [0, 1, 2, 3], { reduction: 'avg' as never }),
    error: RangeError_,
    names: /reduction/,
  },
  {
    what: 'crossEntropy with labelSmoothing > 1',
    call: () => tk.crossEntropy(logits(), [0, 1, 2, 3], { labelSmoothing: 2 }),
    error: RangeError_,
    names: /labelSmoothing/,
  },
  {
    what: 'crossEntropy with a wrong weight length',
    call: () => tk.crossEntropy(logits(), [0, 1, 2, 3], { weight: tk.ones([4]) }),
    error: RangeError_,
    names: /weight/,
  },
  {
    what: 'crossEntropy with probabilities of the wrong shape',
    call: () => tk.crossEntropy(logits(), tk.ones([4, 4])),
    error: RangeError_,
    names: /target/,
  },
  {
    what: 'nllLoss with a target past C',
    call: () => tk.nllLoss(logits(), [0, 1, 2, 9]),
    error: RangeError_,
    names: /target/,
  },
  {
    what: 'binaryCrossEntropyWithLogits with a shape mismatch',
    call: () => tk.binaryCrossEntropyWithLogits(x23(), tk.ones([3, 2])),
    error: RangeError_,
    names: /^target has shape/,
  },
  {
    what: 'mseLoss with a non-tensor target',
    call: () => tk.mseLoss(x23(), [1, 2] as never),
    error: TypeError_,
    names: /target/,
  },

  // optim
  {
    what: 'SGD with a negative lr',
    call: () => new tk.optim.SGD([tk.ones([2], { requiresGrad: true })], { lr: -1 }),
    error: RangeError_,
    names: /learning rate/,
  },
  {
    what: 'SGD with a NaN lr',
    call: () => new tk.optim.SGD([tk.ones([2], { requiresGrad: true })], { lr: NaN }),
    error: TypeError_,
    names: /learning rate/,
  },
  {
    what: 'SGD with a string lr',
    call: () => new tk.optim.SGD([tk.ones([2], { requiresGrad: true })], { lr: '0.1' as never }),
    error: TypeError_,
    names: /learning rate/,
  },
  {
    what: 'SGD with a non-tensor parameter',
    call: () => new tk.optim.SGD([[1, 2]] as never),
    error: TypeError_,
    names: /params/,
  },
  {
    what: 'Adam with beta1 = 1',
    call: () => new tk.optim.Adam([tk.ones([2], { requiresGrad: true })], { betas: [1, 0.999] }),
    error: RangeError_,
    names: /beta/,
  },
  {
    what: 'Adam with a negative eps',
    call: () => new tk.optim.Adam([tk.ones([2], { requiresGrad: true })], { eps: -1e-8 }),
    error: RangeError_,
    names: /epsilon|eps/,
  },
  {
    what: 'AdamW with a negative weightDecay',
    call: () => new tk.optim.AdamW([tk.ones([2], { requiresGrad: true })], { weightDecay: -0.1 }),
    error: RangeError_,
    names: /weight_?[dD]ecay/,
  },

  // nn modules, schedulers
  {
    what: 'nn.Linear with fractional inFeatures',
    call: () => new tk.nn.Linear(2.5, 3),
    error: TypeError_,
    names: /^inFeatures/,
  },
  {
    what: 'nn.Linear with negative outFeatures',
    call: () => new tk.nn.Linear(2, -3),
    error: RangeError_,
    names: /^outFeatures/,
  },
  {
    what: 'nn.Embedding with paddingIdx past the table',
    call: () => new tk.nn.Embedding(5, 3, { paddingIdx: 5 }),
    error: RangeError_,
    names: /^paddingIdx/,
  },
  { what: 'nn.Dropout with p = 2', call: () => new tk.nn.Dropout(2), error: RangeError_, names: /^p must/ },
  {
    what: 'nn.Linear forward with the wrong in_features',
    call: () => new tk.nn.Linear(2, 3).forward(tk.zeros([4, 5])),
    error: RangeError_,
    names: /x \[4, 5\]/,
  },
  {
    what: 'nn.EmbeddingBag forward with a plain array',
    call: () => new tk.nn.EmbeddingBag(5, 3).forward([0, 1, 2] as never),
    error: TypeError_,
    names: /^bags/,
  },
  {
    what: 'ExponentialLR with a string gamma',
    call: () => new tk.optim.ExponentialLR(new tk.optim.SGD([tk.ones([2], { requiresGrad: true })]), 'x' as never),
    error: TypeError_,
    names: /^gamma/,
  },
  {
    what: 'optimizer step with a gradient of the wrong shape',
    call: () => {
      const q = tk.ones([2, 3], { requiresGrad: true });
      const o = new tk.optim.Adam([q]);
      q.grad = tk.zeros([3]);
      o.step();
    },
    error: RangeError_,
    names: /gradient of shape \[3\]/,
  },
  {
    what: 'optimizer loadStateDict without groups',
    call: () => new tk.optim.SGD([tk.ones([2], { requiresGrad: true })]).loadStateDict({} as never),
    error: RangeError_,
    names: /parameter groups/,
  },

  // io
  {
    what: 'loadSafetensors on random bytes',
    call: () =>
      tk.io.loadSafetensors(
        file(
          'garbage.safetensors',
          Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 255),
        ),
      ),
    error: FileError,
    names: /garbage\.safetensors: invalid safetensors data: header length/,
  },
  {
    what: 'loadSafetensors on a 3-byte file',
    call: () => tk.io.loadSafetensors(file('short.safetensors', new Uint8Array([1, 2, 3]))),
    error: FileError,
    names: /short\.safetensors: invalid safetensors data: .*too short/,
  },
  {
    what: 'loadSafetensors with a header length past the end',
    call: () => tk.io.loadSafetensors(file('long.safetensors', safetensors({}, new Uint8Array(0), 1e6))),
    error: FileError,
    names: /long\.safetensors: invalid safetensors data: header length 1000000 runs past/,
  },
  {
    what: 'loadSafetensors with non-JSON header',
    call: () =>
      tk.io.loadSafetensors(
        file(
          'nonjson.safetensors',
          (() => {
            const b = safetensors({});
            b.fill(0x7b, 8);
            return b;
          })(),
        ),
      ),
    error: FileError,
    names: /nonjson\.safetensors: .*not valid JSON/,
  },
  {
    what: 'loadSafetensors with offsets past the data',
    call: () =>
      tk.io.loadSafetensors(
        file(
          'offsets.safetensors',
          safetensors({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)),
        ),
      ),
    error: FileError,
    names: /offsets\.safetensors: .*tensor 'w' has data_offsets/,
  },
  {
    what: 'loadSafetensors with shape/offsets disagreeing',
    call: () =>
      tk.io.loadSafetensors(
        file(
          'shape.safetensors',
          safetensors({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
        ),
      ),
    error: FileError,
    names: /shape\.safetensors: .*tensor 'w' .*shape \[3\]/,
  },
  {
    what: 'loadSafetensors with an unknown dtype',
    call: () =>
      tk.io.loadSafetensors(
        file(
          'dtype.safetensors',
          safetensors({ w: { dtype: 'Q7', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)),
        ),
      ),
    error: TypeError_,
    names: /dtype Q7/,
  },
  {
    what: 'loadSafetensors with an empty path',
    call: () => tk.io.loadSafetensors(''),
    error: TypeError_,
    names: /path/,
  },

  {
    what: 'parseSafetensors on a string',
    call: () => tk.io.parseSafetensors('abc' as never),
    error: TypeError_,
    names: /^buffer/,
  },
  {
    what: 'serializeSafetensors with a non-tensor',
    call: () => tk.io.serializeSafetensors({ a: 'x' as never }),
    error: TypeError_,
    names: /record\['a'\]/,
  },

  // sparse
  {
    what: 'CsrMatrix with indptr of the wrong length',
    call: () => new tk.sparse.CsrMatrix(2, 3, [0, 1], [0], [1]),
    error: RangeError_,
    names: /indptr/,
  },
  {
    what: 'CsrMatrix with decreasing indptr',
    call: () => new tk.sparse.CsrMatrix(2, 3, [0, 2, 1], [0], [1]),
    error: RangeError_,
    names: /indptr/,
  },
  {
    what: 'CsrMatrix with indptr not starting at 0',
    call: () => new tk.sparse.CsrMatrix(1, 3, [1, 1], [], []),
    error: RangeError_,
    names: /indptr/,
  },
  {
    what: 'CsrMatrix with a column past cols',
    call: () => new tk.sparse.CsrMatrix(1, 3, [0, 1], [3], [1]),
    error: RangeError_,
    names: /indices/,
  },
  {
    what: 'CsrMatrix with values/indices of different lengths',
    call: () => new tk.sparse.CsrMatrix(1, 3, [0, 1], [0], [1, 2]),
    error: RangeError_,
    names: /indices .* values/,
  },
  {
    what: 'CsrMatrix with fractional rows',
    call: () => new tk.sparse.CsrMatrix(1.5, 3, [0, 0], [], []),
    error: TypeError_,
    names: /rows/,
  },
  {
    what: 'CsrMatrix with float indices',
    call: () => new tk.sparse.CsrMatrix(1, 3, [0, 1], [0.5], [1]),
    error: TypeError_,
    names: /indices/,
  },
  {
    what: 'spmm with a dense of the wrong rows',
    call: () => tk.sparse.spmm(new tk.sparse.CsrMatrix(1, 3, [0, 1], [0], [1]), tk.ones([2, 4])),
    error: RangeError_,
    names: /dense/,
  },
];

// Options objects: null or a non-object is refused by name, in constructors as in functions.
const nullOptionCases: Case[] = [
  ['nn.Linear', () => new tk.nn.Linear(2, 3, null as never)],
  ['nn.Embedding', () => new tk.nn.Embedding(4, 3, 7 as never)],
  ['nn.LayerNorm', () => new tk.nn.LayerNorm(3, null as never)],
  ['nn.LSTM', () => new tk.nn.LSTM(null as never)],
  ['nn.TransformerEncoderLayer', () => new tk.nn.TransformerEncoderLayer(null as never)],
  ['optim.Adam', () => new tk.optim.Adam([tk.zeros([2], { requiresGrad: true })], null as never)],
  ['optim.SGD', () => new tk.optim.SGD([tk.zeros([2], { requiresGrad: true })], [1] as never)],
  ['zeros', () => tk.zeros([2], null as never)],
  ['tensor', () => tk.tensor([1, 2], null as never)],
  ['crossEntropy', () => tk.crossEntropy(tk.zeros([2, 3]), [0, 1], null as never)],
  ['text.tokenize', () => tk.text.tokenize('a b', null as never)],
  ['embeddings.Word2Vec', () => new tk.embeddings.Word2Vec(null as never)],
].map(([what, call]) => ({
  what: `${what as string} with a bad options object`,
  call: call as () => unknown,
  error: TypeError_,
  names: /\b(opts|options)\b.*must be/,
}));
cases.push(...nullOptionCases);

describe('public API rejects malformed input with a TypeError/RangeError naming the argument', () => {
  it.each(cases.map((c) => [c.what, c] as const))('%s', (_what, c) => {
    let thrown: unknown = null;
    try {
      c.call();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).not.toBeNull();
    const name = (thrown as Error).name;
    if (typeof c.error === 'string') expect(name).toBe(c.error);
    else expect(c.error).toContain(name);
    if (process.env.FUZZ_TS_SHOW) console.log(`${c.what}: ${name}: ${(thrown as Error).message}`);
    expect((thrown as Error).message).toMatch(c.names);
  });
});

// Every top-level function, given garbage at its first, second or third argument (after valid
// tensors), must return or throw a TypeError/RangeError of its own: never another error class, and
// never the engine's message for an unguarded property access (a null options object, say).
const ENGINE_MESSAGE =
  /Cannot read propert|Cannot destructure|is not a function|is not iterable|Cannot convert|undefined is not|null is not/;
describe('public functions given garbage throw only TypeError/RangeError', () => {
  const garbage: unknown[] = ['x', {}, NaN, -1, 1.5, [NaN], 2 ** 53, [[1], [2, 3]], null, true, new Float64Array(2)];
  const tensors = () => [
    tk.tensor([1, 2], { dtype: 'int32' }),
    tk.zeros([0]),
    tk.zeros([2, 0, 3]),
    tk.randn([2, 3], { seed: 3 }),
  ];
  // Functions that change global state or are not ops.
  const skip = new Set(['setNumThreads', 'setSimdLevel', 'manualSeed', 'noGrad', 'enableGrad']);
  const fns = Object.entries(tk).filter(
    ([name, f]) => typeof f === 'function' && !skip.has(name) && !/^[A-Z]/.test(name),
  ) as [string, (...a: unknown[]) => unknown][];

  it('covers the ops', () => {
    expect(fns.length).toBeGreaterThan(80);
  });
  it.each(fns)('%s', (name, f) => {
    const bad: string[] = [];
    for (let pos = 0; pos < 3; pos++) {
      for (const g of [...garbage, ...tensors()]) {
        const args: unknown[] = [tk.randn([2, 3], { seed: 1 }), tk.randn([2, 3], { seed: 2 }), 1].slice(0, pos);
        args.push(g);
        try {
          f(...args);
        } catch (e) {
          const n = (e as Error)?.name;
          const msg = (e as Error)?.message ?? '';
          if ((n !== 'TypeError' && n !== 'RangeError') || ENGINE_MESSAGE.test(msg))
            bad.push(`${name} arg ${pos} = ${String(g)}: ${n}: ${msg}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });
});

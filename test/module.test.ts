// Module, Sequential, ModuleList, ModuleDict: registration, PyTorch naming, state dicts.
import { loadSafetensors, saveSafetensors } from '../lib/io';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Module, ModuleDict, ModuleList, Parameter, Sequential } from '../lib/nn';
import { fromOp, Tensor } from '../lib/tensor';

const f32 = (shape: number[], fill = 0): Tensor =>
  new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), shape);

/** A toy layer written the way the integrator's layers will be. */
class Affine extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly n: number,
    bias = true,
  ) {
    super();
    this.weight = this.registerParameter('weight', f32([n], 1));
    this.bias = this.registerParameter('bias', bias ? f32([n], 0) : null);
  }
  forward(x: Tensor): Tensor {
    const out = new Float32Array(x.size);
    for (let i = 0; i < x.size; i++)
      out[i] = x.data[i] * this.weight.data[i % this.n] + (this.bias ? this.bias.data[i % this.n] : 0);
    return new Tensor(out, x.shape);
  }
  override extraRepr(): string {
    return `n=${this.n}`;
  }
}

class Norm extends Module {
  runningMean: Tensor;
  scratch: Tensor;
  constructor(n: number) {
    super();
    this.runningMean = this.registerBuffer('runningMean', f32([n]));
    this.scratch = this.registerBuffer('scratch', f32([n]), { persistent: false });
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

class Encoder extends Module {
  layers: ModuleList;
  norm: Norm;
  constructor() {
    super();
    this.layers = this.registerModule('layers', new ModuleList([new Affine(2), new Affine(3)]));
    this.norm = this.registerModule('norm', new Norm(3));
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (const l of this.layers) h = (l as Affine).call(h);
    return h;
  }
}

class Model extends Module {
  embed: Affine;
  encoder: Encoder;
  head: Affine;
  constructor() {
    super();
    this.embed = this.registerModule('embed', new Affine(4, false));
    this.encoder = this.registerModule('encoder', new Encoder());
    this.head = this.registerModule('head', new Affine(4));
  }
  forward(x: Tensor): Tensor {
    return this.head.call(this.embed.call(x));
  }
}

describe('naming and traversal (PyTorch names and order)', () => {
  test('namedParameters, namedBuffers, stateDict', () => {
    const m = new Model();
    expect(Array.from(m.namedParameters(), ([n]) => n)).toEqual([
      'embed.weight',
      'encoder.layers.0.weight',
      'encoder.layers.0.bias',
      'encoder.layers.1.weight',
      'encoder.layers.1.bias',
      'head.weight',
      'head.bias',
    ]);
    expect(Array.from(m.namedBuffers(), ([n]) => n)).toEqual(['encoder.norm.runningMean', 'encoder.norm.scratch']);
    expect(Object.keys(m.stateDict())).toEqual([
      'embed.weight',
      'encoder.layers.0.weight',
      'encoder.layers.0.bias',
      'encoder.layers.1.weight',
      'encoder.layers.1.bias',
      'encoder.norm.runningMean',
      'head.weight',
      'head.bias',
    ]);
    expect(Array.from(m.namedModules(), ([n]) => n)).toEqual([
      '',
      'embed',
      'encoder',
      'encoder.layers',
      'encoder.layers.0',
      'encoder.layers.1',
      'encoder.norm',
      'head',
    ]);
    expect(Array.from(m.namedChildren(), ([n]) => n)).toEqual(['embed', 'encoder', 'head']);
    expect(m.children()).toEqual([m.embed, m.encoder, m.head]);
    expect(m.numParameters()).toBe(4 + 2 + 2 + 3 + 3 + 4 + 4);
    expect(m.parameters({ recurse: false })).toEqual([]);
    expect(m.head.parameters().every((p) => p.requiresGrad)).toBe(true);
  });

  test('Sequential names children 0, 1, ... and chains forward', () => {
    const s = new Sequential(new Affine(2), new Norm(2), new Affine(2));
    expect(Array.from(s.namedParameters(), ([n]) => n)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(Object.keys(s.stateDict())).toEqual(['0.weight', '0.bias', '1.runningMean', '2.weight', '2.bias']);
    (s.at(0) as Affine).weight.data.set([2, 3]);
    (s.at(-1) as Affine).bias!.data.set([1, 1]);
    expect(Array.from(s.call(new Tensor(Float32Array.from([1, 1, 2, 2]), [2, 2])).data)).toEqual([3, 4, 5, 7]);
    expect(s.length).toBe(3);
    s.append(new Affine(2));
    expect(s.length).toBe(4);
    expect(Array.from(s)).toHaveLength(4);
    expect(() => s.at(4)).toThrow(RangeError);
    expect(String(s)).toBe('Sequential(\n  (0): Affine(n=2)\n  (1): Norm()\n  (2): Affine(n=2)\n  (3): Affine(n=2)\n)');
  });

  test('shared parameters and modules are listed once, stateDict keeps every name', () => {
    const a = new Affine(2);
    const s = new Sequential(a, a);
    expect(Array.from(s.namedParameters(), ([n]) => n)).toEqual(['0.weight', '0.bias']);
    expect(Object.keys(s.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(s.modules()).toHaveLength(2);
    const tied = new Model();
    tied.head.weight = tied.embed.weight;
    expect(tied.parameters().filter((p) => p === tied.embed.weight)).toHaveLength(1);
    expect(tied.numParameters()).toBe(4 + 2 + 2 + 3 + 3 + 4);
  });

  test('ModuleList and ModuleDict', () => {
    const l = new ModuleList([new Affine(1)]);
    l.append(new Affine(2)).extend([new Affine(3)]);
    expect(l.length).toBe(3);
    expect((l.at(-1) as Affine).n).toBe(3);
    l.set(0, new Affine(5));
    expect((l.at(0) as Affine).n).toBe(5);
    expect(Array.from(l.namedParameters(), ([n]) => n)).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '2.weight',
      '2.bias',
    ]);
    expect(() => l.forward()).toThrow(/no forward/);
    const d = new ModuleDict({ enc: new Affine(1), dec: new Affine(2) });
    d.set('mid', new Affine(3));
    expect(d.keys()).toEqual(['enc', 'dec', 'mid']);
    expect(Array.from(d.namedParameters(), ([n]) => n)).toEqual([
      'enc.weight',
      'enc.bias',
      'dec.weight',
      'dec.bias',
      'mid.weight',
      'mid.bias',
    ]);
    expect((d.get('dec') as Affine).n).toBe(2);
    expect(d.has('x')).toBe(false);
    expect(() => d.get('x')).toThrow(/no module 'x'/);
    expect(() => d.set('get', new Affine(1))).toThrow(/already exists/);
    expect(d.size).toBe(3);
  });
});

describe('lookup by dotted path', () => {
  test('getSubmodule, getParameter, getBuffer', () => {
    const m = new Model();
    expect(m.getSubmodule('')).toBe(m);
    expect(m.getSubmodule('encoder.layers.1')).toBe(m.encoder.layers.at(1));
    expect(m.getParameter('encoder.layers.1.bias')).toBe((m.encoder.layers.at(1) as Affine).bias);
    expect(m.getParameter('head.weight')).toBe(m.head.weight);
    expect(m.getBuffer('encoder.norm.runningMean')).toBe(m.encoder.norm.runningMean);
    expect(() => m.getSubmodule('encoder.nope')).toThrow(/encoder has no submodule 'nope'/);
    expect(() => m.getParameter('embed.bias')).toThrow(/has no parameter 'bias'/);
    expect(() => m.getBuffer('head.weight')).toThrow(/has no buffer 'weight'/);
    expect(() => m.getParameter(3 as never)).toThrow(TypeError);
  });
});

describe('registration', () => {
  test('accessors: reassigning a registered name replaces it; null hides it', () => {
    const a = new Affine(2);
    const w = f32([2], 5);
    a.weight = w;
    expect(a.parameters()[0]).toBe(w);
    expect(w.requiresGrad).toBe(true);
    a.bias = null;
    expect(Array.from(a.namedParameters(), ([n]) => n)).toEqual(['weight']);
    expect(Object.keys(a.stateDict())).toEqual(['weight']);
    expect(new Affine(2, false).bias).toBeNull();
  });

  test('bad names and values throw', () => {
    const a = new Affine(2);
    expect(() => a.registerParameter('a.b', f32([1]))).toThrow(/can't contain "."/);
    expect(() => a.registerParameter('', f32([1]))).toThrow(/empty/);
    expect(() => a.registerParameter('forward', f32([1]))).toThrow(/already exists/);
    expect(() => a.registerParameter('training', f32([1]))).toThrow(/already exists/);
    expect(() => a.registerBuffer('weight', f32([1]))).toThrow(/already exists \(as a parameter\)/);
    expect(() => a.registerModule('bias', new Affine(1))).toThrow(/already exists/);
    expect(() => a.registerParameter('p', new Tensor(new Int32Array(1), [1]))).toThrow(/float32/);
    const x = f32([2]).setRequiresGrad();
    const y = fromOp('mul', new Float32Array(2), [2], [x], () => [null]);
    expect(() => a.registerParameter('p', y)).toThrow(/leaf/);
    expect(() => a.registerParameter('p', 3 as never)).toThrow(TypeError);
    expect(() => a.registerModule('m', f32([1]) as never)).toThrow(TypeError);
    expect(() => ((a as unknown as { weight: unknown }).weight = new Affine(1))).toThrow(TypeError);
    expect(() => Parameter(3 as never)).toThrow(TypeError);
    const frozen = a.registerParameter('frozen', f32([3]), { requiresGrad: false });
    expect(frozen.requiresGrad).toBe(false);
    expect(a.numParameters({ onlyTrainable: true })).toBe(4);
    expect(a.numParameters()).toBe(7);
  });
});

describe('stateDict / loadStateDict', () => {
  test('copies in place; values are detached views of the module data', () => {
    const m = new Model();
    const sd = m.stateDict();
    expect(sd['head.weight'].data).toBe(m.head.weight.data);
    expect(sd['head.weight'].requiresGrad).toBe(false);
    const m2 = new Model();
    m.head.weight.data.set([1, 2, 3, 4]);
    m.encoder.norm.runningMean.data.set([7, 8, 9]);
    const before = m2.head.weight;
    const res = m2.loadStateDict(m.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(m2.head.weight).toBe(before);
    expect(Array.from(m2.head.weight.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(m2.encoder.norm.runningMean.data)).toEqual([7, 8, 9]);
    expect(m2.head.weight.data).not.toBe(m.head.weight.data);
  });

  test('strict errors list missing keys, unexpected keys and shape mismatches (torch wording)', () => {
    const m = new Model();
    const sd = m.stateDict();
    delete sd['head.bias'];
    delete sd['embed.weight'];
    sd['extra.weight'] = f32([1]);
    sd['encoder.layers.1.weight'] = f32([2, 3]);
    let msg = '';
    try {
      m.loadStateDict(sd);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toBe(
      'Error(s) in loading state_dict for Model:\n' +
        '\tUnexpected key(s) in state_dict: "extra.weight".\n' +
        '\tMissing key(s) in state_dict: "embed.weight", "head.bias".\n' +
        '\tsize mismatch for encoder.layers.1.weight: copying a param with shape [2, 3] from checkpoint, the shape in current model is [3].',
    );
  });

  test('non-strict loads what matches; shape mismatches still throw; a failed load changes nothing', () => {
    const m = new Model();
    const src = new Model();
    src.head.bias!.data.fill(9);
    src.embed.weight.data.fill(4);
    const sd = src.stateDict();
    delete sd['head.weight'];
    sd.unknown = f32([1]);
    const res = m.loadStateDict(sd, { strict: false });
    expect(res).toEqual({ missingKeys: ['head.weight'], unexpectedKeys: ['unknown'] });
    expect(Array.from(m.head.bias!.data)).toEqual([9, 9, 9, 9]);
    const fresh = new Model();
    const bad = src.stateDict();
    bad['head.weight'] = f32([5]);
    expect(() => fresh.loadStateDict(bad, { strict: false })).toThrow(/size mismatch for head.weight/);
    expect(Array.from(fresh.embed.weight.data)).toEqual([1, 1, 1, 1]);
    expect(() => fresh.loadStateDict(null as never)).toThrow(TypeError);
    expect(() => fresh.loadStateDict({ ...src.stateDict(), 'head.bias': [1, 2] as never })).toThrow(
      /expected a Tensor/,
    );
  });

  test('safetensors round trip of a stateDict', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-module-'));
    try {
      const m = new Model();
      m.apply((x) => {
        for (const p of x.parameters({ recurse: false })) p.data.forEach((_, i, a) => (a[i] = i + 0.5));
      });
      const file = path.join(dir, 'm.safetensors');
      saveSafetensors(file, m.stateDict());
      const m2 = new Model();
      m2.loadStateDict(loadSafetensors(file));
      expect(m2.parameters().map((p) => Array.from(p.data))).toEqual(m.parameters().map((p) => Array.from(p.data)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('modes, gradients, apply, call', () => {
  test('train / eval recurse', () => {
    const m = new Model();
    expect(m.eval()).toBe(m);
    expect(m.modules().every((x) => !x.training)).toBe(true);
    m.encoder.train();
    expect(m.training).toBe(false);
    expect(m.encoder.layers.at(1).training).toBe(true);
    m.train();
    expect(m.modules().every((x) => x.training)).toBe(true);
    expect(() => m.train('yes' as never)).toThrow(TypeError);
  });

  test('zeroGrad and setRequiresGrad', () => {
    const m = new Model();
    for (const p of m.parameters()) p.grad = f32(p.shape, 1);
    m.zeroGrad({ setToNone: false });
    expect(m.parameters().every((p) => p.grad !== null && p.grad.data.every((v) => v === 0))).toBe(true);
    m.zeroGrad();
    expect(m.parameters().every((p) => p.grad === null)).toBe(true);
    m.encoder.setRequiresGrad(false);
    expect(m.numParameters({ onlyTrainable: true })).toBe(4 + 4 + 4);
  });

  test('apply visits children before the parent', () => {
    const m = new Model();
    const order: string[] = [];
    m.apply((x) => order.push(x.constructor.name));
    expect(order).toEqual(['Affine', 'Affine', 'Affine', 'ModuleList', 'Norm', 'Encoder', 'Affine', 'Model']);
  });

  test('call() runs forward with its typed signature', () => {
    const m = new Model();
    m.head.bias!.data.fill(1);
    const y: Tensor = m.call(f32([4], 2));
    expect(Array.from(y.data)).toEqual([3, 3, 3, 3]);
    expect(String(m)).toContain('(encoder): Encoder(\n    (layers): ModuleList(');
  });
});

// Module: the base class of layers (torch.nn.Module), and the containers Sequential, ModuleList,
// ModuleDict.
//
// Writing a layer:
//
//   class Linear extends Module {
//     weight: Tensor;
//     bias: Tensor | null;
//     constructor(inFeatures: number, outFeatures: number, bias = true) {
//       super();
//       this.weight = this.registerParameter('weight', tk.zeros([outFeatures, inFeatures]));
//       this.bias = this.registerParameter('bias', bias ? tk.zeros([outFeatures]) : null);
//       this.resetParameters();
//     }
//     forward(x: Tensor): Tensor { ... }
//   }
//   const y = layer.call(x);          // or layer.forward(x): call() is the conventional entry point
//
// Registration is explicit (JS has no __setattr__): registerParameter / registerBuffer /
// registerModule record the name in the module's registry, which is the source of truth for
// parameters(), stateDict() and so on, and define an accessor property of that name on the
// instance, so `this.weight` reads the registry and `this.weight = t` replaces the registered
// tensor. Each register* returns what it registered, so `this.x = this.registerX('x', ...)` keeps
// TypeScript's definite-assignment check happy. (With `useDefineForClassFields`, declare such
// fields with `declare weight: Tensor;` so the class field does not shadow the accessor.)
//
// Names are PyTorch's: parameters of children are `child.name`, Sequential and ModuleList children
// are '0', '1', ..., so state dicts line up with torch's (`encoder.layers.1.bias`).
//
// Devices: module.to('cuda') / cuda() / cpu() move every parameter and buffer in place
// (Tensor.moveTo_), so the tensors keep their identity and an optimizer built before the move keeps
// updating them (its state follows at the next step). stateDict() returns tensors on the module's
// device, as torch; loadStateDict copies values from either device into each tensor on its own.
import { cudaKernels } from '../cuda/runtime';
import { shapeStr, typeError } from '../errors';
import { checkDevice, copyStorage, Device, Tensor, TypedData } from '../tensor';

export interface BufferOptions {
  /** Persistent buffers are part of stateDict() (default true). */
  persistent?: boolean;
}

export interface ParameterOptions {
  /** Set requiresGrad on the tensor (default true; false registers a frozen parameter). */
  requiresGrad?: boolean;
}

export interface LoadStateDictOptions {
  /** Require the keys of the record to match stateDict()'s exactly (default true). */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

type SlotKind = 'parameter' | 'buffer' | 'module';

/**
 * A parameter: the tensor itself (no copy) as a leaf that requires grad, as nn.Parameter(t).
 * Throws for a non-leaf or a non-float32 tensor.
 */
export function Parameter(data: Tensor, requiresGrad = true): Tensor {
  checkParameter(data);
  data.setRequiresGrad(requiresGrad);
  return data;
}

function checkParameter(data: unknown, name = 'data'): Tensor {
  if (!(data instanceof Tensor)) throw typeError(name, 'a Tensor', data);
  if (!data.isLeaf) {
    throw new TypeError(`a parameter must be a leaf tensor (use t.detach()), got the result of ${data.gradFn?.name}`);
  }
  if (data.dtype !== 'float32') throw new TypeError(`a parameter must be a float32 tensor, got ${data.dtype}`);
  return data;
}

function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string') throw typeError(`${what} name`, 'a string', name);
  if (name === '') throw new Error(`${what} name can't be empty string ""`);
  if (name.includes('.')) throw new Error(`${what} name can't contain ".", got '${name}'`);
  return name;
}

/** Invokes m.forward with arguments whose types the caller has no static view of. */
function invoke(m: Module, args: unknown[]): unknown {
  return (m.forward as (...a: unknown[]) => unknown).apply(m, args);
}

export abstract class Module {
  /** Training mode (dropout on, ...); set with train() / eval(). */
  training = true;
  // Registries, in registration order. The values here are the truth; instance properties of
  // the same names are accessors onto them.
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, Module | null>();

  /** The computation. Subclasses define it with their own signature. */
  abstract forward(...args: never[]): unknown;

  /** Runs forward (the module-as-callable convention: `layer.call(x)` is torch's `layer(x)`). */
  call<M extends Module>(this: M, ...args: Parameters<M['forward']>): ReturnType<M['forward']> {
    return invoke(this, args) as ReturnType<M['forward']>;
  }

  private kindOf(name: string): SlotKind | null {
    if (this._parameters.has(name)) return 'parameter';
    if (this._buffers.has(name)) return 'buffer';
    if (this._modules.has(name)) return 'module';
    return null;
  }

  private defineSlot(name: string, kind: SlotKind, what: string): void {
    const existing = this.kindOf(name);
    if (existing !== null && existing !== kind) {
      throw new Error(`attribute '${name}' already exists (as a ${existing}), can't register it as a ${what}`);
    }
    if (existing === kind) return;
    const own = Object.getOwnPropertyDescriptor(this, name);
    if (own ? own.get !== undefined || own.value !== undefined : name in this) {
      throw new Error(`attribute '${name}' already exists on ${this.constructor.name}, can't register it as a ${what}`);
    }
    Object.defineProperty(this, name, {
      configurable: true,
      enumerable: true,
      get: () => this.getSlot(name),
      set: (v: unknown) => this.setSlot(name, v),
    });
  }

  private getSlot(name: string): Tensor | Module | null | undefined {
    switch (this.kindOf(name)) {
      case 'parameter':
        return this._parameters.get(name);
      case 'buffer':
        return this._buffers.get(name);
      case 'module':
        return this._modules.get(name);
      default:
        return undefined;
    }
  }

  private setSlot(name: string, v: unknown): void {
    switch (this.kindOf(name)) {
      case 'parameter':
        this.registerParameter(name, v as Tensor | null);
        break;
      case 'buffer':
        this.registerBuffer(name, v as Tensor | null, { persistent: !this._nonPersistent.has(name) });
        break;
      case 'module':
        this.registerModule(name, v as Module | null);
        break;
    }
  }

  /**
   * Registers (or replaces) a parameter: a float32 leaf tensor, used as is (not copied), with
   * requiresGrad turned on unless `{ requiresGrad: false }`. null registers the name with no
   * parameter (an optional bias), which parameters() and stateDict() skip.
   */
  registerParameter<T extends Tensor | null>(name: string, param: T, opts: ParameterOptions = {}): T {
    checkName(name, 'parameter');
    if (param !== null) {
      if (!(param instanceof Tensor)) throw typeError(`parameter '${name}'`, 'a Tensor or null', param);
      checkParameter(param, `parameter '${name}'`);
    }
    this.defineSlot(name, 'parameter', 'parameter');
    if (param !== null) param.setRequiresGrad(opts.requiresGrad ?? true);
    this._parameters.set(name, param);
    return param;
  }

  /**
   * Registers (or replaces) a buffer: state that is not trained (running statistics, masks).
   * Persistent buffers are saved in stateDict(); `{ persistent: false }` keeps one out.
   */
  registerBuffer<T extends Tensor | null>(name: string, buffer: T, opts: BufferOptions = {}): T {
    checkName(name, 'buffer');
    if (buffer !== null && !(buffer instanceof Tensor)) {
      throw typeError(`buffer '${name}'`, 'a Tensor or null', buffer);
    }
    this.defineSlot(name, 'buffer', 'buffer');
    this._buffers.set(name, buffer);
    if (opts.persistent ?? true) this._nonPersistent.delete(name);
    else this._nonPersistent.add(name);
    return buffer;
  }

  /** Registers (or replaces) a child module; its parameters are named `name.<param>`. */
  registerModule<T extends Module | null>(name: string, module: T): T {
    checkName(name, 'module');
    if (module !== null && !(module instanceof Module)) {
      throw typeError(`module '${name}'`, 'a Module or null', module);
    }
    this.defineSlot(name, 'module', 'module');
    this._modules.set(name, module);
    return module;
  }

  /** Immediate children with their names (each module once). */
  *namedChildren(): IterableIterator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [name, m] of this._modules) {
      if (m !== null && !seen.has(m)) {
        seen.add(m);
        yield [name, m];
      }
    }
  }

  children(): Module[] {
    return Array.from(this.namedChildren(), ([, m]) => m);
  }

  /** This module and all below it, depth first, each once; this module's name is ''. */
  *namedModules(prefix = '', memo: Set<Module> = new Set()): IterableIterator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, m] of this._modules) {
      if (m === null) continue;
      yield* m.namedModules(prefix ? `${prefix}.${name}` : name, memo);
    }
  }

  modules(): Module[] {
    return Array.from(this.namedModules(), ([, m]) => m);
  }

  /** The module at a dotted path ('' is this one), as torch's get_submodule. */
  getSubmodule(target: string): Module {
    if (typeof target !== 'string') throw typeError('target', 'a string', target);
    if (target === '') return this;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk starts at this module
    let m: Module = this;
    const walked: string[] = [];
    for (const part of target.split('.')) {
      const next = m._modules.get(part);
      if (!(next instanceof Module)) {
        const where = walked.length ? walked.join('.') : m.constructor.name;
        throw new RangeError(`${where} has no submodule '${part}' (looking up '${target}')`);
      }
      walked.push(part);
      m = next;
    }
    return m;
  }

  /** The parameter at a dotted path (`encoder.layers.1.bias`), as torch's get_parameter. */
  getParameter(target: string): Tensor {
    return this.getMember(target, 'parameter');
  }

  /** The buffer at a dotted path, as torch's get_buffer. */
  getBuffer(target: string): Tensor {
    return this.getMember(target, 'buffer');
  }

  private getMember(target: string, kind: 'parameter' | 'buffer'): Tensor {
    if (typeof target !== 'string') throw typeError('target', 'a string', target);
    const dot = target.lastIndexOf('.');
    const owner = this.getSubmodule(dot < 0 ? '' : target.slice(0, dot));
    const name = target.slice(dot + 1);
    const t = (kind === 'parameter' ? owner._parameters : owner._buffers).get(name);
    if (!(t instanceof Tensor))
      throw new RangeError(`${owner.constructor.name} has no ${kind} '${name}' (looking up '${target}')`);
    return t;
  }

  private *namedMembers(kind: 'parameter' | 'buffer', recurse: boolean): IterableIterator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules() : [['', this]];
    for (const [prefix, m] of mods) {
      const reg = kind === 'parameter' ? m._parameters : m._buffers;
      for (const [name, t] of reg) {
        if (t === null || seen.has(t)) continue;
        seen.add(t);
        yield [prefix ? `${prefix}.${name}` : name, t];
      }
    }
  }

  /** Parameters with dotted names (`0.weight`, `encoder.layers.1.bias`); a shared tensor once. */
  namedParameters({ recurse = true }: { recurse?: boolean } = {}): IterableIterator<[string, Tensor]> {
    return this.namedMembers('parameter', recurse);
  }

  parameters({ recurse = true }: { recurse?: boolean } = {}): Tensor[] {
    return Array.from(this.namedParameters({ recurse }), ([, t]) => t);
  }

  namedBuffers({ recurse = true }: { recurse?: boolean } = {}): IterableIterator<[string, Tensor]> {
    return this.namedMembers('buffer', recurse);
  }

  buffers({ recurse = true }: { recurse?: boolean } = {}): Tensor[] {
    return Array.from(this.namedBuffers({ recurse }), ([, t]) => t);
  }

  /** Number of parameter elements (each shared tensor counted once). */
  numParameters({ onlyTrainable = false }: { onlyTrainable?: boolean } = {}): number {
    let n = 0;
    for (const p of this.parameters()) if (!onlyTrainable || p.requiresGrad) n += p.size;
    return n;
  }

  private collectState(prefix: string, out: Record<string, Tensor>): void {
    for (const [name, p] of this._parameters) if (p !== null) out[prefix + name] = p;
    for (const [name, b] of this._buffers) {
      if (b !== null && !this._nonPersistent.has(name)) out[prefix + name] = b;
    }
    for (const [name, m] of this._modules) if (m !== null) m.collectState(`${prefix}${name}.`, out);
  }

  /**
   * Parameters and persistent buffers by dotted name, in torch's order (each module's parameters,
   * then its buffers, then its children). Values are detached tensors sharing the module's data;
   * a tensor shared under two names appears under both.
   */
  stateDict(): Record<string, Tensor> {
    const raw: Record<string, Tensor> = {};
    this.collectState('', raw);
    const out: Record<string, Tensor> = {};
    for (const k of Object.keys(raw)) out[k] = raw[k].detach();
    return out;
  }

  /**
   * Copies values from a record (as stateDict() returns, or loadSafetensors) into this module's
   * parameters and buffers, in place, each on its own device (the record's tensors may be on
   * either). Shape mismatches are always errors; with strict (default)
   * missing and unexpected keys are too. Everything is checked before anything is copied, so a
   * failed load leaves the module unchanged. Returns the missing and unexpected keys.
   */
  loadStateDict(record: Record<string, Tensor>, { strict = true }: LoadStateDictOptions = {}): LoadStateDictResult {
    if (record === null || typeof record !== 'object') throw typeError('stateDict', 'an object of tensors', record);
    const own: Record<string, Tensor> = {};
    this.collectState('', own);
    const src = record instanceof Map ? Object.fromEntries(record as Map<string, Tensor>) : record;
    const missingKeys = Object.keys(own).filter((k) => !Object.prototype.hasOwnProperty.call(src, k));
    const unexpectedKeys = Object.keys(src).filter((k) => !Object.prototype.hasOwnProperty.call(own, k));
    const errors: string[] = [];
    if (strict) {
      if (unexpectedKeys.length) {
        errors.push(`Unexpected key(s) in state_dict: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}.`);
      }
      if (missingKeys.length) {
        errors.push(`Missing key(s) in state_dict: ${missingKeys.map((k) => `"${k}"`).join(', ')}.`);
      }
    }
    for (const k of Object.keys(own)) {
      if (!Object.prototype.hasOwnProperty.call(src, k)) continue;
      const v = src[k];
      const target = own[k];
      if (!(v instanceof Tensor)) {
        errors.push(`While copying the parameter named "${k}", expected a Tensor, got ${typeof v}.`);
      } else if (v.shape.length !== target.shape.length || v.shape.some((d, i) => d !== target.shape[i])) {
        errors.push(
          `size mismatch for ${k}: copying a param with shape ${shapeStr(v.shape)} from checkpoint, ` +
            `the shape in current model is ${shapeStr(target.shape)}.`,
        );
      }
    }
    if (errors.length) {
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    }
    for (const k of Object.keys(own)) {
      const v = src[k];
      if (v === undefined) continue;
      copyInto(own[k], v);
    }
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Moves every parameter and buffer (with their gradients) of this module and all below it to
   * `device`, in place, as torch's nn.Module.to: the tensors stay the same objects, so optimizers
   * and references taken before keep working. Returns this module.
   */
  to(device: Device): this {
    const d = checkDevice('device', device);
    for (const m of this.modules()) {
      for (const p of m._parameters.values()) if (p !== null) p.moveTo_(d);
      for (const [name, b] of m._buffers) {
        if (b === null || b.device === d) continue;
        // Buffers made by ops (not leaves) cannot move in place: replace them with a moved copy.
        if (b.isLeaf) b.moveTo_(d);
        else m._buffers.set(name, new Tensor(copyStorage(b.storage, d), b.shape));
      }
    }
    return this;
  }

  /** to('cuda'). */
  cuda(): this {
    return this.to('cuda');
  }

  /** to('cpu'). */
  cpu(): this {
    return this.to('cpu');
  }

  /** Sets training mode on this module and all below it. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw typeError('mode', 'a boolean', mode);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Sets requiresGrad on every parameter (freezes the module with false). */
  setRequiresGrad(flag = true): this {
    for (const p of this.parameters()) p.setRequiresGrad(flag);
    return this;
  }

  /** Clears parameter gradients: to null (default, as torch) or to zeros in place. */
  zeroGrad({ setToNone = true }: { setToNone?: boolean } = {}): void {
    for (const p of this.parameters()) {
      if (p.grad === null) continue;
      if (setToNone) p.grad = null;
      else if (p.grad.device === 'cuda') cudaKernels().fill(p.grad.buffer, 0);
      else p.grad.data.fill(0);
    }
  }

  /** Calls fn on every child (recursively) and then on this module, as torch's apply. */
  apply(fn: (m: Module) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /** Extra text for toString() (layer sizes), as torch's extra_repr. */
  extraRepr(): string {
    return '';
  }

  toString(): string {
    const lines: string[] = [];
    for (const [name, m] of this._modules) {
      const s = m === null ? 'null' : m.toString();
      lines.push(`(${name}): ${s.split('\n').join('\n  ')}`);
    }
    const extra = this.extraRepr();
    if (!lines.length) return `${this.constructor.name}(${extra})`;
    const head = extra ? [extra, ...lines] : lines;
    return `${this.constructor.name}(\n  ${head.join('\n  ')}\n)`;
  }
}

/**
 * Copies v's values into target in place, on target's device (int32 targets take float values
 * truncated, as torch's copy_).
 */
export function copyInto(target: Tensor, v: Tensor): void {
  if (v.storage === target.storage) return;
  if (target.device === 'cuda' && v.device === 'cuda' && v.dtype === target.dtype) {
    cudaKernels().copy(target.buffer, v.buffer);
    return;
  }
  const src: TypedData = v.device === 'cpu' ? v.data : (copyStorage(v.storage, 'cpu') as TypedData);
  let host: TypedData = src;
  if (target.dtype === 'int32' && v.dtype === 'float32') host = Int32Array.from(src, Math.trunc);
  else if (target.dtype === 'float32' && v.dtype === 'int32') host = Float32Array.from(src);
  if (target.device === 'cpu') {
    target.data.set(host);
    return;
  }
  const k = cudaKernels();
  const tmp = k.fromHost(host);
  try {
    k.copy(target.buffer, tmp);
  } finally {
    k.release(tmp);
  }
}

function checkIndex(i: number, n: number): number {
  if (typeof i !== 'number' || !Number.isInteger(i)) throw typeError('index', 'an integer', i);
  if (i < -n || i >= n) throw new RangeError(`index ${i} is out of range for a container of ${n} modules`);
  return i < 0 ? i + n : i;
}

/** Children in order, named '0', '1', ...; forward feeds each child's output to the next. */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.children().length;
  }

  /** The i-th module (negative counts from the end). */
  at(i: number): Module {
    const list = this.children();
    return list[checkIndex(i, list.length)];
  }

  append(module: Module): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  [Symbol.iterator](): IterableIterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  /** Chains the children; typed for tensors, though any value a child accepts passes through. */
  forward(input: Tensor): Tensor {
    let x: unknown = input;
    for (const m of this.children()) x = invoke(m, [x]);
    return x as Tensor;
  }
}

/** A list of modules, registered as '0', '1', ...; it has no forward of its own. */
export class ModuleList extends Module {
  constructor(modules: Iterable<Module> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  get length(): number {
    let n = 0;
    while (this.kindOfIndex(n)) n++;
    return n;
  }

  private kindOfIndex(i: number): boolean {
    return (this as unknown as Record<string, unknown>)[String(i)] instanceof Module;
  }

  at(i: number): Module {
    const n = this.length;
    return (this as unknown as Record<string, Module>)[String(checkIndex(i, n))];
  }

  /** Replaces the i-th module. */
  set(i: number, module: Module): this {
    this.registerModule(String(checkIndex(i, this.length)), module);
    return this;
  }

  append(module: Module): this {
    this.registerModule(String(this.length), module);
    return this;
  }

  extend(modules: Iterable<Module>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  [Symbol.iterator](): IterableIterator<Module> {
    const out: Module[] = [];
    for (let i = 0, n = this.length; i < n; i++) out.push(this.at(i));
    return out[Symbol.iterator]();
  }

  forward(): never {
    throw new Error('ModuleList has no forward(): iterate over it and call its modules');
  }
}

/** Modules by name (insertion order); it has no forward of its own. */
export class ModuleDict extends Module {
  private readonly keyList: string[] = [];

  constructor(modules: Record<string, Module> | Iterable<[string, Module]> = {}) {
    super();
    const entries =
      Symbol.iterator in modules ? Array.from(modules as Iterable<[string, Module]>) : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
  }

  get size(): number {
    return this.keyList.length;
  }

  has(key: string): boolean {
    return this.keyList.includes(key);
  }

  get(key: string): Module {
    if (!this.has(key)) throw new RangeError(`ModuleDict has no module '${key}' (keys: ${this.keyList.join(', ')})`);
    return (this as unknown as Record<string, Module>)[key];
  }

  set(key: string, module: Module): this {
    if (!(module instanceof Module)) throw typeError(`module '${key}'`, 'a Module', module);
    this.registerModule(key, module);
    if (!this.has(key)) this.keyList.push(key);
    return this;
  }

  keys(): string[] {
    return this.keyList.slice();
  }

  values(): Module[] {
    return this.keyList.map((k) => this.get(k));
  }

  entries(): [string, Module][] {
    return this.keyList.map((k) => [k, this.get(k)]);
  }

  forward(): never {
    throw new Error('ModuleDict has no forward(): look up its modules and call them');
  }
}

// Optimizer base class (torch.optim.Optimizer): parameter groups with per-group hyperparameters,
// per-parameter state, zeroGrad, and state dicts a checkpoint can save.
//
// State dicts follow torch's layout: `state` maps a parameter's index (its position across all
// groups, in order) to its state, `paramGroups` lists each group's hyperparameters with `params`
// as those indices. State values are numbers, null, or buffers (copies), so the object can be
// written as JSON plus binary arrays (for example with tk.io.saveSafetensors for the arrays).
//
// Devices: a parameter's buffers (momentum, moments) live on the parameter's device, as torch's do:
// Float32Arrays for a CPU parameter, float32 CUDA tensors of shape [size] for a CUDA one. The fused
// updates run on that device (native.sgdUpdate / adamUpdate or their device twins). A parameter
// moved after its first step (module.to) has its state moved with it at its next step, and
// loadStateDict puts loaded buffers (Float32Arrays or tensors of either device) on each parameter's
// device, as torch's load_state_dict does.
import { cudaKernels, DeviceBuffer } from '../cuda/runtime';
import { typeError } from '../errors';
import { allocStorage, copyStorage, Device, enableGrad, sameDevice, sameShape, Tensor } from '../tensor';

/** A state buffer: a Float32Array for a CPU parameter, a float32 CUDA tensor for a CUDA one. */
export type StateBuffer = Float32Array | Tensor;

/** Per-parameter optimizer state: step counts and moment buffers. */
export type ParamState = Record<string, number | StateBuffer | null>;

/** A zeroed state buffer of `size` elements on `device`. */
export function zeroStateBuffer(device: Device, size: number): StateBuffer {
  if (device === 'cpu') return new Float32Array(size);
  return new Tensor(allocStorage(device, 'float32', size, true), [size]);
}

/** The buffer's device. */
function bufferDevice(v: StateBuffer): Device {
  return v instanceof Tensor ? v.device : 'cpu';
}

/** A copy of a state buffer on `device` (a Float32Array on the CPU, a [size] tensor on the GPU). */
export function copyStateBuffer(v: StateBuffer, device: Device): StateBuffer {
  const storage = copyStorage(v instanceof Tensor ? v.storage : v, device);
  if (device === 'cpu') {
    if (!(storage instanceof Float32Array)) throw new TypeError('optimizer state buffers must be float32');
    return storage;
  }
  return new Tensor(storage, [storage.length]);
}

/** What a kernel takes for a state buffer: its typed array on the CPU, its device buffer on the GPU. */
export function kernelArgOf(v: StateBuffer): Float32Array | DeviceBuffer {
  return v instanceof Tensor ? (v.device === 'cuda' ? v.buffer : v.f32) : v;
}

/** A state buffer's element count. */
function bufferLength(v: StateBuffer): number {
  return v instanceof Tensor ? v.size : v.length;
}

/** A group as given by the caller: its parameters and any hyperparameters that override defaults. */
export type ParamGroupInput<O> = { params: Iterable<Tensor> } & Partial<O>;

export type ParamsInput<O> = Iterable<Tensor> | Iterable<ParamGroupInput<O>>;

/** A group as held: all hyperparameters filled in from the defaults. */
export type ParamGroup<O> = O & { params: Tensor[]; initialLr?: number };

export interface OptimizerStateDict<O> {
  state: Record<number, ParamState>;
  paramGroups: (O & { params: number[]; initialLr?: number })[];
}

export interface BaseOptions {
  lr: number;
}

export abstract class Optimizer<O extends BaseOptions = BaseOptions> {
  readonly defaults: O;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** State by parameter; created on a parameter's first step. */
  readonly state = new Map<Tensor, ParamState>();

  constructor(params: ParamsInput<O>, defaults: O) {
    this.defaults = { ...defaults };
    if (params === null || typeof params !== 'object' || !(Symbol.iterator in params)) {
      throw typeError('params', 'an iterable of Tensors or of parameter groups', params);
    }
    const list = Array.from(params as Iterable<Tensor | ParamGroupInput<O>>);
    if (list.length === 0) throw new RangeError('optimizer got an empty parameter list');
    if (list[0] instanceof Tensor) {
      this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupInput<O>);
    } else {
      for (const g of list as ParamGroupInput<O>[]) this.addParamGroup(g);
    }
  }

  /** Checks hyperparameters of a group (the subclass's constructor rules). */
  protected abstract validateGroup(group: O): void;

  /** Adds a group of parameters with its own hyperparameters (the rest from the defaults). */
  addParamGroup(group: ParamGroupInput<O>): void {
    if (group === null || typeof group !== 'object' || group instanceof Tensor) {
      throw typeError('param group', 'an object { params, ...options }', group);
    }
    const raw = group.params as unknown;
    const params: Tensor[] =
      raw instanceof Tensor
        ? [raw]
        : raw && typeof raw === 'object' && Symbol.iterator in raw
          ? Array.from(raw as Iterable<Tensor>)
          : [];
    if (!(raw instanceof Tensor) && !(raw && typeof raw === 'object' && Symbol.iterator in raw)) {
      throw typeError('param group params', 'a Tensor or an iterable of Tensors', raw);
    }
    const seen = new Set<Tensor>();
    params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw typeError(`params[${i}]`, 'a Tensor', p);
      if (p.dtype !== 'float32')
        throw new TypeError(`params[${i}]: optimizer can only optimize float32 tensors, got ${p.dtype}`);
      if (!p.isLeaf) throw new TypeError(`params[${i}]: can't optimize a non-leaf Tensor`);
      if (seen.has(p)) throw new Error(`params[${i}]: a parameter appears twice in one group`);
      seen.add(p);
    });
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (seen.has(p)) throw new Error('some parameters appear in more than one parameter group');
      }
    }
    const known = new Set([...Object.keys(this.defaults), 'params', 'initialLr']);
    for (const k of Object.keys(group)) {
      if (!known.has(k)) throw new RangeError(`unknown option '${k}' in a parameter group of ${this.constructor.name}`);
    }
    const full = { ...this.defaults, ...group, params } as ParamGroup<O>;
    for (const k of Object.keys(this.defaults) as (keyof O)[]) {
      if (full[k] === undefined) (full as O)[k] = this.defaults[k];
    }
    this.validateGroup(full);
    this.paramGroups.push(full);
  }

  /** Clears gradients: to null (default, as torch) or to zeros in place. */
  zeroGrad({ setToNone = true }: { setToNone?: boolean } = {}): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else zeroFill(p.grad);
      }
    }
  }

  /** One update of every parameter that has a gradient. */
  step(closure?: () => number): number | undefined {
    let loss: number | undefined;
    if (closure !== undefined) {
      if (typeof closure !== 'function') throw typeError('closure', 'a function', closure);
      loss = enableGrad(closure);
    }
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        const grad = p.grad;
        if (grad === null) continue;
        if (!sameShape(grad.shape, p.shape) || grad.dtype !== 'float32') {
          throw new RangeError(
            `gradient of shape [${grad.shape.join(', ')}] (${grad.dtype}) does not match its parameter's [${p.shape.join(', ')}]`,
          );
        }
        sameDevice(`${this.constructor.name}.step`, { param: p, grad });
        let state = this.state.get(p);
        if (state === undefined) {
          state = this.initState(p, group);
          this.state.set(p, state);
        } else {
          moveState(state, p.device);
        }
        this.updateParam(p, grad, state, group);
      }
    }
    return loss;
  }

  /** The state of a parameter before its first step. */
  protected abstract initState(param: Tensor, group: ParamGroup<O>): ParamState;

  /**
   * Updates one parameter in place (one native call, on the parameter's device; grad and the
   * state's buffers are there too).
   */
  protected abstract updateParam(param: Tensor, grad: Tensor, state: ParamState, group: ParamGroup<O>): void;

  /**
   * A copy of the optimizer state, with parameters as indices (torch's state_dict layout). Buffers
   * are on their parameters' devices: Float32Arrays for CPU parameters, CUDA tensors for CUDA ones.
   */
  stateDict(): OptimizerStateDict<O> {
    const state: Record<number, ParamState> = {};
    const paramGroups: (O & { params: number[]; initialLr?: number })[] = [];
    let index = 0;
    for (const g of this.paramGroups) {
      const ids: number[] = [];
      for (const p of g.params) {
        const s = this.state.get(p);
        if (s !== undefined) {
          moveState(s, p.device);
          state[index] = copyState(s);
        }
        ids.push(index++);
      }
      paramGroups.push({ ...g, params: ids });
    }
    return { state, paramGroups };
  }

  /**
   * Restores state and hyperparameters saved by stateDict() into this optimizer, whose groups must
   * hold the same numbers of parameters; buffers (Float32Arrays, number arrays, or float32 tensors
   * on either device) are checked against the sizes and copied to each parameter's device.
   */
  loadStateDict(stateDict: OptimizerStateDict<O>): void {
    if (stateDict === null || typeof stateDict !== 'object')
      throw typeError('stateDict', 'an optimizer state dict', stateDict);
    const groups = stateDict.paramGroups;
    if (!Array.isArray(groups) || groups.length !== this.paramGroups.length) {
      throw new RangeError(
        `loaded state dict has ${Array.isArray(groups) ? groups.length : 'no'} parameter groups, this optimizer has ${this.paramGroups.length}`,
      );
    }
    const byIndex = new Map<number, Tensor>();
    groups.forEach((sg, gi) => {
      const mine = this.paramGroups[gi];
      if (!Array.isArray(sg.params) || sg.params.length !== mine.params.length) {
        throw new RangeError(
          `loaded state dict contains a parameter group that doesn't match the size of optimizer's group ${gi}`,
        );
      }
      sg.params.forEach((id, k) => byIndex.set(id, mine.params[k]));
    });
    const newState = new Map<Tensor, ParamState>();
    for (const [key, s] of Object.entries(stateDict.state ?? {})) {
      const p = byIndex.get(Number(key));
      if (p === undefined)
        throw new RangeError(`loaded state dict has state for parameter ${key}, which no group lists`);
      const copy = copyState(s, p.device);
      for (const [name, v] of Object.entries(copy)) {
        if ((v instanceof Float32Array || v instanceof Tensor) && bufferLength(v) !== p.size) {
          throw new RangeError(
            `state '${name}' of parameter ${key} has ${bufferLength(v)} elements, the parameter has ${p.size}`,
          );
        }
      }
      newState.set(p, copy);
    }
    groups.forEach((sg, gi) => {
      const mine = this.paramGroups[gi];
      const { params: _ids, ...hyper } = sg;
      void _ids;
      const merged = { ...mine, ...hyper, params: mine.params } as ParamGroup<O>;
      this.validateGroup(merged);
      this.paramGroups[gi] = merged;
    });
    this.state.clear();
    for (const [p, s] of newState) this.state.set(p, s);
  }
}

/**
 * A copy of a parameter's state: buffers on `device` when given (loading into a parameter there),
 * else each on its own device (stateDict).
 */
function copyState(s: ParamState, device?: Device): ParamState {
  if (s === null || typeof s !== 'object') throw typeError('state', 'an object', s);
  const out: ParamState = {};
  for (const [k, v] of Object.entries(s)) {
    if (v instanceof Float32Array) out[k] = copyStateBuffer(v, device ?? 'cpu');
    else if (v instanceof Tensor) {
      if (v.dtype !== 'float32') throw new TypeError(`state '${k}' must be a float32 tensor, got ${v.dtype}`);
      out[k] = copyStateBuffer(v, device ?? v.device);
    } else if (v === null || typeof v === 'number') out[k] = v;
    else if (Array.isArray(v)) out[k] = copyStateBuffer(Float32Array.from(v as number[]), device ?? 'cpu');
    else throw typeError(`state '${k}'`, 'a number, null, a Float32Array or a Tensor', v);
  }
  return out;
}

/** Moves a state's buffers to `device` in place (after the parameter was moved by module.to). */
function moveState(s: ParamState, device: Device): void {
  for (const [k, v] of Object.entries(s)) {
    if ((v instanceof Float32Array || v instanceof Tensor) && bufferDevice(v) !== device) {
      s[k] = copyStateBuffer(v, device);
      if (v instanceof Tensor) v.dispose();
    }
  }
}

/** Sets a tensor's elements to 0 in place, on its device. */
export function zeroFill(t: Tensor): void {
  if (t.device === 'cuda') cudaKernels().fill(t.buffer, 0);
  else t.data.fill(0);
}

/** Throws a RangeError unless v is a finite number >= min (and < max when given). */
export function checkHyper(name: string, v: unknown, min: number, max?: number, maxInclusive = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw typeError(name, 'a finite number', v);
  if (v < min || (max !== undefined && (maxInclusive ? v > max : v >= max))) {
    const hi = max === undefined ? '' : `, ${max}${maxInclusive ? ']' : ')'}`;
    throw new RangeError(
      `Invalid ${name} value: ${v} (expected ${max === undefined ? `>= ${min}` : `in [${min}${hi}`})`,
    );
  }
  return v;
}

export function checkFlag(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw typeError(name, 'a boolean', v);
  return v;
}

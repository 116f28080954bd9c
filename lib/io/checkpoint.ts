// Training checkpoints: a model's state dict, an optimizer's state, schedulers, random generators
// and caller data, in one directory that is replaced atomically, so a run killed mid-save keeps
// its previous checkpoint and a resumed run continues bit for bit (the generators are
// counter-based, so their state is two integers).
//
//   <dir>/model.safetensors       module.stateDict()
//   <dir>/optimizer.safetensors   the optimizer's per-parameter arrays, as `state.<index>.<key>`
//   <dir>/checkpoint.json         format version, optimizer scalars and groups, schedulers,
//                                 generators, extra
//
// Devices: the files hold host copies (a CUDA model's tensors and a CUDA optimizer's buffers are
// copied to the host when saved), and loading puts each value on the device of the parameter,
// buffer or optimizer state it restores (Module.loadStateDict, Optimizer.loadStateDict), so a
// checkpoint of a CUDA run resumes on the CPU and the other way round.
import * as fs from 'fs';
import * as path from 'path';
import { typeError } from '../errors';
import { Generator, GeneratorState } from '../random';
import { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { Optimizer, OptimizerStateDict, ParamState, BaseOptions } from '../optim/optimizer';
import { saveSafetensors, loadSafetensors } from './safetensors';

const FORMAT = 'textkernels-checkpoint';
const VERSION = 1;

/** Anything with torch-style stateDict()/loadStateDict() over JSON values (the LR schedulers). */
export interface JsonStateful {
  stateDict(): unknown;
  loadStateDict(state: never): void;
}

export interface CheckpointParts {
  model?: Module;
  optimizer?: Optimizer<BaseOptions>;
  schedulers?: Record<string, JsonStateful>;
  generators?: Record<string, Generator>;
  /** JSON-serialisable caller data: epoch, step, metrics, options. */
  extra?: Record<string, unknown>;
}

interface CheckpointJson {
  format: string;
  version: number;
  optimizer: { state: Record<string, Record<string, number | null | string>>; paramGroups: unknown[] } | null;
  schedulers: Record<string, unknown>;
  generators: Record<string, GeneratorState>;
  extra: Record<string, unknown>;
}

// Float32Array entries go to the safetensors file; this marks their place in the JSON.
const ARRAY_MARK = '__array__';

export function saveCheckpoint(dir: string, parts: CheckpointParts): void {
  if (typeof dir !== 'string' || dir === '') throw typeError('dir', 'a directory path', dir);
  const parent = path.dirname(path.resolve(dir));
  if (!fs.existsSync(parent)) throw new RangeError(`dir: the parent directory ${parent} does not exist`);
  const tmp = `${path.resolve(dir)}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(tmp);
  try {
    let optimizerJson: CheckpointJson['optimizer'] = null;
    if (parts.model) saveSafetensors(path.join(tmp, 'model.safetensors'), parts.model.stateDict());
    if (parts.optimizer) {
      const sd = parts.optimizer.stateDict();
      const arrays: Record<string, Tensor> = {};
      const state: Record<string, Record<string, number | null | string>> = {};
      for (const [index, s] of Object.entries(sd.state)) {
        state[index] = {};
        for (const [key, v] of Object.entries(s)) {
          if (v instanceof Float32Array || v instanceof Tensor) {
            // A CUDA parameter's buffers are CUDA tensors: saveSafetensors copies them to the host.
            arrays[`state.${index}.${key}`] = v instanceof Tensor ? v : new Tensor(v, [v.length]);
            state[index][key] = ARRAY_MARK;
          } else {
            state[index][key] = v;
          }
        }
      }
      saveSafetensors(path.join(tmp, 'optimizer.safetensors'), arrays);
      optimizerJson = { state, paramGroups: sd.paramGroups };
    }
    const json: CheckpointJson = {
      format: FORMAT,
      version: VERSION,
      optimizer: optimizerJson,
      schedulers: Object.fromEntries(Object.entries(parts.schedulers ?? {}).map(([k, s]) => [k, s.stateDict()])),
      generators: Object.fromEntries(Object.entries(parts.generators ?? {}).map(([k, g]) => [k, g.getState()])),
      extra: parts.extra ?? {},
    };
    fs.writeFileSync(
      path.join(tmp, 'checkpoint.json'),
      JSON.stringify(json, (_k, v) => (v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v), 1),
    );
    // Swap directories: the old checkpoint is removed only after the new one is in place.
    const old = `${path.resolve(dir)}.old-${process.pid}-${Date.now()}`;
    const hadOld = fs.existsSync(dir);
    if (hadOld) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    if (hadOld) fs.rmSync(old, { recursive: true, force: true });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Restores the given parts from a checkpoint directory; returns its extra data. */
export function loadCheckpoint(dir: string, parts: CheckpointParts): Record<string, unknown> {
  const file = path.join(dir, 'checkpoint.json');
  if (!fs.existsSync(file)) throw new RangeError(`dir: ${dir} holds no checkpoint (no checkpoint.json)`);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'), (_k, v) =>
    v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v,
  ) as CheckpointJson;
  if (json.format !== FORMAT || json.version !== VERSION) {
    throw new RangeError(`${file} is not a textkernels checkpoint of version ${VERSION}`);
  }
  if (parts.model) parts.model.loadStateDict(loadSafetensors(path.join(dir, 'model.safetensors')));
  if (parts.optimizer) {
    if (!json.optimizer) throw new RangeError(`${dir} has no optimizer state`);
    const arrays = loadSafetensors(path.join(dir, 'optimizer.safetensors'));
    const state: Record<number, ParamState> = {};
    for (const [index, s] of Object.entries(json.optimizer.state)) {
      const restored: ParamState = {};
      for (const [key, v] of Object.entries(s)) {
        if (v === ARRAY_MARK) {
          const t = arrays[`state.${index}.${key}`];
          if (!t) throw new RangeError(`${dir}: optimizer array state.${index}.${key} is missing`);
          restored[key] = t.f32;
        } else restored[key] = v as number | null;
      }
      state[Number(index)] = restored;
    }
    parts.optimizer.loadStateDict({
      state,
      paramGroups: json.optimizer.paramGroups,
    } as OptimizerStateDict<BaseOptions>);
  }
  for (const [k, s] of Object.entries(parts.schedulers ?? {})) {
    if (!(k in json.schedulers)) throw new RangeError(`${dir} has no scheduler '${k}'`);
    s.loadStateDict(json.schedulers[k] as never);
  }
  for (const [k, g] of Object.entries(parts.generators ?? {})) {
    if (!(k in json.generators)) throw new RangeError(`${dir} has no generator '${k}'`);
    g.setState(json.generators[k]);
  }
  return json.extra;
}

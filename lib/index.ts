// textkernels: the public API. `require('textkernels')` and `import tk from 'textkernels'` give
// this same object (dist/index.mjs re-exports the CommonJS build).
export { Tensor, noGrad, enableGrad, isGradEnabled } from './tensor';
export type { DType, Device, GradFn, TensorOptions, NestedArray } from './tensor';
export * from './creation';
export { Generator, manualSeed, defaultGenerator, DEFAULT_SEED } from './random';
export type { GeneratorState, RandomOptions } from './random';
export { backend, setNumThreads, getNumThreads, setSimdLevel } from './backend';
export type { BackendInfo } from './backend';
export * from './ops/matmul';
export * from './ops/elementwise';
export * from './ops/reduce';
export * from './ops/shape';
export * from './ops/nn';
export * from './ops/losses';
export * from './ops/topic-losses';
export * from './ops/sampling';
export * as sparse from './sparse';
export * as nn from './nn';
export * as optim from './optim';
export * as io from './io';
export * as text from './text';
export * as data from './data';
export * as embeddings from './embeddings';
export * as losses from './losses';
export * as topics from './topics';
export * as cuda from './cuda';

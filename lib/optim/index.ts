// tk.optim: optimizers (one fused native update per parameter tensor) and learning-rate schedulers.
export { Optimizer } from './optimizer';
export type {
  ParamState,
  ParamGroup,
  ParamGroupInput,
  ParamsInput,
  OptimizerStateDict,
  BaseOptions,
} from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';
export {
  LRScheduler,
  StepLR,
  MultiStepLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  CosineAnnealingLR,
  ReduceLROnPlateau,
} from './schedulers';
export type { SchedulerState, ReduceLROnPlateauOptions } from './schedulers';

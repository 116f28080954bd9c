// tk.topics: neural topic models and their evaluation metrics.
export type { BowData } from './types';
export { npmi, topicNpmi, diversity, topicUniqueness, documentCompletionPerplexity } from './metrics';
export type { TopicsInput, TopNOptions, NpmiOptions, PerplexityOptions } from './metrics';
export { TopicModel } from './base';
export type {
  TopicModelOptions,
  TopicWordOptions,
  FitOptions,
  FitProgress,
  FitResult,
  StepNoise,
  StepResult,
} from './base';
export { NVDM } from './nvdm';
export type { NVDMOptions } from './nvdm';
export { WLDA } from './wlda';
export type { WLDAOptions } from './wlda';
export { ETM } from './etm';
export type { ETMOptions } from './etm';
export { GMNTM } from './gmntm';
export type { GMNTMOptions } from './gmntm';
export { GaussianMixture } from './gmm';
export type { GaussianMixtureOptions } from './gmm';

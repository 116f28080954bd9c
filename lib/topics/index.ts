// tk.topics: neural topic models and their evaluation metrics.
export type { BowData } from './types';
export { npmi, topicNpmi, diversity, topicUniqueness, documentCompletionPerplexity } from './metrics';
export type { TopicsInput, TopNOptions, PerplexityOptions } from './metrics';

// tk.topics: neural topic models and their evaluation metrics.
export type { BowData } from './types';

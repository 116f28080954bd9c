// tk.losses: every loss function in one namespace (they are also exported at the top level).
export * from './ops/losses';
export * from './ops/topic-losses';

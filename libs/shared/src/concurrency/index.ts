export * from './coalesced';
export * from './loop-backoff';
export * from './group-commit';
export * from './operations-observer';
export * from './command-sweep';

export * from './coalesced';
export * from './group-commit';

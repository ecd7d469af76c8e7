export * from './crypto';
export * from './merkle';
export * from './batch';
export * from './receipt';
export * from './quorum';

export * from './errors';
export * from './money';
export * from './json';
export * from './ids';
export * from './time';
export * from './concurrency';
export * from './config';
export * from './http';

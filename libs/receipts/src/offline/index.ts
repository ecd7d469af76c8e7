export * from './crypto';
export * from './merkle';

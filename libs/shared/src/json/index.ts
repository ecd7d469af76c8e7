export * from './canonical-json';
export * from './json-object';

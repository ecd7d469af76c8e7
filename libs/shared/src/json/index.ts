export * from './canonical-json';
export * from './json-object';
export * from './json-shape';
export * from './proto-json';

export * from './ids';
export * from './job-id';

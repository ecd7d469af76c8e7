export * from './rendezvous';
export * from './weight';
export * from './workload';
export * from './requirements';
export * from './candidates';
export * from './scheduler-config';

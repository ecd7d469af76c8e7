export * from './batch-builder';
export * from './settlement-sink';
export * from './failover';

export * from './webhook-signature';
export * from './retry-schedule';
export * from './webhook-events';

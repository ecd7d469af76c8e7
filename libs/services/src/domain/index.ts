export * from './decimals';
export * from './service-schedule';
export * from './service-schedule.repository';
export * from './estimate-cost';
export * from './prover-requirements';
export * from './json-schemas';
export * from './units-rule';

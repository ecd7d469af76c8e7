export * from './score';
export * from './prover';
export * from './prover-state';
export * from './scorecard-update-event';

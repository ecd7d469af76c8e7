export * from './score';
export * from './prover';
export * from './scorecard-update-event';

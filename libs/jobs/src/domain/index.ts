export * from './job-status';
export * from './settlement';
export * from './job-audit-event';
export * from './job-requirements';
export * from './result-metadata';

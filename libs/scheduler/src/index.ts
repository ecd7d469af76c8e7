export * from './domain';
export * from './scheduler.module';
export * from './commands/assign-pending-jobs/assign-pending-jobs.command';
export * from './commands/sweep-timeouts/sweep-timeouts.command';
export * from './commands/put-scheduler-config/put-scheduler-config.command';
export * from './queries/get-scheduler-config/get-scheduler-config.query';
export * from './queries/get-placement/get-placement.query';
export { ASSIGN_INTERVAL, SchedulerTicker, SWEEP_INTERVAL } from './ticks/scheduler-ticker';
export { presentWeight } from './http/scheduler.controller';

import { Module } from '@nestjs/common';
import { JobsModule } from '@tally/jobs';
import { ProversModule } from '@tally/provers';
import { ServicesModule } from '@tally/services';
import { SchedulerAssignmentCheckModule } from './commands/check-assignment/scheduler-assignment-check';
import { AssignPendingJobsCommandHandler } from './commands/assign-pending-jobs/assign-pending-jobs.command-handler';
import { PutSchedulerConfigCommandHandler } from './commands/put-scheduler-config/put-scheduler-config.command-handler';
import { SweepTimeoutsCommandHandler } from './commands/sweep-timeouts/sweep-timeouts.command-handler';
import { SchedulerController } from './http/scheduler.controller';
import { AssignmentLock } from './persistence/assignment-lock';
import { SchedulerConfigRepository } from './persistence/scheduler-config.repository';
import { SchedulingRepository } from './persistence/scheduling.repository';
import { GetPlacementQueryHandler } from './queries/get-placement/get-placement.query-handler';
import { GetSchedulerConfigQueryHandler } from './queries/get-scheduler-config/get-scheduler-config.query';
import { SchedulerTicker } from './ticks/scheduler-ticker';
import { SchedulingTriggers } from './ticks/scheduling-triggers';

/**
 * Deterministic assignment (weighted rendezvous over live, capable provers), placement,
 * the scheduler config, and the periodic ticks. Jobs and provers are read through their
 * libs' queries and change only through their libs' commands. Needs ScheduleModule.forRoot() in the app (SchedulerRegistry).
 */
@Module({
  imports: [JobsModule, ProversModule, ServicesModule, SchedulerAssignmentCheckModule],
  controllers: [SchedulerController],
  providers: [
    SchedulerConfigRepository,
    AssignmentLock,
    SchedulingRepository,
    AssignPendingJobsCommandHandler,
    SweepTimeoutsCommandHandler,
    PutSchedulerConfigCommandHandler,
    GetSchedulerConfigQueryHandler,
    GetPlacementQueryHandler,
    SchedulerTicker,
    SchedulingTriggers,
  ],
  exports: [SchedulerTicker],
})
export class SchedulerModule {}

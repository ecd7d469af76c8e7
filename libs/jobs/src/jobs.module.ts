import { Module } from '@nestjs/common';
import { LedgerModule, LedgerQueriesModule } from '@tally/ledger';
import { ServicesModule } from '@tally/services';
import { AssignJobCommandHandler, AssignJobsCommandHandler } from './commands/assign-job/assign-job.command-handler';
import { CancelJobCommandHandler } from './commands/cancel-job/cancel-job.command-handler';
import { CloseDisputeWindowsCommandHandler } from './commands/close-dispute-windows/close-dispute-windows.command-handler';
import { DisputeWindowSweep } from './commands/close-dispute-windows/dispute-window.sweep';
import { DisputeJobCommandHandler } from './commands/dispute-job/dispute-job.command-handler';
import { ResolveDisputeCommandHandler } from './commands/resolve-dispute/resolve-dispute.command-handler';
import { FailJobCommandHandler } from './commands/fail-job/fail-job.command-handler';
import { ReleaseStartCommandHandler } from './commands/release-start/release-start.command-handler';
import { RequeueJobCommandHandler } from './commands/requeue-job/requeue-job.command-handler';
import { JobAuditRecorder } from './commands/record-audit/job-audit-recorder';
import { JobAuditBrokerFeed } from './commands/record-audit/job-audit-broker-feed';
import { ReportResultCommandHandler } from './commands/report-result/report-result.command-handler';
import { ReportUsageCommandHandler } from './commands/report-usage/report-usage.command-handler';
import { StartJobCommandHandler } from './commands/start-job/start-job.command-handler';
import { StartNextJobCommandHandler } from './commands/start-next-job/start-next-job.command-handler';
import { SubmitJobCommandHandler } from './commands/submit-job/submit-job.command-handler';
import { TakeReplicaNoticesCommandHandler } from './commands/take-replica-notices/take-replica-notices.command-handler';
import { AdminJobsController } from './http/admin-jobs.controller';
import { JobEndpoints } from './http/job-endpoints';
import { JobsController } from './http/jobs.controller';
import { ServiceJobsController } from './http/service-jobs.controller';
import { JobRepository } from './persistence/job.repository';
import { JobAudienceQuery } from './queries/job-audience/job-audience.query';
import { JobResultQuery } from './queries/job-result/job-result.query';
import { JobQueries } from './queries/list-jobs/list-jobs.query';
import { OverdueJobsQuery } from './queries/overdue-jobs/overdue-jobs.query';
import { PendingJobsQuery } from './queries/pending-jobs/pending-jobs.query';
import { ProverReplicasQuery } from './queries/prover-replicas/prover-replicas.query';
import { JobPayments } from './payments/job-payments';
import { DisputePayments } from './payments/dispute-payments';

@Module({
  imports: [LedgerModule, LedgerQueriesModule, ServicesModule],
  controllers: [JobsController, AdminJobsController, ServiceJobsController],
  providers: [
    JobRepository,
    JobEndpoints,
    JobQueries,
    PendingJobsQuery,
    OverdueJobsQuery,
    ProverReplicasQuery,
    JobAudienceQuery,
    JobResultQuery,
    JobPayments,
    DisputePayments,
    DisputeJobCommandHandler,
    ResolveDisputeCommandHandler,
    CloseDisputeWindowsCommandHandler,
    DisputeWindowSweep,
    SubmitJobCommandHandler,
    AssignJobCommandHandler,
    AssignJobsCommandHandler,
    StartJobCommandHandler,
    StartNextJobCommandHandler,
    ReleaseStartCommandHandler,
    ReportResultCommandHandler,
    ReportUsageCommandHandler,
    CancelJobCommandHandler,
    RequeueJobCommandHandler,
    FailJobCommandHandler,
    JobAuditRecorder,
    JobAuditBrokerFeed,
    TakeReplicaNoticesCommandHandler,
  ],
  exports: [JobEndpoints, JobQueries, PendingJobsQuery, OverdueJobsQuery, ProverReplicasQuery, JobAudienceQuery],
})
export class JobsModule {}

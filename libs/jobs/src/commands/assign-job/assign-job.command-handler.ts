import { Optional } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { InvalidRequestError, OperationsObserver } from '@tally/shared';
import { canMove, IllegalTransitionError, INITIAL_REPLICA_STATUS, JobNotFoundError, MOVES } from '../../domain';
import { JOB_ASSIGNED, type JobAssignedPayload } from '../../events/jobs.events';
import { AssignmentRow, JobRepository, JobRow } from '../../persistence/job.repository';
import { JobReceipts } from '../../payments/job-receipts.port';
import { AssignJobCommand, AssignJobsCommand } from './assign-job.command';
import { AssignmentCheck } from './assignment-check.port';

@CommandHandler(AssignJobsCommand)
export class AssignJobsCommandHandler implements ICommandHandler<AssignJobsCommand, JobRow[]> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
    @Optional() private readonly receipts?: JobReceipts,
    @Optional() private readonly observer?: OperationsObserver,
  ) {}

  execute({ assignments, scorecards }: AssignJobsCommand): Promise<JobRow[]> {
    return this.uow.run(async () => {
      if (assignments.length === 0) return [];
      const ids = assignments.map((a) => a.jobId);
      if (new Set(ids).size !== ids.length) throw new InvalidRequestError('a job can be assigned once per batch');
      for (const { proverIds } of assignments) {
        if (new Set(proverIds).size !== proverIds.length) throw new InvalidRequestError('a job needs distinct provers');
      }
      const events = this.outbox.insertSql(
        assignments.map((a) => ({
          type: JOB_ASSIGNED,
          partitionKey: a.jobId,
          payload: { network_job_id: a.jobId, provers: a.proverIds } satisfies JobAssignedPayload,
        })),
      );
      // The jobs are locked by the caller (the scheduler's claim, or the admin route's check below).
      const assigned = await this.jobs.assignMany(assignments, events.sql);
      events.written();
      this.observeLatency([...assigned.values()]);
      await this.receipts?.assigned(
        assignments.map(({ jobId, proverIds }) => {
          const job = assigned.get(jobId)!;
          return { job, assignments: proverIds.map((p, i) => assignmentOf(job, p, i + 1)) };
        }),
        scorecards,
      );
      return ids.map((id) => assigned.get(id)!);
    });
  }

  /** Submit→assigned, told to the metrics once the assignment commits. */
  private observeLatency(rows: JobRow[]): void {
    const observer = this.observer;
    if (!observer) return;
    this.uow.afterCommit(() => {
      for (const r of rows) {
        if (r.assigned_at) observer.jobLatency('assigned', secondsBetween(r.submitted_at, r.assigned_at));
      }
    });
  }
}

/** A replica's assignment as the statement inserted it. */
function assignmentOf(job: JobRow, proverId: string, replica: number): AssignmentRow {
  return {
    network_job_id: job.network_job_id,
    prover_id: proverId,
    replica,
    status: INITIAL_REPLICA_STATUS,
    success: null,
    final_cost_micros: null,
    result_hash: null,
    error_message: null,
    report_hash: null,
    reward_micros: null,
    assigned_at: job.assigned_at!,
    started_at: null,
    reported_at: null,
  };
}

@CommandHandler(AssignJobCommand)
export class AssignJobCommandHandler implements ICommandHandler<AssignJobCommand, JobRow> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly batch: AssignJobsCommandHandler,
    @Optional() private readonly check?: AssignmentCheck,
  ) {}

  /** The admin route: the job is locked and checked first, so a refusal names its reason. */
  execute({ jobId, proverIds }: AssignJobCommand): Promise<JobRow> {
    return this.uow.run(async () => {
      const [job] = await this.jobs.findMany([jobId]);
      if (!job) throw new JobNotFoundError(jobId);
      // Only an assignment's own move: a RUNNING job may become ASSIGNED again, but by a give-back.
      if (!canMove(MOVES.assign, job.status)) {
        throw new IllegalTransitionError(
          job.status,
          MOVES.assign.to,
          `a ${job.status} job cannot be assigned: only a ${MOVES.assign.from.join(' or ')} one can`,
        );
      }
      if (new Set(proverIds).size !== proverIds.length || proverIds.length !== job.replicas) {
        throw new InvalidRequestError(`this job needs ${job.replicas} distinct prover(s)`);
      }
      const refusal = await this.check?.refusal(job, proverIds);
      if (refusal) throw refusal;
      const [assigned] = await this.batch.execute(new AssignJobsCommand([{ jobId, proverIds }]));
      return assigned;
    });
  }
}

function secondsBetween(from: Date | string, to: Date | string): number {
  return Math.max(0, (new Date(to).getTime() - new Date(from).getTime()) / 1000);
}

import { BeforeApplicationShutdown, Optional } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { ServiceRegistry } from '@tally/services';
import { DomainError, ErrorCode, GroupCommit, OperationsObserver, newId, Settled } from '@tally/shared';
import { JobRepository, JobRow, NewJob } from '../../persistence/job.repository';
import { JobPayments } from '../../payments/job-payments';
import { SubmitJobCommand, SubmitJobInput } from './submit-job.command';

type Submitted = { job: JobRow; replayed: boolean };

/** Thrown to roll a batch back when some of its holds were refused; the rest is written again without them. */
class HoldsRefused extends Error {
  constructor(readonly refused: Map<number, DomainError>) {
    super('some holds were refused');
  }
}

/**
 * Submits arrive from many clients at once: the ones that arrive together are written in
 * one transaction (group commit), so the shared escrow account is locked once for all of
 * their holds. Each job is inserted with its hold, or not at all: if a hold is refused
 * (402, 404) the batch rolls back and is written again without it, and that submit alone
 * gets the refusal. A client_job_id seen before answers with its job (or DSE-009).
 */
@CommandHandler(SubmitJobCommand)
export class SubmitJobCommandHandler
  implements ICommandHandler<SubmitJobCommand, Submitted>, BeforeApplicationShutdown
{
  private readonly batches = new GroupCommit<SubmitJobInput, Submitted>((inputs) => this.submitAll(inputs), {
    inline: () => this.uow.active,
    onBatch: (size, waited) => this.observer?.groupCommitted('jobs.submit', size, waited),
  });

  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly payments: JobPayments,
    private readonly outbox: OutboxWriter,
    private readonly registry: ServiceRegistry,
    @Optional() private readonly observer?: OperationsObserver,
  ) {}

  execute({ input }: SubmitJobCommand): Promise<Submitted> {
    return this.batches.submit(input);
  }

  private async submitAll(inputs: SubmitJobInput[]): Promise<Settled<Submitted>[]> {
    const results = new Map<number, Settled<Submitted>>();
    for (;;) {
      const open = inputs.map((input, i) => ({ input, i })).filter(({ i }) => !results.has(i));
      if (open.length === 0) break;
      try {
        const written = await this.uow.run(() => this.write(open));
        for (const [i, r] of written) results.set(i, r);
      } catch (error) {
        if (!(error instanceof HoldsRefused)) throw error;
        for (const [i, refusal] of error.refused) results.set(i, { error: refusal });
      }
    }
    return inputs.map((_, i) => results.get(i)!);
  }

  /** One attempt at the batch, in its transaction: jobs, replays, events, then the holds last. */
  private async write(batch: { input: SubmitJobInput; i: number }[]): Promise<Map<number, Settled<Submitted>>> {
    const results = new Map<number, Settled<Submitted>>();
    const priced: (Omit<NewJob, 'id'> & { i: number })[] = [];
    const estimates = new Map<string, Promise<{ micros: bigint; version: number }>>();
    for (const { input, i } of batch) {
      // With a service the hold is its price estimate, within the ceiling; without, the ceiling itself.
      // The job records the schedule's version it was priced with.
      let held = input.maxCostMicros;
      let serviceVersion: number | null = null;
      if (input.service) {
        const key = `${input.service}\u0000${input.units}\u0000${input.replicas}`;
        if (!estimates.has(key)) estimates.set(key, this.registry.quote(input.service, input.units!, input.replicas));
        ({ micros: held, version: serviceVersion } = await estimates.get(key)!);
      }
      if (held > input.maxCostMicros) {
        results.set(i, {
          error: new DomainError(
            ErrorCode.CostCeilingExceeded,
            `the estimated cost ${held} micros exceeds max_cost_micros ${input.maxCostMicros}`,
            { estimate_micros: held.toString() },
          ),
        });
        continue;
      }
      priced.push({ ...input, i, maxCost: input.maxCostMicros, holdId: newId(), held, serviceVersion });
    }
    // Numbered from the sequence now: a batch that rolls back leaves its numbers unused, never reused.
    const ids = await this.jobs.nextIds(priced.length);
    const fresh = priced.map((j, n) => ({ ...j, id: ids[n] }));
    const { inserted, events } = await this.jobs.insertMany(fresh);
    this.outbox.written(events);
    const created = fresh.filter((j) => inserted.has(j.id));
    // The same client_job_id again: the same job if the request is the same, else DSE-009.
    const again = fresh.filter((j) => !inserted.has(j.id));
    const existing = await this.jobs.findByClientJobIds(
      again.map((j) => ({ clientId: j.clientId, clientJobId: j.clientJobId! })),
    );
    for (const j of again) {
      const job = existing.get(`${j.clientId}\u0000${j.clientJobId}`);
      results.set(
        j.i,
        job && job.request_hash === j.requestHash
          ? { value: { job, replayed: true } }
          : {
              error: new DomainError(
                ErrorCode.IdempotencyConflict,
                'this client_job_id was used with a different request',
              ),
            },
      );
    }
    // Last: the holds lock the shared escrow row until the commit.
    const refusals = await this.payments.holds(
      created.map((j) => ({ jobId: j.id, holdId: j.holdId, clientId: j.clientId, amount: j.held })),
    );
    const refused = new Map<number, DomainError>();
    refusals.forEach((refusal, n) => refusal && refused.set(created[n].i, refusal));
    if (refused.size > 0) throw new HoldsRefused(refused);
    for (const j of created) results.set(j.i, { value: { job: inserted.get(j.id)!, replayed: false } });
    return results;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.batches.idle();
  }
}

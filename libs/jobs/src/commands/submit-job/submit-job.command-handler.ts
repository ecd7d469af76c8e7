import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import { ServiceRegistry } from '@tally/registry';
import { DomainError, ErrorCode, newId } from '@tally/shared';
import { JobRepository, JobRow } from '../../persistence/job.repository';
import { JobSettler } from '../../settlement/job-settler';
import { SubmitJobCommand } from './submit-job.command';

@CommandHandler(SubmitJobCommand)
export class SubmitJobCommandHandler implements ICommandHandler<SubmitJobCommand> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly jobs: JobRepository,
    private readonly settler: JobSettler,
    private readonly outbox: OutboxWriter,
    private readonly registry: ServiceRegistry,
  ) {}

  execute({ input }: SubmitJobCommand): Promise<{ job: JobRow; replayed: boolean }> {
    return this.uow.run(async () => {
      // With a service the hold is its price estimate, within the ceiling; without, the ceiling itself.
      const held = input.service
        ? await this.registry.estimate(input.service, input.units!, input.replicas)
        : input.maxCostMicros;
      if (held > input.maxCostMicros) {
        throw new DomainError(
          ErrorCode.CostCeilingExceeded,
          `the estimated cost ${held} micros exceeds max_cost_micros ${input.maxCostMicros}`,
          { estimate_micros: held.toString() },
        );
      }
      const id = newId();
      const holdId = newId();
      const job = await this.jobs.insert({ ...input, id, maxCost: input.maxCostMicros, holdId, held });
      if (!job) {
        // The same client_job_id again: the same job if the request is the same, else DSE-009.
        const existing = await this.jobs.findByClientJobId(input.clientId, input.clientJobId!);
        if (!existing || existing.request_hash !== input.requestHash) {
          throw new DomainError(ErrorCode.IdempotencyConflict, 'this client_job_id was used with a different request');
        }
        return { job: existing, replayed: true };
      }
      await this.outbox.append('JobSubmitted', id, {
        network_job_id: id,
        client_id: input.clientId,
        priority: input.priority,
        replicas: input.replicas,
        requirements: input.requirements,
        service: input.service,
      });
      // Last: the hold locks the shared escrow row until the commit.
      await this.settler.hold(id, holdId, input.clientId, held);
      return { job, replayed: false };
    });
  }
}

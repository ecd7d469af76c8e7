import { Optional } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { ProverNotFoundError } from '../../domain';
import { ProverRepository, ProverRow } from '../../persistence/prover.repository';
import { AssignmentFence } from '../assignment-fence.port';
import { DrainProverCommand } from './drain-prover.command';

@CommandHandler(DrainProverCommand)
export class DrainProverCommandHandler implements ICommandHandler<DrainProverCommand, ProverRow> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly provers: ProverRepository,
    @Optional() private readonly fence?: AssignmentFence,
  ) {}

  execute({ proverId }: DrainProverCommand): Promise<ProverRow> {
    return this.uow.run(async () => {
      // An assignment batch that read the prover active commits first: once the drain has
      // answered, no new job can reach the prover.
      await this.fence?.waitForAssigners();
      const drained = await this.provers.drain(proverId);
      if (!drained) throw new ProverNotFoundError(proverId);
      return drained;
    });
  }
}

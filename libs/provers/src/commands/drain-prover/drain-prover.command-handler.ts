import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { ProverNotFoundError } from '../../domain';
import { ProverRepository, ProverRow } from '../../persistence/prover.repository';
import { DrainProverCommand } from './drain-prover.command';

@CommandHandler(DrainProverCommand)
export class DrainProverCommandHandler implements ICommandHandler<DrainProverCommand, ProverRow> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly provers: ProverRepository,
  ) {}

  execute({ proverId }: DrainProverCommand): Promise<ProverRow> {
    return this.uow.run(async () => {
      const drained = await this.provers.drain(proverId);
      if (!drained) throw new ProverNotFoundError(proverId);
      return drained;
    });
  }
}

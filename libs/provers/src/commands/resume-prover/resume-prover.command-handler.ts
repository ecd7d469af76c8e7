import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { ProverNotFoundError } from '../../domain';
import { ProverRepository, ProverRow } from '../../persistence/prover.repository';
import { ResumeProverCommand } from './resume-prover.command';

@CommandHandler(ResumeProverCommand)
export class ResumeProverCommandHandler implements ICommandHandler<ResumeProverCommand, ProverRow> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly provers: ProverRepository,
  ) {}

  execute({ proverId }: ResumeProverCommand): Promise<ProverRow> {
    return this.uow.run(async () => {
      const resumed = await this.provers.resume(proverId);
      if (!resumed) throw new ProverNotFoundError(proverId);
      return resumed;
    });
  }
}

import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { ProverRepository } from '../../persistence/prover.repository';
import { MarkSilentOfflineCommand } from './mark-silent-offline.command';

@CommandHandler(MarkSilentOfflineCommand)
export class MarkSilentOfflineCommandHandler implements ICommandHandler<MarkSilentOfflineCommand, string[]> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly provers: ProverRepository,
  ) {}

  execute({ ttlMs }: MarkSilentOfflineCommand): Promise<string[]> {
    return this.uow.run(() => this.provers.goOfflineIfSilent(ttlMs));
  }
}

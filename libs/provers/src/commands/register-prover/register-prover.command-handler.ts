import { Optional } from '@nestjs/common';
import { CommandBus, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { CreateAccountCommand, providerAccount } from '@tally/ledger';
import { ProverRepository, ProverRow } from '../../persistence/prover.repository';
import { AssignmentFence } from '../assignment-fence.port';
import { RegisterProverCommand } from './register-prover.command';

@CommandHandler(RegisterProverCommand)
export class RegisterProverCommandHandler implements ICommandHandler<RegisterProverCommand> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly provers: ProverRepository,
    private readonly commands: CommandBus,
    @Optional() private readonly fence?: AssignmentFence,
  ) {}

  execute({ registration }: RegisterProverCommand): Promise<{ prover: ProverRow; created: boolean }> {
    return this.uow.run(async () => {
      // As a drain does: a lowered max_concurrency holds for every assignment batch after this answers.
      await this.fence?.waitForAssigners();
      const result = await this.provers.register(registration);
      // The ledger's command joins this transaction: the prover and its account commit together.
      await this.commands.execute(
        new CreateAccountCommand(providerAccount(registration.proverId), { prover_id: registration.proverId }),
      );
      return result;
    });
  }
}

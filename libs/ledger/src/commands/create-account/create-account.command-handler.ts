import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { InvalidRequestError } from '@tally/shared';
import { SINGLETON_KINDS } from '../../domain';
import { LedgerReader } from '../../persistence/ledger-reader';
import { CreateAccountCommand } from './create-account.command';

@CommandHandler(CreateAccountCommand)
export class CreateAccountCommandHandler implements ICommandHandler<CreateAccountCommand> {
  constructor(private readonly reader: LedgerReader) {}

  execute({ ref, metadata }: CreateAccountCommand) {
    if (SINGLETON_KINDS.includes(ref.kind)) {
      throw new InvalidRequestError(`the ${ref.kind} account exists already and cannot be created`);
    }
    return this.reader.createAccount(ref, metadata);
  }
}

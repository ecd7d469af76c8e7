import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { DomainError, ErrorCode, InvalidRequestError } from '@tally/shared';
import { KEY_REUSED, SINGLETON_KINDS } from '../../domain';
import { LedgerReader } from '../../persistence/ledger-reader';
import { CreateAccountCommand } from './create-account.command';

@CommandHandler(CreateAccountCommand)
export class CreateAccountCommandHandler implements ICommandHandler<CreateAccountCommand> {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly reader: LedgerReader,
  ) {}

  execute({ ref, metadata, idempotency }: CreateAccountCommand) {
    if (SINGLETON_KINDS.includes(ref.kind)) {
      throw new InvalidRequestError(`the ${ref.kind} account exists already and cannot be created`);
    }
    // One transaction: the key is kept with the answer it got, or neither is written.
    return this.uow.run(async () => {
      const { account, created } = await this.reader.createAccount(ref, metadata);
      if (!idempotency) return { account, created, replayed: false };
      const first = await this.reader.keepIdempotencyKey({ ...idempotency, created });
      if (first === 'kept') return { account, created, replayed: false };
      if (first.requestHash !== idempotency.requestHash) {
        throw new DomainError(ErrorCode.IdempotencyConflict, KEY_REUSED);
      }
      // The same request again: the account it made (this insert found it), answered as before.
      return { account, created: first.created, replayed: true };
    });
  }
}

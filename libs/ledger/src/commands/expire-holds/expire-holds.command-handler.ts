import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Clock, hashOf, newId } from '@tally/shared';
import { LedgerReader } from '../../persistence/ledger-reader';
import { LedgerWriter } from '../../posting/ledger-writer';
import { ExpireHoldsCommand } from './expire-holds.command';

const SWEEP_LIMIT = 500;

@CommandHandler(ExpireHoldsCommand)
export class ExpireHoldsCommandHandler implements ICommandHandler<ExpireHoldsCommand, number> {
  constructor(
    private readonly reader: LedgerReader,
    private readonly writer: LedgerWriter,
    private readonly clock: Clock,
  ) {}

  async execute({ now }: ExpireHoldsCommand): Promise<number> {
    const due = await this.reader.dueHolds(now ?? this.clock.now(), SWEEP_LIMIT);
    // The hold id makes the key: two replicas sweeping at once expire each hold once.
    const results = await Promise.all(
      due.map((holdId) =>
        this.writer.post({
          id: newId(),
          kind: 'expire',
          holdId,
          idempotency: { scope: 'system', key: `hold:${holdId}:expire`, requestHash: hashOf({ expire: holdId }) },
        }),
      ),
    );
    return results.filter((r) => r.outcome === 'posted').length;
  }
}

import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { Clock, hashOf, newId } from '@tally/shared';
import { releaseRequest } from '../../domain';
import { LedgerReader } from '../../persistence/ledger-reader';
import { LedgerWriter } from '../../posting/ledger-writer';
import { ReleaseUnbondedCommand } from './release-unbonded.command';

const SWEEP_LIMIT = 500;

@CommandHandler(ReleaseUnbondedCommand)
export class ReleaseUnbondedCommandHandler implements ICommandHandler<ReleaseUnbondedCommand, number> {
  constructor(
    private readonly reader: LedgerReader,
    private readonly writer: LedgerWriter,
    private readonly clock: Clock,
  ) {}

  async execute({ now }: ReleaseUnbondedCommand): Promise<number> {
    const due = await this.reader.dueUnbondings(now ?? this.clock.now(), SWEEP_LIMIT);
    // The hold id makes the key: replicas sweeping at once release each unbonding once (the
    // others replay it), and a hold released already is refused by the ledger anyway.
    const results = await Promise.all(
      due.map((u) =>
        this.writer.post({
          ...releaseRequest(newId(), u.id, u.proverId, u.amount),
          idempotency: { scope: 'system', key: `hold:${u.id}:unbond`, requestHash: hashOf({ unbond: u.id }) },
        }),
      ),
    );
    return results.filter((r) => r.outcome === 'posted').length;
  }
}

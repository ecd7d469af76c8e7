import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { postingError } from '../../domain';
import { LedgerWriter } from '../../posting/ledger-writer';
import { PostTransferCommand, PostTransferResult } from './post-transfer.command';

@CommandHandler(PostTransferCommand)
export class PostTransferCommandHandler implements ICommandHandler<PostTransferCommand, PostTransferResult> {
  constructor(private readonly writer: LedgerWriter) {}

  async execute({ request }: PostTransferCommand): Promise<PostTransferResult> {
    const result = await this.writer.post(request);
    const replayed = result.outcome === 'replay';
    if ('transfer' in result) return { ok: true, transfer: result.transfer, replayed };
    return { ok: false, error: postingError(result), replayed };
  }
}

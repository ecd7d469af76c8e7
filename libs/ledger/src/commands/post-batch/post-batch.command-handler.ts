import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import type { PostingResult } from '../../domain';
import { LedgerWriter } from '../../posting/ledger-writer';
import { PostBatchCommand } from './post-batch.command';

@CommandHandler(PostBatchCommand)
export class PostBatchCommandHandler implements ICommandHandler<PostBatchCommand, PostingResult[]> {
  constructor(private readonly writer: LedgerWriter) {}

  execute({ requests }: PostBatchCommand): Promise<PostingResult[]> {
    return this.writer.postBatch(requests);
  }
}

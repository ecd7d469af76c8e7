import { Command } from '@nestjs/cqrs';
import type { PostingRequest, PostingResult } from '../../domain';

/**
 * Posts a caller's batch of transfers (ids of its choosing) in one transaction, in order:
 * one result per request, a refusal never failing its neighbours unless they are linked.
 */
export class PostBatchCommand extends Command<PostingResult[]> {
  constructor(readonly requests: PostingRequest[]) {
    super();
  }
}

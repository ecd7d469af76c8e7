import { Command } from '@nestjs/cqrs';
import type { DomainError } from '@tally/shared';
import type { PostingRequest, TransferView } from '../../domain';

export type PostTransferResult =
  { ok: true; transfer: TransferView; replayed: boolean } | { ok: false; error: DomainError; replayed: boolean };

/** Posts a transfer (mint, spend, reward, transfer, or a hold and its capture, void or expiry). */
export class PostTransferCommand extends Command<PostTransferResult> {
  constructor(readonly request: PostingRequest) {
    super();
  }
}

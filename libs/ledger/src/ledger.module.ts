import { Module } from '@nestjs/common';
import { CreateAccountCommandHandler } from './commands/create-account/create-account.command-handler';
import { ExpireHoldsCommandHandler } from './commands/expire-holds/expire-holds.command-handler';
import { HoldExpirySweep } from './commands/expire-holds/hold-expiry.sweep';
import { PostTransferCommandHandler } from './commands/post-transfer/post-transfer.command-handler';
import { CreditsController } from './http/credits.controller';
import { LedgerReader } from './persistence/ledger-reader';
import { LedgerWriter } from './posting/ledger-writer';
import { OptimisticPoster } from './posting/optimistic-poster';
import { PostingEngine } from './posting/posting-engine';
import { LedgerVerifier } from './verify/ledger-verifier';

@Module({
  controllers: [CreditsController],
  providers: [
    PostingEngine,
    OptimisticPoster,
    LedgerWriter,
    LedgerReader,
    LedgerVerifier,
    PostTransferCommandHandler,
    CreateAccountCommandHandler,
    ExpireHoldsCommandHandler,
    HoldExpirySweep,
  ],
  exports: [LedgerWriter, LedgerReader, LedgerVerifier],
})
export class LedgerModule {}

import { Module } from '@nestjs/common';
import { CreateAccountCommandHandler } from './commands/create-account/create-account.command-handler';
import { ExpireHoldsCommandHandler } from './commands/expire-holds/expire-holds.command-handler';
import { HoldExpirySweep } from './commands/expire-holds/hold-expiry.sweep';
import { ReleaseUnbondedCommandHandler } from './commands/release-unbonded/release-unbonded.command-handler';
import { UnbondingSweep } from './commands/release-unbonded/unbonding.sweep';
import { PostBatchCommandHandler } from './commands/post-batch/post-batch.command-handler';
import { PostTransferCommandHandler } from './commands/post-transfer/post-transfer.command-handler';
import { AdminAccountsController } from './http/admin-accounts.controller';
import { BalanceAlertsController } from './http/balance-alerts.controller';
import { CreditsController } from './http/credits.controller';
import { AdminPayoutsController, ProverPayoutsController } from './http/payouts.controller';
import { PayoutDesk } from './commands/payouts/payout-desk';
import { PayoutStore } from './persistence/payout-store';
import { TransferBatchController } from './http/transfer-batch/transfer-batch.controller';
import { BalanceAlertStore } from './persistence/balance-alert-store';
import { LedgerReader } from './persistence/ledger-reader';
import { LedgerWriter } from './posting/ledger-writer';
import { OptimisticPoster } from './posting/optimistic-poster';
import { PostingEngine } from './posting/posting-engine';
import { LedgerVerifier } from './verify/ledger-verifier';
import { VerifyRuns } from './verify/verify-runs';

@Module({
  controllers: [
    CreditsController,
    TransferBatchController,
    BalanceAlertsController,
    AdminAccountsController,
    ProverPayoutsController,
    AdminPayoutsController,
  ],
  providers: [
    PostingEngine,
    OptimisticPoster,
    LedgerWriter,
    LedgerReader,
    BalanceAlertStore,
    LedgerVerifier,
    VerifyRuns,
    PostTransferCommandHandler,
    PostBatchCommandHandler,
    CreateAccountCommandHandler,
    ExpireHoldsCommandHandler,
    HoldExpirySweep,
    PayoutStore,
    PayoutDesk,
    ReleaseUnbondedCommandHandler,
    UnbondingSweep,
  ],
  exports: [LedgerWriter, LedgerReader, LedgerVerifier, VerifyRuns],
})
export class LedgerModule {}

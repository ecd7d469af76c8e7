import { Module } from '@nestjs/common';
import { LedgerQueriesModule } from '@tally/ledger';
import { ReceiptsModule } from '@tally/receipts';
import { DeliverBatchesCommandHandler } from './commands/deliver-batches/deliver-batches.command-handler';
import { SealBatchCommandHandler } from './commands/seal-batch/seal-batch.command-handler';
import { SettlementController } from './http/settlement.controller';
import { DeliveryRepository } from './persistence/delivery.repository';
import { SettlementRepository } from './persistence/settlement.repository';
import { GetBatchQueryHandler } from './queries/get-batch/get-batch.query';
import { GetAccountProofQueryHandler } from './queries/get-proof/get-account-proof.query';
import { GetTransferProofQueryHandler } from './queries/get-proof/get-transfer-proof.query';
import { TreeCache } from './queries/get-proof/tree-cache';
import { GetSettlementStatusQueryHandler } from './queries/get-status/get-settlement-status.query';
import { ListBatchesQueryHandler } from './queries/list-batches/list-batches.query';
import { SettlementVerifyModule } from './settlement-verify.module';
import { settlementSinksProvider } from './sinks/sinks.provider';
import { SettlementTicker } from './ticks/settlement-ticker';

/**
 * Sealed settlement batches: Merkle roots over the journal and balances, proofs, sinks.
 * Batches are signed by the receipts keyring. Needs ScheduleModule.forRoot() in the app.
 */
@Module({
  imports: [ReceiptsModule, LedgerQueriesModule, SettlementVerifyModule],
  controllers: [SettlementController],
  providers: [
    SettlementRepository,
    DeliveryRepository,
    TreeCache,
    settlementSinksProvider,
    SealBatchCommandHandler,
    DeliverBatchesCommandHandler,
    GetBatchQueryHandler,
    ListBatchesQueryHandler,
    GetTransferProofQueryHandler,
    GetAccountProofQueryHandler,
    GetSettlementStatusQueryHandler,
    SettlementTicker,
  ],
  exports: [SettlementVerifyModule, SettlementTicker],
})
export class SettlementModule {}

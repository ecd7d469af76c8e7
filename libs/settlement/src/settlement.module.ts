import { Module } from '@nestjs/common';
import { LedgerQueriesModule } from '@tally/ledger';
import { ReceiptsModule } from '@tally/receipts';
import { DeliverBatchesCommandHandler } from './commands/deliver-batches/deliver-batches.command-handler';
import { ReconcileFallbackCommandHandler } from './commands/reconcile-fallback/reconcile-fallback.command-handler';
import { SealBatchCommandHandler } from './commands/seal-batch/seal-batch.command-handler';
import { SinkHealthMonitor } from './failover/sink-health-monitor';
import { FallbackController } from './http/fallback.controller';
import { SettlementController } from './http/settlement.controller';
import { DeliveryRepository } from './persistence/delivery.repository';
import { FailoverRepository } from './persistence/failover.repository';
import { SettlementRepository } from './persistence/settlement.repository';
import { GetFallbackConsistencyQueryHandler } from './queries/fallback-consistency/get-fallback-consistency.query';
import { ListFallbackPendingQueryHandler } from './queries/fallback-pending/list-fallback-pending.query';
import { GetFallbackStatusQueryHandler } from './queries/fallback-status/get-fallback-status.query';
import { GetBatchQueryHandler } from './queries/get-batch/get-batch.query';
import { GetAccountProofQueryHandler } from './queries/get-proof/get-account-proof.query';
import { GetTransferProofQueryHandler } from './queries/get-proof/get-transfer-proof.query';
import { TreeCache } from './queries/get-proof/tree-cache';
import { GetLastBatchQueryHandler } from './queries/get-last-batch/get-last-batch.query';
import { GetSettlementStatusQueryHandler } from './queries/get-status/get-settlement-status.query';
import { ListBatchesQueryHandler } from './queries/list-batches/list-batches.query';
import { SettlementVerifyModule } from './settlement-verify.module';
import { settlementSinksProvider } from './sinks/sinks.provider';
import { SettlementTicker } from './ticks/settlement-ticker';

/**
 * Sealed settlement batches: Merkle roots over the journal and balances, proofs, and the
 * sink chain (primary → secondary → emergency) with its failover and reconciliation.
 * Batches are signed by the receipts keyring. Needs ScheduleModule.forRoot() in the app.
 */
@Module({
  imports: [ReceiptsModule, LedgerQueriesModule, SettlementVerifyModule],
  controllers: [SettlementController, FallbackController],
  providers: [
    SettlementRepository,
    DeliveryRepository,
    FailoverRepository,
    SinkHealthMonitor,
    TreeCache,
    settlementSinksProvider,
    SealBatchCommandHandler,
    DeliverBatchesCommandHandler,
    ReconcileFallbackCommandHandler,
    GetFallbackStatusQueryHandler,
    ListFallbackPendingQueryHandler,
    GetFallbackConsistencyQueryHandler,
    GetBatchQueryHandler,
    ListBatchesQueryHandler,
    GetTransferProofQueryHandler,
    GetAccountProofQueryHandler,
    GetSettlementStatusQueryHandler,
    GetLastBatchQueryHandler,
    SettlementTicker,
  ],
  exports: [SettlementVerifyModule, SettlementTicker],
})
export class SettlementModule {}

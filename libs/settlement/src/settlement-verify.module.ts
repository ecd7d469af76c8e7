import { Module } from '@nestjs/common';
import { LedgerQueriesModule } from '@tally/ledger';
import { ReceiptKeysModule } from '@tally/receipts';
import { SettlementRepository } from './persistence/settlement.repository';
import { SettlementVerifier } from './verify/settlement-verifier';

/** The batch-chain verifier alone (a database, no keys, no clocks): what `ledger verify` needs. */
@Module({
  imports: [LedgerQueriesModule, ReceiptKeysModule],
  providers: [SettlementRepository, SettlementVerifier],
  exports: [SettlementVerifier],
})
export class SettlementVerifyModule {}

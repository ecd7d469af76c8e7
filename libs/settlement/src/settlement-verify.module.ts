import { Module } from '@nestjs/common';
import { SettlementRepository } from './persistence/settlement.repository';
import { SettlementVerifier } from './verify/settlement-verifier';

/** The batch-chain verifier alone (a database, no keys, no clocks): what `ledger verify` needs. */
@Module({ providers: [SettlementRepository, SettlementVerifier], exports: [SettlementVerifier] })
export class SettlementVerifyModule {}

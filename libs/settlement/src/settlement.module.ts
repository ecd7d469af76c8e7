import { Module } from '@nestjs/common';

/** Sealed settlement batches: Merkle roots over the journal and balances, proofs, sinks. */
@Module({})
export class SettlementModule {}

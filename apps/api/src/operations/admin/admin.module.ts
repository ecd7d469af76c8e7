import { Module } from '@nestjs/common';
import { LedgerModule } from '@tally/ledger';
import { SettlementModule } from '@tally/settlement';
import { LedgerVerifyController } from './ledger-verify/ledger-verify.controller';
import { LedgerVerifyRunner } from './ledger-verify/ledger-verify-runner';

/**
 * The admin routes a dashboard reads that span several libs: each composes the queries and
 * verifiers the libs export, never their tables.
 */
@Module({
  imports: [LedgerModule, SettlementModule],
  controllers: [LedgerVerifyController],
  providers: [LedgerVerifyRunner],
})
export class AdminModule {}

import { Module } from '@nestjs/common';
import { JobsModule } from '@tally/jobs';
import { LedgerModule, LedgerQueriesModule } from '@tally/ledger';
import { ProversModule } from '@tally/provers';
import { SettlementModule } from '@tally/settlement';
import { LedgerVerifyController } from './ledger-verify/ledger-verify.controller';
import { LedgerVerifyRunner } from './ledger-verify/ledger-verify-runner';
import { OverviewController } from './overview/overview.controller';

/**
 * The admin routes a dashboard reads that span several libs: each composes the queries and
 * verifiers the libs export, never their tables.
 */
@Module({
  imports: [LedgerModule, LedgerQueriesModule, JobsModule, ProversModule, SettlementModule],
  controllers: [LedgerVerifyController, OverviewController],
  providers: [LedgerVerifyRunner],
})
export class AdminModule {}

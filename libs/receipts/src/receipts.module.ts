import { Global, Module } from '@nestjs/common';
import { JobReceipts, JobsModule } from '@tally/jobs';
import { LedgerQueriesModule } from '@tally/ledger';
import { ProversModule } from '@tally/provers';
import { ReceiptIssuer } from './commands/issue-receipts/receipt-issuer';
import { ReceiptsController } from './http/receipts.controller';
import { SigningKeyring } from './keys/signing-keyring';
import { ReceiptRepository } from './persistence/receipt.repository';
import { ReceiptKeysModule } from './queries/receipt-keys.query';
import { SignedReceiptsQuery } from './queries/signed-receipts/signed-receipts.query';
import { ReceiptCountersigner } from './commands/countersign-receipts/receipt-countersigner';
import { CountersignTicker } from './ticks/countersign-ticker';

/**
 * Signed job receipts: signing keys, the receipt chain per job, countersigning by the
 * configured signer set, the verify routes.
 * Global so the jobs lib's JobReceipts port resolves to the issuer without jobs
 * importing receipts (jobs calls it inside its own transactions).
 */
@Global()
@Module({
  imports: [JobsModule, ProversModule, LedgerQueriesModule, ReceiptKeysModule],
  controllers: [ReceiptsController],
  providers: [
    SigningKeyring,
    ReceiptRepository,
    ReceiptIssuer,
    { provide: JobReceipts, useExisting: ReceiptIssuer },
    SignedReceiptsQuery,
    ReceiptCountersigner,
    CountersignTicker,
  ],
  exports: [SigningKeyring, JobReceipts, ReceiptKeysModule, ReceiptCountersigner],
})
export class ReceiptsModule {}

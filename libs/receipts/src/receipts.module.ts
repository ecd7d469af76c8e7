import { Module } from '@nestjs/common';
import { SigningKeyring } from './keys/signing-keyring';

/** Signed job receipts: signing keys, the receipt chain per job, the verify routes. */
@Module({
  providers: [SigningKeyring],
  exports: [SigningKeyring],
})
export class ReceiptsModule {}

import { Module } from '@nestjs/common';

/** Signed job receipts: signing keys, the receipt chain per job, the verify routes. */
@Module({})
export class ReceiptsModule {}

export * from './receipts.module';

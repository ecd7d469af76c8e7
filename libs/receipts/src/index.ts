export * from './offline';
export * from './receipts.module';
export * from './keys/signing-keyring';
export * from './queries/receipt-keys.query';
export * from './keys/signer-set';
export * from './commands/countersign-receipts/receipt-countersigner';

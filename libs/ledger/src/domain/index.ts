export * from './account';
export * from './transfer';
export * from './transfer-view';
export * from './ledger-errors';
export * from './references';
export * from './ledger-rejection';
export * from './posting-rules';
export * from './balance-alert';

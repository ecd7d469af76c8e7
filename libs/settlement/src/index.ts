export * from './settlement.module';
export * from './settlement-verify.module';
export * from './domain';
export * from './commands/seal-batch/seal-batch.command';
export * from './commands/deliver-batches/deliver-batches.command';
export * from './verify/settlement-verifier';
export { BATCH_NO_HEADER, SIGNATURE_HEADER, WebhookSink } from './sinks/webhook.sink';
export { batchFileName, FileSink } from './sinks/file.sink';

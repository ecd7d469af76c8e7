export * from './webhooks.module';
export * from './domain';
export { WebhookSender } from './delivery/webhook-sender';

export * from './webhooks.module';
export * from './domain';
export { WebhookSender } from './delivery/webhook-sender';
export { WebhookFollower, WEBHOOKS_CURSOR } from './delivery/webhook-follower';
export * from './visibility/event-visibility';

import { Module } from '@nestjs/common';
import { WebhookFollower } from './delivery/webhook-follower';
import { WebhookSender } from './delivery/webhook-sender';
import { WebhooksController } from './http/webhooks.controller';
import { WebhookStore } from './persistence/webhook-store';

@Module({
  controllers: [WebhooksController],
  providers: [WebhookStore, WebhookFollower, WebhookSender],
  exports: [WebhookSender, WebhookFollower],
})
export class WebhooksModule {}

import { Module } from '@nestjs/common';
import { JobsModule } from '@tally/jobs';
import { WebhookEnqueuer } from './delivery/webhook-enqueuer';
import { WebhookSender } from './delivery/webhook-sender';
import { WebhooksController } from './http/webhooks.controller';
import { WebhookStore } from './persistence/webhook-store';

@Module({
  imports: [JobsModule],
  controllers: [WebhooksController],
  providers: [WebhookStore, WebhookEnqueuer, WebhookSender],
  exports: [WebhookSender],
})
export class WebhooksModule {}

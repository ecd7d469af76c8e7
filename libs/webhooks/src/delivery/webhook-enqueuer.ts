import { Injectable } from '@nestjs/common';
import { IEventHandler } from '@nestjs/cqrs';
import { OutboxEvent, OutboxEventsHandler, registerOutboxEvent } from '@tally/database';
import { JOB_SUBMITTED, JobAudienceQuery } from '@tally/jobs';
import { BALANCE_ALERT_TRIGGERED } from '@tally/ledger';
import { type EventAudience, ownerSees, WEBHOOK_EVENT_TYPES } from '../domain';
import { WebhookStore } from '../persistence/webhook-store';

/** This lib's class for the outbox types a subscription may name; the type rides on the class. */
export abstract class WebhookSourceEvent extends OutboxEvent<Record<string, unknown>> {
  static eventType: string;
}
const SOURCE_CLASSES = WEBHOOK_EVENT_TYPES.map((type) => {
  const cls = class extends WebhookSourceEvent {
    static override eventType = type;
  };
  registerOutboxEvent(type, cls);
  return cls;
});

/**
 * Feeds webhooks from the outbox: for each event, one delivery row per subscription whose
 * owner may see it, and nothing else (no call out here). The relay marks the event
 * published only once the rows are written, and a redelivered event enqueues nothing twice.
 */
@Injectable()
@OutboxEventsHandler(...SOURCE_CLASSES)
export class WebhookEnqueuer implements IEventHandler<WebhookSourceEvent> {
  constructor(
    private readonly store: WebhookStore,
    private readonly jobs: JobAudienceQuery,
  ) {}

  async handle(event: WebhookSourceEvent): Promise<void> {
    const type = (event.constructor as typeof WebhookSourceEvent).eventType;
    const subscribers = await this.store.subscribersOf(type);
    if (subscribers.length === 0) return;
    const audience = await this.audienceOf(type, event.payload);
    const ids = subscribers
      .filter((s) => ownerSees({ role: s.owner_role, subject: s.owner_subject }, audience))
      .map((s) => s.id);
    if (ids.length > 0) await this.store.enqueue(event.eventId, ids);
  }

  /** The client an event concerns: a job's client, or a user account's owner. */
  private async audienceOf(type: string, payload: Record<string, unknown>): Promise<EventAudience> {
    if (type === BALANCE_ALERT_TRIGGERED) {
      return { clientId: payload.account_type === 'user' ? String(payload.account_id) : null };
    }
    if (type === JOB_SUBMITTED && typeof payload.client_id === 'string') return { clientId: payload.client_id };
    const job = await this.jobs.of(String(payload.network_job_id));
    return { clientId: job?.clientId ?? null };
  }
}

import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { newId } from '@tally/shared';
import type { WebhookOwner } from '../domain';

export interface SubscriptionRow {
  id: string;
  owner_role: WebhookOwner['role'];
  owner_subject: string;
  url: string;
  event_types: string[];
  status: 'active' | 'failing';
  failing_since: Date | null;
  created_at: Date;
}

export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  sequence: string;
  status: 'pending' | 'delivered' | 'failing';
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

/** A delivery claimed for an attempt, with what the attempt needs. */
export interface ClaimedDelivery {
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  sequence: string;
  occurred_at: Date;
  payload: object;
  attempts: number;
  created_at: Date;
  url: string;
  secret: string;
}

const SUBSCRIPTION_COLUMNS = `id, owner_role, owner_subject, url, event_types, status, failing_since, created_at`;

/** The webhooks lib's tables: subscriptions and their deliveries. */
@Injectable()
export class WebhookStore {
  constructor(private readonly uow: UnitOfWork) {}

  /** A new subscription; undefined when the owner has `max` already. */
  async create(
    owner: WebhookOwner,
    url: string,
    eventTypes: string[],
    secret: string,
    max: number,
  ): Promise<SubscriptionRow | undefined> {
    const [row] = await this.uow.prepared<SubscriptionRow>(
      `INSERT INTO webhook_subscriptions (id, owner_role, owner_subject, url, event_types, secret)
       SELECT $1::uuid, $2::varchar, $3::varchar, $4::varchar, $5::varchar[], $6::varchar
       WHERE (SELECT count(*) FROM webhook_subscriptions WHERE owner_role = $2 AND owner_subject = $3) < $7::int
       RETURNING ${SUBSCRIPTION_COLUMNS}`,
      [newId(), owner.role, owner.subject, url, eventTypes, secret, max],
    );
    return row;
  }

  /** An admin's view is every subscription; a client's its own. */
  list(owner: WebhookOwner): Promise<SubscriptionRow[]> {
    return this.uow.prepared<SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
       WHERE $1 = 'admin' OR (owner_role = $1 AND owner_subject = $2) ORDER BY created_at, id`,
      [owner.role, owner.subject],
    );
  }

  async find(owner: WebhookOwner, id: string): Promise<SubscriptionRow | undefined> {
    const [row] = await this.uow.prepared<SubscriptionRow>(
      `SELECT ${SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions
       WHERE id = $3 AND ($1 = 'admin' OR (owner_role = $1 AND owner_subject = $2))`,
      [owner.role, owner.subject, id],
    );
    return row;
  }

  async remove(owner: WebhookOwner, id: string): Promise<boolean> {
    const rows = await this.uow.prepared(
      `DELETE FROM webhook_subscriptions WHERE id = $3 AND ($1 = 'admin' OR (owner_role = $1 AND owner_subject = $2))
       RETURNING 1`,
      [owner.role, owner.subject, id],
    );
    return rows.length > 0;
  }

  /** Newest first: by the bigint id (the bare name `id` would sort by the text column of that name). */
  deliveries(subscriptionId: string, limit: number): Promise<DeliveryRow[]> {
    return this.uow.prepared<DeliveryRow>(
      `SELECT id::text, event_id, event_type, sequence::text, status, attempts, next_attempt_at, last_status_code,
              last_error, delivered_at, created_at
       FROM webhook_deliveries d WHERE subscription_id = $1 ORDER BY d.id DESC LIMIT $2`,
      [subscriptionId, limit],
    );
  }

  /** Every subscription, with the types it names (the follower matches each event against them). */
  subscriptions(): Promise<
    Pick<SubscriptionRow, 'id' | 'owner_role' | 'owner_subject' | 'event_types' | 'created_at'>[]
  > {
    return this.uow.prepared(
      `SELECT id, owner_role, owner_subject, event_types, created_at FROM webhook_subscriptions`,
    );
  }

  /**
   * One delivery per (outbox row, subscription) pair, copied from the outbox row; a pair
   * enqueued before is left as it is.
   */
  async enqueue(pairs: { sequence: string; subscriptionId: string }[]): Promise<void> {
    if (pairs.length === 0) return;
    await this.uow.prepared(
      `INSERT INTO webhook_deliveries (subscription_id, event_id, event_type, sequence, occurred_at, payload)
       SELECT u.subscription_id, o.event_id, o.event_type, o.id, o.created_at, o.payload
       FROM unnest($1::bigint[], $2::uuid[]) AS u(sequence, subscription_id) JOIN outbox o ON o.id = u.sequence
       ORDER BY o.id
       ON CONFLICT (subscription_id, event_id) DO NOTHING`,
      [pairs.map((p) => p.sequence), pairs.map((p) => p.subscriptionId)],
    );
  }

  /**
   * Claims due deliveries for one attempt each (SKIP LOCKED: senders in other processes take
   * others), leased for `leaseSeconds`; the statement commits at once, so no connection is
   * held while the receivers are called.
   */
  claim(limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    return this.uow.prepared<ClaimedDelivery>(
      `UPDATE webhook_deliveries d SET leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
       FROM webhook_subscriptions s
       WHERE d.id IN (SELECT id FROM webhook_deliveries
                      WHERE status = 'pending' AND next_attempt_at <= now()
                        AND (leased_until IS NULL OR leased_until < now())
                      ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
         AND s.id = d.subscription_id
       RETURNING d.id::text, d.subscription_id, d.event_id, d.event_type, d.sequence::text, d.occurred_at, d.payload,
                 d.attempts, d.created_at, s.url, s.secret`,
      [limit, leaseSeconds],
    );
  }

  /** A 2xx: delivered; the subscription is healthy again if it was failing. */
  async delivered(d: ClaimedDelivery, statusCode: number): Promise<void> {
    await this.uow.prepared(
      `WITH ok AS (UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), leased_until = NULL,
                          last_status_code = $2, last_error = NULL WHERE id = $1 RETURNING 1)
       UPDATE webhook_subscriptions SET status = 'active', failing_since = NULL
       WHERE id = $3 AND status = 'failing' AND (SELECT count(*) FROM ok) > 0`,
      [d.id, statusCode, d.subscription_id],
    );
  }

  /** A failed attempt: retried at `retryAt`, or (null) past the retry window, kept as failing with its subscription. */
  async failed(d: ClaimedDelivery, statusCode: number | null, error: string, retryAt: Date | null): Promise<void> {
    await this.uow.prepared(
      `WITH f AS (UPDATE webhook_deliveries
                  SET status = CASE WHEN $4::timestamptz IS NULL THEN 'failing' ELSE 'pending' END,
                      next_attempt_at = COALESCE($4::timestamptz, next_attempt_at), leased_until = NULL,
                      last_status_code = $2, last_error = left($3, 500)
                  WHERE id = $1 RETURNING 1)
       UPDATE webhook_subscriptions SET status = 'failing', failing_since = COALESCE(failing_since, now())
       WHERE id = $5 AND $4::timestamptz IS NULL AND (SELECT count(*) FROM f) > 0`,
      [d.id, statusCode, error, retryAt, d.subscription_id],
    );
  }
}

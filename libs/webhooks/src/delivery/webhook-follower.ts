import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { OutboxCursors, OutboxFeed, OutboxHorizon, UnitOfWork } from '@tally/database';
import { Coalesced, LoopBackoff } from '@tally/shared';
import { WEBHOOK_EVENT_TYPES } from '../domain';
import { WebhookStore } from '../persistence/webhook-store';
import { EVENT_OWNERS_SQL, maySee, ownedEvent, OwnedFeedRow } from '../visibility/event-visibility';

/** The follower's cursor in outbox_cursors. */
export const WEBHOOKS_CURSOR = 'webhooks';
const FOLLOW_MS = 100;
/** Outbox rows read, matched and enqueued per transaction. */
const PAGE = 500;

/**
 * Feeds webhooks from the outbox, in id order, every event type alike (ledger transfers are
 * written to the outbox already published, so no outbox handler would see them): each tick
 * probes how far the outbox is settled (OutboxHorizon, as the live streams do), then, page
 * by page, in ONE transaction: locks the `webhooks` cursor (another replica holding it is
 * following meanwhile: this one skips), reads the rows after it, enqueues one delivery per
 * subscription whose owner may see the event (maySee), and moves the cursor. Deliveries and
 * cursor commit together, so each event is enqueued once. Nothing is called out here
 * (WebhookSender does that). Runs in every process, as enqueuing did: WEBHOOKS_ENABLED
 * governs sending only.
 */
@Injectable()
export class WebhookFollower implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookFollower.name);
  private readonly feed: OutboxFeed;
  private readonly horizon: OutboxHorizon;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** The cursor's position as this process last saw it (another replica may have moved it on). */
  private position = -1n;
  private readonly pass = new Coalesced(
    () => this.follow(),
    () => this.stopped,
    new LoopBackoff('webhook follower', this.logger),
  );

  constructor(
    dataSource: DataSource,
    private readonly uow: UnitOfWork,
    private readonly cursors: OutboxCursors,
    private readonly store: WebhookStore,
  ) {
    this.feed = new OutboxFeed(dataSource);
    this.horizon = new OutboxHorizon(this.feed);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.cursors.ensure(WEBHOOKS_CURSOR);
    this.timer = setInterval(() => this.pass.run(), FOLLOW_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.pass.idle();
  }

  /** Enqueues everything up to the settled horizon; true when it moved the cursor. */
  async follow(): Promise<boolean> {
    const settled = await this.horizon.settle();
    if (settled === undefined) return false;
    let moved = false;
    while (settled > this.position && !this.stopped) {
      const step = await this.uow.run(() => this.page(settled));
      if (step === undefined) break; // another replica holds the cursor
      moved ||= step.moved;
      this.position = step.position;
    }
    return moved;
  }

  /** One page past the cursor (locked), up to `settled`: its deliveries, and the cursor moved past it. */
  private async page(settled: bigint): Promise<{ position: bigint; moved: boolean } | undefined> {
    const position = await this.cursors.lock(WEBHOOKS_CURSOR);
    if (position === undefined) return undefined;
    if (position >= settled) return { position, moved: false };
    const subscriptions = await this.store.subscriptions();
    const types = new Set(subscriptions.flatMap((s) => s.event_types));
    const wanted = WEBHOOK_EVENT_TYPES.filter((t) => types.has(t));
    let upTo = settled;
    if (wanted.length > 0) {
      const rows = await this.feed.rows<OwnedFeedRow['extra']>(
        { after: position.toString(), upTo: settled.toString(), limit: PAGE },
        { extra: EVENT_OWNERS_SQL, types: wanted, via: this.uow.tx },
      );
      if (rows.length === PAGE) upTo = BigInt(rows[rows.length - 1].id);
      const pairs = rows.flatMap((row) => {
        const event = ownedEvent(row);
        // A subscription gets the events that occur once it exists, those it names and may see.
        return subscriptions
          .filter((s) => row.created_at >= s.created_at && s.event_types.includes(row.event_type))
          .filter((s) => maySee({ role: s.owner_role, subject: s.owner_subject }, event))
          .map((s) => ({ sequence: row.id, subscriptionId: s.id }));
      });
      await this.store.enqueue(pairs);
    }
    await this.cursors.move(WEBHOOKS_CURSOR, upTo);
    return { position: upTo, moved: true };
  }
}

import { Injectable } from '@nestjs/common';

/**
 * How long a row handed to this process's relay (or claimed by a poll) stays out of other
 * polls: if it is not marked published by then, it is published again.
 */
export const OUTBOX_LEASE_SECONDS = 10;

/** An outbox row as the relay publishes it. */
export interface OutboxRecord {
  event_id: string;
  event_type: string;
  payload: object;
  /** Its redeliveries when claimed: marking it published is guarded by this (a hand-back wins). */
  redeliveries: number;
}

/**
 * Outbox rows on their way from a transaction to the relay. Rows written through the
 * OutboxWriter are leased (the polling relay leaves them alone for a while) and handed to
 * this process's relay as soon as their transaction commits, so handlers see an event
 * right after its commit instead of at the next poll. If the process dies first, the lease
 * runs out and any replica's relay publishes them: delivery stays at least once.
 */
@Injectable()
export class CommittedEvents {
  private readonly pending = new WeakMap<object, OutboxRecord[]>();
  private readonly callbacks = new WeakMap<object, (() => void)[]>();
  private publisher?: (records: OutboxRecord[]) => void;
  private readonly observers: ((records: readonly OutboxRecord[]) => void)[] = [];

  /**
   * Also hands every row this process commits to `observer` (business metrics count them
   * here: a row is seen once, by the replica that committed it, and never if it rolled
   * back). Called synchronously on the committing path: it must be cheap and never throw.
   */
  observe(observer: (records: readonly OutboxRecord[]) => void): void {
    this.observers.push(observer);
  }

  /** Who publishes committed rows (the relay, once the app has started). */
  publishWith(publisher: ((records: OutboxRecord[]) => void) | undefined): void {
    this.publisher = publisher;
  }

  /** Rows written in transaction `tx` (its entity manager): published when it commits. */
  add(tx: object, records: OutboxRecord[]): void {
    const list = this.pending.get(tx);
    if (list) list.push(...records);
    else this.pending.set(tx, [...records]);
  }

  /** Runs `fn` once transaction `tx` commits, never if it rolls back (see UnitOfWork.afterCommit). */
  onCommit(tx: object, fn: () => void): void {
    const list = this.callbacks.get(tx);
    if (list) list.push(fn);
    else this.callbacks.set(tx, [fn]);
  }

  /** `tx` committed: its rows go to the relay, and its after-commit callbacks run. */
  committed(tx: object): void {
    const records = this.pending.get(tx);
    const callbacks = this.callbacks.get(tx);
    this.pending.delete(tx);
    this.callbacks.delete(tx);
    if (records) this.publish(records);
    for (const fn of callbacks ?? []) fn();
  }

  /** `tx` rolled back: its rows never existed, and its callbacks never run. */
  discard(tx: object): void {
    this.pending.delete(tx);
    this.callbacks.delete(tx);
  }

  /** Rows committed already (written outside a transaction, or by a statement of its own). */
  publish(records: OutboxRecord[]): void {
    if (records.length === 0) return;
    for (const observe of this.observers) observe(records);
    this.publisher?.(records);
  }
}

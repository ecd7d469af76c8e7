import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { newId } from '@tally/shared';
import { CommittedEvents, OUTBOX_LEASE_SECONDS, OutboxRecord } from './committed-events';
import { prepared } from '../prepared';

/**
 * Appends domain events to the outbox in the current transaction. The rows are leased to
 * this process's relay, which publishes them right after the commit (CommittedEvents).
 */
@Injectable()
export class OutboxWriter {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly committed: CommittedEvents,
  ) {}

  /** Returns the event id handlers will deduplicate on. */
  async append(type: string, partitionKey: string, payload: object, eventId = newId()): Promise<string> {
    await this.write([{ event_id: eventId, event_type: type, payload, redeliveries: 0 }], [partitionKey]);
    return eventId;
  }

  /** Several events in one statement; returns their event ids in order. */
  async appendMany(
    events: { type: string; partitionKey: string; payload: object; eventId?: string }[],
  ): Promise<string[]> {
    const records = events.map((e) => ({
      event_id: e.eventId ?? newId(),
      event_type: e.type,
      payload: e.payload,
      redeliveries: 0,
    }));
    if (events.length > 0)
      await this.write(
        records,
        events.map((e) => e.partitionKey),
      );
    return records.map((r) => r.event_id);
  }

  /**
   * For a statement that appends its events itself (an INSERT among its CTEs): `sql(p)`
   * gives that INSERT, its parameters pushed through `p`. Call `written()` once the
   * statement has run: the rows then go to this process's relay when the current
   * transaction commits (or at once, outside one), like `append`'s.
   */
  insertSql(events: { type: string; partitionKey: string; payload: object; eventId?: string }[]): {
    sql: (p: (value: unknown) => string) => string;
    written: () => void;
  } {
    const records = events.map((e) => ({
      event_id: e.eventId ?? newId(),
      event_type: e.type,
      payload: e.payload,
      redeliveries: 0,
    }));
    const sql = (p: (value: unknown) => string) =>
      `INSERT INTO outbox (event_id, event_type, partition_key, payload, next_attempt_at)
       SELECT u.*, now() + make_interval(secs => ${OUTBOX_LEASE_SECONDS})
       FROM unnest(${p(records.map((r) => r.event_id))}::uuid[], ${p(records.map((r) => r.event_type))}::varchar[],
                   ${p(events.map((e) => e.partitionKey))}::varchar[],
                   ${p(records.map((r) => JSON.stringify(r.payload)))}::jsonb[]) AS u
       RETURNING 1`;
    return { sql, written: () => this.handOver(records) };
  }

  private handOver(records: OutboxRecord[]): void {
    if (this.txHost.isTransactionActive()) this.committed.add(this.txHost.tx, records);
    else this.committed.publish(records);
  }

  private async write(records: OutboxRecord[], partitionKeys: string[]): Promise<void> {
    await prepared(
      this.txHost.tx,
      `INSERT INTO outbox (event_id, event_type, partition_key, payload, next_attempt_at)
       SELECT u.*, now() + make_interval(secs => ${OUTBOX_LEASE_SECONDS})
       FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::jsonb[]) AS u`,
      [
        records.map((r) => r.event_id),
        records.map((r) => r.event_type),
        partitionKeys,
        records.map((r) => JSON.stringify(r.payload)),
      ],
    );
    this.handOver(records);
  }
}

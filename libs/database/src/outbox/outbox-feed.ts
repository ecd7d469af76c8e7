import type { DataSource, EntityManager } from 'typeorm';
import { prepared } from '../prepared';

/** An outbox row as a feed reads it, with the columns its reader composed in (`extra`). */
export interface OutboxFeedRow<X extends object = object> {
  /** The outbox sequence, as text (a bigint). */
  id: string;
  event_id: string;
  event_type: string;
  partition_key: string;
  payload: Record<string, unknown>;
  created_at: Date;
  extra: X;
}

/** What the outbox looks like now: its highest committed id and the transactions writing to it. */
export interface OutboxProbe {
  maxId: string;
  /** Virtual transaction ids holding a write lock on the outbox (their rows are not visible yet). */
  writers: string[];
}

/**
 * Reads the outbox in id order for readers that follow it (the live event streams, the
 * webhook follower).
 *
 * Ids are drawn at insert, not at commit: a transaction may commit id 10 after id 11 was
 * visible. A reader that moved past 11 would never see 10. `probe()` tells which ids are
 * settled: every transaction that drew an id at most `maxId` held the outbox's write lock
 * from before the draw until its end, so once none of the `writers` of a probe holds the
 * lock any more (a later probe's `writers` no longer list them), every id up to that probe's
 * `maxId` is committed (and visible to the next statement) or rolled back for good.
 */
export class OutboxFeed {
  constructor(private readonly dataSource: DataSource) {}

  probe(): Promise<OutboxProbe> {
    return probeInsertOrder(this.dataSource, 'outbox', 'id');
  }

  /**
   * Rows with ids in (after, upTo], in id order, at most `limit`, of the `types` given (every
   * type when absent). `extra` is an SQL expression of a JSON object over the row `o`
   * (another lib's part of the statement, e.g. who owns the event's job), returned as
   * `extra`. `via` runs the read in a transaction (the plain data source otherwise).
   */
  rows<X extends object>(
    range: { after: string; upTo: string; limit: number },
    options: { extra?: string; types?: readonly string[]; via?: EntityManager } = {},
  ): Promise<OutboxFeedRow<X>[]> {
    const { extra = `'{}'::json`, types, via = this.dataSource } = options;
    return prepared<OutboxFeedRow<X>>(
      via,
      `SELECT o.id::text, o.event_id::text, o.event_type, o.partition_key, o.payload, o.created_at, ${extra} AS extra
       FROM outbox o WHERE o.id > $1::bigint AND o.id <= $2::bigint
         AND ($4::varchar[] IS NULL OR o.event_type = ANY($4::varchar[]))
       ORDER BY o.id LIMIT $3`,
      [range.after, range.upTo, range.limit, types ? [...types] : null],
    );
  }
}

/**
 * The probe of any table whose ids are drawn at insert from a sequence (the outbox, the
 * control log): its highest committed id and the transactions holding its write lock.
 * `table` and `column` are fixed names from the caller's code, never input.
 */
export async function probeInsertOrder(dataSource: DataSource, table: string, column: string): Promise<OutboxProbe> {
  const [row] = await prepared<{ max_id: string; writers: string[] }>(
    dataSource,
    `SELECT COALESCE((SELECT max(${column}) FROM ${table}), 0)::text AS max_id,
            ARRAY(SELECT DISTINCT l.virtualtransaction FROM pg_locks l
                  WHERE l.locktype = 'relation' AND l.relation = '${table}'::regclass
                    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()) AS writers`,
  );
  return { maxId: row.max_id, writers: row.writers };
}

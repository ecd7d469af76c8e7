import type { DataSource } from 'typeorm';

/**
 * Rows a refused request may leave, by table: a WHERE clause of the rows that count. Every
 * other table counts whole.
 *
 * - idempotency_keys: a credits request refused by the ledger (insufficient credits, an
 *   unknown account, a spent hold) keeps its key with the refusal (outcome 'rejected'), so a
 *   retry with that key answers the same; the refusal is the answer. Only a key that
 *   records a success counts.
 * - request_signatures: a signed request's signature is remembered as soon as it is
 *   verified, before the route looks at the request, whatever the answer: that is what
 *   makes a replay of it a 401. None counts.
 * - outbox_cursors: how far the outbox's readers (webhooks) have read; they move on their
 *   own over earlier requests' events (`unfollowed` waits for them). None counts.
 * - control_log: an admin's refused action is logged as `rejected` (DSE §7.4); only a row
 *   that records a success counts.
 */
const REFUSAL_BOOKKEEPING: Record<string, string> = {
  idempotency_keys: "outcome <> 'rejected'",
  request_signatures: 'false',
  outbox_cursors: 'false',
  control_log: "outcome <> 'rejected'",
};

export interface Fingerprint {
  /** One hash per table of the public schema. */
  tables: Record<string, string>;
  /** The next transaction id: while it stays, no transaction has written anything. */
  xmax: string;
  /** Outbox rows not yet relayed: events whose handlers may still write. */
  unrelayed: number;
  /** Outbox rows past the slowest cursor: events the webhook follower may still enqueue. */
  unfollowed: number;
  /** Background ledger verifies still running: each writes its progress, then its outcome. */
  verifying: number;
  /** Control-log rows the chainer has still to chain (it sets their hashes within a second). */
  unchained: number;
}

/**
 * A cheap fingerprint of the application's state: one query hashing the rows of every table
 * of the public schema (each row as text, sorted, so physical order does not count).
 */
export class StateFingerprint {
  private constructor(
    private readonly dataSource: DataSource,
    private readonly sql: string,
    private readonly chain?: () => Promise<unknown>,
  ) {}

  /**
   * `chain`, when given, chains the control log's settled rows at once (the app's chainer):
   * settling then waits for no chainer round.
   */
  static async of(dataSource: DataSource, chain?: () => Promise<unknown>): Promise<StateFingerprint> {
    const rows: { table_name: string }[] = await dataSource.query(
      `SELECT table_name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const columns = rows.map(({ table_name: table }) => {
      const where = REFUSAL_BOOKKEEPING[table] ? `WHERE ${REFUSAL_BOOKKEEPING[table]}` : '';
      return `(SELECT md5(coalesce(string_agg(md5(r::text), '' ORDER BY md5(r::text)), ''))
               FROM "${table}" r ${where}) AS "${table}"`;
    });
    const sql = `SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS "xmax", ${columns.join(',\n')},
                 (SELECT count(*)::int FROM outbox WHERE published_at IS NULL) AS "unrelayed",
                 (SELECT count(*)::int FROM outbox WHERE id > COALESCE((SELECT min(position) FROM outbox_cursors),
                                                                    (SELECT max(id) FROM outbox))) AS "unfollowed",
                 (SELECT count(*)::int FROM ledger_verify_runs WHERE status = 'running') AS "verifying",
                 (SELECT count(*)::int FROM control_log WHERE hash IS NULL) AS "unchained"`;
    return new StateFingerprint(dataSource, sql, chain);
  }

  /**
   * The fingerprint now. Given the last one, it first asks whether any transaction has
   * written since (one cheap query), and hashes the tables only then.
   */
  async take(last?: Fingerprint): Promise<Fingerprint> {
    if (last) {
      const [{ xmax }] = await this.dataSource.query(`SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax`);
      if (xmax === last.xmax) return last;
    }
    const [{ xmax, unrelayed, unfollowed, verifying, unchained, ...tables }] = await this.dataSource.query(this.sql);
    return { tables, xmax, unrelayed, unfollowed, verifying, unchained };
  }

  /**
   * The state once what a request set going has finished: every outbox row relayed (the
   * relay marks them within a few tens of ms) and followed (the webhook follower reads every
   * 100 ms), every background ledger verify finished, every control-log row chained, then
   * two readings alike.
   */
  async settled(timeoutMs = 10_000): Promise<Fingerprint> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.take();
    for (;;) {
      await new Promise((r) => setTimeout(r, 25));
      const next = await this.take(last);
      const idle = next.unrelayed === 0 && next.unfollowed === 0 && next.verifying === 0 && next.unchained === 0;
      if (idle && changedTables(last, next).length === 0) return next;
      if (next.unchained > 0) await this.chain?.();
      if (Date.now() > deadline) throw new Error(`state did not settle within ${timeoutMs} ms`);
      last = next;
    }
  }
}

/** The tables whose rows differ between two fingerprints. */
export function changedTables(before: Fingerprint, after: Fingerprint): string[] {
  return Object.keys(after.tables).filter((table) => before.tables[table] !== after.tables[table]);
}

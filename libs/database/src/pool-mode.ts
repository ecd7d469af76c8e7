import type { DataSource } from 'typeorm';
import { ConfigurationError } from '@tally/shared';

interface PgClient {
  query(text: string): Promise<{ rows: { pid: number }[] }>;
  release(): void;
}

/** DATABASE_POOL_MODE is session while DATABASE_URL leads through a transaction pooler. */
export class TransactionPoolingError extends ConfigurationError {}

/**
 * Refuses to start, with DATABASE_POOL_MODE=session, when the server connection behind one
 * client connection changes between statements: DATABASE_URL then leads through a pooler in
 * transaction mode, where named prepared statements fail at random ("prepared statement …
 * does not exist" or "… already exists"). Never wrong when it refuses: on a direct
 * connection or a session pooler a connection's backend pid cannot change. Connection a
 * releases its server connection after a statement, b begins a transaction: a pooler that
 * lends the server connection released last (PgBouncer's default) lends b a's, so a's next
 * statement must run on another one, and its pid differs.
 */
export async function refuseTransactionPooling(dataSource: DataSource): Promise<void> {
  const pool = (dataSource.driver as unknown as { master: { connect(): Promise<PgClient> } }).master;
  const a = await pool.connect();
  const b = await pool.connect();
  const pid = async (c: PgClient) => (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  let changed: boolean;
  let open = false;
  try {
    const first = await pid(a);
    await b.query('BEGIN');
    open = true;
    await pid(b);
    const next = pid(a);
    next.catch(() => undefined); // awaited below; not unhandled meanwhile
    // A server that runs one transaction at a time (PGlite behind a socket) answers a only once
    // b's ends: b ends after a second at most. The verdict rests on the pids alone.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([next, new Promise((r) => (timer = setTimeout(r, 1_000)))]).finally(() => clearTimeout(timer));
    await b.query('ROLLBACK');
    open = false;
    changed = (await next) !== first;
  } finally {
    if (open) await b.query('ROLLBACK').catch(() => undefined);
    a.release();
    b.release();
  }
  if (changed) {
    throw new TransactionPoolingError(
      'DATABASE_URL leads through a connection pooler in transaction mode (one connection’s statements ran on ' +
        'different server connections), where the named prepared statements Tally uses by default fail. ' +
        'Set DATABASE_POOL_MODE=transaction, or set the pooler to session mode (PgBouncer: pool_mode = session).',
    );
  }
}

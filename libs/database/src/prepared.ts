import type { DataSource, EntityManager } from 'typeorm';

interface PgClient {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  release(): void;
}

/** A statement text → its name; a name is used with one text only (pg checks that per connection). */
const names = new Map<string, string>();
/**
 * Data sources that run these statements unnamed. Embedded PGlite serves every connection
 * from one database session, so a statement prepared by a connection that was dropped is
 * still there for the next one, and preparing it again fails.
 */
const unnamed = new WeakSet<DataSource>();

/** Whether `prepared` names its statements on this data source (by default it does). */
export function usePreparedStatements(dataSource: DataSource, named: boolean): void {
  if (named) unnamed.delete(dataSource);
  else unnamed.add(dataSource);
}

/**
 * Runs a statement whose text never changes as a named prepared statement: each pooled
 * connection parses it once instead of on every call (for the large batch statements of
 * the hot paths, about a third of what they cost the database; Postgres still plans each
 * call for its parameters, as a generic plan serves arrays of unknown length badly).
 * `on` is the EntityManager of the current transaction (the statement runs in it), or the
 * plain one or the DataSource (any pooled connection, in its own transaction). Returns the
 * rows (an UPDATE's too: there is no affected count). Only for texts from a fixed set:
 * every distinct text stays prepared on every connection.
 */
export async function prepared<T = Record<string, unknown>>(
  on: EntityManager | DataSource,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  let name: string | undefined;
  if (!unnamed.has(dataSourceOf(on))) {
    name = names.get(text);
    if (!name) names.set(text, (name = `tally_${names.size + 1}`));
  }
  const runner = 'queryRunner' in on ? on.queryRunner : undefined;
  if (runner && !runner.isReleased) {
    const connection = await (runner as unknown as { connect(): Promise<PgClient> }).connect();
    return (await connection.query({ name, text, values })).rows as T[];
  }
  // A connection of the pool for this statement. Not pool.query: that drops the connection
  // (and what it has prepared) whenever a statement fails, and a guarded write failing is
  // an expected outcome here. A connection that broke is dropped by the pool on release.
  const pool = (dataSourceOf(on).driver as unknown as { master: { connect(): Promise<PgClient> } }).master;
  const connection = await pool.connect();
  try {
    return (await connection.query({ name, text, values })).rows as T[];
  } finally {
    connection.release();
  }
}

function dataSourceOf(on: EntityManager | DataSource): DataSource {
  return 'dataSource' in on ? on.dataSource : on;
}

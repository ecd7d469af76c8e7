import type { DataSource, EntityManager } from 'typeorm';

interface PgQueryable {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** A statement text → its name; a name is used with one text only (pg checks that per connection). */
const names = new Map<string, string>();

/**
 * Runs a statement whose text never changes as a named prepared statement: each pooled
 * connection parses it once instead of on every call (for the large batch statements of
 * the hot paths, about a third of what they cost the database; Postgres still plans each
 * call for its parameters, as a generic plan serves arrays of unknown length badly). `on` is the EntityManager of the current transaction (the
 * statement runs in it) or the plain one or the DataSource (any pooled connection, in its
 * own transaction). Returns the rows (an UPDATE's too: there is no affected count).
 * Only for texts from a fixed set: every distinct text stays prepared on every connection.
 */
export async function prepared<T = Record<string, unknown>>(
  on: EntityManager | DataSource,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  let name = names.get(text);
  if (!name) names.set(text, (name = `tally_${names.size + 1}`));
  const result = await (await connectionOf(on)).query({ name, text, values });
  return result.rows as T[];
}

/** The transaction's own connection, or (outside one) the pool, which lends one per statement. */
async function connectionOf(on: EntityManager | DataSource): Promise<PgQueryable> {
  const runner = 'queryRunner' in on ? on.queryRunner : undefined;
  if (runner && !runner.isReleased) return (runner as unknown as { connect(): Promise<PgQueryable> }).connect();
  const dataSource = 'dataSource' in on ? on.dataSource : on;
  return (dataSource.driver as unknown as { master: PgQueryable }).master;
}

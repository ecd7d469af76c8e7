import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations, serverOf } from '@tally/database';
import { COMPARED_TABLES, DERIVED_STATE, JOURNAL_TABLES, type JournalTable } from './journal-tables';
import type { RowProgress } from './progress';
import { inSnapshot, serverSession, type SqlSession } from './sql-session';
import { keyColumns, pages, quoteIdent, rowCount } from './table-pages';

/** The target already holds something: a rebuild writes only into a new, empty database. */
export class TargetNotEmptyError extends Error {}

export interface RebuildReport {
  rows: { table: string; rows: number }[];
}

/**
 * Replays the source's journal into an empty Postgres database: its schema by the
 * migrations, then every journal table copied in order from one snapshot of the source, then
 * every derived state recomputed from it, all in one transaction (a failed rebuild leaves the
 * target with its schema and no rows).
 */
export async function rebuild(source: SqlSession, targetUrl: string, progress: RowProgress): Promise<RebuildReport> {
  const target = await serverSession(targetUrl);
  try {
    const [{ tables }] = await target.query<{ tables: string }>(
      `SELECT count(*)::text AS tables FROM pg_tables WHERE schemaname = 'public'`,
    );
    if (tables !== '0') {
      throw new TargetNotEmptyError(
        `the target database (${serverOf(targetUrl)}) is not empty: it has ${tables} table(s); rebuild writes only into a new, empty database`,
      );
    }
    await migrate(targetUrl);
    return await inSnapshot(source, async () => {
      const counts: number[] = [];
      for (const t of COMPARED_TABLES) counts.push(await rowCount(source, t.table));
      progress.start(counts.reduce((a, b) => a + b, 0));
      await target.query('BEGIN');
      try {
        for (const spec of JOURNAL_TABLES) await copy(source, target, spec, progress);
        for (const derived of DERIVED_STATE) {
          await derived.recompute(source, target, (rows) => progress.advance(rows, derived.table.table));
        }
        for (const spec of COMPARED_TABLES) await resetSequences(target, spec.table);
        await target.query('COMMIT');
      } catch (error) {
        await target.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        progress.stop();
      }
      return { rows: COMPARED_TABLES.map((t, i) => ({ table: t.table, rows: counts[i] })) };
    });
  } finally {
    await target.close();
  }
}

/** The target's schema, by the same migrations as the service's. */
async function migrate(url: string): Promise<void> {
  const dataSource = new DataSource(dataSourceOptions(url, 1));
  await dataSource.initialize();
  try {
    // Not serialised: nothing else migrates a database that was empty a moment ago.
    await runMigrations(dataSource, false);
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Copies one table page by page, each page in one statement. Every row is passed as JSON and
 * read back by the table's own row type, so every column keeps its exact value. A row a
 * migration seeded (the platform accounts) takes the source's values.
 */
async function copy(source: SqlSession, target: SqlSession, spec: JournalTable, progress: RowProgress): Promise<void> {
  const skipped = new Set(spec.recomputed ?? []);
  const columns = (
    await target.query<{ name: string }>(
      `SELECT attname AS name FROM pg_attribute
       WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
      [`public.${spec.table}`],
    )
  )
    .map((c) => c.name)
    .filter((c) => !skipped.has(c));
  const list = columns.map(quoteIdent).join(', ');
  const updates = columns
    .filter((c) => !spec.key.includes(c))
    .map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`);
  const table = quoteIdent(spec.table);
  const insert =
    `INSERT INTO ${table} (${list}) OVERRIDING SYSTEM VALUE
     SELECT ${list} FROM jsonb_populate_recordset(NULL::${table}, $1::jsonb)
     ON CONFLICT (${spec.key.map(quoteIdent).join(', ')}) ` +
    (updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING');
  for await (const page of pages(source, spec, await keyColumns(source, spec))) {
    await target.query(insert, [`[${page.map((r) => r.row).join(',')}]`]);
    progress.advance(page.length, spec.table);
  }
}

/** Moves the sequences behind the table's identity and defaulted columns past the copied rows. */
async function resetSequences(target: SqlSession, table: string): Promise<void> {
  const columns = await target.query<{ name: string; sequence: string | null; fallback: string | null }>(
    `SELECT a.attname AS name, pg_get_serial_sequence($1, a.attname) AS sequence,
            substring(pg_get_expr(d.adbin, d.adrelid) FROM 'nextval\\(''([^'']+)''') AS fallback
     FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
    [`public.${table}`],
  );
  for (const c of columns) {
    const sequence = c.sequence ?? c.fallback;
    if (!sequence) continue;
    await target.query(
      `SELECT setval($1::regclass, max(${quoteIdent(c.name)})) FROM ${quoteIdent(table)} HAVING max(${quoteIdent(c.name)}) IS NOT NULL`,
      [sequence],
    );
  }
}

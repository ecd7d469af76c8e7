import type { SqlSession } from './sql-session';

/** A table as a rebuild reads, writes and compares it. */
export interface JournalTable {
  table: string;
  /** A unique key: rows are read, written and compared in its order. */
  key: string[];
  /** Columns left out of the copy because DERIVED_STATE recomputes them from the journal. */
  recomputed?: string[];
  /** How a row is named in a difference: an SQL expression over the row `t` (default: its key). */
  label?: string;
  /** Rows per read: smaller for tables whose rows are large. */
  page?: number;
}

const DEFAULT_PAGE = 5000;
const NUMERIC = new Set(['smallint', 'integer', 'bigint']);

/** A key column and how it orders: numbers as numbers, text byte by byte (the same on every server, whatever its collation). */
export interface KeyColumn {
  name: string;
  type: string;
  numeric: boolean;
}

/** A row as read: its key, its label and the whole row as JSON text (every type rendered exactly). */
export interface RowText {
  key: string[];
  label: string;
  row: string;
}

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Whether `table` exists in the session's database. */
export async function tableExists(db: SqlSession, table: string): Promise<boolean> {
  const [row] = await db.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, [`public.${table}`]);
  return row.ok;
}

export async function keyColumns(db: SqlSession, spec: JournalTable): Promise<KeyColumn[]> {
  const rows = await db.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
     FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attname = ANY($2::text[])`,
    [`public.${spec.table}`, spec.key],
  );
  return spec.key.map((name) => {
    const column = rows.find((r) => r.name === name);
    if (!column) throw new Error(`${spec.table} has no column ${name}`);
    return { name, type: column.type, numeric: NUMERIC.has(column.type) };
  });
}

const collated = (k: KeyColumn, expr: string) => (k.numeric || k.type === 'uuid' ? expr : `${expr} COLLATE "C"`);

/** Orders two keys as the SQL ORDER BY of `pages` does. */
export function compareKeys(keys: KeyColumn[], a: string[], b: string[]): number {
  for (let i = 0; i < keys.length; i++) {
    if (a[i] === b[i]) continue;
    if (keys[i].numeric) return BigInt(a[i]) < BigInt(b[i]) ? -1 : 1;
    return Buffer.compare(Buffer.from(a[i]), Buffer.from(b[i]));
  }
  return 0;
}

let cursors = 0;

/**
 * The rows of `query` a page at a time, through a server-side cursor: the server walks the
 * result once and memory here holds one page, whatever the table's size. Needs a transaction
 * (inSnapshot).
 */
export async function* fetchPages<T>(db: SqlSession, query: string, size: number): AsyncGenerator<T[]> {
  const cursor = `journal_cursor_${++cursors}`;
  await db.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${query}`);
  try {
    for (;;) {
      const rows = await db.query<T>(`FETCH FORWARD ${size} FROM ${cursor}`);
      if (rows.length > 0) yield rows;
      if (rows.length < size) return;
    }
  } finally {
    await db.query(`CLOSE ${cursor}`);
  }
}

/** The table's rows a page at a time, in key order. */
export async function* pages(db: SqlSession, spec: JournalTable, keys: KeyColumn[]): AsyncGenerator<RowText[]> {
  const order = keys.map((k) => collated(k, `t.${quoteIdent(k.name)}`)).join(', ');
  const keyText = keys.map((k, i) => `t.${quoteIdent(k.name)}::text AS k${i}`).join(', ');
  const label = spec.label ? `(${spec.label})` : `''`;
  const query = `SELECT ${keyText}, ${label}::text AS label, to_jsonb(t)::text AS row
                 FROM ${quoteIdent(spec.table)} t ORDER BY ${order}`;
  for await (const rows of fetchPages<Record<string, string>>(db, query, spec.page ?? DEFAULT_PAGE)) {
    yield rows.map((r) => ({ key: keys.map((_, i) => r[`k${i}`]), label: r.label, row: r.row }));
  }
}

/** How many rows the table has. */
export async function rowCount(db: SqlSession, table: string): Promise<number> {
  const [row] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteIdent(table)}`);
  return Number(row.n);
}

import type { JournalTable } from './journal-tables';
import type { SqlSession } from './sql-session';

const DEFAULT_PAGE = 2000;
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

/**
 * The table's rows a page at a time in key order, by keyset (each page starts after the last
 * key of the one before): memory holds one page, whatever the table's size.
 */
export async function* pages(db: SqlSession, spec: JournalTable, keys: KeyColumn[]): AsyncGenerator<RowText[]> {
  const size = spec.page ?? DEFAULT_PAGE;
  const columns = keys.map((k) => collated(k, `t.${quoteIdent(k.name)}`)).join(', ');
  const keyText = keys.map((k, i) => `t.${quoteIdent(k.name)}::text AS k${i}`).join(', ');
  const label = spec.label ? `(${spec.label})` : `''`;
  let after: string[] | undefined;
  for (;;) {
    const params = after ?? [];
    const from = after
      ? `WHERE (${columns}) > (${keys.map((k, i) => collated(k, `$${i + 1}::${k.type}`)).join(', ')})`
      : '';
    const rows = await db.query<Record<string, string>>(
      `SELECT ${keyText}, ${label}::text AS label, to_jsonb(t)::text AS row
       FROM ${quoteIdent(spec.table)} t ${from} ORDER BY ${columns} LIMIT ${size}`,
      params,
    );
    if (rows.length === 0) return;
    const page = rows.map((r) => ({ key: keys.map((_, i) => r[`k${i}`]), label: r.label, row: r.row }));
    yield page;
    if (rows.length < size) return;
    after = page[page.length - 1].key;
  }
}

/** How many rows the table has. */
export async function rowCount(db: SqlSession, table: string): Promise<number> {
  const [row] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteIdent(table)}`);
  return Number(row.n);
}

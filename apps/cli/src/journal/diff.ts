import { COMPARED_TABLES, type JournalTable } from './journal-tables';
import type { RowProgress } from './progress';
import type { SqlSession } from './sql-session';
import { compareKeys, keyColumns, pages, type RowText, rowCount, tableExists } from './table-pages';

/** Rows of one table described column by column; past this, a table's differences are only counted. */
const DESCRIBED_PER_TABLE = 20;

export interface Side {
  name: string;
  db: SqlSession;
}

/**
 * Compares every journal table and every derived table of two databases row by row, in key
 * order (a merge of two keyset streams: memory holds a page of each): row counts, rows on one
 * side only, and each differing column. `report` gets one line per difference; returns how
 * many there were.
 */
export async function diffDatabases(
  a: Side,
  b: Side,
  report: (line: string) => void,
  progress: RowProgress,
): Promise<number> {
  // One statement at a time on each connection.
  const present: boolean[][] = [];
  const counts: number[][] = [];
  for (const t of COMPARED_TABLES) {
    const [inA, inB] = [await tableExists(a.db, t.table), await tableExists(b.db, t.table)];
    present.push([inA, inB]);
    counts.push([inA ? await rowCount(a.db, t.table) : 0, inB ? await rowCount(b.db, t.table) : 0]);
  }
  progress.start(counts.reduce((sum, [x, y]) => sum + x + y, 0));
  let differences = 0;
  const differ = (line: string) => {
    differences++;
    report(line);
  };
  try {
    for (const [i, spec] of COMPARED_TABLES.entries()) {
      const [inA, inB] = present[i];
      if (!inA || !inB) {
        if (inA || inB) differ(`${spec.table}: no such table in ${(inA ? b : a).name}`);
        continue;
      }
      const [countA, countB] = counts[i];
      if (countA !== countB) differ(`${spec.table}: ${countA} rows in ${a.name}, ${countB} in ${b.name}`);
      await diffTable(spec, a, b, differ, progress);
    }
  } finally {
    progress.stop();
  }
  return differences;
}

async function diffTable(
  spec: JournalTable,
  a: Side,
  b: Side,
  differ: (line: string) => void,
  progress: RowProgress,
): Promise<void> {
  const keys = await keyColumns(a.db, spec);
  const nameOf = (r: RowText) => `${spec.table} ${r.label || keys.map((k, i) => `${k.name}=${r.key[i]}`).join(',')}`;
  const rowsA = rowsOf(pages(a.db, spec, keys), (n) => progress.advance(n, spec.table));
  const rowsB = rowsOf(pages(b.db, spec, keys), (n) => progress.advance(n, spec.table));
  let described = 0;
  let unreported = 0;
  const differRow = async (line: () => Promise<string>) => {
    if (described++ < DESCRIBED_PER_TABLE) differ(await line());
    else unreported++;
  };
  let ra = await rowsA.next();
  let rb = await rowsB.next();
  while (!ra.done || !rb.done) {
    const order = ra.done ? 1 : rb.done ? -1 : compareKeys(keys, ra.value.key, rb.value.key);
    if (order < 0) {
      const row = ra.value as RowText;
      await differRow(async () => `${nameOf(row)}: only in ${a.name}`);
      ra = await rowsA.next();
    } else if (order > 0) {
      const row = rb.value as RowText;
      await differRow(async () => `${nameOf(row)}: only in ${b.name}`);
      rb = await rowsB.next();
    } else {
      const [x, y] = [ra.value as RowText, rb.value as RowText];
      if (x.row !== y.row) await differRow(async () => `${nameOf(x)}: ${await columnsApart(a, x.row, b, y.row)}`);
      [ra, rb] = await Promise.all([rowsA.next(), rowsB.next()]);
    }
  }
  if (unreported > 0) differ(`${spec.table}: ${unreported} more differing row(s) not listed`);
}

async function* rowsOf(source: AsyncGenerator<RowText[]>, advance: (rows: number) => void): AsyncGenerator<RowText> {
  for await (const page of source) {
    yield* page;
    advance(page.length);
  }
}

/**
 * The columns in which two versions of a row differ, each value as its database renders it
 * (read back there: JSON numbers in JavaScript would round a bigint).
 */
async function columnsApart(a: Side, rowA: string, b: Side, rowB: string): Promise<string> {
  const fields = async (side: Side, row: string) =>
    new Map(
      (
        await side.db.query<{ key: string; value: string | null }>(
          `SELECT key, value FROM jsonb_each_text($1::jsonb)`,
          [row],
        )
      ).map((f) => [f.key, f.value]),
    );
  const [x, y] = [await fields(a, rowA), await fields(b, rowB)];
  const show = (v: string | null | undefined) => (v === undefined ? '(no column)' : v === null ? 'null' : v);
  return [...new Set([...x.keys(), ...y.keys()])]
    .filter((k) => x.get(k) !== y.get(k))
    .map((k) => `${k} ${show(x.get(k))} in ${a.name}, ${show(y.get(k))} in ${b.name}`)
    .join('; ');
}

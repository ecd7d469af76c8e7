/** A string as an SQL literal (quotes doubled): for constants written into a statement's text. */
export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * Constants as an SQL list (`'A', 'B'`), for `IN (…)`: a statement whose guard is taken
 * from a domain table keeps one fixed text (so it stays prepared, and a partial index on
 * those literals still serves it).
 */
export function sqlList(values: readonly string[]): string {
  if (values.length === 0) throw new Error('an SQL list needs at least one value');
  return values.map(sqlLiteral).join(', ');
}

/** `IN (…)` of constants (see sqlList): a guard written from a domain table. */
export function sqlIn(values: readonly string[]): string {
  return `IN (${sqlList(values)})`;
}

/** Pairs as an SQL list of rows (`('A', 'B'), …`), for `(x, y) IN (…)`. */
export function sqlPairs(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) throw new Error('an SQL list needs at least one value');
  return pairs.map(([a, b]) => `(${sqlLiteral(a)}, ${sqlLiteral(b)})`).join(', ');
}

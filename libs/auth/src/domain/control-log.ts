import { canonicalJson, type ErrorCode, sha256Hex } from '@tally/shared';
import type { Role } from './role';

/**
 * The control-action log (DSE §7.4): who did what, with which essential fields, and how it
 * ended. Rows form one hash chain in seq order: each row's hash covers its own fields and the
 * previous row's hash, so a changed, removed or reordered row breaks every hash after it. A
 * row is written with its action and chained shortly after (ControlLogChainer); seq ascends
 * with gaps (an action that rolled back leaves its number unused).
 */

/** Who acted: an API key (its id, role and subject), or an operator at the CLI (no key). */
export interface ControlActor {
  keyId: string | null;
  role: Role | 'cli';
  subject: string;
}

export type ControlOutcome = { outcome: 'ok' } | { outcome: 'rejected'; code: ErrorCode };

/** What is appended: the actor, the action's name and the request's essential fields. */
export interface ControlAction {
  actor: ControlActor;
  action: string;
  fields: Record<string, unknown>;
}

/** One row as stored; `fields` is canonical JSON text (what the hash covers); no hashes until chained. */
export interface ControlLogRow {
  seq: string;
  at: Date;
  actorKeyId: string | null;
  actorRole: string;
  actorSubject: string;
  action: string;
  fields: string;
  outcome: 'ok' | 'rejected';
  errorCode: string | null;
  prevHash: string | null;
  hash: string | null;
}

/** A row with its place in the chain. */
export type ChainedControlLogRow = ControlLogRow & { prevHash: string; hash: string };

/** The previous hash of the first row. */
export const CONTROL_LOG_GENESIS = '0'.repeat(64);

/** Action names: dotted lower-case words, as the OpenAPI operation ids they usually are. */
export const CONTROL_ACTION_NAME = /^[a-z][a-zA-Z0-9]*(\.[a-z][a-zA-Z0-9]*)*$/;
export const CONTROL_ACTION_NAME_MAX = 64;

/**
 * Body fields never written to the log: credentials and signing material. A request that
 * carries one (none of today's control routes does) keeps the field's name, not its value.
 */
const SECRET_FIELDS = new Set([
  'secret',
  'signing_secret',
  'webhook_secret',
  'password',
  'key',
  'api_key',
  'private_key',
  'token',
  'access_token',
]);

/** The fields to log from a request: its path parameters and body (top-level secrets withheld), as canonical JSON. */
export function essentialFields(params: unknown, body: unknown, query?: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const nonEmpty = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length > 0;
  if (nonEmpty(params)) out.params = { ...params };
  if (nonEmpty(query)) out.query = { ...query };
  if (nonEmpty(body)) {
    out.body = Object.fromEntries(
      Object.entries(body).map(([k, v]) => [k, SECRET_FIELDS.has(k.toLowerCase()) ? '[withheld]' : v]),
    );
  }
  return out;
}

/** The hash of a row: SHA-256 of the canonical JSON of every column but the hash itself. */
export function controlLogHash(row: Omit<ChainedControlLogRow, 'hash'>): string {
  return sha256Hex(
    canonicalJson({
      seq: row.seq,
      at: row.at.toISOString(),
      actor: { key_id: row.actorKeyId, role: row.actorRole, subject: row.actorSubject },
      action: row.action,
      fields: row.fields,
      outcome: row.outcome,
      error_code: row.errorCode,
      prev_hash: row.prevHash,
    }),
  );
}

/** `rows` (unchained, in seq order) chained after `head`: each names the one before. */
export function chainRows(rows: ControlLogRow[], head: { hash: string }): ChainedControlLogRow[] {
  let prevHash = head.hash;
  return rows.map((row) => {
    const hash = controlLogHash({ ...row, prevHash });
    const chained = { ...row, prevHash, hash };
    prevHash = hash;
    return chained;
  });
}

/**
 * Walks chained rows in seq order from `head` (the hash and seq before the first row given)
 * and returns the seq of the first row whose link or hash does not recompute, or null. A
 * removed row shows as the next row's link: it names the removed row's hash.
 */
export function firstBrokenLink(
  rows: ChainedControlLogRow[],
  head: { seq: string; hash: string },
): { seq: string; why: string } | null {
  let prev = head;
  for (const row of rows) {
    if (BigInt(row.seq) <= BigInt(prev.seq)) return { seq: row.seq, why: `follows seq ${prev.seq}: out of order` };
    if (row.prevHash !== prev.hash) return { seq: row.seq, why: "does not name the previous row's hash" };
    if (controlLogHash(row) !== row.hash) return { seq: row.seq, why: 'its hash does not match its contents' };
    prev = row;
  }
  return null;
}

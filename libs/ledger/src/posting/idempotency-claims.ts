import type { EntityManager } from 'typeorm';
import { prepared } from '@tally/database';
import type { LedgerRejection, PostingRequest, PostingResult, TransferView } from '../domain';

const keyOf = (i: { scope: string; key: string }) => `${i.scope}\u0000${i.key}`;

/**
 * Claims each request's idempotency key, in the caller's transaction. A key seen before
 * answers from its record (a replay, or a conflict for a different request); a key another
 * transaction holds makes this INSERT wait for that transaction, so one key settles once
 * across replicas. Fills `results` for the requests answered so; returns the indexes of the
 * requests still to post (a key repeated within the batch posts once: see answerRepeatedKeys).
 *
 * With `claim` false, the keys are only looked up: the batch's write then inserts them
 * with their outcomes, and fails whole if another transaction took one meanwhile (one
 * write per key instead of a claim and an update, for batches of thousands).
 */
export async function claimIdempotencyKeys(
  m: EntityManager,
  requests: PostingRequest[],
  results: (PostingResult | undefined)[],
  claim = true,
): Promise<number[]> {
  const keyed = requests.map((r, i) => ({ r, i })).filter(({ r }) => r.idempotency);
  if (keyed.length === 0) return requests.map((_, i) => i);
  const claimed: { scope: string; key: string }[] = claim
    ? await prepared(
        m,
        `INSERT INTO idempotency_keys (scope, key, request_hash, outcome)
         SELECT s, k, h, 'claimed' FROM unnest($1::varchar[], $2::varchar[], $3::varchar[]) AS u(s, k, h)
         ON CONFLICT DO NOTHING RETURNING scope, key`,
        [
          keyed.map(({ r }) => r.idempotency!.scope),
          keyed.map(({ r }) => r.idempotency!.key),
          keyed.map(({ r }) => r.idempotency!.requestHash),
        ],
      )
    : [];
  const claimedKeys = new Set(claimed.map(keyOf));
  const earlier = keyed.filter(({ r }) => !claimedKeys.has(keyOf(r.idempotency!)));
  if (earlier.length > 0) {
    const rows: {
      scope: string;
      key: string;
      request_hash: string;
      rejection: LedgerRejection | null;
      view: TransferView | null;
    }[] = await prepared(
      m,
      `SELECT k.scope, k.key, k.request_hash, k.rejection,
              CASE WHEN k.transfer_id IS NOT NULL THEN ledger_transfer_view(k.transfer_id) END AS view
         FROM idempotency_keys k JOIN unnest($1::varchar[], $2::varchar[]) AS u(s, k2) ON k.scope = u.s AND k.key = u.k2`,
      [earlier.map(({ r }) => r.idempotency!.scope), earlier.map(({ r }) => r.idempotency!.key)],
    );
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    for (const { r, i } of earlier) {
      const row = byKey.get(keyOf(r.idempotency!));
      if (!row) continue; // not claimed, and new: to post

      results[i] =
        row.request_hash !== r.idempotency!.requestHash
          ? { outcome: 'conflict' }
          : row.view
            ? { outcome: 'replay', transfer: row.view }
            : { outcome: 'replay', rejection: row.rejection! };
    }
  }
  const seen = new Set<string>();
  return requests
    .map((r, i) => ({ r, i }))
    .filter(({ r, i }) => {
      if (results[i]) return false;
      if (!r.idempotency) return true;
      const k = keyOf(r.idempotency);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    })
    .map(({ i }) => i);
}

/** The same key twice in one batch: the later request answers as a replay of the first (or a conflict). */
export function answerRepeatedKeys(requests: PostingRequest[], results: (PostingResult | undefined)[]): void {
  const first = new Map<string, number>();
  requests.forEach((r, i) => {
    if (!r.idempotency) return;
    const k = keyOf(r.idempotency);
    const owner = first.get(k);
    if (owner === undefined) {
      first.set(k, i);
      return;
    }
    if (results[i]) return;
    const original = results[owner]!;
    results[i] =
      requests[owner].idempotency!.requestHash !== r.idempotency.requestHash
        ? { outcome: 'conflict' }
        : original.outcome === 'conflict'
          ? original
          : ({ ...original, outcome: 'replay' } as PostingResult);
  });
}

/** Whether a batch names one key twice (the locking path answers the second as a replay). */
export function hasRepeatedKey(requests: readonly PostingRequest[]): boolean {
  return new RepeatedKeys().extend(requests, 0);
}

/**
 * hasRepeatedKey over a list that grows at its end: `extend` looks only at the requests
 * from `from` on, remembering the keys before.
 */
export class RepeatedKeys {
  private readonly keys = new Set<string>();

  extend(requests: readonly PostingRequest[], from: number): boolean {
    for (let i = from; i < requests.length; i++) {
      const idem = requests[i].idempotency;
      if (!idem) continue;
      const k = keyOf(idem);
      if (this.keys.has(k)) return true;
      this.keys.add(k);
    }
    return false;
  }
}

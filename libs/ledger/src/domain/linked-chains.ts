import type { LedgerRejection } from './ledger-rejection';
import { rejection } from './ledger-rejection';
import { decidePosting, type HoldState, type LedgerAccount, type LedgerState } from './posting-rules';
import type { PostingRequest } from './transfer';

/**
 * Linked chains (TigerBeetle's semantics): a request with `linked` is chained to the next
 * one, and a chain ends at the first request without it. A chain posts whole or not at all.
 */

/** The batch cut into runs: each a single request, or a chain (its requests' indexes, in order). */
export interface Run {
  indexes: number[];
  /** The last request of the batch was linked: the chain never closed. */
  open: boolean;
}

export function runsOf(requests: readonly Pick<PostingRequest, 'linked'>[]): Run[] {
  const runs: Run[] = [];
  let current: number[] = [];
  requests.forEach((r, i) => {
    current.push(i);
    if (!r.linked) {
      runs.push({ indexes: current, open: false });
      current = [];
    }
  });
  if (current.length > 0) runs.push({ indexes: current, open: true });
  return runs;
}

/** The rejection of a chain's other requests when one of them fails. */
export function linkedFailure(failedAt: number, cause: LedgerRejection): LedgerRejection {
  return rejection('linked_event_failed', `linked item ${failedAt} failed (${cause.reason}): ${cause.detail}`);
}

export const CHAIN_OPEN = rejection('linked_event_chain_open', 'the batch ended inside a linked chain');

/**
 * Decides a chain's requests in order against a copy-on-write view of `state`, leaving
 * `state` itself untouched: the first refusal (its position in `requests` and why), or
 * undefined if all of them would post. Only what the chain reads is copied, so a long batch
 * of short chains costs no more than its requests.
 */
export function firstRefusal<A extends LedgerAccount>(
  requests: readonly PostingRequest[],
  state: LedgerState<A>,
): { at: number; rejection: LedgerRejection } | undefined {
  const view: LedgerState<A> = {
    accounts: new CopyOnRead(state.accounts, (a) => ({ ...a })),
    byRef: state.byRef,
    holds: new CopyOnRead<string, HoldState>(state.holds, (h) => ({ ...h })),
    now: state.now,
    importedUntil: state.importedUntil,
  };
  for (let at = 0; at < requests.length; at++) {
    const decision = decidePosting(requests[at], view);
    if ('rejected' in decision) return { at, rejection: decision.rejected };
  }
  return undefined;
}

/** A map that reads through to `base`, copying an entry on its first read so changes stay here. */
class CopyOnRead<K, V> extends Map<K, V> {
  constructor(
    private readonly base: ReadonlyMap<K, V>,
    private readonly copy: (v: V) => V,
  ) {
    super();
  }

  override get(key: K): V | undefined {
    if (!super.has(key)) {
      const v = this.base.get(key);
      if (v === undefined) return undefined;
      super.set(key, this.copy(v));
    }
    return super.get(key);
  }

  override has(key: K): boolean {
    return super.has(key) || this.base.has(key);
  }
}

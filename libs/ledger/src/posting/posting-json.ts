import type { AccountRef, Leg, PostingRequest } from '../domain';

const ref = (a: AccountRef) => ({ kind: a.kind, owner: a.owner });
const leg = (l: Leg) => ({ ...ref(l.account), side: l.side, phase: l.phase ?? 'posted', amount: l.amount.toString() });

/** The JSON shape `ledger_post` reads (amounts as strings: exact, never JS numbers). */
export function toPostingJson(r: PostingRequest): Record<string, unknown> {
  const base = {
    id: r.id,
    kind: r.kind,
    scope: r.idempotency?.scope,
    idempotency_key: r.idempotency?.key,
    request_hash: r.idempotency?.requestHash,
    job_id: r.jobId,
    prover_id: r.proverId,
    memo: r.memo,
    metadata: r.metadata,
  };
  switch (r.kind) {
    case 'hold':
      return {
        ...base,
        expires_at: r.expiresAt?.toISOString(),
        legs: [
          leg({ account: r.from, side: 'D', phase: 'pending', amount: r.amount }),
          leg({ account: r.to, side: 'C', phase: 'pending', amount: r.amount }),
        ],
      };
    case 'capture':
      return { ...base, hold_id: r.holdId, amount: r.amount.toString(), to: ref(r.to) };
    case 'void':
    case 'expire':
      return { ...base, hold_id: r.holdId };
    default:
      return { ...base, legs: r.legs.map(leg) };
  }
}

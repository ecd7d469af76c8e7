import { formatMicros, int64ToJson } from '@tally/shared';
import { balanceOf, type Payout, type TransferView } from '../domain';
import type { AccountRow } from '../persistence/ledger-reader';

const SIDE = { D: 'debit', C: 'credit' } as const;

/** A transfer as the credits API shows it: decimal amounts, debit/credit sides. */
export function presentTransfer(v: TransferView) {
  return {
    transfer_id: v.id,
    sequence: v.seq,
    kind: v.kind,
    amount: formatMicros(BigInt(v.amount)),
    hold_id: v.hold_id ?? undefined,
    job_id: v.job_id ?? undefined,
    prover_id: v.prover_id ?? undefined,
    memo: v.memo ?? undefined,
    metadata: v.metadata ?? undefined,
    created_at: new Date(v.created_at).toISOString(),
    entries: v.entries.map((e) => ({
      account_type: e.account_type,
      account_id: e.account_id,
      side: SIDE[e.side],
      ...(e.phase === 'posted' ? {} : { phase: e.phase }),
      amount: formatMicros(BigInt(e.amount)),
    })),
  };
}

/** Each account's balance right after the transfer (its last entry in it). */
export function presentBalances(v: TransferView) {
  const last = new Map<string, TransferView['entries'][number]>();
  for (const e of v.entries) last.set(`${e.account_type}/${e.account_id}`, e);
  return [...last.values()].map((e) => ({
    account_type: e.account_type,
    account_id: e.account_id,
    ...presentBalance(
      balanceOf({
        postedDebits: BigInt(e.posted_debits),
        postedCredits: BigInt(e.posted_credits),
        pendingDebits: BigInt(e.pending_debits),
        pendingCredits: BigInt(e.pending_credits),
      }),
    ),
  }));
}

export function presentBalance(b: ReturnType<typeof balanceOf>) {
  return {
    posted: formatMicros(b.posted),
    pending: formatMicros(b.pending),
    available: formatMicros(b.available),
    incoming: formatMicros(b.incoming),
  };
}

export function presentPosting(v: TransferView) {
  return { ...presentTransfer(v), balances: presentBalances(v) };
}

/** An account with its balance now, as creating it answers and the admin search lists it. */
export function presentAccount(account: AccountRow) {
  return {
    account_type: account.kind,
    account_id: account.owner,
    currency: account.currency,
    version: int64ToJson(account.version),
    metadata: account.metadata,
    created_at: account.createdAt,
    balance: presentBalance(balanceOf(account)),
  };
}

/** A hold as the API shows it: `amount` fields in credits (decimal strings), like everywhere else. */
export function presentHold(hold: Record<string, unknown>) {
  return {
    ...hold,
    amount: formatMicros(BigInt(hold.amount as string)),
    captured: formatMicros(BigInt(hold.captured as string)),
  };
}

/** A payout as the API shows it: the amount in credits and in micros. */
export function presentPayout(p: Payout) {
  return {
    payout_id: p.id,
    prover_id: p.proverId,
    amount: formatMicros(p.amountMicros),
    amount_micros: p.amountMicros.toString(),
    status: p.status,
    hold_id: p.holdId,
    external_ref: p.externalRef,
    reason: p.reason,
    created_at: p.createdAt,
    resolved_at: p.resolvedAt,
  };
}

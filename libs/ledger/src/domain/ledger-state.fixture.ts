import { refKey } from './account';
import type { LedgerAccount, LedgerState } from './posting-rules';

/** The time the rules' unit specs decide at. */
export const FIXTURE_NOW = new Date('2026-01-01T00:00:00Z');

/** An account for the rules' unit specs: `credits` posted, nothing pending; only issuance may go negative. */
export function fixtureAccount(id: string, kind: LedgerAccount['kind'], owner: string, credits = 0n): LedgerAccount {
  return {
    id,
    kind,
    owner,
    currency: 'CREDIT',
    allowNegative: kind === 'issuance',
    postedDebits: 0n,
    postedCredits: credits,
    pendingDebits: 0n,
    pendingCredits: 0n,
  };
}

/** A ledger state of these accounts (indexed by id and by kind/owner), no holds, at FIXTURE_NOW. */
export function fixtureState(accounts: LedgerAccount[], now = FIXTURE_NOW): LedgerState {
  return {
    accounts: new Map(accounts.map((a) => [a.id, a])),
    byRef: new Map(accounts.map((a) => [refKey(a.kind, a.owner), a.id])),
    holds: new Map(),
    now,
  };
}

import { IDENTIFIER_PATTERN, InvalidRequestError } from '@tally/shared';

export const ACCOUNT_KINDS = ['user', 'provider', 'platform', 'escrow', 'issuance', 'stake', 'payout'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];

/**
 * Spellings accepted for a kind wherever an account type is given: a prover's role is
 * `prover`, its account's kind `provider` (the name signed batches and proofs carry, so
 * answers keep it).
 */
export const ACCOUNT_KIND_SYNONYMS: Readonly<Record<string, AccountKind>> = { prover: 'provider' };

/** The kinds a request may name, synonyms included (`kinds` narrows it to some). */
export const accountTypeInputs = (kinds: readonly AccountKind[] = ACCOUNT_KINDS): string[] => [
  ...kinds,
  ...Object.keys(ACCOUNT_KIND_SYNONYMS).filter((s) => kinds.includes(ACCOUNT_KIND_SYNONYMS[s])),
];

/** Kinds with exactly one account, whose owner id is always `main`. */
export const SINGLETON_KINDS: readonly AccountKind[] = ['platform', 'escrow', 'issuance', 'payout'];
export const SINGLETON_OWNER = 'main';
export const OWNER_ID_PATTERN = IDENTIFIER_PATTERN;

/** An account named as the API names it: `account_type` and `account_id`. */
export interface AccountRef {
  kind: AccountKind;
  owner: string;
}

/** How an account is named in details and maps: `kind/owner`. */
export const refKey = (kind: string, owner: string) => `${kind}/${owner}`;

/** Kinds whose account is created by its first credit (the singletons exist from the start). */
export const CREATED_ON_FIRST_CREDIT: readonly AccountKind[] = ['user', 'provider', 'stake'];

export const PLATFORM: AccountRef = { kind: 'platform', owner: SINGLETON_OWNER };
export const ESCROW: AccountRef = { kind: 'escrow', owner: SINGLETON_OWNER };
export const ISSUANCE: AccountRef = { kind: 'issuance', owner: SINGLETON_OWNER };
/** The clearing account of payouts: earnings on their way out of the ledger (see payout.ts). */
export const PAYOUT: AccountRef = { kind: 'payout', owner: SINGLETON_OWNER };

/**
 * Kinds whose accounts move only by the one use case that owns them: a posting touches one
 * only if it says it is that use case (`PostingRequest.purpose`), so no transfer, mint,
 * hold, capture, void or batch item of a caller's own may name or release them.
 */
export const RESERVED_KINDS: Readonly<Partial<Record<AccountKind, PostingPurpose>>> = {
  payout: 'payout',
  stake: 'staking',
};
export type PostingPurpose = 'payout' | 'staking';

export function accountRef(type: string, owner: string): AccountRef {
  const kind = Object.hasOwn(ACCOUNT_KIND_SYNONYMS, type) ? ACCOUNT_KIND_SYNONYMS[type] : type;
  if (!(ACCOUNT_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidRequestError(`account_type must be one of ${ACCOUNT_KINDS.join(', ')}`, { field: 'account_type' });
  }
  if (!OWNER_ID_PATTERN.test(owner)) {
    throw new InvalidRequestError('account_id must be 1-128 characters of A-Z a-z 0-9 . _ : @ -', {
      field: 'account_id',
    });
  }
  if (SINGLETON_KINDS.includes(kind as AccountKind) && owner !== SINGLETON_OWNER) {
    throw new InvalidRequestError(`the ${kind} account is named "${SINGLETON_OWNER}"`, { field: 'account_id' });
  }
  return { kind: kind as AccountKind, owner };
}

export const userAccount = (owner: string): AccountRef => accountRef('user', owner);
export const providerAccount = (owner: string): AccountRef => accountRef('provider', owner);
/** A prover's bonded credits (see stake-rules.ts): its owner is the prover id. */
export const stakeAccount = (owner: string): AccountRef => accountRef('stake', owner);

/** An account's counters in micros, as stored. */
export interface AccountCounters {
  postedDebits: bigint;
  postedCredits: bigint;
  pendingDebits: bigint;
  pendingCredits: bigint;
}

/**
 * The sign rule: posted = credits − debits; pending = held (pending debits); available =
 * posted − pending, and only an account allowed to go negative (issuance) may have it below zero.
 */
export interface Balance {
  posted: bigint;
  pending: bigint;
  incoming: bigint;
  available: bigint;
}

export function balanceOf(c: AccountCounters): Balance {
  const posted = c.postedCredits - c.postedDebits;
  return { posted, pending: c.pendingDebits, incoming: c.pendingCredits, available: posted - c.pendingDebits };
}

import type { EntityManager } from 'typeorm';
import { prepared } from '@tally/database';
import {
  type AccountKind,
  type AccountRef,
  CREATED_ON_FIRST_CREDIT,
  type HoldState,
  type LedgerAccount,
  type LedgerState,
  type PostingRequest,
  refKey,
} from '../domain';

/** An account as a batch knows it: what the rules see, plus its version and hash chain as the batch moves them. */
export interface AccountState extends LedgerAccount {
  version: bigint;
  head: Buffer;
  /** Whether the batch moved it (only those are written back). */
  touched: boolean;
  /** Whether it has balance alerts (evaluated when a batch moves it). */
  hasAlerts: boolean;
}

/** The columns an AccountState is read from (`accounts a`), and the row they give. */
export const ACCOUNT_STATE_COLUMNS = `a.id::text, a.kind, a.owner_id, a.currency, a.allow_negative,
  a.posted_debits::text, a.posted_credits::text, a.pending_debits::text, a.pending_credits::text, a.version::text,
  a.head_hash, a.has_alerts`;
export interface AccountStateRow {
  id: string;
  kind: AccountKind;
  owner_id: string;
  currency: string;
  allow_negative: boolean;
  posted_debits: string;
  posted_credits: string;
  pending_debits: string;
  pending_credits: string;
  version: string;
  head_hash: Buffer;
  has_alerts: boolean;
}

export function accountStateOf(a: AccountStateRow): AccountState {
  return {
    id: a.id,
    kind: a.kind,
    owner: a.owner_id,
    currency: a.currency,
    allowNegative: a.allow_negative,
    postedDebits: BigInt(a.posted_debits),
    postedCredits: BigInt(a.posted_credits),
    pendingDebits: BigInt(a.pending_debits),
    pendingCredits: BigInt(a.pending_credits),
    version: BigInt(a.version),
    head: a.head_hash,
    touched: false,
    hasAlerts: a.has_alerts,
  };
}

/** Past this many accounts, a batch resolves their ids before it locks them (see lockAccounts). */
const MANY_ACCOUNTS = 64;

/** The state a batch is decided against, locked; `created`: the accounts made for it just now. */
export type LockedState = LedgerState<AccountState> & { created: Set<string> };

/**
 * Locks every hold and account a batch touches (holds, then accounts, each in id order, so
 * concurrent batches cannot deadlock), creating the user and provider accounts it credits
 * first. An account created for a credit that was then refused is removed by `dropUnused`.
 */
export async function lockState(m: EntityManager, requests: PostingRequest[]): Promise<LockedState> {
  const holds = await lockHolds(m, requests);
  return { ...(await lockAccounts(m, requests, holds)), holds };
}

/** Removes the accounts `lockState` created that no posting of the batch used. */
export async function dropUnused(m: EntityManager, state: LockedState): Promise<void> {
  const unused = [...state.created].filter((id) => !state.accounts.get(id)?.touched);
  if (unused.length > 0) {
    await prepared(m, `DELETE FROM accounts WHERE id = ANY($1::bigint[]) AND version = 0`, [unused]);
  }
}

async function lockHolds(m: EntityManager, requests: PostingRequest[]): Promise<Map<string, HoldState>> {
  const ids = [...new Set(requests.flatMap((r) => ('holdId' in r ? [r.holdId] : [])))];
  const holds = new Map<string, HoldState>();
  if (ids.length === 0) return holds;
  const rows: {
    id: string;
    debit: string;
    credit: string;
    amount: string;
    status: HoldState['status'];
    expires_at: Date | null;
  }[] = await prepared(
    m,
    `SELECT id, debit_account_id::text AS debit, credit_account_id::text AS credit, amount::text, status, expires_at
       FROM holds WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`,
    [ids],
  );
  for (const h of rows) {
    holds.set(h.id, {
      id: h.id,
      debit: h.debit,
      credit: h.credit,
      amount: BigInt(h.amount),
      status: h.status,
      expiresAt: h.expires_at,
    });
  }
  return holds;
}

async function lockAccounts(m: EntityManager, requests: PostingRequest[], holds: Map<string, HoldState>) {
  const refs = new Map<string, AccountRef & { credit: boolean }>();
  const note = (ref: AccountRef, credit: boolean) => {
    const k = refKey(ref.kind, ref.owner);
    refs.set(k, { ...ref, credit: credit || (refs.get(k)?.credit ?? false) });
  };
  for (const r of requests) {
    if ('legs' in r) r.legs.forEach((l) => note(l.account, l.side === 'C'));
    if (r.kind === 'hold') {
      note(r.from, false);
      note(r.to, true);
    }
    if (r.kind === 'capture') note(r.to, true);
  }
  const toCreate = [...refs.values()].filter((r) => r.credit && CREATED_ON_FIRST_CREDIT.includes(r.kind));
  const created = new Set<string>();
  if (toCreate.length > 0) {
    const rows = await prepared<{ id: string }>(
      m,
      `INSERT INTO accounts (kind, owner_id) SELECT * FROM unnest($1::varchar[], $2::varchar[]) AS u(kind, owner)
       ORDER BY 1, 2 ON CONFLICT DO NOTHING RETURNING id::text`,
      [toCreate.map((r) => r.kind), toCreate.map((r) => r.owner)],
    );
    for (const r of rows) created.add(r.id);
  }
  const list = [...refs.values()];
  const holdAccounts = [...holds.values()].flatMap((h) => [h.debit, h.credit]);
  // Resolves the references and locks every account in id order (NO KEY UPDATE: the key never
  // changes, so foreign-key checks elsewhere do not queue behind it); a reference that
  // resolves to nothing is refused by the rules (unknown-account). A few accounts: in one
  // statement. Many (a caller's batch): their ids first, then the lock by those ids alone,
  // since a row another transaction moved meanwhile is rechecked against the lock's whole
  // condition, and rechecking thousands of rows against the resolving join cost the
  // database ~1 ms per transfer in batches over 10,000 accounts.
  const resolve = `SELECT x.id FROM unnest($1::varchar[], $2::varchar[]) AS u(kind, owner)
                   JOIN accounts x ON x.kind = u.kind AND x.owner_id = u.owner AND x.currency = 'CREDIT'`;
  const lockById = (ids: string) =>
    `SELECT now() AS now, ${ACCOUNT_STATE_COLUMNS} FROM accounts a WHERE a.id = ANY(${ids})
     ORDER BY a.id FOR NO KEY UPDATE`;
  const refArrays = [list.map((r) => r.kind), list.map((r) => r.owner)];
  let rows: (AccountStateRow & { now: Date })[] = [];
  if (list.length + holdAccounts.length > MANY_ACCOUNTS) {
    const ids = (await prepared<{ id: string }>(m, resolve, refArrays)).map((r) => r.id);
    rows = await prepared(m, lockById('$1::bigint[]'), [[...ids, ...holdAccounts]]);
  } else if (list.length > 0 || holdAccounts.length > 0) {
    rows = await prepared(m, lockById(`ARRAY(${resolve}) || $3::bigint[]`), [...refArrays, holdAccounts]);
  }
  const now: Date = rows[0]?.now ?? (await prepared<{ now: Date }>(m, `SELECT now() AS now`))[0].now;
  const accounts = new Map<string, AccountState>();
  const byRef = new Map<string, string>();
  for (const a of rows) {
    accounts.set(a.id, accountStateOf(a));
    byRef.set(refKey(a.kind, a.owner_id), a.id);
  }
  return { accounts, byRef, now, created };
}

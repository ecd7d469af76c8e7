import {
  type AccountCounters,
  GENESIS_HEAD,
  legText,
  moveCounters,
  nextHead,
  type Phase,
  type Side,
} from '@tally/ledger';
import type { SqlSession } from './sql-session';
import { fetchPages } from './table-pages';

/** Entries read per page, and written per statement. */
const PAGE = 5000;
/** Accounts whose totals are written per statement. */
const ACCOUNTS_PER_WRITE = 1000;

/** An entry as the journal records it: what happened, without what follows from it. */
interface JournalEntry {
  id: string;
  transfer_id: string;
  transfer_seq: string;
  leg: string;
  account_id: string;
  side: Side;
  phase: Phase;
  amount: string;
  created_at: string;
}

interface ReplayedEntry extends JournalEntry {
  after: AccountCounters;
  version: bigint;
  hash: Buffer;
}

/** An account as its entries so far leave it. */
interface AccountChain extends AccountCounters {
  id: string;
  version: bigint;
  head: Buffer;
}

const startOf = (id: string): AccountChain => ({
  id,
  postedDebits: 0n,
  postedCredits: 0n,
  pendingDebits: 0n,
  pendingCredits: 0n,
  version: 0n,
  head: GENESIS_HEAD,
});

/**
 * Replays every account's entries in the order they were applied to it (by transfer
 * sequence, then leg), by the ledger's own rules: each leg moves one counter
 * (`moveCounters`), each transfer moves the account's version once and links its hash chain
 * (`nextHead`). Writes each entry with the counters, version and hash that follow, and each
 * account's totals. Reads account by account through a cursor, so memory holds one page and one account.
 */
export async function replayAccountChains(
  source: SqlSession,
  target: SqlSession,
  advance: (rows: number) => void,
): Promise<void> {
  const entries: ReplayedEntry[] = [];
  const accounts: AccountChain[] = [];
  let account: AccountChain | undefined;
  let transfer: JournalEntry[] = []; // the current transfer's legs on the current account

  const closeTransfer = () => {
    if (!account || transfer.length === 0) return;
    const a = account;
    a.version += 1n;
    a.head = nextHead(a.head, transfer[0].transfer_id, transfer.map((e) => legText(e)).join(','));
    for (const e of transfer) {
      moveCounters(a, { side: e.side, phase: e.phase, amount: BigInt(e.amount) });
      entries.push({ ...e, after: countersOf(a), version: a.version, hash: a.head });
    }
    transfer = [];
  };
  const closeAccount = () => {
    closeTransfer();
    if (account) accounts.push(account);
  };

  const query = `SELECT e.id::text AS id, e.transfer_id::text AS transfer_id, e.transfer_seq::text AS transfer_seq,
                        e.leg::text AS leg, e.account_id::text AS account_id, e.side, e.phase, e.amount::text AS amount,
                        to_jsonb(e.created_at) #>> '{}' AS created_at
                 FROM entries e ORDER BY e.account_id, e.transfer_seq, e.leg`;
  for await (const rows of fetchPages<JournalEntry>(source, query, PAGE)) {
    for (const e of rows) {
      if (account?.id !== e.account_id) {
        closeAccount();
        account = startOf(e.account_id);
      } else if (transfer.length > 0 && transfer[0].transfer_seq !== e.transfer_seq) {
        closeTransfer();
      }
      transfer.push(e);
    }
    advance(rows.length);
    if (entries.length >= PAGE) await writeEntries(target, entries.splice(0));
    if (accounts.length >= ACCOUNTS_PER_WRITE) await writeTotals(target, accounts.splice(0));
  }
  closeAccount();
  await writeEntries(target, entries.splice(0));
  await writeTotals(target, accounts.splice(0));
}

const countersOf = (c: AccountCounters): AccountCounters => ({
  postedDebits: c.postedDebits,
  postedCredits: c.postedCredits,
  pendingDebits: c.pendingDebits,
  pendingCredits: c.pendingCredits,
});

async function writeEntries(target: SqlSession, entries: ReplayedEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const column = <T>(f: (e: ReplayedEntry) => T) => entries.map(f);
  await target.query(
    `INSERT INTO entries (id, transfer_id, transfer_seq, leg, account_id, side, phase, amount, posted_debits_after,
                          posted_credits_after, pending_debits_after, pending_credits_after, version_after, hash, created_at)
     OVERRIDING SYSTEM VALUE
     SELECT id, t, s, l, a, sd, ph, am, pd, pc, nd, nc, v, decode(h, 'hex'), c
     FROM unnest($1::bigint[], $2::uuid[], $3::bigint[], $4::smallint[], $5::bigint[], $6::char[], $7::varchar[],
                 $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[],
                 $15::timestamptz[]) AS u(id, t, s, l, a, sd, ph, am, pd, pc, nd, nc, v, h, c)`,
    [
      column((e) => e.id),
      column((e) => e.transfer_id),
      column((e) => e.transfer_seq),
      column((e) => e.leg),
      column((e) => e.account_id),
      column((e) => e.side),
      column((e) => e.phase),
      column((e) => e.amount),
      column((e) => e.after.postedDebits.toString()),
      column((e) => e.after.postedCredits.toString()),
      column((e) => e.after.pendingDebits.toString()),
      column((e) => e.after.pendingCredits.toString()),
      column((e) => e.version.toString()),
      column((e) => e.hash.toString('hex')),
      column((e) => e.created_at),
    ],
  );
}

async function writeTotals(target: SqlSession, accounts: AccountChain[]): Promise<void> {
  if (accounts.length === 0) return;
  const column = (f: (a: AccountChain) => string) => accounts.map(f);
  await target.query(
    `UPDATE accounts a SET posted_debits = u.pd, posted_credits = u.pc, pending_debits = u.nd, pending_credits = u.nc,
            version = u.v, head_hash = decode(u.h, 'hex')
     FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[])
          AS u(id, pd, pc, nd, nc, v, h)
     WHERE a.id = u.id`,
    [
      column((a) => a.id),
      column((a) => a.postedDebits.toString()),
      column((a) => a.postedCredits.toString()),
      column((a) => a.pendingDebits.toString()),
      column((a) => a.pendingCredits.toString()),
      column((a) => a.version.toString()),
      column((a) => a.head.toString('hex')),
    ],
  );
}

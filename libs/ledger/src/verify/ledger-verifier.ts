import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { GENESIS_HEAD, nextHead } from '../domain';

export interface VerifyReport {
  accounts: number;
  transfers: number;
  entries: number;
  problems: string[];
}

export interface VerifyProgress {
  start(total: number): void;
  advance(by: number): void;
  stop(): void;
}

const PAGE = 1000;

/**
 * Recomputes the ledger from its journal and reports every difference (invariants 1–4):
 * each account's counters against its entries and its open holds, each transfer's
 * balance, the zero sum of all balances, and each account's hash chain.
 */
@Injectable()
export class LedgerVerifier {
  constructor(private readonly uow: UnitOfWork) {}

  async verify(progress?: VerifyProgress): Promise<VerifyReport> {
    const q = <T = Record<string, string>>(sql: string, params: unknown[] = []) =>
      this.uow.tx.query(sql, params) as Promise<T[]>;
    const problems: string[] = [];
    const [{ accounts, transfers, entries }] = await q(
      `SELECT (SELECT count(*) FROM accounts)::int AS accounts, (SELECT count(*) FROM transfers)::int AS transfers,
              (SELECT count(*) FROM entries)::int AS entries`,
    );
    progress?.start(Number(accounts));

    const [sums] = await q(
      `SELECT COALESCE(sum(posted_credits - posted_debits), 0)::text AS posted,
              COALESCE(sum(pending_credits - pending_debits), 0)::text AS pending FROM accounts`,
    );
    if (sums.posted !== '0') problems.push(`the posted balances of all accounts sum to ${sums.posted}, not 0`);
    if (sums.pending !== '0') problems.push(`the pending balances of all accounts sum to ${sums.pending}, not 0`);

    const unbalanced = await q(
      `SELECT transfer_id::text, phase, sum(CASE side WHEN 'D' THEN amount ELSE -amount END)::text AS diff
       FROM entries GROUP BY transfer_id, phase HAVING sum(CASE side WHEN 'D' THEN amount ELSE -amount END) <> 0`,
    );
    for (const u of unbalanced)
      problems.push(`transfer ${u.transfer_id}: ${u.phase} debits exceed credits by ${u.diff}`);
    const empty = await q(
      `SELECT id::text FROM transfers t WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.transfer_id = t.id)`,
    );
    for (const t of empty) problems.push(`transfer ${t.id} has no entries`);

    let lastId = '0';
    for (;;) {
      const page = await q(
        `SELECT a.id::text, a.kind, a.owner_id, a.allow_negative, a.posted_debits::text, a.posted_credits::text,
                a.pending_debits::text, a.pending_credits::text, a.version::text, a.head_hash,
           (SELECT jsonb_build_object(
              'pd', COALESCE(sum(amount) FILTER (WHERE phase = 'posted' AND side = 'D'), 0)::text,
              'pc', COALESCE(sum(amount) FILTER (WHERE phase = 'posted' AND side = 'C'), 0)::text,
              'nd', COALESCE(sum(CASE phase WHEN 'pending' THEN amount WHEN 'release' THEN -amount END)
                             FILTER (WHERE side = 'D'), 0)::text,
              'nc', COALESCE(sum(CASE phase WHEN 'pending' THEN amount WHEN 'release' THEN -amount END)
                             FILTER (WHERE side = 'C'), 0)::text,
              'transfers', count(DISTINCT transfer_id)::text)
            FROM entries e WHERE e.account_id = a.id) AS from_entries,
           (SELECT COALESCE(sum(amount), 0)::text FROM holds WHERE debit_account_id = a.id AND status = 'pending') AS held_out,
           (SELECT COALESCE(sum(amount), 0)::text FROM holds WHERE credit_account_id = a.id AND status = 'pending') AS held_in
         FROM accounts a WHERE a.id > $1 ORDER BY a.id LIMIT ${PAGE}`,
        [lastId],
      );
      if (page.length === 0) break;
      for (const a of page as unknown as AccountCheckRow[]) {
        problems.push(...this.checkAccount(a));
        problems.push(...(await this.checkChain(a)));
      }
      lastId = page[page.length - 1].id;
      progress?.advance(page.length);
    }
    progress?.stop();
    return { accounts: Number(accounts), transfers: Number(transfers), entries: Number(entries), problems };
  }

  private checkAccount(a: AccountCheckRow): string[] {
    const name = `${a.kind}/${a.owner_id}`;
    const out: string[] = [];
    const e = a.from_entries;
    const pairs: [string, string, string][] = [
      ['posted_debits', a.posted_debits, e.pd],
      ['posted_credits', a.posted_credits, e.pc],
      ['pending_debits', a.pending_debits, e.nd],
      ['pending_credits', a.pending_credits, e.nc],
    ];
    for (const [field, cached, recomputed] of pairs) {
      if (cached !== recomputed) out.push(`${name}: cached ${field} ${cached} but its entries sum to ${recomputed}`);
    }
    if (a.pending_debits !== a.held_out)
      out.push(`${name}: pending_debits ${a.pending_debits} but open holds ${a.held_out}`);
    if (a.pending_credits !== a.held_in)
      out.push(`${name}: pending_credits ${a.pending_credits} but open holds ${a.held_in}`);
    if (a.version !== e.transfers) out.push(`${name}: version ${a.version} but ${e.transfers} transfers touched it`);
    const available = BigInt(a.posted_credits) - BigInt(a.posted_debits) - BigInt(a.pending_debits);
    if (!a.allow_negative && available < 0n) out.push(`${name}: available balance ${available} is negative`);
    return out;
  }

  /** Replays the account's hash chain: one link per transfer, over that transfer's legs in order. */
  private async checkChain(a: AccountCheckRow): Promise<string[]> {
    const name = `${a.kind}/${a.owner_id}`;
    let head = GENESIS_HEAD;
    let afterSeq = '0';
    for (;;) {
      const rows: { transfer_id: string; seq: string; legs: string; hash: Buffer }[] = await this.uow.tx.query(
        `SELECT transfer_id::text, transfer_seq::text AS seq,
                string_agg(side || ':' || phase || ':' || amount, ',' ORDER BY leg) AS legs, (array_agg(hash))[1] AS hash
         FROM entries WHERE account_id = $1 AND transfer_seq > $2
         GROUP BY transfer_id, transfer_seq ORDER BY transfer_seq LIMIT ${PAGE}`,
        [a.id, afterSeq],
      );
      for (const r of rows) {
        head = nextHead(head, r.transfer_id, r.legs);
        if (!head.equals(r.hash)) return [`${name}: hash chain broken at transfer ${r.transfer_id}`];
      }
      if (rows.length < PAGE) break;
      afterSeq = rows[rows.length - 1].seq;
    }
    return head.equals(a.head_hash) ? [] : [`${name}: head hash does not match its entries`];
  }
}

interface AccountCheckRow {
  id: string;
  kind: string;
  owner_id: string;
  allow_negative: boolean;
  posted_debits: string;
  posted_credits: string;
  pending_debits: string;
  pending_credits: string;
  version: string;
  head_hash: Buffer;
  from_entries: { pd: string; pc: string; nd: string; nc: string; transfers: string };
  held_out: string;
  held_in: string;
}

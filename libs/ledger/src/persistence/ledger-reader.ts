import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { type AccountCounters, type AccountRef, type TransferKind, type TransferView, UNBONDS_AT } from '../domain';

export interface AccountRow extends AccountCounters {
  id: string;
  kind: string;
  owner: string;
  currency: string;
  allowNegative: boolean;
  version: bigint;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export interface TransferFilter {
  accountId?: string;
  jobId?: string;
  kind?: TransferKind;
  from?: Date;
  to?: Date;
  /** Only transfers with seq below this (keyset cursor, newest first). */
  beforeSeq?: bigint;
  limit: number;
}

const ACCOUNT_COLUMNS = `id::text, kind, owner_id, currency, allow_negative, posted_debits::text, posted_credits::text,
  pending_debits::text, pending_credits::text, version::text, metadata, created_at`;

interface RawAccount {
  id: string;
  kind: string;
  owner_id: string;
  currency: string;
  allow_negative: boolean;
  posted_debits: string;
  posted_credits: string;
  pending_debits: string;
  pending_credits: string;
  version: string;
  metadata: Record<string, unknown>;
  created_at: Date;
}

function toAccount(r: RawAccount): AccountRow {
  return {
    id: r.id,
    kind: r.kind,
    owner: r.owner_id,
    currency: r.currency,
    allowNegative: r.allow_negative,
    postedDebits: BigInt(r.posted_debits),
    postedCredits: BigInt(r.posted_credits),
    pendingDebits: BigInt(r.pending_debits),
    pendingCredits: BigInt(r.pending_credits),
    version: BigInt(r.version),
    metadata: r.metadata,
    createdAt: r.created_at,
  };
}

/** A hold with the accounts it moves between, as the API shows it. */
const HOLD_COLUMNS = `h.id, h.amount::text, h.captured::text, h.status, h.expires_at, h.job_id, h.created_at,
  h.resolved_at, h.resolved_by, d.kind AS debit_kind, d.owner_id AS debit_owner, c.kind AS credit_kind,
  c.owner_id AS credit_owner`;
const HOLD_FROM = `holds h JOIN accounts d ON d.id = h.debit_account_id JOIN accounts c ON c.id = h.credit_account_id`;

/** Reads of the ledger; every query is an index probe or an index range, whatever the table sizes. */
@Injectable()
export class LedgerReader {
  constructor(private readonly uow: UnitOfWork) {}

  private query<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.uow.tx.query(sql, params);
  }

  async findAccount(ref: AccountRef): Promise<AccountRow | null> {
    const rows = await this.query<RawAccount>(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE kind = $1 AND owner_id = $2 AND currency = 'CREDIT'`,
      [ref.kind, ref.owner],
    );
    return rows[0] ? toAccount(rows[0]) : null;
  }

  /**
   * Accounts by kind and owner id (in that order), optionally of one kind and with owner ids
   * starting with `prefix`, after the keyset cursor `after`.
   */
  async searchAccounts(f: {
    kind?: string;
    prefix?: string;
    after?: AccountRef;
    limit: number;
  }): Promise<AccountRow[]> {
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where = [`currency = 'CREDIT'`];
    if (f.kind) where.push(`kind = ${p(f.kind)}`);
    if (f.prefix) where.push(`starts_with(owner_id, ${p(f.prefix)})`);
    // Byte order (COLLATE "C"), as the cursor compares: the database's collation may order ids otherwise.
    if (f.after) where.push(`(kind, owner_id COLLATE "C") > (${p(f.after.kind)}, ${p(f.after.owner)} COLLATE "C")`);
    const rows = await this.query<RawAccount>(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE ${where.join(' AND ')}
       ORDER BY kind, owner_id COLLATE "C" LIMIT ${p(f.limit)}`,
      params,
    );
    return rows.map(toAccount);
  }

  /** Creates an account if it does not exist; returns it and whether it was created. */
  async createAccount(
    ref: AccountRef,
    metadata: Record<string, unknown>,
  ): Promise<{ account: AccountRow; created: boolean }> {
    const inserted = await this.query<RawAccount>(
      `INSERT INTO accounts (kind, owner_id, metadata) VALUES ($1, $2, $3)
       ON CONFLICT (kind, owner_id, currency) DO NOTHING RETURNING ${ACCOUNT_COLUMNS}`,
      [ref.kind, ref.owner, JSON.stringify(metadata)],
    );
    if (inserted[0]) return { account: toAccount(inserted[0]), created: true };
    return { account: (await this.findAccount(ref))!, created: false };
  }

  /**
   * Keeps an account request's Idempotency-Key with its request hash and whether it created
   * the account, in the current transaction; when the key is taken already (a concurrent
   * holder is waited for), what it was kept with.
   */
  async keepIdempotencyKey(k: {
    scope: string;
    key: string;
    requestHash: string;
    created: boolean;
  }): Promise<'kept' | { requestHash: string; created: boolean }> {
    const kept = await this.query(
      `INSERT INTO idempotency_keys (scope, key, request_hash, outcome) VALUES ($1, $2, $3, $4)
       ON CONFLICT (scope, key) DO NOTHING RETURNING 1`,
      [k.scope, k.key, k.requestHash, k.created ? 'created' : 'existing'],
    );
    if (kept.length > 0) return 'kept';
    const [row] = await this.query<{ request_hash: string; outcome: string }>(
      `SELECT request_hash, outcome FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [k.scope, k.key],
    );
    return { requestHash: row.request_hash, created: row.outcome === 'created' };
  }

  /** The account's counters right after its last entry before `until` (zero before any). */
  async countersBefore(accountId: string, until: Date): Promise<AccountCounters & { version: bigint }> {
    const rows = await this.query<Record<string, string>>(
      `SELECT posted_debits_after::text AS pd, posted_credits_after::text AS pc, pending_debits_after::text AS nd,
              pending_credits_after::text AS nc, version_after::text AS v
       FROM entries WHERE account_id = $1 AND created_at < $2 ORDER BY created_at DESC, id DESC LIMIT 1`,
      [accountId, until],
    );
    const r = rows[0];
    if (!r) return { postedDebits: 0n, postedCredits: 0n, pendingDebits: 0n, pendingCredits: 0n, version: 0n };
    return {
      postedDebits: BigInt(r.pd),
      postedCredits: BigInt(r.pc),
      pendingDebits: BigInt(r.nd),
      pendingCredits: BigInt(r.nc),
      version: BigInt(r.v),
    };
  }

  async getTransfer(id: string): Promise<TransferView | null> {
    const rows = await this.query<{ v: TransferView | null }>(`SELECT ledger_transfer_view($1::uuid) AS v`, [id]);
    return rows[0]?.v ?? null;
  }

  /**
   * Transfers newest first, keyset-paginated on the journal sequence. With an account the
   * walk goes down that account's entries index; otherwise down the filter's own index.
   */
  async listTransfers(f: TransferFilter): Promise<TransferView[]> {
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    if (f.beforeSeq !== undefined) where.push(`t.seq < ${p(f.beforeSeq.toString())}`);
    if (f.jobId) where.push(`t.job_id = ${p(f.jobId)}`);
    if (f.kind) where.push(`t.kind = ${p(f.kind)}`);
    if (f.from) where.push(`t.created_at >= ${p(f.from)}`);
    if (f.to) where.push(`t.created_at < ${p(f.to)}`);
    // For an account, walk its entries (account_id, transfer_seq) index backwards and stop at the limit.
    const source = f.accountId
      ? `(SELECT DISTINCT e.transfer_seq AS seq FROM entries e WHERE e.account_id = ${p(f.accountId)}
           ${f.beforeSeq !== undefined ? `AND e.transfer_seq < ${p(f.beforeSeq.toString())}` : ''}
           ORDER BY e.transfer_seq DESC) s JOIN transfers t ON t.seq = s.seq`
      : 'transfers t';
    const sql = `SELECT ledger_transfer_view(t.id) AS v FROM ${source}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.seq DESC LIMIT ${p(f.limit)}`;
    const rows = await this.query<{ v: TransferView }>(sql, params);
    return rows.map((r) => r.v);
  }

  /** Pending holds past their expiry, oldest first. */
  async dueHolds(now: Date, limit: number): Promise<string[]> {
    const rows = await this.query<{ id: string }>(
      `SELECT id FROM holds WHERE status = 'pending' AND expires_at IS NOT NULL AND expires_at <= $1
       ORDER BY expires_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Unbonding holds (from a stake account) whose release time has come by `now`, oldest
   * first: each with its amount (micros) and its prover.
   */
  async dueUnbondings(now: Date, limit: number): Promise<{ id: string; amount: bigint; proverId: string }[]> {
    const rows = await this.query<{ id: string; amount: string; owner_id: string }>(
      `SELECT h.id::text, h.amount::text, a.owner_id
       FROM holds h JOIN accounts a ON a.id = h.debit_account_id JOIN transfers t ON t.id = h.id
       WHERE h.status = 'pending' AND a.kind = 'stake' AND (t.metadata ->> '${UNBONDS_AT}')::timestamptz <= $1
       ORDER BY h.created_at, h.id LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => ({ id: r.id, amount: BigInt(r.amount), proverId: r.owner_id }));
  }

  async getHold(id: string): Promise<Record<string, unknown> | null> {
    const rows = await this.query<Record<string, unknown>>(`SELECT ${HOLD_COLUMNS} FROM ${HOLD_FROM} WHERE h.id = $1`, [
      id,
    ]);
    return rows[0] ?? null;
  }

  /**
   * An account's holds (those it is debited or credited by), newest first, after the keyset
   * cursor `before` (a hold's created_at, as `cursor_at` gives it, and id). Each row carries
   * its `cursor_at` for the next page.
   */
  listHolds(f: {
    accountId: string;
    status?: string;
    before?: { at: string; id: string };
    limit: number;
  }): Promise<(Record<string, unknown> & { cursor_at: string; id: string })[]> {
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where = [`(h.debit_account_id = ${p(f.accountId)} OR h.credit_account_id = $1)`];
    if (f.status) where.push(`h.status = ${p(f.status)}`);
    if (f.before) where.push(`(h.created_at, h.id) < (${p(f.before.at)}::timestamptz, ${p(f.before.id)}::uuid)`);
    return this.query(
      `SELECT ${HOLD_COLUMNS}, to_char(h.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
       FROM ${HOLD_FROM} WHERE ${where.join(' AND ')} ORDER BY h.created_at DESC, h.id DESC LIMIT ${p(f.limit)}`,
      params,
    );
  }
}

import { Injectable, Module } from '@nestjs/common';
import { sqlLiteral, UnitOfWork } from '@tally/database';
import { type AccountRef, ESCROW, ISSUANCE, PLATFORM } from '../domain';

/** The ledger's totals in micros (decimal strings), as an admin overview shows them. */
export interface LedgerTotals {
  /** Credits held in escrow for jobs in flight. */
  escrow: string;
  /** Credits minted less credits burned: minus the issuance account's balance. */
  supply: string;
  /** The platform account's posted balance. */
  platform: string;
}

/** A prover's stake, in micros (decimal strings): see LedgerQueries.stakeOf. */
export interface StakeTotals {
  bonded: string;
  unbonding: string;
  slashed: string;
  earned: string;
}

/**
 * A transfer with its legs in one row, as a statement of the journal is built from it:
 * `legs` is `account_id kind owner side phase amount` per leg, comma-separated in leg order;
 * created_at is printed in UTC with microseconds, exactly as stored.
 */
export interface JournalTransferRow {
  id: string;
  seq: string;
  kind: string;
  amount: string;
  hold_id: string | null;
  job_id: string | null;
  /** The uuid a job had before job ids were int64s (settlement version 1 statements name it). */
  legacy_job_id: string | null;
  prover_id: string | null;
  created_at: string;
  legs: string;
}

// Each leg's account is looked up by its key, never joined: on tables not analysed yet (right
// after a bulk import) the planner hashed every account once per transfer.
const TRANSFER_WITH_LEGS = `
  SELECT t.id::text, t.seq::text, t.kind, t.amount::text, t.hold_id::text, t.job_id,
         (SELECT l.legacy_id::text FROM legacy_job_ids l WHERE l.job_id = t.job_id) AS legacy_job_id, t.prover_id,
         to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
         (SELECT string_agg(e.account_id || ' ' || (SELECT a.kind || ' ' || a.owner_id FROM accounts a WHERE a.id = e.account_id)
                            || ' ' || e.side || ' ' || e.phase || ' ' || e.amount, ',' ORDER BY e.leg)
            FROM entries e WHERE e.transfer_id = t.id) AS legs
  FROM transfers t`;

const account = ({ kind, owner }: AccountRef) => `kind = ${sqlLiteral(kind)} AND owner_id = ${sqlLiteral(owner)}`;

/**
 * The ledger tables as other libs may read them: these queries, never the tables. Reads
 * only; every change goes through the ledger's commands and writer.
 */
@Injectable()
export class LedgerQueries {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * A job's transfers (ids as text, in journal order) as an SQL expression for another
   * lib's statement (the receipts read them with a job's chain in one statement);
   * `jobId` is an SQL expression of the job's id as text.
   */
  static jobTransferIdsSql(jobId: string): string {
    return `ARRAY(SELECT t.id::text FROM transfers t WHERE t.job_id = ${jobId} ORDER BY t.seq)`;
  }

  /**
   * The number of transfers written by transactions with ids below `horizon` (an SQL
   * expression of type xid8), as an SQL expression for another lib's statement (the
   * settlement verifier counts them against its batches in one snapshot).
   */
  static transfersWrittenBeforeCountSql(horizon: string): string {
    return `(SELECT count(*) FROM transfers WHERE xact_id < ${horizon})`;
  }

  /**
   * An account's kind and owner (`kind`, `owner_id`) for the account id `accountId` (an SQL
   * expression), as a LATERAL subquery for another lib's statement.
   */
  static accountRefSql(accountId: string): string {
    return `(SELECT a.kind, a.owner_id FROM accounts a WHERE a.id = ${accountId})`;
  }

  /**
   * Transfers written by transactions with ids in [from, below), xid8 as text (no upper
   * bound when `below` is omitted), in journal order: what a settlement batch holds.
   */
  transfersWrittenBetween(from: string, below: string): Promise<JournalTransferRow[]> {
    return this.uow.tx.query(
      `${TRANSFER_WITH_LEGS} WHERE t.xact_id >= $1::xid8 AND t.xact_id < $2::xid8 ORDER BY t.seq`,
      [from, below],
    );
  }

  /** Whether any transfer was written by a transaction with an id in [from, below) (no upper bound without `below`). */
  async anyTransferWrittenBetween(from: string, below?: string): Promise<boolean> {
    const rows: unknown[] = await this.uow.tx.query(
      `SELECT 1 FROM transfers WHERE xact_id >= $1::xid8 ${below === undefined ? '' : 'AND xact_id < $2::xid8'} LIMIT 1`,
      below === undefined ? [from] : [from, below],
    );
    return rows.length > 0;
  }

  /** One transfer with its legs. */
  async transferWithLegs(transferId: string): Promise<JournalTransferRow | null> {
    const rows: JournalTransferRow[] = await this.uow.tx.query(`${TRANSFER_WITH_LEGS} WHERE t.id = $1`, [transferId]);
    return rows[0] ?? null;
  }

  /**
   * A prover's bonded stake in micros (its stake account's available balance, 0 without one)
   * as an SQL expression for another lib's statement; `proverId` is an SQL expression.
   */
  static bondedStakeSql(proverId: string): string {
    return `COALESCE((SELECT a.posted_credits - a.posted_debits - a.pending_debits FROM accounts a
                      WHERE a.kind = 'stake' AND a.owner_id = ${proverId} AND a.currency = 'CREDIT'), 0)`;
  }

  /**
   * A prover's stake in micros: bonded (available in its stake account), unbonding (held by
   * open unbondings), slashed to date (what `slash` transfers took from its stake) and earned
   * to date (what jobs paid into its provider account: `reward` transfers, and the captures of
   * rewards held for it, a metered share or a dispute window's pending reward).
   */
  async stakeOf(proverId: string): Promise<StakeTotals> {
    const [row]: StakeTotals[] = await this.uow.tx.query(
      `WITH s AS (SELECT * FROM accounts WHERE kind = 'stake' AND owner_id = $1 AND currency = 'CREDIT'),
            p AS (SELECT id FROM accounts WHERE kind = 'provider' AND owner_id = $1 AND currency = 'CREDIT')
       SELECT COALESCE((SELECT posted_credits - posted_debits - pending_debits FROM s), 0)::text AS bonded,
              COALESCE((SELECT pending_debits FROM s), 0)::text AS unbonding,
              COALESCE((SELECT sum(e.amount) FROM entries e JOIN transfers t ON t.id = e.transfer_id
                        WHERE e.account_id = (SELECT id FROM s) AND e.side = 'D' AND e.phase = 'posted'
                          AND t.kind = 'slash'), 0)::text AS slashed,
              COALESCE((SELECT sum(e.amount) FROM entries e JOIN transfers t ON t.id = e.transfer_id
                        WHERE e.account_id = (SELECT id FROM p) AND e.side = 'C' AND e.phase = 'posted'
                          AND t.kind IN ('reward', 'capture') AND t.job_id IS NOT NULL), 0)::text AS earned`,
      [proverId],
    );
    return row;
  }

  /** An account's id, or null when it does not exist. */
  async accountId(ref: AccountRef): Promise<string | null> {
    const rows: { id: string }[] = await this.uow.tx.query(
      `SELECT id::text FROM accounts WHERE kind = $1 AND owner_id = $2 AND currency = 'CREDIT'`,
      [ref.kind, ref.owner],
    );
    return rows[0]?.id ?? null;
  }

  /**
   * The balances of all accounts of each kind, posted and pending together (a user's held
   * credits count in escrow's): across kinds they sum to zero, issuance's being minus the supply.
   */
  async balancesByKind(): Promise<Record<string, string>> {
    const rows: { kind: string; balance: string }[] = await this.uow.tx.query(
      `SELECT kind, sum(posted_credits - posted_debits + pending_credits - pending_debits)::text AS balance
       FROM accounts GROUP BY kind ORDER BY kind`,
    );
    return Object.fromEntries(rows.map((r) => [r.kind, r.balance]));
  }

  /** How many transfers were written in each minute from `from` on: only minutes with some, keyed by ISO instant. */
  async transfersPerMinute(from: Date): Promise<Map<string, number>> {
    const rows: { minute: Date; n: number }[] = await this.uow.tx.query(
      `SELECT date_trunc('minute', created_at) AS minute, count(*)::int AS n FROM transfers
       WHERE created_at >= $1 GROUP BY 1`,
      [from],
    );
    return new Map(rows.map((r) => [new Date(r.minute).toISOString(), r.n]));
  }

  async totals(): Promise<LedgerTotals> {
    const [row]: LedgerTotals[] = await this.uow.tx.query(
      `SELECT (SELECT pending_credits::text FROM accounts WHERE ${account(ESCROW)}) AS escrow,
              (SELECT (posted_debits - posted_credits)::text FROM accounts WHERE ${account(ISSUANCE)}) AS supply,
              (SELECT (posted_credits - posted_debits)::text FROM accounts WHERE ${account(PLATFORM)}) AS platform`,
    );
    return row;
  }
}

/** Provides the ledger's queries to the libs that read it (apart from the ledger module's own wiring). */
@Module({ providers: [LedgerQueries], exports: [LedgerQueries] })
export class LedgerQueriesModule {}

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

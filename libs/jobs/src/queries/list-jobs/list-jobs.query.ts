import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { LedgerQueries } from '@tally/ledger';
import type { JobRow } from '../../persistence/job.repository';

export interface JobFilter {
  status?: string;
  clientId?: string;
  proverId?: string;
  from?: Date;
  to?: Date;
  /** Keyset cursor: jobs submitted before this (submitted_at, id), newest first. */
  before?: { at: Date; id: string };
  limit: number;
}

/** How many jobs are in each status, with the ledger's money totals (micros), as GET /v1/admin/stats shows them. */
export interface JobStats {
  jobs_by_status: Record<string, number>;
  escrow_micros: string;
  total_supply_micros: string;
  platform_balance_micros: string;
}

/** Admin reads over jobs: filtered keyset pages and aggregate stats. */
@Injectable()
export class JobQueries {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly ledger: LedgerQueries,
  ) {}

  list(f: JobFilter): Promise<JobRow[]> {
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    const where: string[] = [];
    if (f.status) where.push(`j.status = ${p(f.status)}`);
    if (f.clientId) where.push(`j.client_id = ${p(f.clientId)}`);
    if (f.proverId) {
      where.push(
        `EXISTS (SELECT 1 FROM job_assignments a WHERE a.network_job_id = j.network_job_id AND a.prover_id = ${p(f.proverId)})`,
      );
    }
    if (f.from) where.push(`j.submitted_at >= ${p(f.from)}`);
    if (f.to) where.push(`j.submitted_at < ${p(f.to)}`);
    if (f.before) where.push(`(j.submitted_at, j.network_job_id) < (${p(f.before.at)}, ${p(f.before.id)}::bigint)`);
    return this.uow.tx.query(
      `SELECT j.network_job_id, j.client_id, j.client_job_id, j.status, j.priority, j.replicas, j.max_cost_micros::text,
              j.held_micros::text, j.final_cost_micros::text, j.refunded_micros::text, j.submitted_at, j.completed_at,
              j.failed_at, j.cancelled_at, j.audited_at
       FROM jobs j ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY j.submitted_at DESC, j.network_job_id DESC LIMIT ${p(f.limit)}`,
      params,
    );
  }

  /**
   * How many jobs reached a final state (completed, failed or cancelled) in each minute from
   * `from` on: only minutes with some, keyed by ISO instant.
   */
  async lifecyclesPerMinute(from: Date): Promise<Map<string, number>> {
    const rows: { minute: Date; n: number }[] = await this.uow.tx.query(
      // The expression of jobs_ended_idx, so the minutes are an index range.
      `SELECT date_trunc('minute', COALESCE(completed_at, failed_at, cancelled_at)) AS minute, count(*)::int AS n
       FROM jobs WHERE COALESCE(completed_at, failed_at, cancelled_at) >= $1 GROUP BY 1`,
      [from],
    );
    return new Map(rows.map((r) => [new Date(r.minute).toISOString(), r.n]));
  }

  async stats(): Promise<JobStats> {
    const byStatus: { status: string; n: number }[] = await this.uow.tx.query(
      `SELECT status, count(*)::int AS n FROM jobs GROUP BY status`,
    );
    const money = await this.ledger.totals();
    return {
      jobs_by_status: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
      escrow_micros: money.escrow,
      total_supply_micros: money.supply,
      platform_balance_micros: money.platform,
    };
  }
}

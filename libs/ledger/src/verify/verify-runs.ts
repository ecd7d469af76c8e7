import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { newId } from '@tally/shared';

export type VerifyRunStatus = 'running' | 'passed' | 'failed' | 'error';

export interface VerifyProblem {
  /** Which check found it: the ledger's journal, the settlement batches, or the control log. */
  kind: string;
  detail: string;
}

/** A background verify run, as the admin API shows it. */
export interface VerifyRun {
  run_id: string;
  status: VerifyRunStatus;
  started_at: Date;
  finished_at: Date | null;
  progress: { done: number; total: number };
  problems: VerifyProblem[];
  problem_count: number;
  error: string | null;
  started_by: string;
}

/** At most this many problems are kept with a run (problem_count counts them all). */
export const VERIFY_RUN_PROBLEMS_KEPT = 100;
/** A running run's runner touches it at least this often (ms). */
export const VERIFY_RUN_HEARTBEAT_MS = 2_000;
/** A running run untouched for this long (seconds) has no process left: it was interrupted. */
const STALE_SECONDS = 30;
const INTERRUPTED = 'interrupted: the process running it stopped before it finished';

/** Its stored status, except that a 'running' run nobody touches any more reads as the error it is. */
const RUN_COLUMNS = `run_id::text,
  CASE WHEN status = 'running' AND heartbeat_at < now() - make_interval(secs => ${STALE_SECONDS}) THEN 'error'
       ELSE status END AS status,
  started_at, finished_at, progress_done, progress_total, problems, problem_count,
  CASE WHEN status = 'running' AND heartbeat_at < now() - make_interval(secs => ${STALE_SECONDS}) THEN '${INTERRUPTED}'
       ELSE error END AS error,
  started_by`;

interface RunRow {
  run_id: string;
  status: VerifyRunStatus;
  started_at: Date;
  finished_at: Date | null;
  progress_done: number;
  progress_total: number;
  problems: VerifyProblem[];
  problem_count: number;
  error: string | null;
  started_by: string;
}

const toRun = (r: RunRow): VerifyRun => ({
  run_id: r.run_id,
  status: r.status,
  started_at: r.started_at,
  finished_at: r.finished_at,
  progress: { done: r.progress_done, total: r.progress_total },
  problems: r.problems,
  problem_count: r.problem_count,
  error: r.error,
  started_by: r.started_by,
});

/**
 * The ledger verify runs table (ledger_verify_runs): who starts a run, its progress and its
 * outcome. At most one run is running (a unique partial index), across every replica.
 */
@Injectable()
export class VerifyRuns {
  constructor(private readonly uow: UnitOfWork) {}

  /**
   * Starts a run unless one is running: a run left 'running' by a process that stopped is
   * closed as interrupted first. The running run, and whether it is the one started here.
   */
  async start(startedBy: string): Promise<{ run: VerifyRun; started: boolean }> {
    // The running run may finish between our insert's conflict and our read of it: then try again.
    for (;;) {
      const outcome = await this.tryStart(startedBy);
      if (outcome) return outcome;
    }
  }

  private tryStart(startedBy: string): Promise<{ run: VerifyRun; started: boolean } | null> {
    return this.uow.run(async () => {
      await this.uow.tx.query(
        `UPDATE ledger_verify_runs SET status = 'error', error = $1, finished_at = heartbeat_at
         WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => ${STALE_SECONDS})`,
        [INTERRUPTED],
      );
      const inserted: RunRow[] = await this.uow.tx.query(
        `INSERT INTO ledger_verify_runs (run_id, status, started_by) VALUES ($1, 'running', $2)
         ON CONFLICT (status) WHERE status = 'running' DO NOTHING RETURNING ${RUN_COLUMNS}`,
        [newId(), startedBy],
      );
      if (inserted[0]) return { run: toRun(inserted[0]), started: true };
      const running: RunRow[] = await this.uow.tx.query(
        `SELECT ${RUN_COLUMNS} FROM ledger_verify_runs WHERE status = 'running'`,
      );
      return running[0] ? { run: toRun(running[0]), started: false } : null;
    });
  }

  /** The run's progress so far; it also tells readers the run is alive. */
  async progress(runId: string, done: number, total: number): Promise<void> {
    await this.uow.tx.query(
      `UPDATE ledger_verify_runs SET progress_done = $2, progress_total = $3, heartbeat_at = now()
       WHERE run_id = $1 AND status = 'running'`,
      [runId, done, total],
    );
  }

  /** Tells readers the run is alive (between progress steps that take long). */
  async heartbeat(runId: string): Promise<void> {
    await this.uow.tx.query(
      `UPDATE ledger_verify_runs SET heartbeat_at = now() WHERE run_id = $1 AND status = 'running'`,
      [runId],
    );
  }

  /** Records the run's outcome: passed or failed with its problems (the first 100 kept), or an error. */
  async finish(runId: string, outcome: { problems: VerifyProblem[] } | { error: string }): Promise<void> {
    const problems = 'problems' in outcome ? outcome.problems : [];
    const status = 'error' in outcome ? 'error' : problems.length > 0 ? 'failed' : 'passed';
    await this.uow.tx.query(
      `UPDATE ledger_verify_runs SET status = $2, finished_at = now(), heartbeat_at = now(), problems = $3,
              problem_count = $4, error = $5
       WHERE run_id = $1 AND status = 'running'`,
      [
        runId,
        status,
        JSON.stringify(problems.slice(0, VERIFY_RUN_PROBLEMS_KEPT)),
        problems.length,
        'error' in outcome ? outcome.error.slice(0, 2000) : null,
      ],
    );
  }

  /** The most recently started run, or null when none ever ran. */
  async latest(): Promise<VerifyRun | null> {
    const rows: RunRow[] = await this.uow.tx.query(
      `SELECT ${RUN_COLUMNS} FROM ledger_verify_runs ORDER BY started_at DESC, run_id LIMIT 1`,
    );
    return rows[0] ? toRun(rows[0]) : null;
  }
}

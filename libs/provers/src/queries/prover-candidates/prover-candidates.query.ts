import { sqlIn } from '@tally/database';
import { ASSIGNABLE_PROVER_STATE } from '../../domain';

/** A prover as an assigner reads it, with its load and the clock it was read at. */
export interface ProverCandidateRow {
  prover_id: string;
  state: string;
  last_heartbeat: Date | null;
  max_concurrency: number;
  active_jobs: number;
  score_value: string;
  last_scored_at: Date | null;
  load_factor: string;
  /** The latency (ms) the prover last reported in a heartbeat; null: never reported. */
  latency_ms: number | null;
  region: string | null;
  hardware_profile: Record<string, unknown>;
  capabilities: Record<string, unknown>;
  version: string;
  /** Its bonded stake in micros (decimal text; '0' without a stake). */
  bonded_stake: string;
  db_now: Date;
}

/**
 * The provers table as the scheduler reads it: the SELECT it embeds in its one-statement
 * reads (with the other libs' parts), written here so that the provers' SQL stays in this lib.
 */
export const ProverCandidatesQuery = {
  /**
   * Provers as ProverCandidateRow: `now` is the statement's clock (an SQL expression),
   * `load(proverId)` the SQL of a prover's load (the jobs lib's), `which` either the live
   * assignable provers (`liveTtlMs`: a parameter, ms, of heartbeat age at `now`) or these
   * ids (`ids`: a varchar[] parameter) whatever their state; `stake(proverId)` the SQL of its
   * bonded stake in micros (the ledger's).
   */
  sql(opts: {
    now: string;
    load: (proverId: string) => string;
    stake: (proverId: string) => string;
    which: { liveTtlMs: string } | { ids: string };
  }): string {
    const where =
      'ids' in opts.which
        ? `p.prover_id = ANY(${opts.which.ids}::varchar[])`
        : `p.state ${sqlIn([ASSIGNABLE_PROVER_STATE])}
           AND p.last_heartbeat >= ${opts.now} - make_interval(secs => ${opts.which.liveTtlMs}::float8 / 1000)`;
    return `SELECT p.prover_id, p.state, p.last_heartbeat, p.max_concurrency, p.score_value::text, p.last_scored_at,
                   p.load_factor::text, p.latency_ms, p.region, p.hardware_profile, p.capabilities, p.version::text,
                   ${opts.now} AS db_now, ${opts.load('p.prover_id')} AS active_jobs,
                   (${opts.stake('p.prover_id')})::text AS bonded_stake
            FROM provers p
            WHERE ${where}`;
  },
};

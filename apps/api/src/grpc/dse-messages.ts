import type { presentJob, presentJobToRun } from '@tally/jobs';
import type { ProverEndpoints } from '@tally/provers';
import { toStruct, toTimestamp, toValue, withoutUnset } from './proto-values';

/**
 * The REST answers as proto messages, field for field: nulls left out (unset), dates as
 * Timestamps, JSON objects as Struct/Value, doubles as numbers. The REST presenters stay the
 * one place that decides what a job or a prover shows.
 */

type JobView = ReturnType<typeof presentJob>;
type ProverView = ReturnType<ProverEndpoints['present']>;

export function jobMessage(job: JobView) {
  return withoutUnset({
    ...job,
    requirements: toStruct(job.requirements),
    assigned_prover: toValue(job.assigned_prover),
    assignments: job.assignments.map((a) => withoutUnset(a)),
    timestamps: Object.fromEntries(Object.entries(job.timestamps).map(([k, at]) => [k, toTimestamp(at)])),
    dispute:
      job.dispute &&
      withoutUnset({
        ...job.dispute,
        closes_at: toTimestamp(job.dispute.closes_at),
        disputed_at: toTimestamp(job.dispute.disputed_at),
        resolved_at: toTimestamp(job.dispute.resolved_at),
      }),
  });
}

export function proverMessage(prover: ProverView) {
  return withoutUnset({
    ...prover,
    score_value: Number(prover.score_value),
    load_factor: Number(prover.load_factor),
    last_heartbeat: toTimestamp(prover.last_heartbeat),
    last_scored_at: toTimestamp(prover.last_scored_at),
    registered_at: toTimestamp(prover.registered_at),
  });
}

export function jobToRunMessage(job: ReturnType<typeof presentJobToRun>) {
  return withoutUnset({ ...job, payload: toValue(job.payload), requirements: toStruct(job.requirements) });
}

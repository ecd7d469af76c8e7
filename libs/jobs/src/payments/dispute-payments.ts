import { Injectable } from '@nestjs/common';
import { OutboxWriter } from '@tally/database';
import { PostingRequest, providerAccount } from '@tally/ledger';
import { newId } from '@tally/shared';
import { decideStoredReports } from '../domain';
import {
  JOB_DISPUTE_RESOLVED,
  JOB_REWARDS_RELEASED,
  type JobDisputeResolvedPayload,
  type JobRewardsReleasedPayload,
} from '../events/jobs.events';
import { AssignmentRow, DisputeOutcome, JobRepository, JobRow, PendingReward } from '../persistence/job.repository';
import { JobPayments, platformRefund, type SlashPlan, systemKey } from './job-payments';

/**
 * The money of a job's dispute window (docs/economics.md, Disputes), always in the caller's
 * unit of work with the job locked: the rewards held for its provers since it completed are
 * released when the window closes undisputed or an admin upholds the result, or voided when
 * an admin refunds the client (who is refunded from the platform, and the provers whose
 * result was accepted are slashed). Each ending writes the job's row and its event, then its
 * postings last. The job's receipt chain ended with its settlement (whose receipt lists the
 * pending holds), so these transfers are in the ledger and the batches, not in a receipt.
 */
@Injectable()
export class DisputePayments {
  constructor(
    private readonly payments: JobPayments,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
  ) {}

  /** A COMPLETED job whose window closed undisputed: every pending reward is paid to its prover. */
  async release(job: JobRow): Promise<JobRow> {
    const pending = job.pending_rewards ?? [];
    const postings = pending.map((r) => this.capture(job, r));
    const after = await this.jobs.endPendingRewards(job.network_job_id, null);
    await this.outbox.appendMany([
      {
        type: JOB_REWARDS_RELEASED,
        partitionKey: job.network_job_id,
        payload: {
          network_job_id: job.network_job_id,
          rewards: rewardsOf(pending),
        } satisfies JobRewardsReleasedPayload,
      },
    ]);
    await this.payments.postLast(postings);
    return after;
  }

  /**
   * An admin's resolution of a DISPUTED job. `uphold` pays the pending rewards. `refund`
   * voids them (back to the platform), pays the client `refundMicros` from the platform, and
   * slashes each prover of the accepted result by the service's slash_dispute_bps (the client
   * compensated first, up to the job's final cost, as any slash); their assignments record
   * what they kept.
   */
  async resolve(
    job: JobRow,
    assignments: AssignmentRow[],
    outcome: DisputeOutcome,
    refundMicros: bigint,
  ): Promise<JobRow> {
    const id = job.network_job_id;
    const pending = job.pending_rewards ?? [];
    if (outcome === 'uphold') {
      const postings = pending.map((r) => this.capture(job, r));
      return this.finish(job, { outcome, refundMicros: null }, postings, [], pending);
    }
    const postings: PostingRequest[] = pending.map((r) => ({
      id: newId(),
      kind: 'void',
      holdId: r.hold_id,
      jobId: id,
      idempotency: systemKey(id, `reward-void:${r.hold_id}`, { hold: r.hold_id }),
    }));
    if (refundMicros > 0n) postings.push(platformRefund(job, refundMicros, 'dispute-refund'));
    // What each prover keeps: its reward less what was pending (a metered share paid as it went stays paid).
    for (const a of assignments) {
      const voided = pending
        .filter((r) => r.prover_id === a.prover_id)
        .reduce((s, r) => s + BigInt(r.amount_micros), 0n);
      if (voided > 0n && a.reward_micros !== null) a.reward_micros = (BigInt(a.reward_micros) - voided).toString();
    }
    const plan: SlashPlan = {
      job,
      offenders: acceptedProvers(job, assignments).map((proverId) => ({ proverId, reason: 'dispute' as const })),
      compensationCap: BigInt(job.final_cost_micros ?? '0'),
      postings,
      slashes: [],
    };
    await this.payments.slash([plan]);
    await this.jobs.saveAssignments(assignments);
    return this.finish(job, { outcome, refundMicros }, postings, plan.slashes, pending);
  }

  private async finish(
    job: JobRow,
    resolution: { outcome: DisputeOutcome; refundMicros: bigint | null },
    postings: PostingRequest[],
    slashes: SlashPlan['slashes'],
    pending: PendingReward[],
  ): Promise<JobRow> {
    const after = await this.jobs.endPendingRewards(job.network_job_id, resolution);
    const told = this.payments.slashesOf({ slashes });
    await this.outbox.appendMany([
      {
        type: JOB_DISPUTE_RESOLVED,
        partitionKey: job.network_job_id,
        payload: {
          network_job_id: job.network_job_id,
          status: 'COMPLETED',
          outcome: resolution.outcome,
          rewards: rewardsOf(pending),
          refund_micros: (resolution.refundMicros ?? 0n).toString(),
          ...(told.length > 0 && {
            slashes: told.map(({ prover_id, slashed_micros, to_client_micros, to_platform_micros }) => ({
              prover_id,
              slashed_micros,
              to_client_micros,
              to_platform_micros,
            })),
          }),
        } satisfies JobDisputeResolvedPayload,
      },
    ]);
    await this.payments.postLast(postings);
    return after;
  }

  /** A pending reward paid: its hold captured whole into the prover's account. */
  private capture(job: JobRow, r: PendingReward): PostingRequest {
    const id = job.network_job_id;
    const amount = BigInt(r.amount_micros);
    return {
      id: newId(),
      kind: 'capture',
      holdId: r.hold_id,
      amount,
      to: providerAccount(r.prover_id),
      jobId: id,
      proverId: r.prover_id,
      idempotency: systemKey(id, `reward-release:${r.hold_id}`, { hold: r.hold_id, amount: r.amount_micros }),
    };
  }
}

function rewardsOf(pending: PendingReward[]) {
  return pending.map((r) => ({ prover_id: r.prover_id, reward_micros: r.amount_micros }));
}

/**
 * The provers whose result the job was settled on, in replica order: the majority decided
 * again from the stored reports (the settling rule); a single replica's prover alone.
 */
function acceptedProvers(job: JobRow, assignments: AssignmentRow[]): string[] {
  const decision = decideStoredReports(job.replicas, assignments);
  const majority = decision.kind === 'completed' ? decision.majority : [];
  return [...assignments]
    .sort((a, b) => a.replica - b.replica)
    .map((a) => a.prover_id)
    .filter((p) => majority.includes(p));
}

import { Injectable, Optional } from '@nestjs/common';
import { OutboxWriter, UnitOfWork } from '@tally/database';
import {
  ESCROW,
  LedgerQueries,
  LedgerWriter,
  PLATFORM,
  planSlashes,
  PostingRequest,
  PostingResult,
  postingError,
  providerAccount,
  type Slash,
  type SlashReason,
  type SlashTerms,
  slashRequest,
  userAccount,
} from '@tally/ledger';
import {
  Clock,
  DomainError,
  enumToJson,
  ErrorCode,
  hashOf,
  OperationsObserver,
  newId,
  nullableInt64ToJson,
  TallyEnv,
  timestampToJson,
} from '@tally/shared';
import { ServiceRegistry } from '@tally/services';
import {
  JOB_STATUSES,
  JobAuditEvent,
  REPLICA_MOVES,
  RewardTerms,
  SettlementTerms,
  splitReplicaRewards,
} from '../domain';
import {
  JOB_AUDIT,
  JOB_CANCELLED,
  JOB_COMPLETED,
  JOB_FAILED,
  JOB_USAGE_REPORTED,
  type JobCancelledPayload,
  type JobCompletedPayload,
  type JobFailedPayload,
  type JobUsageReportedPayload,
} from '../events/jobs.events';
import { AssignmentRow, JobRepository, JobRow, PendingReward, SettledJob } from '../persistence/job.repository';
import { JobReceipts, type SettlementSlash } from './job-receipts.port';

/** Settlement keys derive from the job, so a retried or duplicated step never pays twice (invariant 6). */
export const systemKey = (jobId: string, step: string, request: object) => ({
  scope: 'system',
  key: `job:${jobId}:${step}`,
  requestHash: hashOf(request),
});

/**
 * What metered usage left of a job's hold: what is still held (the hold now open), and what
 * the usage paid its prover and the platform (0 for a job never metered).
 */
function meteredOf(job: JobRow): { open: bigint; meteredReward: bigint; meteredFee: bigint } {
  const metered = BigInt(job.metered_micros);
  const meteredFee = BigInt(job.metered_fee_micros);
  return { open: BigInt(job.held_micros) - metered, meteredReward: metered - meteredFee, meteredFee };
}

/** The platform pays a job's client back `amount` (a refund of usage it kept, or a dispute's), keyed by `step`. */
export function platformRefund(job: JobRow, amount: bigint, step: string): PostingRequest {
  const id = job.network_job_id;
  return {
    id: newId(),
    kind: 'refund',
    legs: [
      { account: PLATFORM, side: 'D', amount },
      { account: userAccount(job.client_id), side: 'C', amount },
    ],
    jobId: id,
    idempotency: systemKey(id, step, { amount: amount.toString() }),
  };
}

/** A job to settle, locked by the caller, with its assignments as they now stand. */
export type SettlementRequest =
  | {
      kind: 'complete';
      job: JobRow;
      assignments: AssignmentRow[];
      winners: string[];
      finalCost: bigint;
      /** Every other replica that reported (a failure or another result): each gets the base only. */
      dissenters: string[];
      /** The fee, base share and dispute window of the schedule version the job was priced with (see JobPayments.terms). */
      terms: SettlementTerms;
    }
  | {
      kind: 'refund';
      job: JobRow;
      assignments: AssignmentRow[];
      to: 'FAILED' | 'CANCELLED';
      errorMessage: string | null;
      proverId: string | null;
      /**
       * The replicas this failure is charged to, a failure on each one's scorecard: the
       * reporters of a job no majority can agree on, the prover that went silent, the
       * replicas still out when the wall clock ran out. A replica called off because of
       * the others (or a cancel) is charged nothing.
       */
      failedProvers: string[];
      /**
       * The provers that went silent holding the job (the timeout sweep's): each is slashed by
       * its service's slash_timeout_bps. None for a failure reported or a cancel.
       */
      timedOut?: string[];
    };

/** A settlement as planned: its postings, each prover's reward, and the job row's new state. */
export interface Settlement {
  request: SettlementRequest;
  postings: PostingRequest[];
  /** What each majority replica received (base + bonus); 0 for a refund. */
  perProver: bigint;
  /** Each rewarded prover's reward: the majority's, then each dissenter's base (none for a refund). */
  rewards: { proverId: string; amount: bigint }[];
  row: SettledJob;
  /** Who may be slashed, in order: dissenters that reported a success, then provers that went silent. */
  offenders: { proverId: string; reason: SlashReason }[];
  /** The most the client is compensated from the slashes: the final cost, or the held amount of a failed job. */
  compensationCap: bigint;
  /** The slashes as written (by write, which reads the bonded stakes in the settling transaction). */
  slashes: (Slash & { transferId: string })[];
}

/** What a job's slashes are decided from; the slashes' postings and records are added to its lists. */
export interface SlashPlan {
  job: JobRow;
  offenders: { proverId: string; reason: SlashReason }[];
  compensationCap: bigint;
  postings: PostingRequest[];
  slashes: (Slash & { transferId: string })[];
}

/** The code that makes the unit of work run a transaction again (a slash refused because its stake moved). */
const SERIALIZATION_FAILURE = '40001';

/**
 * Every ledger movement of a job's life, always inside the caller's unit of work with the
 * job row locked: the hold at submit, the capture and rewards on success, the void on
 * failure or cancel, with the job's new state and its events in the same transaction.
 */
@Injectable()
export class JobPayments {
  /** Each schedule version's fee and base share, by "service@version" (a version never changes). */
  private readonly economics = new Map<
    string,
    { feeBps: number | null; baseShareBps: number; disputeWindowSeconds: number | null; slash: SlashTerms }
  >();

  constructor(
    private readonly ledger: LedgerWriter,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
    private readonly env: TallyEnv,
    private readonly clock: Clock,
    private readonly uow: UnitOfWork,
    private readonly services: ServiceRegistry,
    private readonly ledgerQueries: LedgerQueries,
    @Optional() private readonly receipts?: JobReceipts,
    @Optional() private readonly observer?: OperationsObserver,
  ) {}

  /**
   * Holds each job's credits in escrow (the caller's last statement), one posting per job;
   * returns, per job, null when held or the business error that refused it (402, 404).
   */
  async holds(
    jobs: { jobId: string; holdId: string; clientId: string; amount: bigint }[],
  ): Promise<(DomainError | null)[]> {
    const requests = jobs.map(({ jobId, holdId, clientId, amount }): PostingRequest => ({
      id: holdId,
      kind: 'hold',
      from: userAccount(clientId),
      to: ESCROW,
      amount,
      jobId,
      idempotency: systemKey(jobId, 'hold', { amount: amount.toString(), clientId }),
    }));
    const results = await this.ledger.postAll(requests);
    return results.map((r, i) => {
      if (r.outcome === 'rejected') return postingError(r);
      this.expectPosted(r, requests[i]);
      return null;
    });
  }

  /**
   * The terms each of these jobs settles by, by job id: the fee, base share and dispute
   * window of the schedule version it was priced with (every version is kept, and never
   * changes once written, so each is read once per process). A fee or window left to the
   * platform, and a job without a service (or from before versions were kept), take
   * PLATFORM_FEE_BPS, base 0 and DISPUTE_WINDOW_SECONDS.
   */
  async terms(jobs: JobRow[]): Promise<Map<string, SettlementTerms>> {
    const out = new Map<string, SettlementTerms>();
    for (const job of jobs) {
      const version = job.service !== null && job.service_version !== null ? Number(job.service_version) : null;
      const economics = version === null ? null : await this.versionEconomics(job.service!, version);
      out.set(job.network_job_id, {
        feeBps: BigInt(economics?.feeBps ?? this.env.PLATFORM_FEE_BPS),
        baseShareBps: BigInt(economics?.baseShareBps ?? 0),
        disputeWindowSeconds: economics?.disputeWindowSeconds ?? this.env.DISPUTE_WINDOW_SECONDS,
      });
    }
    return out;
  }

  private async versionEconomics(service: string, version: number) {
    const key = `${service}@${version}`;
    let economics = this.economics.get(key);
    if (!economics) {
      const s = await this.services.get(service, version);
      economics = {
        feeBps: s.feeBps,
        baseShareBps: s.baseShareBps,
        disputeWindowSeconds: s.disputeWindowSeconds,
        slash: {
          dissentBps: BigInt(s.slashDissentBps),
          timeoutBps: BigInt(s.slashTimeoutBps),
          disputeBps: BigInt(s.slashDisputeBps),
          capMicros: s.slashCapMicros,
        },
      };
      this.economics.set(key, economics);
    }
    return economics;
  }

  /**
   * One settlement, start to finish, in the caller's unit of work (the job locked): its
   * assignments as the request holds them are saved, then it is written like a batch's.
   */
  async settle(request: SettlementRequest): Promise<JobRow> {
    // Planned first: the plan records on the assignments what each prover received.
    const settlements = this.plan([request]);
    await this.jobs.saveAssignments(request.assignments);
    const settled = await this.write(settlements);
    return settled.get(request.job.network_job_id)!;
  }

  /**
   * A usage report's money (metered payments), in the caller's unit of work with the job
   * locked and RUNNING: the cost of the new usage (cumulative cost less what was metered
   * before, checked within the hold by the caller) is captured from the job's hold into the
   * platform, a new hold is placed for the rest of it (the ledger's capture closes a hold),
   * and the prover is paid its share of that cost by the job's terms at once. Under a
   * service's `metered_refund: all` the share is not paid but held (platform → prover) until
   * the job completes: the hold of the shares so far is voided and one placed for them all.
   * The job row records the holds now open and the totals, all in the same transaction,
   * postings last.
   */
  async meter(
    job: JobRow,
    proverId: string,
    units: string,
    cumulativeCost: bigint,
    terms: RewardTerms,
    refund: 'earned' | 'all',
  ) {
    const id = job.network_job_id;
    const metered = BigInt(job.metered_micros);
    const cost = cumulativeCost - metered;
    const { open, meteredReward } = meteredOf(job);
    if (cost < 0n || cost > open) throw new DomainError(ErrorCode.Internal, `usage of job ${id} not within its hold`);
    const split = splitReplicaRewards(cost, terms, [proverId], []);
    const step = `usage:${units}`;
    const postings: PostingRequest[] = [];
    let holdId = job.hold_id;
    let rewardHoldId = job.reward_hold_id;
    if (cost > 0n) {
      postings.push({
        id: newId(),
        kind: 'capture',
        holdId: job.hold_id,
        amount: cost,
        to: PLATFORM,
        jobId: id,
        idempotency: systemKey(id, `${step}:capture`, { hold: job.hold_id, amount: cost.toString() }),
      });
      const rest = open - cost;
      if (rest > 0n) {
        holdId = newId();
        postings.push({
          id: holdId,
          kind: 'hold',
          from: userAccount(job.client_id),
          to: ESCROW,
          amount: rest,
          jobId: id,
          idempotency: systemKey(id, `${step}:hold`, { amount: rest.toString(), clientId: job.client_id }),
        });
      }
      const reward = cost - split.platformKeeps;
      if (refund === 'all' && reward > 0n) {
        // Held, not paid: the shares so far in one hold, released to the prover when the job completes.
        if (rewardHoldId !== null) {
          postings.push({
            id: newId(),
            kind: 'void',
            holdId: rewardHoldId,
            jobId: id,
            idempotency: systemKey(id, `${step}:reward-void`, { hold: rewardHoldId }),
          });
        }
        const held = meteredReward + reward;
        rewardHoldId = newId();
        postings.push({
          id: rewardHoldId,
          kind: 'hold',
          from: PLATFORM,
          to: providerAccount(proverId),
          amount: held,
          jobId: id,
          proverId,
          idempotency: systemKey(id, `${step}:reward-hold:${proverId}`, { amount: held.toString() }),
        });
      } else if (reward > 0n) {
        postings.push({
          id: newId(),
          kind: 'reward',
          legs: [
            { account: PLATFORM, side: 'D', amount: reward },
            { account: providerAccount(proverId), side: 'C', amount: reward },
          ],
          jobId: id,
          proverId,
          idempotency: systemKey(id, `${step}:reward:${proverId}`, { amount: reward.toString() }),
        });
      }
    }
    const row = await this.jobs.recordUsage({
      id,
      holdId,
      units,
      micros: cumulativeCost,
      feeMicros: BigInt(job.metered_fee_micros) + split.platformKeeps,
      refund,
      proverId,
      rewardHoldId,
    });
    await this.outbox.appendMany([
      {
        type: JOB_USAGE_REPORTED,
        partitionKey: id,
        payload: {
          network_job_id: id,
          prover_id: proverId,
          units,
          cost_micros: cost.toString(),
          reward_micros: (cost - split.platformKeeps).toString(),
          metered_micros: cumulativeCost.toString(),
        } satisfies JobUsageReportedPayload,
      },
    ]);
    await this.postLast(postings);
    return { job: row, costMicros: cost, rewardMicros: cost - split.platformKeeps };
  }

  /**
   * Decides each settlement: on success the capture of the final cost from the hold into
   * the platform (the rest of the hold is released by the same posting) and the replicas'
   * rewards from the platform by the job's terms (splitReplicaRewards: a base to every
   * replica that reported, a bonus to the majority), which their assignments record (in
   * memory: the caller saves them); on failure or cancel the void of the hold (a full refund).
   */
  plan(requests: SettlementRequest[]): Settlement[] {
    return requests.map((request) => {
      const { job } = request;
      const id = job.network_job_id;
      const { open, meteredReward, meteredFee } = meteredOf(job);
      if (request.kind === 'refund') {
        const giveAll = job.metered_refund === 'all' && BigInt(job.metered_micros) > 0n;
        // Under `earned` the usage paid stays paid: the prover's assignment records it, as a completion's would.
        if (!giveAll && meteredReward > 0n) {
          for (const a of request.assignments) {
            if (a.prover_id === job.metered_prover_id) a.reward_micros = meteredReward.toString();
          }
        }
        const voidHold: PostingRequest = {
          id: newId(),
          kind: 'void',
          holdId: job.hold_id,
          jobId: id,
          idempotency: systemKey(id, 'void', { hold: job.hold_id }),
        };
        return {
          request,
          // Metered usage stays paid (`earned`): only what is still held goes back (nothing, if usage
          // took it all). Under `all` the metered usage goes back too, and the prover's held share to the platform.
          postings: [...(open > 0n ? [voidHold] : []), ...(giveAll ? this.giveBackMetered(job) : [])],
          perProver: 0n,
          rewards: [],
          offenders: [...new Set(request.timedOut ?? [])].map((proverId) => ({ proverId, reason: 'timeout' as const })),
          // The client gets its whole hold back anyway: the slashes compensate it up to that much again.
          compensationCap: BigInt(job.held_micros),
          slashes: [],
          row: {
            id,
            to: request.to,
            finalCost: null,
            refunded: giveAll ? BigInt(job.held_micros) : open,
            platformFee: giveAll ? 0n : null,
            errorMessage: request.errorMessage,
            disputeWindowSeconds: null,
            pendingRewards: null,
          },
        };
      }
      const { winners, dissenters, finalCost, terms } = request;
      // A metered job's usage is captured and paid already: the settlement captures and splits the rest.
      const remainder = finalCost - BigInt(job.metered_micros);
      const split = splitReplicaRewards(remainder, terms, winners, dissenters);
      const postings: PostingRequest[] = [];
      if (open > 0n) {
        postings.push({
          id: newId(),
          kind: 'capture',
          holdId: job.hold_id,
          amount: remainder,
          to: PLATFORM,
          jobId: id,
          idempotency: systemKey(id, 'capture', { hold: job.hold_id, amount: remainder.toString() }),
        });
      }
      // Within a dispute window every reward is pending: held for its prover (platform → prover) until the window closes.
      const window = terms.disputeWindowSeconds;
      const pending: PendingReward[] = [];
      // Under `all`, the metered shares held for the prover are released to it now (or stay held through the window).
      const meteredProver = job.metered_prover_id;
      if (job.reward_hold_id !== null && meteredProver !== null && window > 0) {
        pending.push({
          prover_id: meteredProver,
          hold_id: job.reward_hold_id,
          amount_micros: meteredReward.toString(),
        });
      } else if (job.reward_hold_id !== null && meteredProver !== null) {
        postings.push({
          id: newId(),
          kind: 'capture',
          holdId: job.reward_hold_id,
          amount: meteredReward,
          to: providerAccount(meteredProver),
          jobId: id,
          proverId: meteredProver,
          idempotency: systemKey(id, 'reward-capture', { hold: job.reward_hold_id, amount: meteredReward.toString() }),
        });
      }
      // Each reward its own posting, keyed by job and prover: a dissenter's base as a winner's base + bonus.
      for (const { proverId: prover, amount } of split.rewards) {
        if (amount === 0n) continue;
        if (window > 0) {
          const holdId = newId();
          pending.push({ prover_id: prover, hold_id: holdId, amount_micros: amount.toString() });
          postings.push({
            id: holdId,
            kind: 'hold',
            from: PLATFORM,
            to: providerAccount(prover),
            amount,
            jobId: id,
            proverId: prover,
            idempotency: systemKey(id, `reward-pending:${prover}`, { amount: amount.toString() }),
          });
          continue;
        }
        postings.push({
          id: newId(),
          kind: 'reward',
          legs: [
            { account: PLATFORM, side: 'D', amount },
            { account: providerAccount(prover), side: 'C', amount },
          ],
          jobId: id,
          proverId: prover,
          idempotency: systemKey(id, `reward:${prover}`, { amount: amount.toString() }),
        });
      }
      // What each prover received in all: a metered job's usage was paid to the prover that reported it
      // (its only replica; another prover's, should the job have been requeued since).
      const total = split.rewards.map((r) => ({
        ...r,
        amount: r.amount + (r.proverId === meteredProver ? meteredReward : 0n),
      }));
      if (meteredProver !== null && meteredReward > 0n && !total.some((r) => r.proverId === meteredProver)) {
        total.push({ proverId: meteredProver, amount: meteredReward });
      }
      // A winner's assignment always records its reward (0 included); a dissenter's only when it got one.
      for (const a of request.assignments) {
        const reward = total.find((r) => r.proverId === a.prover_id);
        if (reward && (winners.includes(a.prover_id) || reward.amount > 0n)) a.reward_micros = reward.amount.toString();
      }
      const perProver = split.base + split.bonus + (meteredProver === winners[0] ? meteredReward : 0n);
      const platformKeeps = split.platformKeeps + meteredFee;
      const rewards = total.filter((r) => r.amount > 0n);
      // A dissenter, for slashing, reported a success with a result the majority rejected; a
      // replica that reported a failure only forgoes the bonus.
      const offenders = request.assignments
        .filter((a) => a.status === REPLICA_MOVES.report.to && a.success === true && !winners.includes(a.prover_id))
        .sort((a, b) => a.replica - b.replica)
        .map((a) => ({ proverId: a.prover_id, reason: 'dissent' as const }));
      return {
        request,
        postings,
        perProver,
        rewards,
        offenders,
        compensationCap: finalCost,
        slashes: [],
        row: {
          id,
          to: 'COMPLETED',
          finalCost,
          refunded: BigInt(job.held_micros) - finalCost,
          platformFee: platformKeeps,
          errorMessage: null,
          disputeWindowSeconds: window > 0 ? window : null,
          pendingRewards: window > 0 ? pending : null,
        },
      };
    });
  }

  /**
   * A metered job under `metered_refund: all` that fails or is cancelled: the prover's held
   * shares go back to the platform (the void of their hold), and the platform gives the
   * client all its usage cost back.
   */
  private giveBackMetered(job: JobRow): PostingRequest[] {
    const id = job.network_job_id;
    const metered = BigInt(job.metered_micros);
    const postings: PostingRequest[] = [];
    if (job.reward_hold_id !== null) {
      postings.push({
        id: newId(),
        kind: 'void',
        holdId: job.reward_hold_id,
        jobId: id,
        idempotency: systemKey(id, 'reward-void', { hold: job.reward_hold_id }),
      });
    }
    postings.push(platformRefund(job, metered, 'metered-refund'));
    return postings;
  }

  /**
   * Writes planned settlements, each job locked by the caller: the jobs' new states, their
   * receipts, their events (JobCompleted / JobFailed / JobCancelled, and JobAudit), then
   * every posting last. Returns the settled rows by id.
   */
  async write(settlements: Settlement[]): Promise<Map<string, JobRow>> {
    if (settlements.length === 0) return new Map();
    await this.slash(
      settlements.map((s) => ({
        job: s.request.job,
        offenders: s.offenders,
        compensationCap: s.compensationCap,
        postings: s.postings,
        slashes: s.slashes,
      })),
    );
    const settled = await this.jobs.settleMany(settlements.map((s) => s.row));
    await this.receipts?.settled(
      settlements.map((s) => ({
        before: s.request.job,
        after: settled.get(s.row.id)!,
        assignments: s.request.assignments,
        settlementTransferIds: s.postings.map((p) => p.id),
        slashes: this.slashesOf(s),
      })),
    );
    await this.outbox.appendMany(settlements.flatMap((s) => this.events(s, settled.get(s.row.id)!)));
    await this.postLast(settlements.flatMap((s) => s.postings));
    this.observeLatency([...settled.values()]);
    return settled;
  }

  /**
   * Decides each settlement's slashes by its service version's terms, on the stakes as they are
   * bonded now (read in the settling transaction), and adds their postings to the settlement's.
   * If an unbonding or another slash moves a stake before these post, the ledger refuses the
   * slash and the transaction runs again (postLast), so a slash never exceeds what is bonded.
   */
  async slash(settlements: SlashPlan[]): Promise<void> {
    // A prover slashed in two of these settlements loses its second slash from what the first left.
    const bonded = new Map<string, bigint>();
    for (const s of settlements) {
      const { job } = s;
      if (s.offenders.length === 0 || job.service === null || job.service_version === null) continue;
      const terms = (await this.versionEconomics(job.service, Number(job.service_version))).slash;
      const bps = { dissent: terms.dissentBps, timeout: terms.timeoutBps, dispute: terms.disputeBps };
      if (s.offenders.every((o) => bps[o.reason] === 0n)) continue;
      const offenders = [];
      for (const o of s.offenders) {
        if (!bonded.has(o.proverId)) {
          bonded.set(o.proverId, BigInt((await this.ledgerQueries.stakeOf(o.proverId)).bonded));
        }
        offenders.push({ ...o, bonded: bonded.get(o.proverId)! });
      }
      for (const slash of planSlashes(offenders, terms, s.compensationCap)) {
        bonded.set(slash.proverId, bonded.get(slash.proverId)! - slash.slashed);
        const id = job.network_job_id;
        const posting: PostingRequest = {
          ...slashRequest(newId(), id, job.client_id, slash),
          idempotency: systemKey(id, `slash:${slash.proverId}`, {
            slashed: slash.slashed.toString(),
            to_client: slash.toClient.toString(),
          }),
        };
        s.postings.push(posting);
        s.slashes.push({ ...slash, transferId: posting.id });
      }
    }
  }

  slashesOf(s: Pick<Settlement, 'slashes'>): SettlementSlash[] {
    return s.slashes.map((x) => ({
      prover_id: x.proverId,
      reason: x.reason,
      transfer_id: x.transferId,
      slashed_micros: x.slashed.toString(),
      to_client_micros: x.toClient.toString(),
      to_platform_micros: x.toPlatform.toString(),
    }));
  }

  /** Submit→settled (completed, failed or cancelled), told to the metrics once the settlement commits. */
  private observeLatency(rows: JobRow[]): void {
    const observer = this.observer;
    if (!observer) return;
    this.uow.afterCommit(() => {
      for (const r of rows) {
        const at = r.completed_at ?? r.failed_at ?? r.cancelled_at;
        if (at) {
          const seconds = (new Date(at).getTime() - new Date(r.submitted_at).getTime()) / 1000;
          observer.jobLatency('settled', Math.max(0, seconds));
        }
      }
    });
  }

  /** A settled job's outbox events: its outcome, and its JobAuditEvent for the audit recorder. */
  private events(
    s: Settlement,
    job: JobRow,
  ): { type: string; partitionKey: string; payload: object; eventId?: string }[] {
    const r = s.request;
    const id = job.network_job_id;
    // Every prover holding a replica as the job settles, reported or not.
    const assigned = [...new Set(r.assignments.map((a) => a.prover_id))].sort();
    // Only when some prover was slashed: events without slashes read as they always did.
    const slashes =
      s.slashes.length === 0
        ? {}
        : {
            slashes: s.slashes.map((x) => ({
              prover_id: x.proverId,
              slashed_micros: x.slashed.toString(),
              to_client_micros: x.toClient.toString(),
              to_platform_micros: x.toPlatform.toString(),
            })),
          };
    const outcome =
      r.kind === 'complete'
        ? {
            type: JOB_COMPLETED,
            payload: {
              network_job_id: id,
              status: 'COMPLETED',
              provers: r.winners,
              dissenters: r.dissenters,
              assigned_provers: assigned,
              final_cost_micros: r.finalCost.toString(),
              reward_micros: s.perProver.toString(),
              rewards: s.rewards.map((r) => ({ prover_id: r.proverId, reward_micros: r.amount.toString() })),
              // Within a dispute window the rewards are held, not paid, until it closes.
              ...(job.dispute_closes_at !== null && {
                rewards_pending_until: timestampToJson(job.dispute_closes_at),
              }),
              ...slashes,
            } satisfies JobCompletedPayload,
          }
        : {
            type: r.to === 'FAILED' ? JOB_FAILED : JOB_CANCELLED,
            payload: {
              network_job_id: id,
              status: r.to,
              prover_id: r.proverId,
              assigned_provers: assigned,
              failed_provers: [...new Set(r.failedProvers)].sort(),
              error_message: r.errorMessage,
              ...slashes,
            } satisfies JobFailedPayload | JobCancelledPayload,
          };
    const eventId = newId();
    const audit: JobAuditEvent = {
      network_job_id: id,
      timestamp: timestampToJson(this.clock.now()),
      client_job_id: job.client_job_id,
      prover_id: r.kind === 'complete' ? r.winners.join(',') : r.proverId,
      status: enumToJson(JOB_STATUSES, job.status),
      final_cost_micros: nullableInt64ToJson(job.final_cost_micros),
      error_message: job.error_message,
      event_id: eventId,
    };
    return [
      { ...outcome, partitionKey: id },
      { type: JOB_AUDIT, partitionKey: id, payload: audit, eventId },
    ];
  }

  /**
   * Posts a job's settlement as the last statement of its transaction: the escrow
   * and platform rows it locks are hot (every job touches them), so their locks are held
   * only for the write and the commit. The job row and its receipt already name these
   * transfer ids, so the ledger must have posted exactly them (a replayed id would mean a
   * second hold or settlement).
   */
  async postLast(postings: PostingRequest[]): Promise<void> {
    const results = await this.ledger.postAll(postings);
    results.forEach((r, i) => {
      // A stake unbonded (or slashed) since it was read: the whole transaction runs again and re-reads it.
      if (postings[i].kind === 'slash' && 'rejection' in r && r.rejection.reason === 'insufficient-credits') {
        throw Object.assign(new Error('a slashed stake moved before the settlement posted'), {
          code: SERIALIZATION_FAILURE,
        });
      }
      this.expectPosted(r, postings[i]);
    });
  }

  /** The ledger must have posted exactly the planned transfer (a replayed id would mean paying twice). */
  private expectPosted(r: PostingResult, planned: PostingRequest): void {
    if (!('transfer' in r)) throw postingError(r);
    if (r.transfer.id !== planned.id) {
      throw new DomainError(ErrorCode.Internal, `settlement posting ${planned.id} was not posted as planned`);
    }
  }
}

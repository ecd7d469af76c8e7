import { Injectable, Optional } from '@nestjs/common';
import { OutboxWriter } from '@tally/database';
import {
  ESCROW,
  LedgerWriter,
  PLATFORM,
  PostingRequest,
  PostingResult,
  postingError,
  providerAccount,
  userAccount,
} from '@tally/ledger';
import { DomainError, ErrorCode, hashOf, newId, TallyEnv } from '@tally/shared';
import { JobAuditEvent, splitReward } from '../domain';
import { JobRepository, JobRow } from '../persistence/job.repository';
import { JobReceipts } from './job-receipts.port';

/** Settlement keys derive from the job, so a retried or duplicated step never pays twice (invariant 6). */
const systemKey = (jobId: string, step: string, request: object) => ({
  scope: 'system',
  key: `job:${jobId}:${step}`,
  requestHash: hashOf(request),
});

/**
 * Every ledger movement of a job's life, always inside the caller's unit of work with the
 * job row locked: the hold at submit, the capture and rewards on success, the void on
 * failure or cancel, with the job's new state and its events in the same transaction.
 */
@Injectable()
export class JobSettler {
  constructor(
    private readonly ledger: LedgerWriter,
    private readonly jobs: JobRepository,
    private readonly outbox: OutboxWriter,
    private readonly env: TallyEnv,
    @Optional() private readonly receipts?: JobReceipts,
  ) {}

  /**
   * Holds the job's credits in escrow (the caller's last statement); a business failure
   * (402, 404) is thrown and rolls the job back.
   */
  async hold(jobId: string, holdId: string, clientId: string, amount: bigint): Promise<void> {
    const request: PostingRequest = {
      id: holdId,
      kind: 'hold',
      from: userAccount(clientId),
      to: ESCROW,
      amount,
      jobId,
      idempotency: systemKey(jobId, 'hold', { amount: amount.toString(), clientId }),
    };
    await this.postLast([request]);
  }

  /** Voids the hold (a full refund) and ends the job FAILED or CANCELLED. */
  async refund(
    job: JobRow,
    to: 'FAILED' | 'CANCELLED',
    errorMessage: string | null,
    proverId: string | null,
  ): Promise<JobRow> {
    const voidHold: PostingRequest = {
      id: newId(),
      kind: 'void',
      holdId: job.hold_id,
      jobId: job.network_job_id,
      idempotency: systemKey(job.network_job_id, 'void', { hold: job.hold_id }),
    };
    const settled = await this.jobs.transition(job.network_job_id, to, {
      refunded_micros: job.held_micros,
      final_cost_micros: null,
      error_message: errorMessage,
    });
    await this.receipts?.settled(job, settled, await this.jobs.assignments(job.network_job_id), [voidHold.id]);
    await this.outbox.append(to === 'FAILED' ? 'JobFailed' : 'JobCancelled', job.network_job_id, {
      network_job_id: job.network_job_id,
      status: to,
      prover_id: proverId,
      error_message: errorMessage,
    });
    await this.audit(settled, proverId);
    await this.postLast([voidHold]);
    return settled;
  }

  /**
   * Captures the final cost from the hold into the platform (the rest of the hold is
   * released in the same posting) and rewards the winning provers from the platform.
   */
  async complete(
    job: JobRow,
    winners: string[],
    finalCost: bigint,
    dissenters: string[] = [],
  ): Promise<{ job: JobRow; perProver: bigint }> {
    const id = job.network_job_id;
    const { perProver, platformKeeps } = splitReward(finalCost, BigInt(this.env.PLATFORM_FEE_BPS), winners.length);
    const postings: PostingRequest[] = [
      {
        id: newId(),
        kind: 'capture',
        holdId: job.hold_id,
        amount: finalCost,
        to: PLATFORM,
        jobId: id,
        idempotency: systemKey(id, 'capture', { hold: job.hold_id, amount: finalCost.toString() }),
      },
    ];
    if (perProver > 0n) {
      for (const prover of winners) {
        postings.push({
          id: newId(),
          kind: 'reward',
          legs: [
            { account: PLATFORM, side: 'D', amount: perProver },
            { account: providerAccount(prover), side: 'C', amount: perProver },
          ],
          jobId: id,
          proverId: prover,
          idempotency: systemKey(id, `reward:${prover}`, { amount: perProver.toString() }),
        });
      }
    }
    for (const prover of winners) await this.jobs.updateAssignment(id, prover, { reward_micros: perProver.toString() });
    const settled = await this.jobs.transition(id, 'COMPLETED', {
      final_cost_micros: finalCost.toString(),
      refunded_micros: (BigInt(job.held_micros) - finalCost).toString(),
      platform_fee_micros: platformKeeps.toString(),
      error_message: null,
    });
    await this.receipts?.settled(
      job,
      settled,
      await this.jobs.assignments(id),
      postings.map((p) => p.id),
    );
    await this.outbox.append('JobCompleted', id, {
      network_job_id: id,
      status: 'COMPLETED',
      provers: winners,
      dissenters,
      final_cost_micros: finalCost.toString(),
      reward_micros: perProver.toString(),
    });
    await this.audit(settled, winners.join(','));
    await this.postLast(postings);
    return { job: settled, perProver };
  }

  /** Appends the job's audit event to the outbox; the audit recorder stores it (then the AuditGate). */
  private async audit(job: JobRow, proverId: string | null): Promise<void> {
    const eventId = newId();
    const event: JobAuditEvent = {
      network_job_id: job.network_job_id,
      timestamp: new Date().toISOString(),
      client_job_id: job.client_job_id,
      prover_id: proverId,
      status: job.status,
      final_cost_micros: job.final_cost_micros,
      error_message: job.error_message,
      event_id: eventId,
    };
    await this.outbox.append('JobAudit', job.network_job_id, event, eventId);
  }

  /**
   * Posts a job's hold or settlement as the last statement of its transaction: the escrow
   * and platform rows it locks are hot (every job touches them), so their locks are held
   * only for the write and the commit. The job row and its receipt already name these
   * transfer ids, so the ledger must have posted exactly them (a replayed id would mean a
   * second hold or settlement).
   */
  private async postLast(postings: PostingRequest[]): Promise<void> {
    const results = await this.ledger.postAll(postings);
    this.expectPosted(results);
    results.forEach((r, i) => {
      if (!('transfer' in r) || r.transfer?.id !== postings[i].id) {
        throw new DomainError(ErrorCode.Internal, `settlement posting ${postings[i].id} was not posted as planned`);
      }
    });
  }

  private expectPosted(results: PostingResult[]): void {
    for (const r of results) {
      if ('error' in r) throw postingError(r.error);
      if (r.status !== 201) throw new DomainError(ErrorCode.Internal, `unexpected ledger status ${r.status}`);
    }
  }
}

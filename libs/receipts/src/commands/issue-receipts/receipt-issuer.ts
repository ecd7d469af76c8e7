import { Injectable } from '@nestjs/common';
import { AssignmentRow, JobReceipts, JobRow } from '@tally/jobs';
import { newId } from '@tally/shared';
import { SigningKeyring } from '../../keys/signing-keyring';
import {
  attestationBytes,
  canonicalBytes,
  ReceiptBody,
  ReceiptDocument,
  ReceiptKind,
  receiptStatement,
  sha256Hex,
} from '../../offline';
import { ChainHead, ReceiptRepository } from '../../persistence/receipt.repository';

const iso = (d: Date | null) => d?.toISOString() ?? null;

interface ScorecardRef {
  prover_id: string;
  scorecard_version: string | null;
  score: string | null;
}

/**
 * Signs and appends a job's receipts inside the job command's own transaction (the jobs
 * lib calls it with the job row locked): a receipt commits with the transition it
 * records or not at all, so retries, replays and races can neither lose nor duplicate
 * one, and the chain is appended one receipt at a time.
 */
@Injectable()
export class ReceiptIssuer extends JobReceipts {
  constructor(
    private readonly receipts: ReceiptRepository,
    private readonly keyring: SigningKeyring,
  ) {
    super();
  }

  async assigned(
    jobs: { job: JobRow; assignments: AssignmentRow[] }[],
    scorecards?: Map<string, { version: string; score: string }>,
  ): Promise<void> {
    const ids = jobs.map((j) => j.job.network_job_id);
    const chains = await this.receipts.headsAndCounts(ids, 'assignment');
    // The scorecards the assignment saw: the assigner's, or read in the assigning transaction.
    const cards =
      scorecards ??
      (await this.receipts.scorecards([...new Set(jobs.flatMap((j) => j.assignments.map((a) => a.prover_id)))]));
    const docs = jobs.map(({ job, assignments }) => {
      const chain = chains.get(job.network_job_id)!;
      const round = chain.count + 1;
      const doc = this.build(job, 'assignment', chain.head, {
        round,
        provers: assignments.map((a) => ({
          prover_id: a.prover_id,
          replica: a.replica,
          scorecard_version: cards.get(a.prover_id)?.version ?? null,
          score: cards.get(a.prover_id)?.score ?? null,
        })),
        max_cost_micros: job.max_cost_micros,
        held_micros: job.held_micros,
        hold_transfer_id: job.hold_id,
        attempts: job.attempts,
        submitted_at: iso(job.submitted_at),
        assigned_at: iso(job.assigned_at),
      });
      return { doc, round };
    });
    await this.receipts.insertMany(docs);
  }

  async settled(
    jobs: { before: JobRow; after: JobRow; assignments: AssignmentRow[]; settlementTransferIds: string[] }[],
  ): Promise<void> {
    const context = await this.receipts.settlementContext(jobs.map((j) => j.after.network_job_id));
    const docs = jobs.flatMap(({ before, after, assignments, settlementTransferIds }) => {
      const { head, rounds: round, assignedProvers, transferIds } = context.get(after.network_job_id)!;
      const settledAt = after.completed_at ?? after.failed_at ?? after.cancelled_at;
      const out: { doc: ReceiptDocument; round: number }[] = [];
      let prev = head;
      if (before.status === 'RUNNING') {
        const execution = this.build(after, 'execution', prev, {
          status: after.status,
          started_at: iso(after.started_at),
          ended_at: iso(settledAt),
          reports: assignments.map((a) => ({
            prover_id: a.prover_id,
            replica: a.replica,
            status: a.status,
            success: a.success,
            result_hash: a.result_hash,
            final_cost_micros: a.final_cost_micros,
            error_message: a.error_message,
            reported_at: iso(a.reported_at),
          })),
        });
        out.push({ doc: execution, round });
        prev = { seq: execution.receipt.seq, receipt_hash: execution.receipt_hash };
      }
      const completed = after.status === 'COMPLETED';
      const settlement = this.build(after, 'settlement', prev, {
        status: after.status,
        provers: assignments.map((a) => a.prover_id),
        max_cost_micros: after.max_cost_micros,
        held_micros: after.held_micros,
        final_cost_micros: completed ? after.final_cost_micros : null,
        rewards: assignments
          .filter((a) => a.reward_micros !== null)
          .map((a) => ({ prover_id: a.prover_id, reward_micros: a.reward_micros })),
        refund_micros: after.refunded_micros ?? '0',
        platform_fee_micros: completed ? (after.platform_fee_micros ?? '0') : '0',
        transfer_ids: [...transferIds, ...settlementTransferIds],
        error_message: after.error_message,
        scorecard_versions: ((assignedProvers as ScorecardRef[] | null) ?? []).map((p) => ({
          prover_id: p.prover_id,
          scorecard_version: p.scorecard_version,
          score: p.score,
        })),
        submitted_at: iso(after.submitted_at),
        assigned_at: iso(after.assigned_at),
        started_at: iso(after.started_at),
        settled_at: iso(settledAt),
      });
      out.push({ doc: settlement, round });
      return out;
    });
    await this.receipts.insertMany(docs);
  }

  withSettlementReceipt(jobIds: string[]): Promise<Set<string>> {
    return this.receipts.withSettlement(jobIds);
  }

  /** The receipt that follows `head` in the job's chain, signed (and attested). */
  private build(
    job: JobRow,
    kind: ReceiptKind,
    head: ChainHead | null,
    fields: Record<string, unknown>,
  ): ReceiptDocument {
    const receipt: ReceiptBody = {
      receipt_id: newId(),
      kind,
      seq: (head?.seq ?? 0) + 1,
      network_job_id: job.network_job_id,
      client_job_id: job.client_job_id,
      client_id: job.client_id,
      prev_receipt_hash: head?.receipt_hash ?? null,
      issued_at: new Date().toISOString(),
      ...fields,
    };
    const statement = receiptStatement(receipt);
    const bytes = canonicalBytes(statement);
    const receiptHash = sha256Hex(bytes);
    const signed = this.keyring.sign(bytes);
    const attested = this.keyring.attest(attestationBytes(receiptHash));
    return {
      ...statement,
      receipt_hash: receiptHash,
      signature: { key_id: signed.key_id, algorithm: 'ed25519', value: signed.signature },
      ...(attested ? { attestation: { key_id: attested.key_id, value: attested.signature } } : {}),
    };
  }
}

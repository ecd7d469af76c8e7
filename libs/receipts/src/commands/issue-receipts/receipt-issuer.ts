import { Injectable } from '@nestjs/common';
import {
  AssignmentRow,
  decideStoredReports,
  JobReceipts,
  JobRow,
  REPLICA_MOVES,
  type SettlementSlash,
} from '@tally/jobs';
import { ScorecardsQuery } from '@tally/provers';
import { Clock, newId } from '@tally/shared';
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
 * What a replicated job's verification receipt states: the majority as the jobs lib decides
 * it (decideReplicas, the one rule), the agreeing replicas and the dissenting ones with the
 * result hash each reported, and the replicas called off before reporting. Null for a
 * single-replica job (its one report, in the execution receipt, is all there is to verify)
 * and for a job that ended before its replicas decided anything (timed out, cancelled).
 */
function verificationFields(job: JobRow, assignments: AssignmentRow[]): Record<string, unknown> | null {
  if (job.replicas <= 1) return null;
  const reported = assignments.filter((a) => a.status === REPLICA_MOVES.report.to);
  const decision = decideStoredReports(job.replicas, assignments);
  if (decision.kind === 'waiting') return null;
  const agreeing = decision.kind === 'completed' ? decision.majority : [];
  const replica = (a: AssignmentRow) => ({
    prover_id: a.prover_id,
    replica: a.replica,
    success: a.success,
    result_hash: a.result_hash,
  });
  return {
    outcome: decision.kind === 'completed' ? 'majority' : 'no_majority',
    replicas: job.replicas,
    needed: Math.floor(job.replicas / 2) + 1,
    result_hash: decision.kind === 'completed' ? reported.find((a) => a.prover_id === agreeing[0])!.result_hash : null,
    agreeing: reported.filter((a) => agreeing.includes(a.prover_id)).map(replica),
    dissenting: reported.filter((a) => !agreeing.includes(a.prover_id)).map(replica),
    not_reported: assignments
      .filter((a) => a.status !== REPLICA_MOVES.report.to)
      .map((a) => ({ prover_id: a.prover_id, replica: a.replica, status: a.status })),
  };
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
    private readonly scorecards: ScorecardsQuery,
    private readonly keyring: SigningKeyring,
    private readonly clock: Clock,
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
      (await this.scorecards.of([...new Set(jobs.flatMap((j) => j.assignments.map((a) => a.prover_id)))]));
    const docs = jobs.map(({ job, assignments }) => {
      const chain = chains.get(job.network_job_id)!;
      const round = chain.count + 1;
      const { document } = this.build(job, 'assignment', chain.head, {
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
      return { document, round };
    });
    await this.insert(docs);
  }

  async settled(
    jobs: {
      before: JobRow;
      after: JobRow;
      assignments: AssignmentRow[];
      settlementTransferIds: string[];
      slashes?: SettlementSlash[];
    }[],
  ): Promise<void> {
    const context = await this.receipts.settlementContext(jobs.map((j) => j.after.network_job_id));
    const docs = jobs.flatMap(({ before, after, assignments, settlementTransferIds, slashes }) => {
      const { head, rounds: round, assignedProvers, transferIds } = context.get(after.network_job_id)!;
      const settledAt = after.completed_at ?? after.failed_at ?? after.cancelled_at;
      const out: { document: Promise<ReceiptDocument>; round: number }[] = [];
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
        out.push({ document: execution.document, round });
        prev = { seq: execution.seq, receipt_hash: execution.receiptHash, legacy_job_id: null };
        const fields = verificationFields(after, assignments);
        if (fields) {
          const verification = this.build(after, 'verification', prev, fields);
          out.push({ document: verification.document, round });
          prev = { seq: verification.seq, receipt_hash: verification.receiptHash, legacy_job_id: null };
        }
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
        // Only when the settlement slashed someone: receipts without slashes read as they always did.
        ...(slashes !== undefined && slashes.length > 0 && { slashes }),
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
      out.push({ document: settlement.document, round });
      return out;
    });
    await this.insert(docs);
  }

  withSettlementReceipt(jobIds: string[]): Promise<Set<string>> {
    return this.receipts.withSettlement(jobIds);
  }

  /** Receipts whose signatures are being computed, appended once they all are. */
  private async insert(docs: { document: Promise<ReceiptDocument>; round: number }[]): Promise<void> {
    const signed = await Promise.all(docs.map(async ({ document, round }) => ({ doc: await document, round })));
    await this.receipts.insertMany(signed);
  }

  /**
   * The receipt that follows `head` in the job's chain: its seq and hash at once (the next
   * receipt chains on them), the document once it is signed (and attested) on the thread pool.
   */
  private build(
    job: JobRow,
    kind: ReceiptKind,
    head: ChainHead | null,
    fields: Record<string, unknown>,
  ): { seq: number; receiptHash: string; document: Promise<ReceiptDocument> } {
    const receipt: ReceiptBody = {
      receipt_id: newId(),
      kind,
      seq: (head?.seq ?? 0) + 1,
      network_job_id: job.network_job_id,
      client_job_id: job.client_job_id,
      client_id: job.client_id,
      prev_receipt_hash: head?.receipt_hash ?? null,
      // The first receipt after a version 1 one names the uuid the chain knew the job by, so
      // the chain still reads as one job's (verifyReceiptChain).
      ...(head?.legacy_job_id ? { legacy_network_job_id: head.legacy_job_id } : {}),
      issued_at: this.clock.now().toISOString(),
      ...fields,
    };
    const statement = receiptStatement(receipt);
    const bytes = canonicalBytes(statement);
    const receiptHash = sha256Hex(bytes);
    const document = Promise.all([
      this.keyring.signAsync(bytes),
      this.keyring.attestAsync(attestationBytes(receiptHash)),
    ]).then(([signed, attested]) => ({
      ...statement,
      receipt_hash: receiptHash,
      signature: { key_id: signed.key_id, algorithm: 'ed25519' as const, value: signed.signature },
      ...(attested ? { attestation: { key_id: attested.key_id, value: attested.signature } } : {}),
    }));
    return { seq: receipt.seq, receiptHash, document };
  }
}

import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { LedgerQueries } from '@tally/ledger';
import type { ReceiptDocument, ReceiptKind } from '../offline';

export interface ChainHead {
  seq: number;
  receipt_hash: string;
  /** The job's id as a version 1 head names it (the uuid the job had before ids were numbers), else null. */
  legacy_job_id: string | null;
}

export interface StoredSignature {
  signer_id: string;
  key_id: string;
  signature: string;
  signed_at: Date;
}

/** The head of each job's chain (`u.id`): its seq, hash, and the id a version 1 head names the job by. */
const HEAD = `LEFT JOIN LATERAL (
    SELECT seq, receipt_hash,
           CASE WHEN document->>'version' = '1' THEN document->'receipt'->>'network_job_id' END AS legacy_job_id
    FROM receipts r WHERE r.network_job_id = u.id ORDER BY seq DESC LIMIT 1) h ON true`;
const headOf = (r: { seq: number | null; receipt_hash: string | null; legacy_job_id: string | null }) =>
  r.seq === null ? null : { seq: r.seq, receipt_hash: r.receipt_hash!, legacy_job_id: r.legacy_job_id };

/**
 * The receipts table (append-only), read and written in the current unit of work. The
 * jobs, provers and ledger tables are read through their libs' queries.
 */
@Injectable()
export class ReceiptRepository {
  constructor(private readonly uow: UnitOfWork) {}

  private q<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.uow.tx.query(sql, params);
  }

  /** For the hot paths' fixed statements: prepared once per connection (see `prepared`). */
  private prep<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.uow.prepared<T>(sql, params);
  }

  /** Each job's chain head and how many receipts of `kind` it has, in one statement. */
  async headsAndCounts(
    jobIds: string[],
    kind: ReceiptKind,
  ): Promise<Map<string, { head: ChainHead | null; count: number }>> {
    const rows = await this.prep<{
      id: string;
      seq: number | null;
      receipt_hash: string | null;
      legacy_job_id: string | null;
      n: number;
    }>(
      `SELECT u.id::text AS id, h.seq, h.receipt_hash, h.legacy_job_id,
              (SELECT count(*)::int FROM receipts c WHERE c.network_job_id = u.id AND c.kind = $2) AS n
       FROM unnest($1::bigint[]) AS u(id)
       ${HEAD}`,
      [jobIds, kind],
    );
    return new Map(rows.map((r) => [r.id, { head: headOf(r), count: r.n }]));
  }

  /**
   * What a settlement receipt needs of each job, in one statement: its chain head, its
   * assignment rounds, the provers (with scorecards) of its latest assignment receipt, and
   * its ledger transfers so far in journal order (the ledger's query, in the same statement).
   */
  async settlementContext(
    jobIds: string[],
  ): Promise<Map<string, { head: ChainHead | null; rounds: number; assignedProvers: unknown; transferIds: string[] }>> {
    const rows = await this.prep<{
      id: string;
      seq: number | null;
      receipt_hash: string | null;
      legacy_job_id: string | null;
      rounds: number;
      assigned_provers: unknown;
      transfer_ids: string[];
    }>(
      `SELECT u.id::text AS id, h.seq, h.receipt_hash, h.legacy_job_id,
              (SELECT count(*)::int FROM receipts c WHERE c.network_job_id = u.id AND c.kind = 'assignment') AS rounds,
              (SELECT r.document->'receipt'->'provers' FROM receipts r
               WHERE r.network_job_id = u.id AND r.kind = 'assignment' ORDER BY r.seq DESC LIMIT 1) AS assigned_provers,
              ${LedgerQueries.jobTransferIdsSql('u.id::text')} AS transfer_ids
       FROM unnest($1::bigint[]) AS u(id)
       ${HEAD}`,
      [jobIds],
    );
    return new Map(
      rows.map((r) => [
        r.id,
        {
          head: headOf(r),
          rounds: r.rounds,
          assignedProvers: r.assigned_provers,
          transferIds: r.transfer_ids,
        },
      ]),
    );
  }

  async insertMany(receipts: { doc: ReceiptDocument; round: number }[]): Promise<void> {
    const col = <T>(f: (r: { doc: ReceiptDocument; round: number }) => T) => receipts.map(f);
    await this.prep(
      `INSERT INTO receipts (receipt_id, network_job_id, seq, kind, round, receipt_hash, prev_receipt_hash, key_id, document)
       SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::int[], $4::varchar[], $5::int[], $6::varchar[], $7::varchar[],
                            $8::varchar[], $9::jsonb[])`,
      [
        col((r) => r.doc.receipt.receipt_id),
        col((r) => r.doc.receipt.network_job_id),
        col((r) => r.doc.receipt.seq),
        col((r) => r.doc.receipt.kind),
        col((r) => r.round),
        col((r) => r.doc.receipt_hash),
        col((r) => r.doc.receipt.prev_receipt_hash),
        col((r) => r.doc.signature.key_id),
        col((r) => JSON.stringify(r.doc)),
      ],
    );
  }

  /** A job's chain in order (oldest first). */
  async chain(jobId: string): Promise<ReceiptDocument[]> {
    const rows = await this.q<{ document: ReceiptDocument }>(
      `SELECT document FROM receipts WHERE network_job_id = $1 ORDER BY seq`,
      [jobId],
    );
    return rows.map((r) => r.document);
  }

  async latest(jobId: string, kind?: ReceiptKind): Promise<ReceiptDocument | null> {
    const rows = await this.q<{ document: ReceiptDocument }>(
      `SELECT document FROM receipts WHERE network_job_id = $1 ${kind ? 'AND kind = $2' : ''} ORDER BY seq DESC LIMIT 1`,
      kind ? [jobId, kind] : [jobId],
    );
    return rows[0]?.document ?? null;
  }

  /** Which of these jobs have a settlement receipt. */
  async withSettlement(jobIds: string[]): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const rows = await this.prep<{ id: string }>(
      `SELECT network_job_id::text AS id FROM receipts WHERE network_job_id = ANY($1::bigint[]) AND kind = 'settlement'`,
      [jobIds],
    );
    return new Set(rows.map((r) => r.id));
  }

  /** The countersignatures of these receipts, in signing order. */
  async signaturesOf(receiptIds: string[]): Promise<Map<string, StoredSignature[]>> {
    const out = new Map<string, StoredSignature[]>();
    if (receiptIds.length === 0) return out;
    const rows = await this.q<StoredSignature & { receipt_id: string; signed_at: Date }>(
      `SELECT receipt_id::text AS receipt_id, signer_id, key_id, signature, signed_at FROM receipt_signatures
       WHERE receipt_id = ANY($1::uuid[]) ORDER BY signed_at, signer_id`,
      [receiptIds],
    );
    for (const r of rows) {
      const list = out.get(r.receipt_id) ?? [];
      list.push({ signer_id: r.signer_id, key_id: r.key_id, signature: r.signature, signed_at: r.signed_at });
      out.set(r.receipt_id, list);
    }
    return out;
  }

  /**
   * Up to `limit` receipts `signerId` has signed neither as their issuer (with one of
   * `ownKeyIds`) nor by a countersignature, oldest first, each with the stored hash of the
   * receipt before it in its chain (null for the first).
   */
  async unsignedBy(
    signerId: string,
    ownKeyIds: string[],
    limit: number,
  ): Promise<{ document: ReceiptDocument; receipt_hash: string; seq: number; prev_hash: string | null }[]> {
    return this.q(
      `SELECT r.document, r.receipt_hash, r.seq, p.receipt_hash AS prev_hash
       FROM receipts r
       LEFT JOIN receipts p ON p.network_job_id = r.network_job_id AND p.seq = r.seq - 1
       WHERE r.key_id <> ALL($2::text[])
         AND NOT EXISTS (SELECT 1 FROM receipt_signatures s WHERE s.receipt_id = r.receipt_id AND s.signer_id = $1)
       ORDER BY r.created_at, r.receipt_id
       LIMIT $3`,
      [signerId, ownKeyIds, limit],
    );
  }

  /** Appends countersignatures; one a signer already gave is kept as it is (the pair is unique). */
  async insertSignatures(rows: { receipt_id: string; signer_id: string; key_id: string; signature: string }[]) {
    if (rows.length === 0) return 0;
    const inserted = await this.q<{ receipt_id: string }>(
      `INSERT INTO receipt_signatures (receipt_id, signer_id, key_id, signature)
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[])
       ON CONFLICT (receipt_id, signer_id) DO NOTHING
       RETURNING receipt_id`,
      [
        rows.map((r) => r.receipt_id),
        rows.map((r) => r.signer_id),
        rows.map((r) => r.key_id),
        rows.map((r) => r.signature),
      ],
    );
    return inserted.length;
  }

  /** The provers named by the job's assignment receipts (every round's, so a requeue's earlier provers too). */
  async assignedProvers(jobId: string): Promise<Set<string>> {
    const rows = await this.q<{ prover_id: string }>(
      `SELECT DISTINCT p->>'prover_id' AS prover_id
       FROM receipts r, jsonb_array_elements(r.document->'receipt'->'provers') p
       WHERE r.network_job_id = $1 AND r.kind = 'assignment'`,
      [jobId],
    );
    return new Set(rows.map((r) => r.prover_id));
  }
}

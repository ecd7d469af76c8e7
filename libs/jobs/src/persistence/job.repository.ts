import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import type { JobStatus, Priority } from '../domain';

export interface JobRow {
  network_job_id: string;
  client_id: string;
  client_job_id: string | null;
  request_hash: string;
  payload: unknown;
  max_cost_micros: string;
  priority: Priority;
  service: string | null;
  units: string | null;
  requirements: Record<string, unknown>;
  replicas: number;
  status: JobStatus;
  hold_id: string;
  held_micros: string;
  final_cost_micros: string | null;
  refunded_micros: string | null;
  platform_fee_micros: string | null;
  error_message: string | null;
  version: number;
  attempts: number;
  submitted_at: Date;
  assigned_at: Date | null;
  started_at: Date | null;
  completed_at: Date | null;
  failed_at: Date | null;
  cancelled_at: Date | null;
  audited_at: Date | null;
}

export interface AssignmentRow {
  network_job_id: string;
  prover_id: string;
  replica: number;
  status: 'ASSIGNED' | 'RUNNING' | 'REPORTED' | 'CANCELLED';
  success: boolean | null;
  final_cost_micros: string | null;
  result_hash: string | null;
  error_message: string | null;
  report_hash: string | null;
  reward_micros: string | null;
  assigned_at: Date;
  reported_at: Date | null;
}

const JOB_COLUMNS = `network_job_id, client_id, client_job_id, request_hash, payload, max_cost_micros::text,
  priority, service, units, requirements, replicas, status, hold_id, held_micros::text, final_cost_micros::text,
  refunded_micros::text, platform_fee_micros::text, error_message, version, attempts, submitted_at, assigned_at, started_at,
  completed_at, failed_at, cancelled_at, audited_at`;

const ASSIGNMENT_COLUMNS = `network_job_id, prover_id, replica, status, success, final_cost_micros::text, result_hash,
  error_message, report_hash, reward_micros::text, assigned_at, reported_at`;

/** When each status is reached, the job row stamps its time. */
const STAMP: Partial<Record<JobStatus, string>> = {
  ASSIGNED: 'assigned_at',
  RUNNING: 'started_at',
  COMPLETED: 'completed_at',
  FAILED: 'failed_at',
  CANCELLED: 'cancelled_at',
  AUDITED: 'audited_at',
};

/** Jobs and their assignments, read and written in the current unit of work. */
@Injectable()
export class JobRepository {
  constructor(private readonly uow: UnitOfWork) {}

  private q<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.uow.tx.query(sql, params);
  }

  async insert(job: {
    id: string;
    clientId: string;
    clientJobId: string | null;
    requestHash: string;
    payload: unknown;
    maxCost: bigint;
    priority: Priority;
    service: string | null;
    units: string | null;
    requirements: Record<string, unknown>;
    replicas: number;
    holdId: string;
    held: bigint;
  }): Promise<JobRow | null> {
    const rows = await this.q<JobRow>(
      `INSERT INTO jobs (network_job_id, client_id, client_job_id, request_hash, payload, max_cost_micros, priority,
                         service, units, requirements, replicas, status, hold_id, held_micros)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'PENDING', $12, $13)
       ON CONFLICT (client_id, client_job_id) DO NOTHING RETURNING ${JOB_COLUMNS}`,
      [
        job.id,
        job.clientId,
        job.clientJobId,
        job.requestHash,
        JSON.stringify(job.payload),
        job.maxCost.toString(),
        job.priority,
        job.service,
        job.units,
        JSON.stringify(job.requirements),
        job.replicas,
        job.holdId,
        job.held.toString(),
      ],
    );
    return rows[0] ?? null;
  }

  async findByClientJobId(clientId: string, clientJobId: string): Promise<JobRow | null> {
    const rows = await this.q<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE client_id = $1 AND client_job_id = $2`, [
      clientId,
      clientJobId,
    ]);
    return rows[0] ?? null;
  }

  /** Reads a job; `lock` takes its row lock, so racing commands on one job run one at a time. */
  async find(id: string, lock = false): Promise<JobRow | null> {
    const rows = await this.q<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM jobs WHERE network_job_id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Several jobs at once, row-locked in id order (so concurrent batches cannot deadlock). */
  async findMany(ids: string[]): Promise<JobRow[]> {
    return this.q<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM jobs WHERE network_job_id = ANY($1::uuid[]) ORDER BY network_job_id FOR UPDATE`,
      [ids],
    );
  }

  /** Each job's assignments, replicas in order. */
  async assignmentsOf(ids: string[]): Promise<Map<string, AssignmentRow[]>> {
    const rows = await this.q<AssignmentRow>(
      `SELECT ${ASSIGNMENT_COLUMNS} FROM job_assignments WHERE network_job_id = ANY($1::uuid[])
       ORDER BY network_job_id, replica`,
      [ids],
    );
    const byJob = new Map<string, AssignmentRow[]>(ids.map((id) => [id, []]));
    for (const r of rows) byJob.get(r.network_job_id)?.push(r);
    return byJob;
  }

  async assignments(id: string): Promise<AssignmentRow[]> {
    return this.q<AssignmentRow>(
      `SELECT ${ASSIGNMENT_COLUMNS} FROM job_assignments WHERE network_job_id = $1 ORDER BY replica`,
      [id],
    );
  }

  /** Moves the job to `to` (the caller has checked the transition under the row lock). */
  async transition(id: string, to: JobStatus, fields: Record<string, unknown> = {}): Promise<JobRow> {
    const sets = ['status = $2', 'version = version + 1'];
    const params: unknown[] = [id, to];
    const stamp = STAMP[to];
    if (stamp) sets.push(`${stamp} = now()`);
    for (const [column, value] of Object.entries(fields)) {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    }
    // TypeORM answers an UPDATE … RETURNING with [rows, affected count].
    const [rows] = await this.q<JobRow[]>(
      `UPDATE jobs SET ${sets.join(', ')} WHERE network_job_id = $1 RETURNING ${JOB_COLUMNS}`,
      params,
    );
    return rows[0];
  }

  /** Moves several jobs to `to` in one statement (the caller has checked each transition under its row lock). */
  async transitionMany(ids: string[], to: JobStatus): Promise<JobRow[]> {
    const stamp = STAMP[to];
    const [rows] = await this.q<JobRow[]>(
      `UPDATE jobs SET status = $2, version = version + 1${stamp ? `, ${stamp} = now()` : ''}
       WHERE network_job_id = ANY($1::uuid[]) RETURNING ${JOB_COLUMNS}`,
      [ids, to],
    );
    return rows;
  }

  /** Replica n of a job goes to its n-th prover. */
  async addAssignments(assignments: { jobId: string; proverIds: string[] }[]): Promise<void> {
    const rows = assignments.flatMap((a) => a.proverIds.map((p, i) => [a.jobId, p, i + 1] as const));
    await this.q(
      `INSERT INTO job_assignments (network_job_id, prover_id, replica)
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::int[])`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
  }

  async updateAssignment(id: string, proverId: string, fields: Record<string, unknown>): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [id, proverId];
    for (const [column, value] of Object.entries(fields)) {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    }
    await this.q(`UPDATE job_assignments SET ${sets.join(', ')} WHERE network_job_id = $1 AND prover_id = $2`, params);
  }

  async removeAssignments(id: string): Promise<void> {
    await this.q(`DELETE FROM job_assignments WHERE network_job_id = $1`, [id]);
  }

  async appendAudit(eventId: string, jobId: string, event: object): Promise<boolean> {
    const rows = await this.q(
      `INSERT INTO job_audit_log (event_id, network_job_id, event) VALUES ($1, $2, $3)
       ON CONFLICT (event_id) DO NOTHING RETURNING id`,
      [eventId, jobId, JSON.stringify(event)],
    );
    return rows.length > 0;
  }
}

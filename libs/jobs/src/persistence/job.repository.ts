import { Injectable } from '@nestjs/common';
import {
  OutboxRecord,
  outboxInsertOf,
  outboxRecordsOf,
  sqlIn,
  sqlLiteral,
  sqlPairs,
  UnitOfWork,
} from '@tally/database';
import { DomainError, ErrorCode } from '@tally/shared';
import {
  IN_FLIGHT,
  INITIAL_JOB_STATUS,
  METERING,
  MOVES,
  movePairs,
  OUTSTANDING_REPLICA,
  REPLICA_MOVES,
  SETTLING_MOVES,
  type JobAuditEvent,
  type JobMove,
  type JobStatus,
  type PayloadEncoding,
  type Priority,
  type ReplicaStatus,
  type SettledStatus,
} from '../domain';
import { JOB_AUDITED, JOB_START_RELEASED, JOB_STARTED, JOB_SUBMITTED } from '../events/jobs.events';

export interface JobRow {
  network_job_id: string;
  client_id: string;
  client_job_id: string | null;
  request_hash: string;
  payload: unknown;
  payload_encoding: PayloadEncoding;
  max_cost_micros: string;
  priority: Priority;
  service: string | null;
  /** The version of the service's schedule the job was priced with. */
  service_version: string | null;
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
  /** The cumulative units its prover has reported as used (a decimal string); null before any report. */
  metered_units: string | null;
  /** What the reported usage cost: captured from the hold as it was reported. */
  metered_micros: string;
  /** What of metered_micros the platform kept (its fee and the rounding); the prover was paid the rest. */
  metered_fee_micros: string;
  /** The refund rule its usage was metered under (its service's metered_refund); null before any report. */
  metered_refund: 'earned' | 'all' | null;
  /** The prover its usage was reported by (and paid to); null before any report. */
  metered_prover_id: string | null;
  /** Under `all`: the hold of the prover's metered share (platform → prover) until the job completes. */
  reward_hold_id: string | null;
  /** When its dispute window closes (or closed); null: the job had none. */
  dispute_closes_at: Date | null;
  /** The rewards held for its provers until the window closes; null once released or voided (or never held). */
  pending_rewards: PendingReward[] | null;
  disputed_at: Date | null;
  dispute_reason: string | null;
  resolved_at: Date | null;
  dispute_outcome: DisputeOutcome | null;
  /** What a dispute refunded the client from the platform (a refund outcome only). */
  dispute_refund_micros: string | null;
}

/** A reward held for a prover through its job's dispute window: the hold (platform → prover) and its amount. */
export interface PendingReward {
  prover_id: string;
  hold_id: string;
  amount_micros: string;
}

/** How an admin resolved a dispute: the rewards released, or the client refunded (and the rewards voided). */
export type DisputeOutcome = 'uphold' | 'refund';

/** A usage report as it changes its job's row: the hold now open, and the totals metered so far. */
export interface MeteredUsage {
  id: string;
  holdId: string;
  units: string;
  micros: bigint;
  feeMicros: bigint;
  refund: 'earned' | 'all';
  proverId: string;
  rewardHoldId: string | null;
}

/** A job's row as its settlement leaves it. */
export interface SettledJob {
  id: string;
  to: SettledStatus;
  finalCost: bigint | null;
  refunded: bigint;
  platformFee: bigint | null;
  errorMessage: string | null;
  /** A completion's dispute window (seconds), its rewards pending through it; null: none. */
  disputeWindowSeconds: number | null;
  pendingRewards: PendingReward[] | null;
}

/** A job to insert, with its hold's id and amount. */
export interface NewJob {
  id: string;
  clientId: string;
  clientJobId: string | null;
  requestHash: string;
  payload: unknown;
  payloadEncoding: PayloadEncoding;
  maxCost: bigint;
  priority: Priority;
  service: string | null;
  serviceVersion: number | null;
  units: string | null;
  requirements: Record<string, unknown>;
  replicas: number;
  holdId: string;
  held: bigint;
}

export interface AssignmentRow {
  network_job_id: string;
  prover_id: string;
  replica: number;
  status: ReplicaStatus;
  success: boolean | null;
  final_cost_micros: string | null;
  result_hash: string | null;
  /** Set by the replica's report only (never read with the row: see saveAssignments). */
  result_metadata?: Record<string, unknown> | null;
  error_message: string | null;
  report_hash: string | null;
  reward_micros: string | null;
  assigned_at: Date;
  /** When this replica last started (its poll or start committed); null while it waits to start. */
  started_at: Date | null;
  reported_at: Date | null;
}

const JOB_COLUMNS = `network_job_id, client_id, client_job_id, request_hash, payload, payload_encoding, max_cost_micros::text,
  priority, service, service_version::text, units, requirements, replicas, status, hold_id, held_micros::text, final_cost_micros::text,
  refunded_micros::text, platform_fee_micros::text, error_message, version, attempts, submitted_at, assigned_at, started_at,
  completed_at, failed_at, cancelled_at, audited_at, trim_scale(metered_units)::text AS metered_units,
  metered_micros::text, metered_fee_micros::text, metered_refund, metered_prover_id, reward_hold_id, dispute_closes_at,
  pending_rewards, disputed_at, dispute_reason, resolved_at, dispute_outcome, dispute_refund_micros::text`;

const ASSIGNMENT_COLUMNS = `network_job_id, prover_id, replica, status, success, final_cost_micros::text, result_hash,
  error_message, report_hash, reward_micros::text, assigned_at, started_at, reported_at`;

/**
 * The state machine's moves as the statements below write them: each guard (`IN (from)`)
 * and target is taken from the domain's tables, never spelled here.
 */
const {
  assign: ASSIGN,
  start: FIRST_START,
  giveBack: GIVE_BACK,
  audit: AUDIT,
  dispute: DISPUTE,
  resolve: RESOLVE,
} = MOVES;
const { start: REPLICA_START, giveBack: REPLICA_GIVE_BACK } = REPLICA_MOVES;
const TO = (state: string) => sqlLiteral(state);
/** (new status, status now) pairs a settlement may write. */
const SETTLEMENTS = sqlPairs(movePairs(Object.values(SETTLING_MOVES)).map(([from, to]) => [to, from] as const));
/** (status now, new status) pairs a save of replicas may write, besides leaving one as it is. */
const REPLICA_CHANGES = sqlPairs(movePairs(Object.values(REPLICA_MOVES)));

/** When each status is reached, the job row stamps its time. */
const STAMP: Partial<Record<JobStatus, string>> = {
  ASSIGNED: 'assigned_at',
  RUNNING: 'started_at',
  COMPLETED: 'completed_at',
  FAILED: 'failed_at',
  CANCELLED: 'cancelled_at',
  AUDITED: 'audited_at',
};

/** A settlement stamps the time its job reached the state it settled in. */
const SETTLED_STAMPS = Object.keys(SETTLING_MOVES)
  .map(
    (to) =>
      `${STAMP[to as JobStatus]} = CASE WHEN u.n_status = ${TO(to)} THEN now() ELSE j.${STAMP[to as JobStatus]} END`,
  )
  .join(',\n              ');

/** Jobs and their assignments, read and written in the current unit of work. */
@Injectable()
export class JobRepository {
  constructor(private readonly uow: UnitOfWork) {}

  private q<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.uow.tx.query(sql, params);
  }

  /** For the hot paths' fixed statements: prepared once per connection (see `prepared`). */
  private prep<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.uow.prepared<T>(sql, params);
  }

  /**
   * `n` new network job ids from the jobs' sequence, in order: each is handed out once,
   * whether or not its job commits (a rolled-back submit leaves a gap, never a reused id).
   */
  async nextIds(n: number): Promise<string[]> {
    if (n === 0) return [];
    const rows = await this.prep<{ id: string }>(
      `SELECT nextval('jobs_network_job_id_seq')::text AS id FROM generate_series(1, $1::int)`,
      [n],
    );
    return rows.map((r) => r.id);
  }

  /** Inserts new PENDING jobs; a (client, client_job_id) already taken is skipped. Returns the inserted rows by id. */
  async insertMany(jobs: NewJob[]): Promise<{ inserted: Map<string, JobRow>; events: OutboxRecord[] }> {
    if (jobs.length === 0) return { inserted: new Map(), events: [] };
    const col = <T>(f: (j: NewJob) => T) => jobs.map(f);
    // Each job inserted (not a client_job_id already taken) gets its JobSubmitted row in the same statement.
    const rows = await this.prep<JobRow & { _events: OutboxRecord[] | null }>(
      `WITH inserted AS (
         INSERT INTO jobs (network_job_id, client_id, client_job_id, request_hash, payload, max_cost_micros, priority,
                           service, units, requirements, replicas, hold_id, held_micros, payload_encoding, service_version,
                           status)
         SELECT u.*, ${TO(INITIAL_JOB_STATUS)}
         FROM unnest($1::bigint[], $2::varchar[], $3::varchar[], $4::varchar[], $5::jsonb[], $6::bigint[], $7::varchar[],
                     $8::varchar[], $9::varchar[], $10::jsonb[], $11::smallint[], $12::uuid[], $13::bigint[],
                     $14::varchar[], $15::bigint[]) AS u
         ON CONFLICT (client_id, client_job_id) DO NOTHING RETURNING ${JOB_COLUMNS}),
       events AS (${outboxInsertOf(`
         SELECT '${JOB_SUBMITTED}', network_job_id::text,
                jsonb_build_object('network_job_id', network_job_id::text, 'client_id', client_id, 'priority', priority,
                                   'replicas', replicas, 'requirements', requirements, 'service', service)
         FROM inserted ORDER BY submitted_at, network_job_id`)})
       SELECT inserted.*, ${outboxRecordsOf('events')} AS _events FROM inserted`,
      [
        col((j) => j.id),
        col((j) => j.clientId),
        col((j) => j.clientJobId),
        col((j) => j.requestHash),
        col((j) => JSON.stringify(j.payload)),
        col((j) => j.maxCost.toString()),
        col((j) => j.priority),
        col((j) => j.service),
        col((j) => j.units),
        col((j) => JSON.stringify(j.requirements)),
        col((j) => j.replicas),
        col((j) => j.holdId),
        col((j) => j.held.toString()),
        col((j) => j.payloadEncoding),
        col((j) => j.serviceVersion),
      ],
    );
    return {
      inserted: new Map(rows.map(({ _events: _, ...job }) => [job.network_job_id, job])),
      events: rows[0]?._events ?? [],
    };
  }

  /** The jobs these clients submitted under these client_job_ids, by `${client}\u0000${client_job_id}`. */
  async findByClientJobIds(keys: { clientId: string; clientJobId: string }[]): Promise<Map<string, JobRow>> {
    if (keys.length === 0) return new Map();
    const rows = await this.prep<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM jobs
       WHERE (client_id, client_job_id) IN (SELECT * FROM unnest($1::varchar[], $2::varchar[]))`,
      [keys.map((k) => k.clientId), keys.map((k) => k.clientJobId)],
    );
    return new Map(rows.map((r) => [`${r.client_id}\u0000${r.client_job_id}`, r]));
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
    return this.prep<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM jobs WHERE network_job_id = ANY($1::bigint[]) ORDER BY network_job_id FOR UPDATE`,
      [ids],
    );
  }

  /**
   * Several jobs row-locked in id order (so concurrent batches cannot deadlock), each with
   * its assignments (replicas in order). Two statements on purpose: the assignments are read
   * after the locks are held, so they include whatever the transaction that held a lock
   * before committed (a single statement would read them as of its own start).
   */
  async lockWithAssignments(ids: string[]): Promise<Map<string, { job: JobRow; assignments: AssignmentRow[] }>> {
    const jobs = await this.findMany(ids);
    const assignments = await this.assignmentsOf(jobs.map((j) => j.network_job_id));
    return new Map(jobs.map((job) => [job.network_job_id, { job, assignments: assignments.get(job.network_job_id)! }]));
  }

  /** Writes the mutable columns of these assignments as they are in memory, in one statement. */
  async saveAssignments(rows: AssignmentRow[]): Promise<void> {
    if (rows.length === 0) return;
    const col = <T>(f: (a: AssignmentRow) => T) => rows.map(f);
    const saved = await this.prep(
      `UPDATE job_assignments a SET status = u.n_status, success = u.n_success, final_cost_micros = u.n_cost,
              result_hash = u.n_result, error_message = u.n_error, report_hash = u.n_report, reward_micros = u.n_reward,
              reported_at = u.n_reported, result_metadata = coalesce(u.n_metadata, a.result_metadata)
       FROM unnest($1::bigint[], $2::varchar[], $3::varchar[], $4::boolean[], $5::bigint[], $6::varchar[], $7::varchar[],
                   $8::varchar[], $9::bigint[], $10::timestamptz[], $11::jsonb[])
            AS u(n_job, n_prover, n_status, n_success, n_cost, n_result, n_error, n_report, n_reward, n_reported,
                 n_metadata)
       WHERE a.network_job_id = u.n_job AND a.prover_id = u.n_prover
         AND (a.status = u.n_status OR (a.status, u.n_status) IN (${REPLICA_CHANGES}))
       RETURNING 1`,
      [
        col((a) => a.network_job_id),
        col((a) => a.prover_id),
        col((a) => a.status),
        col((a) => a.success),
        col((a) => a.final_cost_micros),
        col((a) => a.result_hash),
        col((a) => a.error_message),
        col((a) => a.report_hash),
        col((a) => a.reward_micros),
        col((a) => a.reported_at),
        // Metadata is written once, by its report; rows saved without it (it is not read) keep theirs.
        col((a) => (a.result_metadata ? JSON.stringify(a.result_metadata) : null)),
      ],
    );
    // Each row was read under its job's lock: a move the replica table does not hold is a bug, never written.
    if (saved.length !== rows.length) {
      throw new DomainError(ErrorCode.IllegalTransition, 'a replica cannot make the move it was handed');
    }
  }

  /**
   * Settles several jobs in one statement (the caller has checked each transition under
   * its row lock): each becomes COMPLETED, FAILED or CANCELLED with its amounts, stamped,
   * only from a state its settling move leaves (else nothing is written).
   */
  async settleMany(settled: SettledJob[]): Promise<Map<string, JobRow>> {
    const col = <T>(f: (s: SettledJob) => T) => settled.map(f);
    const rows = await this.prep<JobRow>(
      `UPDATE jobs j SET status = u.n_status, version = j.version + 1, final_cost_micros = u.n_cost,
              refunded_micros = u.n_refunded, platform_fee_micros = coalesce(u.n_fee, j.platform_fee_micros),
              error_message = u.n_error, pending_rewards = u.n_pending,
              dispute_closes_at = now() + make_interval(secs => u.n_window),
              ${SETTLED_STAMPS}
       FROM unnest($1::bigint[], $2::varchar[], $3::bigint[], $4::bigint[], $5::bigint[], $6::varchar[], $7::int[], $8::jsonb[])
            AS u(n_id, n_status, n_cost, n_refunded, n_fee, n_error, n_window, n_pending)
       WHERE j.network_job_id = u.n_id AND (u.n_status, j.status) IN (${SETTLEMENTS})
       RETURNING ${JOB_COLUMNS}`,
      [
        col((s) => s.id),
        col((s) => s.to),
        col((s) => s.finalCost?.toString() ?? null),
        col((s) => s.refunded.toString()),
        col((s) => s.platformFee?.toString() ?? null),
        col((s) => s.errorMessage),
        col((s) => s.disputeWindowSeconds),
        col((s) => (s.pendingRewards === null ? null : JSON.stringify(s.pendingRewards))),
      ],
    );
    if (rows.length !== settled.length) {
      const moved = new Set(rows.map((r) => r.network_job_id));
      const stuck = settled.find((s) => !moved.has(s.id))!;
      throw new DomainError(ErrorCode.IllegalTransition, `job ${stuck.id} is in no state that can become ${stuck.to}`);
    }
    return new Map(rows.map((r) => [r.network_job_id, r]));
  }

  /**
   * Records a usage report on a RUNNING job the caller has locked: the hold now open and
   * the totals metered so far (the platform's fee to date with them).
   */
  async recordUsage(u: MeteredUsage): Promise<JobRow> {
    const rows = await this.prep<JobRow>(
      `UPDATE jobs SET hold_id = $2, metered_units = $3::numeric, metered_micros = $4, metered_fee_micros = $5,
              platform_fee_micros = $5, metered_refund = $6, reward_hold_id = $7, metered_prover_id = $8, version = version + 1
       WHERE network_job_id = $1 AND status ${sqlIn(METERING)}
       RETURNING ${JOB_COLUMNS}`,
      [u.id, u.holdId, u.units, u.micros.toString(), u.feeMicros.toString(), u.refund, u.rewardHoldId, u.proverId],
    );
    if (rows.length !== 1) throw new DomainError(ErrorCode.IllegalTransition, `job ${u.id} cannot meter usage now`);
    return rows[0];
  }

  /** Each job's assignments, replicas in order. */
  async assignmentsOf(ids: string[]): Promise<Map<string, AssignmentRow[]>> {
    const rows = await this.prep<AssignmentRow>(
      `SELECT ${ASSIGNMENT_COLUMNS} FROM job_assignments WHERE network_job_id = ANY($1::bigint[])
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

  /**
   * Makes one move of the state machine (the caller has checked it under the row lock):
   * the job must be in a state the move leaves, else nothing is written (DSE-010).
   */
  async transition(id: string, move: JobMove, fields: Record<string, unknown> = {}): Promise<JobRow> {
    const sets = [`status = ${TO(move.to)}`, 'version = version + 1'];
    const params: unknown[] = [id];
    const stamp = STAMP[move.to];
    if (stamp) sets.push(`${stamp} = now()`);
    for (const [column, value] of Object.entries(fields)) {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    }
    // TypeORM answers an UPDATE … RETURNING with [rows, affected count].
    const [rows] = await this.q<JobRow[]>(
      `UPDATE jobs SET ${sets.join(', ')} WHERE network_job_id = $1 AND status ${sqlIn(move.from)} RETURNING ${JOB_COLUMNS}`,
      params,
    );
    if (!rows[0])
      throw new DomainError(ErrorCode.IllegalTransition, `job ${id} is in no state that can become ${move.to}`);
    return rows[0];
  }

  /**
   * For each prover, starts up to n of its oldest replicas that wait to start (ASSIGNED →
   * RUNNING; the job too on its first start, with a JobStarted event), in one statement:
   * the job rows are locked as they are picked, and a job another transaction holds is
   * skipped. Returns each prover's started jobs, oldest first, and the JobStarted rows
   * (leased to this process: the caller hands them to the relay, OutboxWriter.written).
   */
  async startNextAssigned(
    wanted: Map<string, number>,
  ): Promise<{ byProver: Map<string, JobRow[]>; events: OutboxRecord[] }> {
    const rows = await this.prep<JobRow & { started_by: string; _events: OutboxRecord[] | null }>(
      `WITH want AS (SELECT * FROM unnest($1::varchar[], $2::int[]) AS w(prover_id, n)),
       picked AS (
         SELECT w.prover_id, x.network_job_id FROM want w
         CROSS JOIN LATERAL (
           SELECT j.network_job_id FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
           WHERE a.prover_id = w.prover_id AND a.status ${sqlIn(REPLICA_START.from)} AND j.status ${sqlIn(IN_FLIGHT)}
           ORDER BY a.assigned_at, j.submitted_at, j.network_job_id
           -- The replica's row too: a replica started by another poll since this statement's
           -- snapshot is then re-read, found RUNNING and passed over for the next, where
           -- locking the job alone let it be picked and then not started (a 204 with work left).
           LIMIT w.n FOR UPDATE OF a, j SKIP LOCKED) x),
       started AS (
         UPDATE job_assignments a SET status = ${TO(REPLICA_START.to)}, started_at = now() FROM picked p
         WHERE a.network_job_id = p.network_job_id AND a.prover_id = p.prover_id AND a.status ${sqlIn(REPLICA_START.from)}
         RETURNING a.network_job_id, a.prover_id, a.assigned_at),
       moved AS (
         UPDATE jobs SET status = ${TO(FIRST_START.to)}, version = version + 1, started_at = now()
         WHERE network_job_id IN (SELECT network_job_id FROM started) AND status ${sqlIn(FIRST_START.from)}
         RETURNING ${JOB_COLUMNS}),
       events AS (${outboxInsertOf(`
         SELECT DISTINCT ON (s.network_job_id) '${JOB_STARTED}', s.network_job_id::text,
                jsonb_build_object('network_job_id', s.network_job_id::text, 'prover_id', s.prover_id)
         FROM started s JOIN moved m ON m.network_job_id = s.network_job_id
         ORDER BY s.network_job_id, s.prover_id`)}),
       after AS (
         SELECT * FROM moved
         UNION ALL
         SELECT ${JOB_COLUMNS} FROM jobs
         WHERE network_job_id IN (SELECT network_job_id FROM started)
           AND network_job_id NOT IN (SELECT network_job_id FROM moved))
       SELECT s.prover_id AS started_by, j.*, ${outboxRecordsOf('events')} AS _events
       FROM started s JOIN after j ON j.network_job_id = s.network_job_id
       ORDER BY s.prover_id, s.assigned_at, j.submitted_at, j.network_job_id`,
      [[...wanted.keys()], [...wanted.values()]],
    );
    const byProver = new Map<string, JobRow[]>();
    for (const { started_by, _events, ...job } of rows) {
      byProver.set(started_by, [...(byProver.get(started_by) ?? []), job]);
    }
    return { byProver, events: rows[0]?._events ?? [] };
  }

  /**
   * Gives back a start its prover does not have, in one statement under the job's row lock:
   * the prover's replica RUNNING → ASSIGNED (only if it has not reported, and with
   * `startedMoreThanMs`, only if it started more than that long before this transaction
   * began), and the job RUNNING → ASSIGNED (started_at cleared) unless another replica has
   * started or reported; a JobStartReleased row with it.
   */
  async releaseStart(
    jobId: string,
    proverId: string,
    startedMoreThanMs: number | null = null,
  ): Promise<{ released: boolean; events: OutboxRecord[] }> {
    const [row] = await this.prep<{ released: boolean; _events: OutboxRecord[] | null }>(
      `WITH locked AS (
         SELECT network_job_id, status FROM jobs WHERE network_job_id = $1 AND status ${sqlIn(GIVE_BACK.from)} FOR UPDATE),
       given_back AS (
         UPDATE job_assignments a SET status = ${TO(REPLICA_GIVE_BACK.to)}, started_at = NULL
         WHERE a.network_job_id IN (SELECT network_job_id FROM locked) AND a.prover_id = $2
           AND a.status ${sqlIn(REPLICA_GIVE_BACK.from)} AND a.reported_at IS NULL
           AND ($3::float8 IS NULL OR a.started_at < now() - make_interval(secs => $3::float8 / 1000))
         RETURNING a.network_job_id),
       moved AS (
         UPDATE jobs SET status = ${TO(GIVE_BACK.to)}, version = version + 1, started_at = NULL
         WHERE network_job_id IN (SELECT network_job_id FROM given_back)
           AND NOT EXISTS (SELECT 1 FROM job_assignments o
                           WHERE o.network_job_id = $1 AND o.prover_id <> $2 AND o.status NOT ${sqlIn(REPLICA_START.from)})
         RETURNING network_job_id),
       events AS (${outboxInsertOf(`
         SELECT '${JOB_START_RELEASED}', g.network_job_id::text,
                jsonb_build_object('network_job_id', g.network_job_id::text, 'prover_id', $2::text,
                                   'job_status', CASE WHEN EXISTS (SELECT 1 FROM moved) THEN ${TO(GIVE_BACK.to)}
                                                      ELSE (SELECT status FROM locked) END)
         FROM given_back g`)})
       SELECT EXISTS (SELECT 1 FROM given_back) AS released, ${outboxRecordsOf('events')} AS _events`,
      [jobId, proverId, startedMoreThanMs],
    );
    return { released: row.released, events: row._events ?? [] };
  }

  /**
   * Assigns PENDING jobs in one statement: replica n of each to its n-th prover, the jobs
   * ASSIGNED (stamped), and the statement `events` (an INSERT, see OutboxWriter.insertSql)
   * with them. All or nothing: if any job is not PENDING or gets a prover count other than
   * its replicas, the statement fails (SQLSTATE TL002) and writes nothing.
   */
  async assignMany(
    assignments: { jobId: string; proverIds: string[] }[],
    events: (p: (value: unknown) => string) => string,
  ): Promise<Map<string, JobRow>> {
    const rows = assignments.flatMap((a) => a.proverIds.map((p, i) => [a.jobId, p, i + 1] as const));
    const params: unknown[] = [];
    const p = (value: unknown) => `$${params.push(value)}`;
    const sql = `WITH added AS (
         INSERT INTO job_assignments (network_job_id, prover_id, replica)
         SELECT * FROM unnest(${p(rows.map((r) => r[0]))}::bigint[], ${p(rows.map((r) => r[1]))}::varchar[],
                              ${p(rows.map((r) => r[2]))}::int[])
         RETURNING network_job_id),
       moved AS (
         UPDATE jobs SET status = ${TO(ASSIGN.to)}, version = version + 1, assigned_at = now()
         WHERE network_job_id = ANY(${p(assignments.map((a) => a.jobId))}::bigint[]) AND status ${sqlIn(ASSIGN.from)}
         RETURNING ${JOB_COLUMNS}),
       events AS (${events(p)}),
       guard AS (
         SELECT tally_expect((SELECT count(*) FROM moved) = ${p(assignments.length)}
                             AND NOT EXISTS (SELECT 1 FROM moved m
                                             WHERE m.replicas <> (SELECT count(*) FROM added a WHERE a.network_job_id = m.network_job_id))
                             AND (SELECT count(*) FROM events) >= 0,
                             'a job to assign is not PENDING, or its prover count is not its replicas') AS ok)
       SELECT m.* FROM guard LEFT JOIN moved m ON true`;
    const result = await this.prep<JobRow>(sql, params);
    return new Map(result.filter((r) => r.network_job_id).map((r) => [r.network_job_id, r]));
  }

  /** The prover's replica starts (the caller has checked it waits to start, under the job's row lock). */
  async startReplica(id: string, proverId: string): Promise<void> {
    const [rows] = await this.q<unknown[][]>(
      `UPDATE job_assignments SET status = ${TO(REPLICA_START.to)}, started_at = now()
       WHERE network_job_id = $1 AND prover_id = $2 AND status ${sqlIn(REPLICA_START.from)} RETURNING 1`,
      [id, proverId],
    );
    if (rows.length === 0)
      throw new DomainError(ErrorCode.IllegalTransition, `the replica of ${proverId} cannot start`);
  }

  /**
   * Takes every replica of the job back from its prover (the job starts again): the
   * unreported ones are remembered as revoked, for their provers' next heartbeats.
   */
  async removeAssignments(id: string): Promise<void> {
    await this.q(
      `WITH removed AS (DELETE FROM job_assignments WHERE network_job_id = $1 RETURNING prover_id, status)
       INSERT INTO revoked_replicas (prover_id, network_job_id)
       SELECT prover_id, $1 FROM removed WHERE status ${sqlIn(OUTSTANDING_REPLICA)}
       ON CONFLICT (prover_id, network_job_id) DO UPDATE SET revoked_at = now()`,
      [id],
    );
  }

  /**
   * A prover's notices, in one statement (see TakeReplicaNoticesCommand): its called-off
   * replicas of jobs settled after `since` not acknowledged yet, acknowledged now, and its
   * revoked replicas, taken (one it holds again is not told). Two heartbeats at once may
   * look from the same time: the acknowledgements tell each job once.
   */
  async takeNotices(proverId: string, since: string): Promise<string[]> {
    const [row] = await this.prep<{ cancelled: string[] }>(
      `WITH told AS (
         INSERT INTO prover_cancellation_acks (prover_id, network_job_id)
         SELECT a.prover_id, a.network_job_id FROM job_assignments a JOIN jobs j ON j.network_job_id = a.network_job_id
         WHERE a.prover_id = $1 AND a.status = ${TO(REPLICA_MOVES.callOff.to)}
           AND COALESCE(j.cancelled_at, j.completed_at, j.failed_at) > $2::timestamptz
         ORDER BY COALESCE(j.cancelled_at, j.completed_at, j.failed_at), a.network_job_id
         ON CONFLICT DO NOTHING RETURNING network_job_id),
       revoked AS (
         DELETE FROM revoked_replicas r WHERE r.prover_id = $1
         RETURNING r.network_job_id,
                   EXISTS (SELECT 1 FROM job_assignments a WHERE a.prover_id = $1
                           AND a.network_job_id = r.network_job_id AND a.status ${sqlIn(OUTSTANDING_REPLICA)}) AS held)
       SELECT ARRAY(SELECT id::text FROM (SELECT network_job_id AS id FROM told
                                          UNION SELECT network_job_id FROM revoked WHERE NOT held) x
                    ORDER BY id) AS cancelled`,
      [proverId, since],
    );
    return row.cancelled;
  }

  /**
   * Appends audit events to the append-only log (once each, by event_id) and, in the same
   * statement, moves to AUDITED the jobs among `auditable` that are COMPLETED and whose
   * COMPLETED entry was appended now, with a JobAudited event each. Returns those events'
   * rows (leased to this process: the caller hands them to the relay, OutboxWriter.written).
   */
  async recordAudits(events: JobAuditEvent[], auditable: string[]): Promise<OutboxRecord[]> {
    const [row] = await this.prep<{ events: OutboxRecord[] | null }>(
      `WITH logged AS (
         INSERT INTO job_audit_log (event_id, network_job_id, event)
         SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::jsonb[])
         ON CONFLICT (event_id) DO NOTHING RETURNING network_job_id, event),
       audited AS (
         UPDATE jobs SET status = ${TO(AUDIT.to)}, version = version + 1, audited_at = now()
         WHERE network_job_id IN (SELECT network_job_id FROM logged WHERE event->>'status' ${sqlIn(AUDIT.from)})
           AND network_job_id = ANY($4::bigint[]) AND status ${sqlIn(AUDIT.from)}
           -- A job with a dispute window is audited once it closes (auditClosedWindows).
           AND dispute_closes_at IS NULL
         RETURNING network_job_id),
       events AS (${outboxInsertOf(`
         SELECT '${JOB_AUDITED}', network_job_id::text, jsonb_build_object('network_job_id', network_job_id::text, 'status', ${TO(AUDIT.to)})
         FROM audited`)})
       SELECT (SELECT count(*) FROM logged) AS logged, ${outboxRecordsOf('events')} AS events`,
      [
        events.map((e) => e.event_id),
        events.map((e) => e.network_job_id),
        events.map((e) => JSON.stringify(e)),
        auditable,
      ],
    );
    return row.events ?? [];
  }

  /**
   * Opens a dispute on a COMPLETED job whose rewards are pending and whose window is still
   * open, by the database's clock, in one statement under the row lock; null when it cannot
   * be (the window closed, or was resolved, or the job is in another state). The statement
   * and the sweep that closes windows both lock the row, so exactly one of them wins.
   */
  async openDispute(id: string, reason: string): Promise<JobRow | null> {
    const [rows] = await this.q<JobRow[]>(
      `UPDATE jobs SET status = ${TO(DISPUTE.to)}, version = version + 1, disputed_at = now(), dispute_reason = $2
       WHERE network_job_id = $1 AND status ${sqlIn(DISPUTE.from)} AND pending_rewards IS NOT NULL
         AND dispute_closes_at > now()
       RETURNING ${JOB_COLUMNS}`,
      [id, reason],
    );
    return rows[0] ?? null;
  }

  /**
   * Ends a locked job's pending rewards (released or voided by the caller's postings): its
   * window is closed as of now if still open. With a resolution, the DISPUTED job becomes
   * COMPLETED again with the outcome recorded; without, it is a COMPLETED job whose window
   * has closed.
   */
  async endPendingRewards(
    id: string,
    resolution: { outcome: DisputeOutcome; refundMicros: bigint | null } | null,
  ): Promise<JobRow> {
    const from = resolution ? RESOLVE.from : AUDIT.from;
    const sets = resolution
      ? `, status = ${TO(RESOLVE.to)}, resolved_at = now(), dispute_outcome = $2, dispute_refund_micros = $3`
      : '';
    const [rows] = await this.q<JobRow[]>(
      `UPDATE jobs SET pending_rewards = NULL, version = version + 1,
              dispute_closes_at = least(dispute_closes_at, now())${sets}
       WHERE network_job_id = $1 AND status ${sqlIn(from)} AND pending_rewards IS NOT NULL
       RETURNING ${JOB_COLUMNS}`,
      resolution ? [id, resolution.outcome, resolution.refundMicros?.toString() ?? null] : [id],
    );
    if (!rows[0]) throw new DomainError(ErrorCode.IllegalTransition, `job ${id} has no pending rewards to end`);
    return rows[0];
  }

  /**
   * Up to `limit` COMPLETED jobs whose dispute window has closed and that have something
   * left to do (rewards to release, or the audit entry that lets them become AUDITED),
   * soonest first, locked; a job another transaction holds is skipped (so N replicas'
   * sweeps share the work and never do one twice).
   */
  async closedWindows(limit: number): Promise<JobRow[]> {
    return this.q<JobRow>(
      `SELECT ${JOB_COLUMNS} FROM jobs j
       WHERE status ${sqlIn(AUDIT.from)} AND dispute_closes_at <= now()
         AND (pending_rewards IS NOT NULL OR EXISTS (
           SELECT 1 FROM job_audit_log l
           WHERE l.network_job_id = j.network_job_id AND l.event->>'status' ${sqlIn(AUDIT.from)}))
       ORDER BY dispute_closes_at, network_job_id LIMIT $1
       FOR UPDATE SKIP LOCKED`,
      [limit],
    );
  }

  /**
   * Moves to AUDITED those of these locked jobs whose window has closed with nothing
   * pending and whose COMPLETED audit entry is logged, with a JobAudited event each (the
   * rows, leased to this process: the caller hands them to the relay).
   */
  async auditClosedWindows(ids: string[]): Promise<OutboxRecord[]> {
    if (ids.length === 0) return [];
    const [row] = await this.prep<{ events: OutboxRecord[] | null }>(
      `WITH audited AS (
         UPDATE jobs j SET status = ${TO(AUDIT.to)}, version = version + 1, audited_at = now()
         WHERE network_job_id = ANY($1::bigint[]) AND status ${sqlIn(AUDIT.from)} AND pending_rewards IS NULL
           AND dispute_closes_at <= now()
           AND EXISTS (SELECT 1 FROM job_audit_log l
                       WHERE l.network_job_id = j.network_job_id AND l.event->>'status' ${sqlIn(AUDIT.from)})
         RETURNING network_job_id),
       events AS (${outboxInsertOf(`
         SELECT '${JOB_AUDITED}', network_job_id::text, jsonb_build_object('network_job_id', network_job_id::text, 'status', ${TO(AUDIT.to)})
         FROM audited`)})
       SELECT ${outboxRecordsOf('events')} AS events`,
      [ids],
    );
    return row.events ?? [];
  }
}

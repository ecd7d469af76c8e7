import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { CommittedEvents, OutboxRecord } from '@tally/database';
import { LEDGER_EVENT_OF_KIND, LedgerQueries } from '@tally/ledger';
import { formatMicros, OperationsObserver } from '@tally/shared';

/** Gauges read from the database are cached this long, so a scrape storm costs a few queries. */
export const DB_GAUGES_CACHE_MS = 5_000;

const TRANSFER_EVENTS = new Set(Object.values(LEDGER_EVENT_OF_KIND));
const TRANSFER_KINDS = Object.keys(LEDGER_EVENT_OF_KIND);

/**
 * Money series are written as exposition text from their exact micros (a decimal of credits,
 * `formatMicros`), never through a JS number: prom-client takes numbers only, so these few
 * series are not prom-client metrics. Prometheus reads each sample as a float64 on its side.
 */
export function moneySeries(
  name: string,
  help: string,
  type: 'counter' | 'gauge',
  samples: readonly (readonly [labels: string, micros: bigint])[],
): string {
  const lines = samples.map(([labels, micros]) => `${name}${labels} ${formatMicros(micros)}`);
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines].join('\n') + '\n';
}

interface DbGauges {
  jobs: { state: string; n: string }[];
  provers: { state: string; n: string }[];
  totals: { escrow: string | null; supply: string | null; platform: string | null };
  lastBatch?: { batch_no: string; created_at: number; transfer_count: number };
  deliveries: { sink: string; status: string; n: string }[];
  sinkFailures: { sink: string; consecutive_failures: number }[];
  outbox: { backlog: string; lag: number | null };
}

/**
 * Tally's business metrics (`tally_*`). Two kinds:
 * - counters of what this replica did (transfers committed, refusals, replays): each
 *   replica counts its own, so sum them across replicas. Transfers are counted from the
 *   outbox rows this process commits (CommittedEvents), so a rolled-back posting never
 *   counts and each committed one counts once; amounts are kept as exact bigint micros and
 *   turned into credits only when scraped.
 * - gauges of the shared state (jobs and provers by state, supply, escrow, settlement,
 *   outbox), read from the database at scrape time by small indexed queries, cached for
 *   DB_GAUGES_CACHE_MS: every replica reports the same values, so do not sum them.
 */
@Injectable()
export class BusinessMetrics implements OperationsObserver {
  readonly registry = new Registry();
  private readonly amountMicros = new Map<string, bigint>();
  private cached?: { at: number; value: Promise<DbGauges> };

  private readonly transfers = new Counter({
    name: 'tally_transfers_total',
    help: 'Transfers committed by this replica, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  /** Refused requests (problem+json answers), by DSE code. */
  readonly rejections = new Counter({
    name: 'tally_rejections_total',
    help: 'Requests this replica refused (problem+json), by DSE code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  /** Requests answered with an earlier answer (Idempotent-Replayed: true), by route pattern. */
  readonly replays = new Counter({
    name: 'tally_idempotent_replays_total',
    help: 'Requests this replica answered as an idempotent replay, by route pattern',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  private readonly loopDuration = new Histogram({
    name: 'tally_loop_duration_seconds',
    help: "Runs of this replica's background loops (scheduler.assign is the scheduler tick, settlement.seal the seal), by loop and outcome",
    labelNames: ['loop', 'outcome'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'tally_group_commit_batch_size',
    help: "Items per batch of this replica's group-commit writers, by writer",
    labelNames: ['writer'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [this.registry],
  });
  private readonly batchWait = new Histogram({
    name: 'tally_group_commit_wait_seconds',
    help: 'How long the oldest item of each group-commit batch waited before its batch started, by writer',
    labelNames: ['writer'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });

  private readonly jobLatencies = new Histogram({
    name: 'tally_job_latency_seconds',
    help: 'Seconds from submit to assigned, and from submit to settled (completed, failed or cancelled), of the jobs this replica moved, by stage',
    labelNames: ['stage'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [this.registry],
  });

  private readonly retries = new Counter({
    name: 'tally_transaction_retries_total',
    help: 'Transactions this replica ran again after a serialization failure or a deadlock, by reason (no client saw them)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  transactionRetried(reason: 'serialization' | 'deadlock'): void {
    this.retries.inc({ reason });
  }

  jobLatency(stage: 'assigned' | 'settled', seconds: number): void {
    this.jobLatencies.observe({ stage }, seconds);
  }

  loopRan(loop: string, seconds: number, ok: boolean): void {
    this.loopDuration.observe({ loop, outcome: ok ? 'ok' : 'failed' }, seconds);
  }

  groupCommitted(writer: string, size: number, waitedSeconds: number): void {
    this.batchSize.observe({ writer }, size);
    this.batchWait.observe({ writer }, waitedSeconds);
  }

  constructor(
    committed: CommittedEvents,
    private readonly dataSource: DataSource,
    private readonly ledger: LedgerQueries,
  ) {
    for (const kind of TRANSFER_KINDS) this.transfers.inc({ kind }, 0);
    committed.observe((records) => this.countCommitted(records));
    this.dbGauge('tally_jobs', 'Jobs by state (shared: the same on every replica)', ['state'], (g, d) => {
      for (const r of d.jobs) g.set({ state: r.state }, Number(r.n));
    });
    this.dbGauge('tally_provers', 'Provers by state (shared)', ['state'], (g, d) => {
      for (const r of d.provers) g.set({ state: r.state }, Number(r.n));
    });
    this.dbGauge(
      'tally_settlement_last_batch',
      'Number of the last sealed settlement batch, 0 before the first (shared)',
      [],
      (g, d) => g.set(Number(d.lastBatch?.batch_no ?? 0)),
    );
    this.dbGauge(
      'tally_settlement_last_batch_timestamp_seconds',
      'When the last settlement batch was sealed, unix seconds, 0 before the first (shared)',
      [],
      (g, d) => g.set(d.lastBatch?.created_at ?? 0),
    );
    this.dbGauge(
      'tally_settlement_deliveries',
      'Settlement deliveries not yet delivered, by sink and status (pending, failed) (shared)',
      ['sink', 'status'],
      (g, d) => {
        for (const r of d.deliveries) g.set({ sink: r.sink, status: r.status }, Number(r.n));
      },
    );
    this.dbGauge(
      'tally_settlement_sink_consecutive_failures',
      'Failed deliveries in a row, by sink (0: the sink is healthy) (shared)',
      ['sink'],
      (g, d) => {
        for (const r of d.sinkFailures) g.set({ sink: r.sink }, r.consecutive_failures);
      },
    );
    this.dbGauge(
      'tally_outbox_backlog',
      'Outbox events committed and not yet published in process (shared)',
      [],
      (g, d) => g.set(Number(d.outbox.backlog)),
    );
    this.dbGauge(
      'tally_outbox_relay_lag_seconds',
      'Age of the oldest outbox event not yet published in process, 0 with none (shared)',
      [],
      (g, d) => g.set(Math.max(0, d.outbox.lag ?? 0)),
    );
    this.poolGauge();
  }

  async metrics(): Promise<string> {
    const [registered, d] = await Promise.all([this.registry.metrics(), this.read()]);
    const kinds = [...this.amountMicros].map(([kind, micros]) => [`{kind="${kind}"}`, micros] as const);
    const total = (micros: string | null) => [['', BigInt(micros ?? '0')] as const];
    return [
      registered.endsWith('\n') ? registered : `${registered}\n`,
      moneySeries(
        'tally_transfer_amount_credits_total',
        'Credits moved by the transfers this replica committed, by kind (exact decimal credits)',
        'counter',
        kinds,
      ),
      moneySeries(
        'tally_supply_credits',
        'Credits minted less burned: minus the issuance balance (shared)',
        'gauge',
        total(d.totals.supply),
      ),
      moneySeries(
        'tally_escrow_credits',
        'Credits held in escrow for jobs in flight (shared)',
        'gauge',
        total(d.totals.escrow),
      ),
      moneySeries(
        'tally_platform_credits',
        "The platform account's posted balance: fee revenue (shared)",
        'gauge',
        total(d.totals.platform),
      ),
    ].join('');
  }

  private countCommitted(records: readonly OutboxRecord[]): void {
    for (const r of records) {
      if (!TRANSFER_EVENTS.has(r.event_type)) continue;
      const { kind, amount } = r.payload as { kind?: string; amount?: string };
      if (typeof kind !== 'string' || typeof amount !== 'string') continue;
      this.transfers.inc({ kind });
      this.amountMicros.set(kind, (this.amountMicros.get(kind) ?? 0n) + BigInt(amount));
    }
  }

  /** A gauge set from the (cached) database read at scrape time; reset first so a vanished label goes. */
  private dbGauge(
    name: string,
    help: string,
    labelNames: string[],
    fill: (g: Gauge<string>, d: DbGauges) => void,
  ): void {
    const read = () => this.read();
    const gauge: Gauge<string> = new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        const d = await read();
        gauge.reset();
        fill(gauge, d);
      },
    });
  }

  /** One read of every shared gauge, at most every DB_GAUGES_CACHE_MS (a failed read is not cached). */
  private read(): Promise<DbGauges> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < DB_GAUGES_CACHE_MS) return this.cached.value;
    const value = this.query();
    this.cached = { at: now, value };
    value.catch(() => (this.cached = undefined));
    return value;
  }

  private async query(): Promise<DbGauges> {
    const q = <T>(sql: string) => this.dataSource.query(sql) as Promise<T[]>;
    const [jobs, provers, totals, [lastBatch], deliveries, sinkFailures, [outbox]] = await Promise.all([
      // Index-only scans: jobs_status_idx and provers_live_idx lead with the state.
      q<{ state: string; n: string }>(`SELECT status AS state, count(*)::text AS n FROM jobs GROUP BY status`),
      q<{ state: string; n: string }>(`SELECT state, count(*)::text AS n FROM provers GROUP BY state`),
      this.ledger.totals(),
      q<{ batch_no: string; created_at: number; transfer_count: number }>(
        `SELECT batch_no::text, extract(epoch FROM created_at)::float8 AS created_at, transfer_count
         FROM settlement_batches ORDER BY batch_no DESC LIMIT 1`,
      ),
      // settlement_deliveries_open_idx covers the rows not delivered.
      q<{ sink: string; status: string; n: string }>(
        `SELECT sink, status, count(*)::text AS n FROM settlement_deliveries WHERE status <> 'delivered' GROUP BY sink, status`,
      ),
      q<{ sink: string; consecutive_failures: number }>(
        `SELECT sink, consecutive_failures FROM settlement_sink_health`,
      ),
      // outbox_unpublished_idx covers the rows not published.
      q<{ backlog: string; lag: number | null }>(
        `SELECT count(*)::text AS backlog, extract(epoch FROM now() - min(created_at))::float8 AS lag
         FROM outbox WHERE published_at IS NULL`,
      ),
    ]);
    return { jobs, provers, totals, lastBatch, deliveries, sinkFailures, outbox };
  }

  /** The pg pool's connections by state (no query: read from the pool; absent on the embedded database). */
  private poolGauge(): void {
    const pool = () =>
      (this.dataSource.driver as { master?: { totalCount: number; idleCount: number; waitingCount: number } }).master;
    const gauge: Gauge<string> = new Gauge({
      name: 'tally_pg_pool_connections',
      help: "This replica's database pool: connections in use and idle, and clients waiting for one",
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const p = pool();
        if (!p || typeof p.totalCount !== 'number') return;
        gauge.set({ state: 'in_use' }, p.totalCount - p.idleCount);
        gauge.set({ state: 'idle' }, p.idleCount);
        gauge.set({ state: 'waiting' }, p.waitingCount);
      },
    });
  }
}

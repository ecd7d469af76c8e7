import { Injectable } from '@nestjs/common';
import { BrokerRelay } from '@tally/database';
import { SchedulerTicker } from '@tally/scheduler';
import { SettlementTicker } from '@tally/settlement';
import type { LoopFailure, LoopLiveness } from '@tally/shared';
import { tracingExportStatus } from '../tracing/tracing';
import type { TracingExportStatus } from '../tracing/watched-exporter';
import { DatabaseProbe } from './database-probe';

/** How long /ready waits for the database before calling it down. */
export const READY_CHECK_TIMEOUT_MS = 2_000;
/** A loop is stale after this many of its intervals without a completed run... */
export const LOOP_STALE_INTERVALS = 5;
/** ...and never sooner than this, so a slow tick under load does not flap readiness. */
export const LOOP_STALE_FLOOR_MS = 5_000;

/**
 * `up`; `down` (a critical one makes the service unready); `degraded` (working without it,
 * never unready: the event broker); `off` (not configured here).
 */
export type DependencyState = 'up' | 'down' | 'degraded' | 'off';

export interface DependencyReport {
  name: string;
  state: DependencyState;
  /** Whether `down` makes /ready answer 503. */
  critical: boolean;
  /** Why it is down now. */
  message?: string;
  /** The last error seen, even if it has recovered since (ISO time). */
  last_error?: { message: string; at: string };
  /** For a loop: its expected interval and its last completed run. */
  interval_ms?: number;
  last_run_at?: string;
}

/**
 * The trace collector, when tracing is on: never critical (requests are served without it;
 * their spans are dropped), `degraded` while its last export failed.
 */
export function tracingReport(status: TracingExportStatus | undefined): DependencyReport {
  if (!status) return { name: 'tracing', state: 'off', critical: false };
  return {
    name: 'tracing',
    state: status.failing ? 'degraded' : 'up',
    critical: false,
    ...(status.failing && { message: 'the last export to the trace collector failed: its spans were dropped' }),
    last_error: status.last_error,
    last_run_at: status.last_exported_at,
  };
}

/** When a loop with this interval stops counting as alive. */
export function staleAfterMs(intervalMs: number): number {
  return Math.max(LOOP_STALE_INTERVALS * intervalMs, LOOP_STALE_FLOOR_MS);
}

/** A background loop's state from its last completed run: down once it is stale. */
export function loopReport(loop: LoopLiveness, now = Date.now()): DependencyReport {
  const report: DependencyReport = {
    name: loop.name,
    state: 'up',
    critical: true,
    last_error: isoFailure(loop.lastError),
    interval_ms: loop.intervalMs,
    last_run_at: new Date(loop.lastSucceededAt).toISOString(),
  };
  if (loop.intervalMs === undefined) return report;
  const age = now - loop.lastSucceededAt;
  if (age <= staleAfterMs(loop.intervalMs)) return report;
  return {
    ...report,
    state: 'down',
    message: `no completed run for ${Math.round(age / 1000)} s (runs every ${loop.intervalMs} ms)`,
  };
}

function isoFailure(failure?: LoopFailure): DependencyReport['last_error'] {
  return failure && { message: failure.message, at: new Date(failure.at).toISOString() };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Every dependency readiness depends on, with the last error each one gave: the database
 * (a query answers within READY_CHECK_TIMEOUT_MS), the migrations (all applied), the
 * scheduler's and settlement's loops (each completed a run recently), and the event
 * broker (never critical: while it is away, events wait in the outbox); and the trace
 * collector when tracing is on (never critical either).
 */
@Injectable()
export class DependencyProbes {
  private readonly lastErrors = new Map<string, { message: string; at: string }>();

  constructor(
    private readonly database: DatabaseProbe,
    private readonly broker: BrokerRelay,
    private readonly scheduler: SchedulerTicker,
    private readonly settlement: SettlementTicker,
  ) {}

  async check(): Promise<DependencyReport[]> {
    const [database, migrations] = await Promise.all([
      this.probe('database', () => this.database.ping()),
      this.probe('migrations', async () => {
        if (!(await this.database.migrationsApplied())) throw new Error('migrations are pending');
      }),
    ]);
    const now = Date.now();
    const loops = [...this.scheduler.liveness(), ...this.settlement.liveness()].map((l) => loopReport(l, now));
    const events: DependencyReport = {
      name: 'events',
      state: this.broker.state,
      critical: false,
      last_error: isoFailure(this.broker.lastError),
    };
    return [database, migrations, ...loops, events, tracingReport(tracingExportStatus())];
  }

  private async probe(name: string, attempt: () => Promise<void>): Promise<DependencyReport> {
    try {
      await withTimeout(attempt(), READY_CHECK_TIMEOUT_MS);
      return { name, state: 'up', critical: true, last_error: this.lastErrors.get(name) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const last_error = { message, at: new Date().toISOString() };
      this.lastErrors.set(name, last_error);
      return { name, state: 'down', critical: true, message, last_error };
    }
  }
}

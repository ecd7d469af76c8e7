import type { SettlementSink } from './settlement-sink';

/**
 * The health of the sink chain (primary → secondary → emergency). Healthy and Warning
 * deliver to the primary only (Warning: it has failed, fewer than N times in a row);
 * Degraded also delivers what the primary lacks to the secondary, Emergency to the
 * emergency sink; Recovering: the primary answers again and works through what it lacks.
 */
export const FAILOVER_STATES = ['healthy', 'warning', 'degraded', 'emergency', 'recovering'] as const;
export type FailoverState = (typeof FAILOVER_STATES)[number];

/**
 * What the health monitor saw: a delivery to the primary succeeded or failed, the fallback
 * in use failed, or the primary has nothing left to deliver (reconciliation complete).
 */
export type FailoverEvent = 'primary_ok' | 'primary_failed' | 'fallback_failed' | 'primary_caught_up';

export interface FailoverFacts {
  /** The primary's consecutive failures / successes, this attempt included. */
  primaryFailures: number;
  primarySuccesses: number;
  /** The fallback in use's consecutive failures, this attempt included. */
  fallbackFailures: number;
  /** N: consecutive failures that fail a sink over. */
  failThreshold: number;
  /** M: consecutive primary successes that end a recovery. */
  recoverThreshold: number;
  hasSecondary: boolean;
  hasEmergency: boolean;
}

type Guard = (f: FailoverFacts) => boolean;

interface Transition {
  from: FailoverState;
  on: FailoverEvent;
  when: Guard;
  to: FailoverState;
  reason: string;
}

const primaryDown: Guard = (f) => f.primaryFailures >= f.failThreshold;
const toSecondary: Guard = (f) => primaryDown(f) && f.hasSecondary;
const toEmergency: Guard = (f) => primaryDown(f) && !f.hasSecondary && f.hasEmergency;
const recovered: Guard = (f) => f.primarySuccesses >= f.recoverThreshold;
const always: Guard = () => true;

/**
 * THE transition table of the chain; the first row that matches wins, and an event no row
 * matches leaves the state as it is. Every move of the chain is one of these rows.
 */
export const FAILOVER_TRANSITIONS: readonly Transition[] = [
  { from: 'healthy', on: 'primary_failed', when: toSecondary, to: 'degraded', reason: 'primary failed N times' },
  {
    from: 'healthy',
    on: 'primary_failed',
    when: toEmergency,
    to: 'emergency',
    reason: 'primary failed N times, no secondary',
  },
  { from: 'healthy', on: 'primary_failed', when: always, to: 'warning', reason: 'primary failed' },

  { from: 'warning', on: 'primary_ok', when: always, to: 'healthy', reason: 'primary answered' },
  { from: 'warning', on: 'primary_failed', when: toSecondary, to: 'degraded', reason: 'primary failed N times' },
  {
    from: 'warning',
    on: 'primary_failed',
    when: toEmergency,
    to: 'emergency',
    reason: 'primary failed N times, no secondary',
  },

  {
    from: 'degraded',
    on: 'fallback_failed',
    when: (f) => f.fallbackFailures >= f.failThreshold && f.hasEmergency,
    to: 'emergency',
    reason: 'secondary failed N times',
  },
  { from: 'degraded', on: 'primary_ok', when: recovered, to: 'healthy', reason: 'primary answered M times' },
  { from: 'degraded', on: 'primary_ok', when: always, to: 'recovering', reason: 'primary answered' },

  { from: 'emergency', on: 'primary_ok', when: recovered, to: 'healthy', reason: 'primary answered M times' },
  { from: 'emergency', on: 'primary_ok', when: always, to: 'recovering', reason: 'primary answered' },

  { from: 'recovering', on: 'primary_ok', when: recovered, to: 'healthy', reason: 'primary answered M times' },
  { from: 'recovering', on: 'primary_caught_up', when: always, to: 'healthy', reason: 'primary holds every batch' },
  {
    from: 'recovering',
    on: 'primary_failed',
    when: (f) => f.hasSecondary,
    to: 'degraded',
    reason: 'primary failed while recovering',
  },
  {
    from: 'recovering',
    on: 'primary_failed',
    when: (f) => f.hasEmergency,
    to: 'emergency',
    reason: 'primary failed while recovering, no secondary',
  },
  {
    from: 'recovering',
    on: 'primary_failed',
    when: always,
    to: 'warning',
    reason: 'primary failed while recovering, no fallback',
  },
];

/** The state after `event`, with the reason of the row that moved it (null when it stays). */
export function nextFailoverState(
  from: FailoverState,
  event: FailoverEvent,
  facts: FailoverFacts,
): { to: FailoverState; reason: string | null } {
  const row = FAILOVER_TRANSITIONS.find((t) => t.from === from && t.on === event && t.when(facts));
  return row ? { to: row.to, reason: row.reason } : { to: from, reason: null };
}

export const SINK_TIERS = ['primary', 'secondary', 'emergency'] as const;
export type SinkTier = (typeof SINK_TIERS)[number];

/** The configured sinks in chain order; any tier may be missing (no primary: no chain). */
export class SinkChain {
  constructor(readonly sinks: ReadonlyArray<SettlementSink & { readonly tier: SinkTier }>) {}

  tier(tier: SinkTier): SettlementSink | undefined {
    return this.sinks.find((s) => s.tier === tier);
  }

  get primary(): SettlementSink | undefined {
    return this.tier('primary');
  }

  /** The sink a state delivers the primary's missing batches to, if any. */
  activeFallback(state: FailoverState): SettlementSink | undefined {
    if (state === 'degraded') return this.tier('secondary');
    if (state === 'emergency') return this.tier('emergency');
    return undefined;
  }

  tierOf(name: string): SinkTier | undefined {
    return this.sinks.find((s) => s.name === name)?.tier;
  }
}

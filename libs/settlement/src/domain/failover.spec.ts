import {
  FAILOVER_STATES,
  FAILOVER_TRANSITIONS,
  type FailoverEvent,
  type FailoverFacts,
  type FailoverState,
  nextFailoverState,
} from './failover';

const base: FailoverFacts = {
  primaryFailures: 0,
  primarySuccesses: 0,
  fallbackFailures: 0,
  failThreshold: 3,
  recoverThreshold: 2,
  hasSecondary: true,
  hasEmergency: true,
};
const to = (from: FailoverState, event: FailoverEvent, facts: Partial<FailoverFacts> = {}) =>
  nextFailoverState(from, event, { ...base, ...facts }).to;

describe('the sink chain transition table', () => {
  it('Healthy → Warning on a primary failure, → Degraded at N in a row, back to Healthy on a success', () => {
    expect(to('healthy', 'primary_failed', { primaryFailures: 1 })).toBe('warning');
    expect(to('warning', 'primary_failed', { primaryFailures: 2 })).toBe('warning');
    expect(to('warning', 'primary_failed', { primaryFailures: 3 })).toBe('degraded');
    expect(to('warning', 'primary_ok', { primarySuccesses: 1 })).toBe('healthy');
    // N = 1 fails over on the first failure.
    expect(to('healthy', 'primary_failed', { primaryFailures: 1, failThreshold: 1 })).toBe('degraded');
  });

  it('Degraded → Emergency when the secondary fails N times; stays Degraded with no emergency sink', () => {
    expect(to('degraded', 'fallback_failed', { fallbackFailures: 2 })).toBe('degraded');
    expect(to('degraded', 'fallback_failed', { fallbackFailures: 3 })).toBe('emergency');
    expect(to('degraded', 'fallback_failed', { fallbackFailures: 9, hasEmergency: false })).toBe('degraded');
    expect(to('degraded', 'primary_failed', { primaryFailures: 9 })).toBe('degraded');
    expect(to('emergency', 'fallback_failed', { fallbackFailures: 9 })).toBe('emergency');
  });

  it('with no secondary the primary fails over straight to the emergency sink; with no fallback it stays in Warning', () => {
    expect(to('warning', 'primary_failed', { primaryFailures: 3, hasSecondary: false })).toBe('emergency');
    expect(to('healthy', 'primary_failed', { primaryFailures: 1, failThreshold: 1, hasSecondary: false })).toBe(
      'emergency',
    );
    const none = { primaryFailures: 50, hasSecondary: false, hasEmergency: false };
    expect(to('warning', 'primary_failed', none)).toBe('warning');
  });

  it('Degraded or Emergency → Recovering on a primary success, → Healthy after M in a row or once caught up', () => {
    for (const from of ['degraded', 'emergency'] as const) {
      expect(to(from, 'primary_ok', { primarySuccesses: 1 })).toBe('recovering');
      expect(to(from, 'primary_ok', { primarySuccesses: 1, recoverThreshold: 1 })).toBe('healthy');
      expect(to(from, 'primary_caught_up')).toBe(from);
    }
    expect(to('recovering', 'primary_ok', { primarySuccesses: 1, recoverThreshold: 3 })).toBe('recovering');
    expect(to('recovering', 'primary_ok', { primarySuccesses: 2 })).toBe('healthy');
    expect(to('recovering', 'primary_caught_up')).toBe('healthy');
    expect(to('recovering', 'fallback_failed', { fallbackFailures: 9 })).toBe('recovering');
  });

  it('a primary failure while Recovering falls back again, to the first fallback there is', () => {
    expect(to('recovering', 'primary_failed', { primaryFailures: 1 })).toBe('degraded');
    expect(to('recovering', 'primary_failed', { primaryFailures: 1, hasSecondary: false })).toBe('emergency');
    expect(to('recovering', 'primary_failed', { primaryFailures: 1, hasSecondary: false, hasEmergency: false })).toBe(
      'warning',
    );
  });

  it('an event no row names leaves the state, with no reason', () => {
    expect(nextFailoverState('healthy', 'primary_ok', base)).toEqual({ to: 'healthy', reason: null });
    expect(nextFailoverState('healthy', 'fallback_failed', base)).toEqual({ to: 'healthy', reason: null });
    expect(nextFailoverState('healthy', 'primary_caught_up', base)).toEqual({ to: 'healthy', reason: null });
  });

  it('is one table over the five states: every state is left by some row and entered by some row', () => {
    for (const state of FAILOVER_STATES) {
      expect(FAILOVER_TRANSITIONS.some((t) => t.from === state)).toBe(true);
      expect(FAILOVER_TRANSITIONS.some((t) => t.to === state)).toBe(true);
    }
    // No row is a self-loop (a row that matches always moves the chain).
    expect(FAILOVER_TRANSITIONS.filter((t) => t.from === t.to)).toEqual([]);
  });

  it('never leaves a primary failing N times in a row without a fallback when one is configured', () => {
    // Any walk of events: once the primary has failed N times in a row, the chain is not Healthy, Warning or Recovering.
    const events: FailoverEvent[] = ['primary_ok', 'primary_failed', 'fallback_failed', 'primary_caught_up'];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let walk = 0; walk < 200; walk++) {
      let state: FailoverState = 'healthy';
      let failures = 0;
      let successes = 0;
      let fallback = 0;
      for (let i = 0; i < 40; i++) {
        const event = events[Math.floor(rand() * events.length)];
        if (event === 'primary_ok') [failures, successes] = [0, successes + 1];
        if (event === 'primary_failed') [failures, successes] = [failures + 1, 0];
        if (event === 'fallback_failed') fallback++;
        state = to(state, event, {
          primaryFailures: failures,
          primarySuccesses: successes,
          fallbackFailures: fallback,
        });
        if (failures >= base.failThreshold) expect(['degraded', 'emergency']).toContain(state);
      }
    }
  });
});

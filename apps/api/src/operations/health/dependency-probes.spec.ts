import { LOOP_STALE_FLOOR_MS, loopReport, staleAfterMs } from './dependency-probes';

describe('loopReport', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('is stale after 5 intervals, never sooner than the floor', () => {
    expect(staleAfterMs(250)).toBe(LOOP_STALE_FLOOR_MS);
    expect(staleAfterMs(10_000)).toBe(50_000);
  });

  it('is up within the bound and down past it, saying for how long', () => {
    const loop = { name: 'scheduler.sweep', intervalMs: 1_000 };
    expect(loopReport({ ...loop, lastSucceededAt: now - LOOP_STALE_FLOOR_MS }, now)).toMatchObject({
      state: 'up',
      critical: true,
      interval_ms: 1_000,
      last_run_at: new Date(now - LOOP_STALE_FLOOR_MS).toISOString(),
    });
    expect(loopReport({ ...loop, lastSucceededAt: now - 12_000 }, now)).toMatchObject({
      state: 'down',
      message: 'no completed run for 12 s (runs every 1000 ms)',
    });
  });

  it('never calls a loop without an interval (a cron) stale, and reports its last error', () => {
    const report = loopReport(
      { name: 'settlement.seal', lastSucceededAt: now - 86_400_000, lastError: { message: 'boom', at: now - 1_000 } },
      now,
    );
    expect(report).toMatchObject({
      state: 'up',
      last_error: { message: 'boom', at: new Date(now - 1_000).toISOString() },
    });
  });
});

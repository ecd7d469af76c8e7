import { Coalesced } from './coalesced';
import { LoopBackoff, loopLiveness } from './loop-backoff';

function recorder() {
  const lines: { level: string; message: string; fields: object }[] = [];
  const at = (level: string) => (fields: object, message: string) => lines.push({ level, message, fields });
  return { lines, logger: { error: at('error'), warn: at('warn'), log: at('log') } };
}

describe('LoopBackoff', () => {
  it('waits longer after each failure in a row, up to the maximum, and not at all after a success', () => {
    let now = 1_000;
    const { logger } = recorder();
    const backoff = new LoopBackoff('work', logger, { baseMs: 100, maxMs: 1000, now: () => now });
    expect(backoff.waiting).toBe(false);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      backoff.failed(new Error('down'));
      waits.push(backoff.delayMs);
    }
    expect(waits).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoff.waiting).toBe(true);
    now += 999;
    expect(backoff.waiting).toBe(true);
    now += 1;
    expect(backoff.waiting).toBe(false);
    backoff.failed(new Error('down'));
    backoff.succeeded();
    expect([backoff.waiting, backoff.delayMs, backoff.failuresInRow]).toEqual([false, 0, 0]);
    backoff.failed(new Error('down again'));
    expect(backoff.delayMs).toBe(100);
  });

  it('logs the first failure with its error, a reminder a minute while failures go on, and the recovery', () => {
    let now = 0;
    const { lines, logger } = recorder();
    const backoff = new LoopBackoff('relay poll', logger, { now: () => now, remindEveryMs: 60_000 });
    const cause = new Error('Connection terminated unexpectedly');
    for (let i = 0; i < 700; i++) {
      backoff.failed(cause);
      now += 100;
    }
    backoff.succeeded();
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['error', 'relay poll failed; retrying with backoff'],
      ['warn', 'relay poll still failing'],
      ['log', 'relay poll resumed after 700 failed attempts'],
    ]);
    expect(lines[0].fields).toEqual({ err: cause });
    expect(lines[1].fields).toMatchObject({ failures: 601, for_ms: 60_000 });
    expect(lines[2].fields).toEqual({ failures: 700, for_ms: 70_000 });
  });
});

describe('LoopBackoff liveness', () => {
  it('remembers the last success and the last failure (kept after a recovery)', () => {
    let now = 1_000;
    const backoff = new LoopBackoff('tick', recorder().logger, { now: () => now });
    expect(loopLiveness('tick', backoff, 500, 250)).toEqual({
      name: 'tick',
      intervalMs: 250,
      lastSucceededAt: 500, // its start, before a first run
      lastError: undefined,
    });
    backoff.succeeded();
    now = 2_000;
    backoff.failed(new Error('connection refused'));
    expect(loopLiveness('tick', backoff, 500)).toMatchObject({
      lastSucceededAt: 1_000,
      lastError: { message: 'connection refused', at: 2_000 },
    });
    now = 3_000;
    backoff.succeeded();
    expect(loopLiveness('tick', backoff, 500)).toMatchObject({
      lastSucceededAt: 3_000,
      lastError: { message: 'connection refused', at: 2_000 },
    });
  });
});

describe('Coalesced', () => {
  it('survives a failing run: it backs off, ignores calls meanwhile, then runs again and recovers', async () => {
    let now = 0;
    const { lines, logger } = recorder();
    const backoff = new LoopBackoff('tick', logger, { baseMs: 100, now: () => now });
    let calls = 0;
    let failing = true;
    const job = new Coalesced(
      async () => {
        calls++;
        if (failing) throw new Error('ECONNREFUSED');
      },
      () => false,
      backoff,
    );
    job.run();
    await job.idle();
    expect(calls).toBe(1);
    job.run(); // inside the backoff: ignored
    await job.idle();
    expect(calls).toBe(1);
    now += 100;
    failing = false;
    job.run();
    await job.idle();
    expect(calls).toBe(2);
    expect(backoff.failuresInRow).toBe(0);
    expect(lines.map((l) => l.level)).toEqual(['error', 'log']);
  });

  it('runs once more for calls made while it runs, never two at once', async () => {
    const { logger } = recorder();
    let running = 0;
    let most = 0;
    let calls = 0;
    let release!: () => void;
    const job = new Coalesced(
      async () => {
        calls++;
        most = Math.max(most, ++running);
        if (calls === 1) await new Promise<void>((r) => (release = r));
        running--;
      },
      () => false,
      new LoopBackoff('tick', logger),
    );
    job.run();
    job.run();
    job.run();
    release();
    await job.idle();
    expect([calls, most]).toEqual([2, 1]);
  });
});

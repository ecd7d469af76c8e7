import { randomUUID } from 'node:crypto';
import { ConsoleLogger, Logger } from '@nestjs/common';
import type { ProcessedEvents } from '@tally/database';
import { DomainError, ErrorCode, type TallyEnv } from '@tally/shared';
import { emaStep, type ScorecardUpdateEvent } from '../../domain';
import { ScorecardUpdatePublished } from '../../events/provers.events';
import type { ProverRepository, ProverRow } from '../../persistence/prover.repository';
import type { ScorecardRetryQueue } from '../../persistence/scorecard-retry.queue';
import { ScorecardPersistor } from './scorecard-persistor';

/** An in-memory prover row, with a hook to let "another replica" move it between attempts. */
function harness(opts: { maxRetries: number; interfere?: (row: { score: string; version: number }) => void }) {
  const row = { score: '50', version: 0, successes: 0, failures: 0 };
  const processed = new Set<string>();
  const attempts: { expectedVersion: number; score: string }[] = [];
  const queued: ScorecardUpdateEvent[] = [];
  const fakeProcessed = {
    // Like the real one: the record and the work commit together, so a throwing work records nothing.
    async once(_handler: string, event: { eventId: string }, work: () => Promise<void>) {
      if (processed.has(event.eventId)) return false;
      await work();
      processed.add(event.eventId);
      return true;
    },
  };
  const provers = {
    async find(): Promise<Partial<ProverRow>> {
      return { score_value: row.score, version: String(row.version), last_scored_at: null };
    },
    async applyScore(u: { expectedVersion: number; score: string; deltaSuccess: number; deltaFailure: number }) {
      attempts.push({ expectedVersion: u.expectedVersion, score: u.score });
      opts.interfere?.(row);
      if (u.expectedVersion !== row.version) return null;
      Object.assign(row, {
        score: u.score,
        version: row.version + 1,
        successes: row.successes + u.deltaSuccess,
        failures: row.failures + u.deltaFailure,
      });
      return row.version;
    },
    async recordScoreHistory() {},
  };
  const retries = {
    async enqueue(event: ScorecardUpdateEvent) {
      queued.push(event);
    },
  };
  const env = { SCORECARD_MAX_RETRIES: opts.maxRetries, SCORE_ALPHA: '0.1', SCORE_DECAY_HALF_LIFE_MS: 0 };
  const persistor = new ScorecardPersistor(
    fakeProcessed as unknown as ProcessedEvents,
    provers as unknown as ProverRepository,
    retries as unknown as ScorecardRetryQueue,
    env as TallyEnv,
  );
  return { persistor, row, processed, attempts, queued };
}

function event(patch: Partial<ScorecardUpdateEvent> = {}): ScorecardUpdatePublished {
  const eventId = randomUUID();
  return new ScorecardUpdatePublished(
    {
      prover_id: 'p1',
      delta_success: 1,
      delta_failure: 0,
      new_score_value: '55',
      expected_version: 0,
      event_id: eventId,
      emitted_at: '2025-01-01T00:00:00.000Z',
      ...patch,
    },
    eventId,
    new Date(),
  );
}

describe('ScorecardPersistor', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

  it('applies the event at its expected version with its new score', async () => {
    const h = harness({ maxRetries: 10 });
    expect(await h.persistor.apply(event())).toBe('applied');
    expect(h.row).toEqual({ score: '55', version: 1, successes: 1, failures: 0 });
    expect(h.attempts).toEqual([{ expectedVersion: 0, score: '55' }]);
  });

  it('on a conflict reloads, recomputes the EMA from the current state and retries', async () => {
    const h = harness({ maxRetries: 10 });
    Object.assign(h.row, { score: '45', version: 1 }); // someone applied a failure meanwhile
    expect(await h.persistor.apply(event())).toBe('applied');
    expect(h.attempts).toEqual([
      { expectedVersion: 0, score: '55' },
      { expectedVersion: 1, score: emaStep('45', 'success', '0.1') },
    ]);
    expect(h.row).toMatchObject({ score: '50.5', version: 2 });
  });

  it('gives up after SCORECARD_MAX_RETRIES: DSE-005, queued for redelivery, not marked processed', async () => {
    // Another replica bumps the version before every attempt: every one loses.
    const h = harness({ maxRetries: 3, interfere: (row) => void row.version++ });
    const e = event();
    const error = await h.persistor.apply(e).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(ErrorCode.VersionConflict);
    expect(h.attempts).toHaveLength(4); // the first try and 3 retries
    expect(h.queued.map((q) => q.event_id)).toEqual([e.eventId]);
    expect(h.processed.has(e.eventId)).toBe(false);
    expect(h.row.successes).toBe(0);
  });

  it('is idempotent by event_id', async () => {
    const h = harness({ maxRetries: 10 });
    const e = event();
    expect(await h.persistor.apply(e)).toBe('applied');
    expect(await h.persistor.apply(e)).toBe('duplicate');
    expect(h.row).toMatchObject({ version: 1, successes: 1 });
  });

  it('applies one prover’s concurrent events one at a time, each losing at most one race', async () => {
    const h = harness({ maxRetries: 1 });
    const results = await Promise.all(Array.from({ length: 20 }, () => h.persistor.apply(event())));
    expect(results.every((r) => r === 'applied')).toBe(true);
    expect(h.row).toMatchObject({ version: 20, successes: 20 });
    expect(h.attempts.length).toBeLessThanOrEqual(39);
  });

  it('rejects a malformed event', async () => {
    const h = harness({ maxRetries: 1 });
    for (const bad of [{ delta_success: -1 }, { new_score_value: '1e2' }, { emitted_at: 'yesterday' }]) {
      await expect(h.persistor.apply(event(bad))).rejects.toMatchObject({ code: ErrorCode.InvalidRequest });
    }
    expect(h.attempts).toEqual([]);
  });
});

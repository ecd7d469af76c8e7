import { Injectable, Logger } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { ProcessedEvents } from '@tally/database';
import { DomainError, ErrorCode, TallyEnv } from '@tally/shared';
import { nextScore, normalizeScore, ProverNotFoundError, type ScorecardUpdateEvent } from '../../domain';
import { ScorecardUpdatePublished } from '../../events/provers.events';
import { ProverRepository } from '../../persistence/prover.repository';
import { ScorecardRetryQueue } from '../../persistence/scorecard-retry.queue';

export const SCORECARD_PERSISTOR = 'provers.scorecard-persistor';

/** Thrown inside an attempt's transaction so it rolls back (with its processed-event record). */
class StaleVersion extends Error {}

export type ApplyOutcome = 'applied' | 'duplicate';

/**
 * Applies ScorecardUpdateEvents with optimistic locking: the UPDATE succeeds only while
 * the scorecard is at the event's expected_version. On a conflict it reloads the prover,
 * recomputes the EMA from the current state (decayed to the event's emitted_at) and
 * tries again, up to SCORECARD_MAX_RETRIES times; then DSE-005 is logged, the event is
 * queued for redelivery and the handler throws, leaving it unprocessed. Idempotent by
 * event_id: the processed-event record commits with the UPDATE.
 *
 * Within one process, events of one prover are applied one at a time (a burst of them
 * would otherwise race each other through every retry); the version check still guards
 * against other replicas and against emitters that read the same version.
 */
@Injectable()
@EventsHandler(ScorecardUpdatePublished)
export class ScorecardPersistor implements IEventHandler<ScorecardUpdatePublished> {
  private readonly logger = new Logger(ScorecardPersistor.name);
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly processed: ProcessedEvents,
    private readonly provers: ProverRepository,
    private readonly retries: ScorecardRetryQueue,
    private readonly env: TallyEnv,
  ) {}

  async handle(event: ScorecardUpdatePublished): Promise<void> {
    await this.apply(event);
  }

  async apply(event: ScorecardUpdatePublished): Promise<ApplyOutcome> {
    const u = checkEvent(event.payload);
    return this.oneAtATime(u.prover_id, () => this.applyChecked(event, u));
  }

  private async applyChecked(event: ScorecardUpdatePublished, u: ScorecardUpdateEvent): Promise<ApplyOutcome> {
    const scoredAt = new Date(u.emitted_at);
    let expected = u.expected_version;
    let score = normalizeScore(u.new_score_value);
    for (let retry = 0; ; retry++) {
      const outcome = await this.attempt(event, u, expected, score, scoredAt);
      if (outcome !== 'conflict') return outcome;
      if (retry >= this.env.SCORECARD_MAX_RETRIES) return this.giveUp(u, retry);
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** retry, 50)));
      const current = await this.provers.find(u.prover_id);
      if (!current) throw new ProverNotFoundError(u.prover_id);
      expected = Number(current.version);
      score = nextScore(
        { score: current.score_value, lastScoredAt: current.last_scored_at },
        { success: u.delta_success, failure: u.delta_failure },
        scoredAt,
        { alpha: this.env.SCORE_ALPHA, decayHalfLifeMs: this.env.SCORE_DECAY_HALF_LIFE_MS },
      );
    }
  }

  private async attempt(
    event: ScorecardUpdatePublished,
    u: ScorecardUpdateEvent,
    expectedVersion: number,
    score: string,
    scoredAt: Date,
  ): Promise<ApplyOutcome | 'conflict'> {
    try {
      const first = await this.processed.once(SCORECARD_PERSISTOR, event, async () => {
        const version = await this.provers.applyScore({
          proverId: u.prover_id,
          expectedVersion,
          score,
          deltaSuccess: u.delta_success,
          deltaFailure: u.delta_failure,
          scoredAt,
        });
        if (version === null) throw new StaleVersion();
        await this.provers.recordScoreHistory({
          proverId: u.prover_id,
          version,
          eventId: u.event_id,
          deltaSuccess: u.delta_success,
          deltaFailure: u.delta_failure,
          score,
          scoredAt,
        });
      });
      return first ? 'applied' : 'duplicate';
    } catch (error) {
      if (error instanceof StaleVersion) return 'conflict';
      throw error;
    }
  }

  /** Chains work per key: each runs after the previous one for the same key has settled. */
  private oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(work);
    const tail = run.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  private async giveUp(u: ScorecardUpdateEvent, retries: number): Promise<never> {
    const error = new DomainError(
      ErrorCode.VersionConflict,
      `scorecard of ${u.prover_id} kept changing: gave up after ${retries} retries`,
      { prover_id: u.prover_id, event_id: u.event_id, expected_version: u.expected_version },
    );
    this.logger.error({ code: error.code, ...error.details }, error.message);
    await this.retries.enqueue(u, `${error.code} ${error.message}`);
    throw error;
  }
}

/** Score events are internal, but a malformed one must fail loudly rather than write nonsense. */
function checkEvent(u: ScorecardUpdateEvent): ScorecardUpdateEvent {
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  const ok =
    typeof u?.prover_id === 'string' &&
    count(u.delta_success) &&
    count(u.delta_failure) &&
    count(u.expected_version) &&
    typeof u.new_score_value === 'string' &&
    /^\d{1,3}(\.\d{1,6})?$/.test(u.new_score_value) &&
    typeof u.event_id === 'string' &&
    typeof u.emitted_at === 'string' &&
    !Number.isNaN(Date.parse(u.emitted_at));
  if (!ok) throw new DomainError(ErrorCode.InvalidRequest, 'malformed ScorecardUpdateEvent', { event: u });
  return u;
}

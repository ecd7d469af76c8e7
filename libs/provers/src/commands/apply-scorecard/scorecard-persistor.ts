import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { IEventHandler } from '@nestjs/cqrs';
import { OutboxEventsHandler, pgErrorCode, ProcessedEvents } from '@tally/database';
import { DomainError, ErrorCode, GroupCommit, Settled, TallyEnv } from '@tally/shared';
import { applyScoreEvent, ProverNotFoundError, readScorecardUpdate, Scorecard, type ScoreUpdate } from '../../domain';
import { ScorecardUpdatePublished } from '../../events/provers.events';
import { ProverRepository, ScoreWrite } from '../../persistence/prover.repository';
import { ScorecardRetryQueue } from '../../persistence/scorecard-retry.queue';

export const SCORECARD_PERSISTOR = 'provers.scorecard-persistor';

export type ApplyOutcome = 'applied' | 'duplicate';

/** The write found a scorecard moved (another replica) or an event handled meanwhile. */
const STALE = new Set(['TL002', '23505']);

interface Pending {
  event: ScorecardUpdatePublished;
  u: ScoreUpdate;
  /** Lost races so far: a stale expected_version, or a write that found the scorecard moved. */
  retries: number;
}

/**
 * Applies ScorecardUpdateEvents with optimistic locking. The events that arrive together
 * are applied together: the scorecards are read, each event is applied in order to the
 * scorecard it meets (an event computed from an older version lost a race: its score is
 * recomputed from the current state, as it stood at emitted_at with any idle decay), and
 * one statement writes every scorecard `UPDATE … WHERE version = <the version read>` with the events' history
 * rows and processed-event records, all or nothing. If any scorecard moved meanwhile
 * (another replica), the batch is read and applied again. An event that loses more than
 * SCORECARD_MAX_RETRIES races gives up: DSE-005 is logged, the event is queued for
 * redelivery and its handler throws, leaving it unprocessed. Idempotent by event_id.
 */
@Injectable()
@OutboxEventsHandler(ScorecardUpdatePublished)
export class ScorecardPersistor implements IEventHandler<ScorecardUpdatePublished>, BeforeApplicationShutdown {
  private readonly logger = new Logger(ScorecardPersistor.name);
  private readonly batches = new GroupCommit<Pending, ApplyOutcome>((items) => this.applyAll(items));

  constructor(
    private readonly processed: ProcessedEvents,
    private readonly provers: ProverRepository,
    private readonly retries: ScorecardRetryQueue,
    private readonly env: TallyEnv,
  ) {}

  async handle(event: ScorecardUpdatePublished): Promise<void> {
    // SCORECARD_CONSUMER=broker: the broker feeds this persistor (ScorecardBrokerFeed), not the bus.
    if (this.env.SCORECARD_CONSUMER === 'broker') return;
    await this.apply(event);
  }

  apply(event: ScorecardUpdatePublished): Promise<ApplyOutcome> {
    try {
      return this.batches.submit({ event, u: checkEvent(event.payload), retries: 0 });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private async applyAll(items: Pending[]): Promise<Settled<ApplyOutcome>[]> {
    const results = new Map<Pending, Settled<ApplyOutcome>>();
    let open = items;
    let rounds = 0;
    while (open.length > 0) {
      const [cards, handled] = await Promise.all([
        this.provers.findMany([...new Set(open.map((p) => p.u.prover_id))]),
        this.processed.handled(
          SCORECARD_PERSISTOR,
          open.map((p) => p.event.eventId),
        ),
      ]);
      const state = new Map<string, Scorecard & { read: number }>();
      for (const [id, row] of cards) {
        const version = Number(row.version);
        state.set(id, { version, read: version, score: row.score_value, lastScoredAt: row.last_scored_at });
      }
      const writes: ScoreWrite[] = [];
      const written: Pending[] = [];
      const settings = {
        alpha: this.env.SCORE_ALPHA,
        decayHalfLifeMs: this.env.SCORE_DECAY_HALF_LIFE_MS,
        idleAfterMs: this.env.SCORE_IDLE_AFTER_MS,
      };
      for (const p of open) {
        const card = state.get(p.u.prover_id);
        if (handled.has(p.event.eventId)) {
          results.set(p, { value: 'duplicate' });
        } else if (!card) {
          results.set(p, { error: new ProverNotFoundError(p.u.prover_id) });
        } else {
          const next = applyScoreEvent(card, p.u, settings);
          if (next.recomputed && ++p.retries > this.env.SCORECARD_MAX_RETRIES) {
            results.set(p, { error: await this.giveUp(p) });
            continue;
          }
          Object.assign(card, next.card);
          handled.add(p.event.eventId); // the same event twice in a batch: the second is a duplicate
          written.push(p);
          writes.push({
            proverId: p.u.prover_id,
            eventId: p.event.eventId,
            readVersion: card.read,
            version: card.version,
            score: card.score,
            deltaSuccess: p.u.delta_success,
            deltaFailure: p.u.delta_failure,
            scoredAt: new Date(p.u.emitted_at),
          });
        }
      }
      try {
        if (writes.length > 0) await this.provers.applyScores(SCORECARD_PERSISTOR, writes);
        for (const p of written) results.set(p, { value: 'applied' });
        open = [];
      } catch (error) {
        if (!STALE.has(pgErrorCode(error) ?? '')) throw error;
        // A scorecard moved (or an event was handled) between the read and the write: read and
        // apply again; an event whose scorecard moved counts the lost race when it is recomputed.
        open = written;
        if (++rounds > this.env.SCORECARD_MAX_RETRIES) {
          for (const p of open) results.set(p, { error: await this.giveUp(p) });
          open = [];
        } else {
          await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** rounds, 50)));
        }
      }
    }
    return items.map((p) => results.get(p)!);
  }

  private async giveUp(p: Pending): Promise<DomainError> {
    const error = new DomainError(
      ErrorCode.VersionConflict,
      `scorecard of ${p.u.prover_id} kept changing: gave up after ${this.env.SCORECARD_MAX_RETRIES} retries`,
      { prover_id: p.u.prover_id, event_id: p.u.event_id, expected_version: p.u.expected_version },
    );
    this.logger.error({ code: error.code, ...error.details }, error.message);
    await this.retries.enqueue(p.event.payload, `${error.code} ${error.message}`);
    return error;
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.batches.idle();
  }
}

/** Score events are internal, but a malformed one must fail loudly rather than write nonsense. */
function checkEvent(payload: unknown): ScoreUpdate {
  const u = readScorecardUpdate(payload);
  if (!u) throw new DomainError(ErrorCode.InvalidRequest, 'malformed ScorecardUpdateEvent', { event: payload });
  return u;
}

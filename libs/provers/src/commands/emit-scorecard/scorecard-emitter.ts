import { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { IEventHandler } from '@nestjs/cqrs';
import { NewOutboxEvent, OutboxEventsHandler, ProcessedEvents, UnitOfWork } from '@tally/database';
import { Clock, GroupCommit, newId, Settled, TallyEnv } from '@tally/shared';
import { nextScore, SCORECARD_UPDATE, scorecardUpdateEvent, type ScoreUpdate } from '../../domain';
import { ProverJobCompleted, ProverJobFailed } from '../../events/provers.events';
import { ProverRepository } from '../../persistence/prover.repository';

export const SCORECARD_EMITTER = 'provers.scorecard-emitter';

type SettledJob = ProverJobCompleted | ProverJobFailed;

/**
 * Each replica's outcome in a settled job, true for a success, false for a failure, in
 * prover id order: only what a replica did itself counts. A completed job: its majority
 * succeeded, its dissenters (a result outside the majority, or a failed report) failed.
 * A failed job: the replicas it is charged to failed. A replica still running when the
 * others decided the job (it was called off) has no outcome, as on a cancel: a slow but
 * honest prover is not a failing one.
 */
export function outcomesOf(event: SettledJob): Map<string, boolean> {
  const outcomes = new Map<string, boolean>();
  if (event instanceof ProverJobCompleted) {
    const { provers = [], dissenters = [] } = event.payload;
    for (const prover of provers) outcomes.set(prover, true);
    for (const prover of dissenters) if (!outcomes.has(prover)) outcomes.set(prover, false);
  } else {
    const { prover_id: prover, assigned_provers, failed_provers } = event.payload;
    // Older events: every replica was charged; older still name one prover (a comma list would be a majority, not a culprit).
    const failed = failed_provers ?? assigned_provers ?? (prover && !prover.includes(',') ? [prover] : []);
    for (const p of failed) outcomes.set(p, false);
  }
  return new Map([...outcomes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Turns every settled outcome into a ScorecardUpdateEvent per prover, written to the
 * outbox (partitioned by prover_id) in one statement with the record that this job event
 * was handled, so a redelivered JobCompleted/JobFailed emits nothing twice. Job events
 * that arrive together are handled together; within such a batch a prover's score events
 * chain (each expects the version the previous one leads to), so the persistor applies
 * them without a conflict.
 */
@OutboxEventsHandler(ProverJobCompleted, ProverJobFailed)
export class ScorecardEmitter implements IEventHandler<SettledJob>, BeforeApplicationShutdown {
  private readonly logger = new Logger(ScorecardEmitter.name);
  private readonly batches = new GroupCommit<SettledJob, void>((events) => this.emitAll(events), {
    inline: () => this.uow.active,
  });

  constructor(
    private readonly uow: UnitOfWork,
    private readonly processed: ProcessedEvents,
    private readonly provers: ProverRepository,
    private readonly env: TallyEnv,
    private readonly clock: Clock,
  ) {}

  async handle(event: SettledJob): Promise<void> {
    if (outcomesOf(event).size === 0) return;
    await this.batches.submit(event);
  }

  private async emitAll(events: SettledJob[]): Promise<Settled<void>[]> {
    const outcomes = events.map(outcomesOf);
    const found = await this.provers.findMany([...new Set(outcomes.flatMap((o) => [...o.keys()]))]);
    const cards = new Map(
      [...found].map(([id, p]) => [
        id,
        { score: p.score_value, lastScoredAt: p.last_scored_at, version: Number(p.version) },
      ]),
    );
    const seen = new Set<string>();
    const items = events.map((event, i) => {
      const emits: NewOutboxEvent[] = [];
      if (seen.has(event.eventId)) return { eventId: event.eventId, emits }; // the same event twice in a batch
      seen.add(event.eventId);
      for (const [proverId, success] of outcomes[i]) {
        const card = cards.get(proverId);
        if (!card) {
          // Jobs can name provers that never registered (no scorecard to keep).
          this.logger.warn({ prover_id: proverId, network_job_id: event.payload.network_job_id }, 'no such prover');
          continue;
        }
        const emittedAt = this.clock.now();
        const delta = { success: success ? 1 : 0, failure: success ? 0 : 1 };
        const update: ScoreUpdate = {
          prover_id: proverId,
          delta_success: delta.success,
          delta_failure: delta.failure,
          new_score_value: nextScore(card, delta, emittedAt, {
            alpha: this.env.SCORE_ALPHA,
            decayHalfLifeMs: this.env.SCORE_DECAY_HALF_LIFE_MS,
            idleAfterMs: this.env.SCORE_IDLE_AFTER_MS,
          }),
          expected_version: card.version,
          event_id: newId(),
          emitted_at: emittedAt.toISOString(),
        };
        Object.assign(card, { score: update.new_score_value, lastScoredAt: emittedAt, version: card.version + 1 });
        emits.push({
          type: SCORECARD_UPDATE,
          partitionKey: proverId,
          payload: scorecardUpdateEvent(update),
          eventId: update.event_id,
        });
      }
      return { eventId: event.eventId, emits };
    });
    await this.processed.recordWithEvents(SCORECARD_EMITTER, items);
    return events.map(() => ({ value: undefined }));
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.batches.idle();
  }
}

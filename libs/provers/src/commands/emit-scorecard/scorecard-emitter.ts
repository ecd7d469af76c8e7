import { Logger } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { OutboxWriter, ProcessedEvents } from '@tally/database';
import { newId, TallyEnv } from '@tally/shared';
import { nextScore, SCORECARD_UPDATE, type ScorecardUpdateEvent } from '../../domain';
import { ProverJobCompleted, ProverJobFailed } from '../../events/provers.events';
import { ProverRepository } from '../../persistence/prover.repository';

export const SCORECARD_EMITTER = 'provers.scorecard-emitter';

/** Each prover's outcome in a settled job: true for a success, false for a failure. */
export function outcomesOf(event: ProverJobCompleted | ProverJobFailed): Map<string, boolean> {
  const outcomes = new Map<string, boolean>();
  if (event instanceof ProverJobCompleted) {
    for (const prover of event.payload.provers ?? []) outcomes.set(prover, true);
    for (const prover of event.payload.dissenters ?? []) if (!outcomes.has(prover)) outcomes.set(prover, false);
  } else {
    const prover = event.payload.prover_id;
    // A comma list names the majority of a replicated job, not one culprit.
    if (prover && !prover.includes(',')) outcomes.set(prover, false);
  }
  return outcomes;
}

/**
 * Turns every settled outcome into a ScorecardUpdateEvent per prover, written to the
 * outbox (partitioned by prover_id) in one transaction with the record that this job
 * event was handled, so a redelivered JobCompleted/JobFailed emits nothing twice.
 */
@EventsHandler(ProverJobCompleted, ProverJobFailed)
export class ScorecardEmitter implements IEventHandler<ProverJobCompleted | ProverJobFailed> {
  private readonly logger = new Logger(ScorecardEmitter.name);

  constructor(
    private readonly processed: ProcessedEvents,
    private readonly provers: ProverRepository,
    private readonly outbox: OutboxWriter,
    private readonly env: TallyEnv,
  ) {}

  async handle(event: ProverJobCompleted | ProverJobFailed): Promise<void> {
    const outcomes = outcomesOf(event);
    if (outcomes.size === 0) return;
    await this.processed.once(SCORECARD_EMITTER, event, async () => {
      for (const [proverId, success] of outcomes) {
        const prover = await this.provers.find(proverId);
        if (!prover) {
          // Jobs can name provers that never registered (no scorecard to keep).
          this.logger.warn({ prover_id: proverId, network_job_id: event.payload.network_job_id }, 'no such prover');
          continue;
        }
        const emittedAt = new Date();
        const delta = { success: success ? 1 : 0, failure: success ? 0 : 1 };
        const update: ScorecardUpdateEvent = {
          prover_id: proverId,
          delta_success: delta.success,
          delta_failure: delta.failure,
          new_score_value: nextScore(
            { score: prover.score_value, lastScoredAt: prover.last_scored_at },
            delta,
            emittedAt,
            { alpha: this.env.SCORE_ALPHA, decayHalfLifeMs: this.env.SCORE_DECAY_HALF_LIFE_MS },
          ),
          expected_version: Number(prover.version),
          event_id: newId(),
          emitted_at: emittedAt.toISOString(),
        };
        await this.outbox.append(SCORECARD_UPDATE, proverId, update, update.event_id);
      }
    });
  }
}

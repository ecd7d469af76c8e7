import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { BrokerConsumers } from '@tally/database';
import { TallyEnv } from '@tally/shared';
import type { ScorecardUpdateEvent } from '../../domain';
import { ScorecardUpdatePublished } from '../../events/provers.events';
import { ScorecardPersistor } from './scorecard-persistor';

/** The persistor's durable JetStream consumer: its name and the subjects it reads. */
export const SCORECARD_BROKER_SUBSCRIPTION = {
  durable: 'tally-scorecard-persistor',
  filter: ['scorecard', '>'],
  ordered: true,
};

/**
 * With SCORECARD_CONSUMER=broker, the persistor reads `scorecard.>` from a durable
 * JetStream consumer (one message at a time: in order per prover even across a nak, a
 * crash or several replicas; the same optimistic-lock retries) instead of
 * the in-process bus. Idempotent by event_id, like every delivery.
 */
@Injectable()
export class ScorecardBrokerFeed implements OnApplicationBootstrap {
  constructor(
    private readonly env: TallyEnv,
    private readonly consumers: BrokerConsumers,
    private readonly persistor: ScorecardPersistor,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.SCORECARD_CONSUMER !== 'broker') return;
    this.consumers.start({
      ...SCORECARD_BROKER_SUBSCRIPTION,
      handle: async (event) => {
        await this.persistor.apply(
          new ScorecardUpdatePublished(event.data as ScorecardUpdateEvent, event.event_id, new Date(event.occurred_at)),
        );
      },
    });
  }
}

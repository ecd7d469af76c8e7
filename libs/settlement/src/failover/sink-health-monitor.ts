import { Injectable, Logger } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { Clock, TallyEnv } from '@tally/shared';
import { type FailoverEvent, type FailoverState, nextFailoverState, SinkChain } from '../domain';
import { FailoverRepository } from '../persistence/failover.repository';

/**
 * Counts each delivery attempt against its sink and moves the chain by the transition
 * table, in one transaction that first locks the chain's row: replicas reporting at once
 * apply their attempts one after another, each on the state the previous one left.
 */
@Injectable()
export class SinkHealthMonitor {
  private readonly logger = new Logger(SinkHealthMonitor.name);

  constructor(
    private readonly uow: UnitOfWork,
    private readonly repo: FailoverRepository,
    private readonly chain: SinkChain,
    private readonly clock: Clock,
    private readonly env: TallyEnv,
  ) {}

  /** The chain's state as this moment's deliveries should route by. */
  async state(): Promise<FailoverState> {
    return (await this.repo.state()).state;
  }

  /** One attempt on `sink`; the chain's state after it. */
  attempted(sink: string, ok: boolean, error: string | null): Promise<FailoverState> {
    return this.uow.run(async () => {
      const current = await this.repo.state(true);
      const now = this.clock.now();
      const health = await this.repo.record(sink, ok, error, now);
      const tier = this.chain.tierOf(sink);
      let event: FailoverEvent | null = null;
      if (tier === 'primary') event = ok ? 'primary_ok' : 'primary_failed';
      else if (!ok && this.chain.activeFallback(current.state)?.name === sink) event = 'fallback_failed';
      if (!event) return current.state;
      const primary = tier === 'primary' ? health : await this.repo.health(this.chain.primary?.name ?? '');
      return this.apply(current.state, event, {
        primaryFailures: primary?.consecutive_failures ?? 0,
        primarySuccesses: primary?.consecutive_successes ?? 0,
        fallbackFailures: tier === 'primary' ? 0 : health.consecutive_failures,
      });
    });
  }

  /** The primary has nothing left to deliver: a recovery is complete. */
  caughtUp(): Promise<FailoverState> {
    return this.uow.run(async () => {
      const current = await this.repo.state(true);
      return this.apply(current.state, 'primary_caught_up', {
        primaryFailures: 0,
        primarySuccesses: 0,
        fallbackFailures: 0,
      });
    });
  }

  private async apply(
    from: FailoverState,
    event: FailoverEvent,
    counts: { primaryFailures: number; primarySuccesses: number; fallbackFailures: number },
  ): Promise<FailoverState> {
    const { to, reason } = nextFailoverState(from, event, {
      ...counts,
      failThreshold: this.env.SETTLEMENT_FAILOVER_FAILURES,
      recoverThreshold: this.env.SETTLEMENT_RECOVERY_SUCCESSES,
      hasSecondary: this.chain.tier('secondary') !== undefined,
      hasEmergency: this.chain.tier('emergency') !== undefined,
    });
    if (to === from || reason === null) return from;
    const fallback = to === 'degraded' || to === 'emergency';
    await this.repo.setState(to, reason, this.clock.now(), fallback);
    this.logger.warn({ from, to, event, reason }, 'settlement sink chain changed state');
    return to;
  }
}

import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Interval } from '@nestjs/schedule';
import { LoopBackoff, TallyEnv } from '@tally/shared';
import { ReleaseUnbondedCommand } from './release-unbonded.command';

/**
 * Releases unbondings whose time has come, every second, on replicas that run the scheduler's
 * timers (SCHEDULER_ENABLED; thin: the command does the work, once per unbonding however many
 * replicas sweep).
 */
@Injectable()
export class UnbondingSweep implements BeforeApplicationShutdown {
  private readonly logger = new Logger(UnbondingSweep.name);
  private readonly backoff = new LoopBackoff('unbonding sweep', this.logger);
  private running: Promise<number> = Promise.resolve(0);
  private stopping = false;

  constructor(
    private readonly commands: CommandBus,
    private readonly env: TallyEnv,
  ) {}

  @Interval(1000)
  sweep(): Promise<number> {
    // No new sweep once shutdown begins: the pool closes after this hook.
    if (!this.env.SCHEDULER_ENABLED || this.stopping || this.backoff.waiting) return Promise.resolve(0);
    this.running = this.commands.execute(new ReleaseUnbondedCommand()).then(
      (released) => {
        this.backoff.succeeded();
        return released;
      },
      (error: unknown) => {
        this.backoff.failed(error);
        return 0;
      },
    );
    return this.running;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.running;
  }
}

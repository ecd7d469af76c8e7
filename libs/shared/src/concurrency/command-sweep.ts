import { BeforeApplicationShutdown, Logger } from '@nestjs/common';
import { Command, CommandBus } from '@nestjs/cqrs';
import { Interval } from '@nestjs/schedule';
import { LoopBackoff } from './loop-backoff';

/**
 * A sweep that runs one command every second (hold expiry, unbonding, dispute windows): thin,
 * the command does the work, once per item however many replicas sweep. A tick is skipped
 * while `enabled` says no (a sweep of the scheduler's runs only where SCHEDULER_ENABLED),
 * while the loop backs off after failures (LoopBackoff), and once shutdown begins (the pool
 * closes after this hook, which waits for the tick in flight). A subclass names its sweep and
 * its command.
 */
export abstract class CommandSweep implements BeforeApplicationShutdown {
  private readonly backoff: LoopBackoff;
  private running: Promise<number> = Promise.resolve(0);
  private stopping = false;

  protected constructor(
    name: string,
    private readonly commands: CommandBus,
    private readonly command: () => Command<number>,
    private readonly enabled: () => boolean = () => true,
  ) {
    this.backoff = new LoopBackoff(name, new Logger(this.constructor.name));
  }

  /** One sweep; resolves to what it did (0 when skipped, or failed: the backoff logs a failure). */
  @Interval(1000)
  sweep(): Promise<number> {
    if (!this.enabled() || this.stopping || this.backoff.waiting) return Promise.resolve(0);
    this.running = this.commands.execute(this.command()).then(
      (done) => {
        this.backoff.succeeded();
        return done;
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

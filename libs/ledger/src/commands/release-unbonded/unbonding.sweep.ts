import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Interval } from '@nestjs/schedule';
import { SweepLoop, TallyEnv } from '@tally/shared';
import { ReleaseUnbondedCommand } from './release-unbonded.command';

/**
 * Releases unbondings whose time has come, every second, on replicas that run the scheduler's
 * timers (SCHEDULER_ENABLED; thin: the command does the work, once per unbonding however many
 * replicas sweep).
 */
@Injectable()
export class UnbondingSweep implements BeforeApplicationShutdown {
  private readonly loop = new SweepLoop('unbonding sweep', new Logger(UnbondingSweep.name), () =>
    this.commands.execute(new ReleaseUnbondedCommand()),
  );

  constructor(
    private readonly commands: CommandBus,
    private readonly env: TallyEnv,
  ) {}

  @Interval(1000)
  sweep(): Promise<number> {
    if (!this.env.SCHEDULER_ENABLED) return Promise.resolve(0);
    return this.loop.tick();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.loop.stop();
  }
}

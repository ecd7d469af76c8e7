import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { Interval } from '@nestjs/schedule';
import { SweepLoop, TallyEnv } from '@tally/shared';
import { CloseDisputeWindowsCommand } from './close-dispute-windows.command';

/**
 * Closes dispute windows that have run out, every second, on replicas that run the
 * scheduler's timers (SCHEDULER_ENABLED; thin: the command does the work, once per job
 * however many replicas sweep).
 */
@Injectable()
export class DisputeWindowSweep implements BeforeApplicationShutdown {
  private readonly loop = new SweepLoop('dispute window sweep', new Logger(DisputeWindowSweep.name), () =>
    this.commands.execute(new CloseDisputeWindowsCommand()),
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

import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CommandSweep, TallyEnv } from '@tally/shared';
import { CloseDisputeWindowsCommand } from './close-dispute-windows.command';

/**
 * Closes dispute windows that have run out, every second, on replicas that run the
 * scheduler's timers (SCHEDULER_ENABLED; thin: the command does the work, once per job
 * however many replicas sweep).
 */
@Injectable()
export class DisputeWindowSweep extends CommandSweep {
  constructor(commands: CommandBus, env: TallyEnv) {
    super(
      'dispute window sweep',
      commands,
      () => new CloseDisputeWindowsCommand(),
      () => env.SCHEDULER_ENABLED,
    );
  }
}

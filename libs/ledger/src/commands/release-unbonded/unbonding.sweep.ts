import { Injectable } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { CommandSweep, TallyEnv } from '@tally/shared';
import { ReleaseUnbondedCommand } from './release-unbonded.command';

/**
 * Releases unbondings whose time has come, every second, on replicas that run the scheduler's
 * timers (SCHEDULER_ENABLED; thin: the command does the work, once per unbonding however many
 * replicas sweep).
 */
@Injectable()
export class UnbondingSweep extends CommandSweep {
  constructor(commands: CommandBus, env: TallyEnv) {
    super(
      'unbonding sweep',
      commands,
      () => new ReleaseUnbondedCommand(),
      () => env.SCHEDULER_ENABLED,
    );
  }
}

import { Command } from '@nestjs/cqrs';
import type { ProverRow } from '../../persistence/prover.repository';

/** state → draining: the scheduler assigns it nothing new; what it holds finishes. */
export class DrainProverCommand extends Command<ProverRow> {
  constructor(readonly proverId: string) {
    super();
  }
}

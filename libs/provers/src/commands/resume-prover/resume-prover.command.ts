import { Command } from '@nestjs/cqrs';
import type { ProverRow } from '../../persistence/prover.repository';

/** Undoes a drain: draining → active (an offline prover stays offline, and is active once back). */
export class ResumeProverCommand extends Command<ProverRow> {
  constructor(readonly proverId: string) {
    super();
  }
}

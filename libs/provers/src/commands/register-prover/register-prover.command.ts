import { Command } from '@nestjs/cqrs';
import type { ProverRegistration, ProverRow } from '../../persistence/prover.repository';

/** Creates a prover and its provider ledger account, or replaces its profile (score kept). */
export class RegisterProverCommand extends Command<{ prover: ProverRow; created: boolean }> {
  constructor(readonly registration: ProverRegistration) {
    super();
  }
}

import { Command } from '@nestjs/cqrs';
import type { FailoverState } from '../../domain';

export interface ReconcileResult {
  success: boolean;
  state: FailoverState;
  batches_processed: number;
  batches_reconciled: number;
  batches_remaining: number;
  duration_ms: number;
  errors: string[];
}

/** Delivers to the primary, now and in batch order, what it lacks (what fallbacks took meanwhile). */
export class ReconcileFallbackCommand extends Command<ReconcileResult> {}

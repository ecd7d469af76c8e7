import { Command } from '@nestjs/cqrs';
import type { JobRow } from '@tally/jobs';

/**
 * The prover asks for work: the oldest job assigned to it starts (ASSIGNED → RUNNING)
 * and is returned; with `maxWaitMs` it waits that long for an assignment. Null: none.
 * The poll counts as a heartbeat.
 */
export class PollJobCommand extends Command<JobRow | null> {
  constructor(
    readonly proverId: string,
    readonly maxWaitMs = 0,
    /** Aborted when the caller goes away. */
    readonly signal?: AbortSignal,
    /** Whether the caller's key is still valid: checked after every wait, before acting for it. */
    readonly stillAuthenticated?: () => Promise<boolean>,
  ) {
    super();
  }
}

import { Command } from '@nestjs/cqrs';

/**
 * A start this prover does not have is given back: its poll started the replica but could
 * not hand it over (the caller went away before the answer was sent), or the prover's
 * heartbeat does not list it among the jobs it runs (the answer was lost on the way). The
 * replica goes back to ASSIGNED, for the prover's next poll, and so does the job unless
 * another of its replicas has started; no one is scored and nothing moves in the ledger.
 * True when something was given back (false: the job moved on meanwhile, e.g. it was
 * reported, cancelled or timed out, or the start is younger than `startedMoreThanMs`).
 */
export class ReleaseStartCommand extends Command<boolean> {
  constructor(
    readonly jobId: string,
    readonly proverId: string,
    /**
     * Only a start older than this (ms, by the database's clock): a heartbeat's give-back
     * leaves alone a start whose poll answer may still be on its way. Null: any start.
     */
    readonly startedMoreThanMs: number | null = null,
  ) {
    super();
  }
}

import { Command } from '@nestjs/cqrs';

/**
 * What a prover's heartbeat tells it to stop: its replicas called off (the job was
 * cancelled, failed, or decided without them) whose job settled after `since`, that it has
 * not been told about yet, and its replicas taken back since its last heartbeat (the job
 * was requeued; one given back to it since is not). Each is told once: the call records
 * it. Returns the job ids, sorted. Joins the caller's transaction.
 */
export class TakeReplicaNoticesCommand extends Command<string[]> {
  constructor(
    readonly proverId: string,
    /** A timestamptz, as the database wrote it (its full precision kept). */
    readonly since: string,
  ) {
    super();
  }
}

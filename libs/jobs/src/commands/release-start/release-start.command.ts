import { Command } from '@nestjs/cqrs';

/**
 * A poll started this prover's replica of the job but could not hand it over (the caller
 * went away before the answer was sent): the replica goes back to ASSIGNED, for the
 * prover's next poll, and so does the job unless another of its replicas has started.
 * True when something was given back (false: the job moved on meanwhile, e.g. it was
 * reported, cancelled or timed out).
 */
export class ReleaseStartCommand extends Command<boolean> {
  constructor(
    readonly jobId: string,
    readonly proverId: string,
  ) {
    super();
  }
}

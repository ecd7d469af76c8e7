/**
 * What background loops and group-commit writers tell the operations surface (metrics), as
 * a port: the libs call it, the app provides it (its Prometheus metrics), and a lib never
 * imports a metrics library. Injected @Optional(): without one, nothing is observed. Every
 * call is synchronous and cheap (an increment), on the loop's or the writer's own path.
 */
export abstract class OperationsObserver {
  /** A run of a background loop ended (`loop`: e.g. `scheduler.assign`), after `seconds`. */
  abstract loopRan(loop: string, seconds: number, ok: boolean): void;
  /** A group-commit `writer` started a batch of `size` items, whose oldest waited `waitedSeconds`. */
  abstract groupCommitted(writer: string, size: number, waitedSeconds: number): void;
  /** A job was assigned or settled (committed), `seconds` after it was submitted. */
  abstract jobLatency(stage: 'assigned' | 'settled', seconds: number): void;
  /** A transaction failed on a serialization failure or deadlock and is run again (`reason`). */
  abstract transactionRetried(reason: 'serialization' | 'deadlock'): void;
}

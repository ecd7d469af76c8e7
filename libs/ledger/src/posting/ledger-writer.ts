import { BeforeApplicationShutdown, Injectable, Optional } from '@nestjs/common';
import { OutboxWriter, pgErrorCode, UnitOfWork } from '@tally/database';
import { GroupCommit, OperationsObserver } from '@tally/shared';
import type { PostingRequest, PostingResult } from '../domain';
import { OptimisticPoster } from './optimistic-poster';
import { PostingEngine } from './posting-engine';

const MAX_BATCH = 256;
const MAX_IN_FLIGHT = 3;

/**
 * The only way postings reach the database (through the PostingEngine).
 *
 * Inside a unit of work (a job settling, say) a posting runs in that transaction, so the
 * job row and the ledger commit or roll back together. Outside one, concurrent requests
 * are grouped (GroupCommit): whatever arrived while the previous batch was in flight goes
 * in the next batch, one transaction and one commit for all of them. A hot account (every
 * spend credits the platform) is then locked once per batch instead of once per transfer,
 * and (OptimisticPoster) only within the one statement that writes the batch.
 */
@Injectable()
export class LedgerWriter implements BeforeApplicationShutdown {
  private readonly batches: GroupCommit<PostingRequest, PostingResult>;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly engine: PostingEngine,
    private readonly optimistic: OptimisticPoster,
    private readonly outbox: OutboxWriter,
    @Optional() observer?: OperationsObserver,
  ) {
    this.batches = new GroupCommit(async (requests) => (await this.write(requests)).map((value) => ({ value })), {
      maxBatch: MAX_BATCH,
      maxInFlight: MAX_IN_FLIGHT,
      // While a batch is in flight, the accounts it moves are unknown here: a batch that could
      // go the optimistic way waits for it (and grows meanwhile), rather than fail its guard.
      mayStartWhileBusy: (next) => !this.optimistic.canTry(next),
      onBatch: observer && ((size, waited) => observer.groupCommitted('ledger', size, waited)),
    });
  }

  /** Batches posted the optimistic way, and batches handed back to the locking way after a surprise. */
  get optimisticBatches(): { readonly written: number; readonly fellBack: number } {
    return this.optimistic.counts;
  }

  /** Posts one request; business failures come back as results, not exceptions. */
  post(request: PostingRequest): Promise<PostingResult> {
    if (this.uow.active) return this.postAll([request]).then((r) => r[0]);
    return this.batches.submit(request);
  }

  /** Several postings in the current transaction (all or nothing is the caller's to decide). */
  async postAll(requests: PostingRequest[]): Promise<PostingResult[]> {
    this.optimistic.forgetAll(); // this transaction moves accounts behind the optimistic batches' back
    const { results, events } = await this.engine.run(this.uow.tx, requests);
    this.outbox.written(events); // relayed when the caller's transaction commits
    return results;
  }

  /**
   * A caller's batch (a batch route's items, ids of its choosing), in one transaction: the
   * current one, or its own (retried whole on a serialization failure or deadlock).
   */
  postBatch(requests: PostingRequest[]): Promise<PostingResult[]> {
    return this.uow.run(async () => {
      this.optimistic.forgetAll();
      try {
        const { results, events } = await this.engine.run(this.uow.tx, requests, { callerChosenIds: true });
        this.outbox.written(events);
        return results;
      } catch (error) {
        // Another batch took one of these ids or keys meanwhile (free when looked up): the
        // transaction runs again, and then finds them taken (or replays them).
        const code = pgErrorCode(error);
        if ((code === '23505' && /transfers_pkey/.test((error as Error).message)) || code === 'TL001') {
          throw Object.assign(new Error('an id or key was taken by a concurrent batch'), { code: '40001' });
        }
        throw error;
      } finally {
        this.optimistic.forgetAll();
      }
    });
  }

  /** One batch: in one statement when the accounts' states are known; otherwise (or if they moved) locked. */
  private async write(requests: PostingRequest[]): Promise<PostingResult[]> {
    return (await this.optimistic.post(requests)) ?? (await this.postLocking(requests));
  }

  private async postLocking(requests: PostingRequest[]): Promise<PostingResult[]> {
    try {
      return await this.uow.run(() => this.postAll(requests));
    } finally {
      this.optimistic.forgetAll();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.batches.idle(); // queued postings finish before the pool closes
  }
}

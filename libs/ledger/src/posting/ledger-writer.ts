import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { DataSource } from 'typeorm';
import { OutboxWriter, retryOnConflict } from '@tally/database';
import type { PostingRequest, PostingResult } from '../domain';
import { OptimisticPoster } from './optimistic-poster';
import { PostingEngine } from './posting-engine';

interface Pending {
  request: PostingRequest;
  resolve: (r: PostingResult) => void;
  reject: (e: unknown) => void;
}

const MAX_BATCH = 256;
const MAX_IN_FLIGHT = 3;

/**
 * The only way postings reach the database (through the PostingEngine).
 *
 * Inside a unit of work (a job settling, say) a posting runs in that transaction, so the
 * job row and the ledger commit or roll back together. Outside one, concurrent requests
 * are grouped: whatever arrived while the previous batch was in flight goes in the next
 * batch, one transaction and one commit for all of them. A hot account (every spend
 * credits the platform) is then locked once per batch instead of once per transfer, and
 * (OptimisticPoster) only within the one statement that writes the batch.
 */
@Injectable()
export class LedgerWriter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LedgerWriter.name);
  private queue: Pending[] = [];
  private inFlight = 0;
  private lockingInFlight = 0;
  private optimisticInFlight = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly engine: PostingEngine,
    private readonly optimistic: OptimisticPoster,
    private readonly outbox: OutboxWriter,
  ) {}

  /** Batches posted the optimistic way, and batches handed back to the locking way after a surprise. */
  get optimisticBatches(): { readonly written: number; readonly fellBack: number } {
    return this.optimistic.counts;
  }

  /** Posts one request; business failures come back as results, not exceptions. */
  post(request: PostingRequest): Promise<PostingResult> {
    if (this.txHost.isTransactionActive()) return this.postAll([request]).then((r) => r[0]);
    return new Promise((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.drain();
    });
  }

  /** Several postings in the current transaction (all or nothing is the caller's to decide). */
  async postAll(requests: PostingRequest[]): Promise<PostingResult[]> {
    this.optimistic.forgetAll(); // this transaction moves accounts behind the optimistic batches' back
    const { results, events } = await this.engine.run(this.txHost.tx, requests);
    this.outbox.written(events); // relayed when the caller's transaction commits
    return results;
  }

  private drain(): void {
    while (this.queue.length > 0 && this.inFlight < MAX_IN_FLIGHT) {
      // While a batch posts the locking way, the accounts it moves are unknown here: a batch
      // that could go the optimistic way waits for it (and then grows), rather than fail.
      const optimistic = this.optimistic.canTry(this.queue.slice(0, MAX_BATCH).map((p) => p.request));
      if (optimistic && (this.lockingInFlight > 0 || this.optimisticInFlight > 0)) return;
      const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight++;
      if (optimistic) this.optimisticInFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        if (optimistic) this.optimisticInFlight--;
        this.drain();
      });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      const requests = batch.map((p) => p.request);
      // One statement when the accounts' states are known; otherwise (or if they moved) lock and post.
      const results = (await this.optimistic.post(requests)) ?? (await this.postLocking(requests));
      batch.forEach((p, i) => p.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1) return batch[0].reject(error);
      // One request must not fail its neighbours: retry each on its own.
      this.logger.warn(`batch of ${batch.length} failed (${String(error)}); posting one by one`);
      await Promise.all(batch.map((p) => this.flush([p])));
    }
  }

  private async postLocking(requests: PostingRequest[]): Promise<PostingResult[]> {
    this.lockingInFlight++;
    try {
      const { results, events } = await retryOnConflict(() =>
        this.dataSource.transaction((m) => this.engine.run(m, requests)),
      );
      this.outbox.written(events); // committed: to the relay at once
      return results;
    } finally {
      this.lockingInFlight--;
      this.optimistic.forgetAll();
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Let queued postings finish before the pool closes.
    while (this.queue.length > 0 || this.inFlight > 0) await new Promise((r) => setTimeout(r, 5));
  }
}

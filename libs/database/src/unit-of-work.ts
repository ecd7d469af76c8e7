import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { OperationsObserver } from '@tally/shared';
import { ClsService } from 'nestjs-cls';
import { TransactionHost } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import type { EntityManager } from 'typeorm';
import { CommittedEvents } from './outbox/committed-events';
import { prepared } from './prepared';

/** Postgres errors worth retrying as a whole transaction. */
const RETRYABLE = new Set(['40001', '40P01']); // serialization_failure, deadlock_detected

export function pgErrorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Runs `work` again after a serialization failure or deadlock, a bounded number of times,
 * with a short random backoff; any other error goes straight to the caller.
 */
export async function retryOnConflict<T>(
  work: () => Promise<T>,
  attempts = 5,
  onRetry?: (reason: 'serialization' | 'deadlock') => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const code = pgErrorCode(error) ?? '';
      if (attempt >= attempts || !RETRYABLE.has(code)) throw error;
      onRetry?.(code === '40P01' ? 'deadlock' : 'serialization');
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}

/**
 * Runs a function in one database transaction, shared by every repository that reads
 * `tx` meanwhile (through the CLS transaction host). A serialization failure or deadlock
 * retries the whole function a bounded number of times. Once it commits, the outbox rows
 * it wrote go to this process's relay (CommittedEvents).
 */
@Injectable()
export class UnitOfWork {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly cls: ClsService,
    private readonly committed: CommittedEvents,
    private readonly modules: ModuleRef,
  ) {}

  /** Looked up when first needed: the observer (metrics) depends on this class, so it cannot be injected. */
  private observer(): OperationsObserver | undefined {
    try {
      return this.modules.get(OperationsObserver, { strict: false });
    } catch {
      return undefined; // no observer in this application (the CLI)
    }
  }

  /** The entity manager of the current transaction, or the plain one outside any. */
  get tx(): EntityManager {
    return this.txHost.tx;
  }

  /** A fixed statement as a prepared one (see `prepared`), in the current transaction if any; its rows. */
  prepared<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
    return prepared<T>(this.txHost.tx, text, values);
  }

  /** Whether a transaction is open here (work then joins it). */
  get active(): boolean {
    return this.txHost.isTransactionActive();
  }

  /**
   * Runs `fn` once the current transaction commits (at once outside one), never if it rolls
   * back: for effects outside the database that must follow only what was committed (metrics).
   * `fn` must be synchronous, cheap and never throw.
   */
  afterCommit(fn: () => void): void {
    if (this.txHost.isTransactionActive()) this.committed.onCommit(this.txHost.tx, fn);
    else fn();
  }

  run<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
    // Inside a transaction the work joins it; a retry is the outer transaction's to make.
    if (this.txHost.isTransactionActive()) return work();
    const once = async () => {
      let tx: EntityManager | undefined;
      try {
        const result = await this.txHost.withTransaction(() => {
          tx = this.txHost.tx;
          return work();
        });
        if (tx) this.committed.committed(tx);
        return result;
      } finally {
        if (tx) this.committed.discard(tx);
      }
    };
    return retryOnConflict(
      () => (this.cls.isActive() ? once() : this.cls.run(once)),
      attempts,
      (reason) => this.observer()?.transactionRetried(reason),
    );
  }
}

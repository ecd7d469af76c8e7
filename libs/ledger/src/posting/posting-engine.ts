import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { OutboxRecord } from '@tally/database';
import type { PostingRequest, PostingResult } from '../domain';
import { dropUnused, lockState } from './account-locks';
import { fireBalanceAlerts } from './balance-alert-firing';
import { BatchWriter } from './batch-writer';
import { answerRepeatedKeys, claimIdempotencyKeys } from './idempotency-claims';

/**
 * Posts a batch the locking way, in the caller's transaction: claims its idempotency keys,
 * locks every hold and account it touches, decides each request in order against the
 * locked state by the ledger's rules (request n sees requests 1..n-1), and writes the whole
 * batch in one statement. The database has the last word: the accounts' CHECK constraints
 * on overdrafts, and a deferred trigger on every transfer's balance.
 */
@Injectable()
export class PostingEngine {
  /**
   * Also returns the outbox rows the batch wrote (leased to this process): the caller hands
   * them to the relay once they are committed (OutboxWriter.written).
   */
  async run(
    m: EntityManager,
    requests: PostingRequest[],
  ): Promise<{ results: PostingResult[]; events: OutboxRecord[] }> {
    const results: (PostingResult | undefined)[] = new Array(requests.length);
    const active = await claimIdempotencyKeys(m, requests, results);
    const state = await lockState(
      m,
      active.map((i) => requests[i]),
    );
    const batch = new BatchWriter();
    for (const i of active) results[i] = batch.post(requests[i], state);
    const { events } = await batch.write(m, state.accounts);
    events.push(...(await fireBalanceAlerts(m, batch, state.accounts)));
    // An account created for a credit that was then refused is not left behind.
    await dropUnused(m, state);
    answerRepeatedKeys(requests, results);
    return { results: results as PostingResult[], events };
  }
}

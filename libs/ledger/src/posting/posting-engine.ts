import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type OutboxRecord, prepared } from '@tally/database';
import {
  CHAIN_OPEN,
  firstRefusal,
  linkedFailure,
  rejection,
  runsOf,
  type PostingRequest,
  type PostingResult,
} from '../domain';
import { dropUnused, type LockedState, lockState } from './account-locks';
import { fireBalanceAlerts } from './balance-alert-firing';
import { BatchWriter } from './batch-writer';
import { answerRepeatedKeys, claimIdempotencyKeys } from './idempotency-claims';

export interface PostingOptions {
  /** The requests' ids were chosen by the caller (a batch's items): one already taken is refused. */
  callerChosenIds?: boolean;
}

/**
 * Posts a batch the locking way, in the caller's transaction: claims its idempotency keys,
 * locks every hold and account it touches, decides each request in order against the
 * locked state by the ledger's rules (request n sees requests 1..n-1; a linked chain whole
 * or not at all), and writes the whole batch in one statement. The database has the last
 * word: the accounts' CHECK constraints on overdrafts, and a deferred trigger on every
 * transfer's balance.
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
    options: PostingOptions = {},
  ): Promise<{ results: PostingResult[]; events: OutboxRecord[] }> {
    const results: (PostingResult | undefined)[] = new Array(requests.length);
    // A caller's batch inserts its keys with its write (one write per key, not a claim and an
    // update); a key taken meanwhile fails the write, and the transaction runs again.
    const active = await claimIdempotencyKeys(m, requests, results, !options.callerChosenIds);
    const taken = options.callerChosenIds
      ? await takenIds(
          m,
          active.map((i) => requests[i].id),
        )
      : new Set<string>();
    const state = await lockState(
      m,
      active.map((i) => requests[i]),
    );
    const imports = active.some((i) => requests[i].createdAt);
    if (imports) state.importedUntil = await lockImportWatermark(m);
    const batch = new BatchWriter();
    const isActive = new Set(active);
    for (const run of runsOf(requests)) decideRun(run.indexes, run.open);
    const keys = options.callerChosenIds ? 'insert' : 'claimed';
    const { events } = await batch.write(m, state.accounts, undefined, keys);
    events.push(...(await fireBalanceAlerts(m, batch, state.accounts)));
    if (imports) await saveImportWatermark(m, state);
    // An account created for a credit that was then refused is not left behind.
    await dropUnused(m, state);
    answerRepeatedKeys(requests, results);
    return { results: results as PostingResult[], events };

    function decideRun(indexes: number[], open: boolean): void {
      const mine = indexes.filter((i) => isActive.has(i));
      if (mine.length === 0) return;
      const refuse = (i: number, why: ReturnType<typeof rejection>) => (results[i] = batch.reject(requests[i], why));
      if (open) return mine.forEach((i) => refuse(i, CHAIN_OPEN));
      if (indexes.length === 1) {
        const r = requests[indexes[0]];
        if (taken.has(r.id)) refuse(indexes[0], idTaken(r.id));
        else results[indexes[0]] = batch.post(r, state);
        return;
      }
      // A chain: every member still to post is refused if a member was refused before (an id
      // reused with another item), or if deciding it would refuse one.
      const settled = indexes.find((i) => results[i]?.outcome === 'conflict');
      if (settled !== undefined) {
        const cause = rejection('id-already-used', 'the id was used before with another item');
        return mine.forEach((i) => refuse(i, linkedFailure(settled, cause)));
      }
      const usedId = mine.find((i) => taken.has(requests[i].id));
      const refusal =
        usedId !== undefined
          ? { at: mine.indexOf(usedId), rejection: idTaken(requests[usedId].id) }
          : firstRefusal(
              mine.map((i) => requests[i]),
              state,
            );
      if (!refusal) {
        for (const i of mine) results[i] = batch.post(requests[i], state);
        return;
      }
      const failed = mine[refusal.at];
      for (const i of mine) {
        refuse(i, i === failed ? refusal.rejection : linkedFailure(failed, refusal.rejection));
      }
    }
  }
}

const idTaken = (id: string) => rejection('id-already-used', `transfer ${id} already exists`);

/** The ids among `ids` that a transfer already has (a caller-chosen id must be new). */
async function takenIds(m: EntityManager, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await prepared<{ id: string }>(m, `SELECT id FROM transfers WHERE id = ANY($1::uuid[])`, [ids]);
  return new Set(rows.map((r) => r.id));
}

/** Imports are serialised on one row: the time of the last imported transfer. */
async function lockImportWatermark(m: EntityManager): Promise<Date | null> {
  const rows = await prepared<{ at: Date | null }>(
    m,
    `SELECT last_created_at AS at FROM ledger_import_watermark WHERE id = 1 FOR UPDATE`,
  );
  return rows[0]?.at ?? null;
}

async function saveImportWatermark(m: EntityManager, state: LockedState): Promise<void> {
  if (!state.importedUntil) return;
  await prepared(m, `UPDATE ledger_import_watermark SET last_created_at = $1 WHERE id = 1`, [
    state.importedUntil.toISOString(),
  ]);
}

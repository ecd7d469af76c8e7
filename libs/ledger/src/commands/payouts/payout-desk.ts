import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { type DomainError, newId } from '@tally/shared';
import {
  decidePayoutMove,
  type Idempotency,
  type Payout,
  payoutHold,
  PayoutNotFoundError,
  payoutResolution,
  type PayoutResolution,
  postingError,
} from '../../domain';
import { PayoutStore } from '../../persistence/payout-store';
import { LedgerWriter } from '../../posting/ledger-writer';

export interface PayoutOutcome {
  payout: Payout;
  /** Answered as the first time: the same Idempotency-Key, or the same confirm or fail again. */
  replayed: boolean;
}

/** A request's answer: its payout, or the ledger's refusal (replayed too, under the same key). */
export type PayoutRequestOutcome = PayoutOutcome | { error: DomainError; replayed: boolean };

/**
 * The payout use cases. Each runs in one transaction (the caller's, a control action's, if
 * one is open) with the ledger posting that moves its money, so the payout row and the
 * ledger commit or roll back together.
 */
@Injectable()
export class PayoutDesk {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly writer: LedgerWriter,
    private readonly store: PayoutStore,
  ) {}

  /**
   * Holds `amount` of the prover's available earnings toward the payout account, pending.
   * A refusal (DSE-008 when they are not available) is kept under the Idempotency-Key, as
   * any posting's is, and moves nothing; a replayed key answers with the payout it made.
   */
  request(proverId: string, amount: bigint, idempotency: Idempotency): Promise<PayoutRequestOutcome> {
    // A refusal is returned, not thrown, so the transaction commits it under its key.
    return this.uow.run(async (): Promise<PayoutRequestOutcome> => {
      const payoutId = newId();
      const [result] = await this.writer.postAll([{ ...payoutHold(newId(), proverId, payoutId, amount), idempotency }]);
      const replayed = result.outcome === 'replay';
      if (!('transfer' in result)) return { error: postingError(result), replayed };
      const holdId = result.transfer.hold_id!;
      if (replayed) return { payout: (await this.store.byHold(holdId))!, replayed };
      return { payout: await this.store.insert({ id: payoutId, proverId, amountMicros: amount, holdId }), replayed };
    });
  }

  /** Confirms (captures the hold into the payout account) or fails (voids it) a pending payout, once. */
  resolve(proverId: string, payoutId: string, resolution: PayoutResolution): Promise<PayoutOutcome> {
    return this.uow.run(async () => {
      const payout = await this.store.lock(proverId, payoutId);
      if (!payout) throw new PayoutNotFoundError(proverId, payoutId);
      if (decidePayoutMove(payout, resolution) === 'replay') return { payout, replayed: true };
      const [result] = await this.writer.postAll([payoutResolution(newId(), payout, resolution.move)]);
      if (!('transfer' in result)) throw postingError(result);
      const moved = await this.store.move(payout.id, resolution.move, resolution.note);
      return { payout: moved!, replayed: false };
    });
  }
}

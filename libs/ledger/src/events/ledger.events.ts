import { registerEventSubjects, registerExternalOutboxEvent } from '@tally/database';
import type { TransferKind } from '../domain';

/** The ledger's events, by name: each posting writes one to the outbox with its transfer. */
export const TRANSFER_POSTED = 'TransferPosted';
export const HOLD_PLACED = 'HoldPlaced';
export const HOLD_CAPTURED = 'HoldCaptured';
export const HOLD_VOIDED = 'HoldVoided';
export const HOLD_EXPIRED = 'HoldExpired';
/** A balance alert's threshold was crossed (written in the transaction that crossed it). */
export const BALANCE_ALERT_TRIGGERED = 'BalanceAlertTriggered';

/** The event a transfer of each kind is announced with. */
export const LEDGER_EVENT_OF_KIND: Record<TransferKind, string> = {
  hold: HOLD_PLACED,
  capture: HOLD_CAPTURED,
  void: HOLD_VOIDED,
  expire: HOLD_EXPIRED,
  mint: TRANSFER_POSTED,
  spend: TRANSFER_POSTED,
  reward: TRANSFER_POSTED,
  refund: TRANSFER_POSTED,
  transfer: TRANSFER_POSTED,
  stake: TRANSFER_POSTED,
  slash: TRANSFER_POSTED,
};

/**
 * The ledger's events are for readers of the outbox table (the broker relay, live streams,
 * the webhook follower): no in-process handler listens to them, so they are written
 * published (see registerExternalOutboxEvent).
 */
for (const type of [TRANSFER_POSTED, HOLD_PLACED, HOLD_CAPTURED, HOLD_VOIDED, HOLD_EXPIRED, BALANCE_ALERT_TRIGGERED]) {
  registerExternalOutboxEvent(type);
}

/** An account leg of a transfer's event (its `legs`). */
export interface TransferEventLeg {
  account_type: string;
  account_id: string;
  side: string;
  phase: string;
  amount: string;
}

/** Broker subjects (docs/events.md): one message per account leg, `ledger.transfer.<account_type>.<account_id>`. */
for (const type of new Set(Object.values(LEDGER_EVENT_OF_KIND))) {
  registerEventSubjects(type, (p) => {
    const legs = (p.legs as TransferEventLeg[] | undefined) ?? [];
    // One message per account, even when a transfer has two legs on it (a capture's release).
    const accounts = [...new Map(legs.map((l) => [`${l.account_type}/${l.account_id}`, l])).values()];
    return accounts.map((l) => ['ledger', 'transfer', l.account_type, l.account_id]);
  });
}

/** Broker subject of a balance alert: `ledger.alert.<account_type>.<account_id>`. */
registerEventSubjects(BALANCE_ALERT_TRIGGERED, (p) => [
  ['ledger', 'alert', String(p.account_type), String(p.account_id)],
]);

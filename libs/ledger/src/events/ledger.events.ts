import { OutboxEvent, registerOutboxEvent } from '@tally/database';

/** What `ledger_post` writes to the outbox with every posting (amounts in micros, as strings). */
export interface TransferEventPayload {
  transfer_id: string;
  seq: string;
  kind: string;
  amount: string;
  hold_id: string | null;
  job_id: string | null;
  prover_id: string | null;
}

export class TransferPostedEvent extends OutboxEvent<TransferEventPayload> {}
export class HoldPlacedEvent extends OutboxEvent<TransferEventPayload> {}
export class HoldCapturedEvent extends OutboxEvent<TransferEventPayload> {}
export class HoldVoidedEvent extends OutboxEvent<TransferEventPayload> {}
export class HoldExpiredEvent extends OutboxEvent<TransferEventPayload> {}

registerOutboxEvent('TransferPosted', TransferPostedEvent);
registerOutboxEvent('HoldPlaced', HoldPlacedEvent);
registerOutboxEvent('HoldCaptured', HoldCapturedEvent);
registerOutboxEvent('HoldVoided', HoldVoidedEvent);
registerOutboxEvent('HoldExpired', HoldExpiredEvent);

import { registerExternalOutboxEvent } from '@tally/database';

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

/**
 * The ledger's events are for external transports: nothing in Tally listens to them, so
 * they are written published (see registerExternalOutboxEvent).
 */
for (const type of ['TransferPosted', 'HoldPlaced', 'HoldCaptured', 'HoldVoided', 'HoldExpired']) {
  registerExternalOutboxEvent(type);
}

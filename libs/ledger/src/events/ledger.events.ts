import { registerExternalOutboxEvent } from '@tally/database';

/**
 * The ledger's events are for external transports: nothing in Tally listens to them, so
 * they are written published (see registerExternalOutboxEvent).
 */
for (const type of ['TransferPosted', 'HoldPlaced', 'HoldCaptured', 'HoldVoided', 'HoldExpired']) {
  registerExternalOutboxEvent(type);
}

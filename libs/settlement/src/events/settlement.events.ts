import { registerEventSubjects, registerExternalOutboxEvent } from '@tally/database';
import type { SealedBatch } from '@tally/receipts';

/** A settlement batch was sealed: its signed statement (batch_no, roots, horizon, signature). */
export const SETTLEMENT_BATCH_SEALED = 'SettlementBatchSealed';
export type SettlementBatchSealedPayload = SealedBatch;

/** For external transports only (nothing in Tally listens); broker subject `settlement.batch`. */
registerExternalOutboxEvent(SETTLEMENT_BATCH_SEALED);
registerEventSubjects(SETTLEMENT_BATCH_SEALED, () => [['settlement', 'batch']]);

import type { EntityManager } from 'typeorm';
import { LEASED_UNTIL, OutboxRecord, outboxPublishedAtSql, prepared, recordOf } from '@tally/database';
import { formatMicros } from '@tally/shared';
import { type AlertDirection, followAlert, refKey } from '../domain';
import { BALANCE_ALERT_TRIGGERED } from '../events/ledger.events';
import type { AccountState } from './account-locks';
import type { BatchWriter } from './batch-writer';

/**
 * Evaluates the balance alerts of the accounts a locked batch moved, in the batch's
 * transaction and under the accounts' locks (so racing postings see each other's result and
 * an alert fires once): each fired alert writes a BalanceAlertTriggered outbox row. Accounts
 * without alerts (`has_alerts` false, read with the lock) cost nothing here.
 */
export async function fireBalanceAlerts(
  m: EntityManager,
  batch: BatchWriter,
  accounts: Map<string, AccountState>,
): Promise<OutboxRecord[]> {
  const alerted = [...accounts.values()].filter((a) => a.touched && a.hasAlerts);
  if (alerted.length === 0) return [];
  const steps = batch.balanceSteps(new Set(alerted.map((a) => a.id)));
  const rows = await prepared<{
    id: string;
    account_id: string;
    direction: AlertDirection;
    threshold: string;
    armed: boolean;
  }>(
    m,
    `SELECT id, account_id::text, direction, threshold::text, armed FROM balance_alerts
     WHERE account_id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
    [alerted.map((a) => a.id)],
  );
  const changed: { id: string; armed: boolean; fired: number }[] = [];
  const events: { record: OutboxRecord; partitionKey: string }[] = [];
  for (const row of rows) {
    const account = accounts.get(row.account_id)!;
    const alert = { id: row.id, direction: row.direction, threshold: BigInt(row.threshold), armed: row.armed };
    const { armed, fired } = followAlert(alert, steps.get(row.account_id) ?? []);
    if (armed === alert.armed && fired.length === 0) continue;
    changed.push({ id: alert.id, armed, fired: fired.length });
    for (const step of fired) {
      const payload = {
        alert_id: alert.id,
        account_type: account.kind,
        account_id: account.owner,
        direction: alert.direction,
        threshold: formatMicros(alert.threshold),
        available: formatMicros(step.available),
        transfer_id: step.transferId,
      };
      const partitionKey = refKey(account.kind, account.owner);
      events.push({ record: recordOf({ type: BALANCE_ALERT_TRIGGERED, partitionKey, payload }), partitionKey });
    }
  }
  if (changed.length === 0) return [];
  await prepared(
    m,
    `WITH up AS (
       UPDATE balance_alerts b SET armed = u.armed, fired_count = b.fired_count + u.n,
              last_fired_at = CASE WHEN u.n > 0 THEN now() ELSE b.last_fired_at END
       FROM unnest($1::uuid[], $2::boolean[], $3::int[]) AS u(id, armed, n) WHERE b.id = u.id RETURNING 1),
     ob AS (
       INSERT INTO outbox (event_id, event_type, partition_key, payload, next_attempt_at, published_at)
       SELECT u.id, u.ty, u.pk, u.pl, ${LEASED_UNTIL}, ${outboxPublishedAtSql('u.ty')}
       FROM unnest($4::uuid[], $5::varchar[], $6::varchar[], $7::jsonb[]) AS u(id, ty, pk, pl) RETURNING 1)
     SELECT (SELECT count(*) FROM up) + (SELECT count(*) FROM ob) AS written`,
    [
      changed.map((c) => c.id),
      changed.map((c) => c.armed),
      changed.map((c) => c.fired),
      events.map((e) => e.record.event_id),
      events.map((e) => e.record.event_type),
      events.map((e) => e.partitionKey),
      events.map((e) => JSON.stringify(e.record.payload)),
    ],
  );
  return events.map((e) => e.record);
}

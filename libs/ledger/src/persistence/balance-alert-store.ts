import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { InvalidRequestError, newId, NotFoundError } from '@tally/shared';
import {
  AccountNotFoundError,
  type AccountRef,
  type AlertDirection,
  armedAtCreation,
  balanceOf,
  MAX_ALERTS_PER_ACCOUNT,
} from '../domain';

export interface BalanceAlertRow {
  id: string;
  direction: AlertDirection;
  threshold: bigint;
  armed: boolean;
  firedCount: number;
  lastFiredAt: Date | null;
  createdAt: Date;
}

interface RawAlert {
  id: string;
  direction: AlertDirection;
  threshold: string;
  armed: boolean;
  fired_count: number;
  last_fired_at: Date | null;
  created_at: Date;
}

const ALERT_COLUMNS = `id, direction, threshold::text, armed, fired_count, last_fired_at, created_at`;
const toAlert = (r: RawAlert): BalanceAlertRow => ({
  id: r.id,
  direction: r.direction,
  threshold: BigInt(r.threshold),
  armed: r.armed,
  firedCount: r.fired_count,
  lastFiredAt: r.last_fired_at,
  createdAt: r.created_at,
});

/**
 * An account's balance alerts. Adding or removing one locks the account's row (as a posting
 * does), so an alert is armed from the balance no posting is moving at that moment, and
 * `accounts.has_alerts` (read by postings under the same lock) always says whether it has any.
 */
@Injectable()
export class BalanceAlertStore {
  constructor(private readonly uow: UnitOfWork) {}

  add(ref: AccountRef, thresholds: { direction: AlertDirection; threshold: bigint }[]): Promise<BalanceAlertRow[]> {
    return this.uow.run(async () => {
      const [account] = await this.uow.prepared<{
        id: string;
        posted_debits: string;
        posted_credits: string;
        pending_debits: string;
        pending_credits: string;
        alerts: number;
      }>(
        `UPDATE accounts a SET has_alerts = true WHERE kind = $1 AND owner_id = $2 AND currency = 'CREDIT'
         RETURNING id::text, posted_debits::text, posted_credits::text, pending_debits::text, pending_credits::text,
                   (SELECT count(*)::int FROM balance_alerts b WHERE b.account_id = a.id) AS alerts`,
        [ref.kind, ref.owner],
      );
      if (!account) throw new AccountNotFoundError(ref.kind, ref.owner);
      if (account.alerts + thresholds.length > MAX_ALERTS_PER_ACCOUNT) {
        throw new InvalidRequestError(`an account has at most ${MAX_ALERTS_PER_ACCOUNT} balance alerts`);
      }
      const { available } = balanceOf({
        postedDebits: BigInt(account.posted_debits),
        postedCredits: BigInt(account.posted_credits),
        pendingDebits: BigInt(account.pending_debits),
        pendingCredits: BigInt(account.pending_credits),
      });
      const rows = await this.uow.prepared<RawAlert>(
        `INSERT INTO balance_alerts (id, account_id, direction, threshold, armed)
         SELECT u.id, $1, u.direction, u.threshold, u.armed
         FROM unnest($2::uuid[], $3::varchar[], $4::bigint[], $5::boolean[]) WITH ORDINALITY AS u(id, direction, threshold, armed, i)
         ORDER BY u.i
         RETURNING ${ALERT_COLUMNS}`,
        [
          account.id,
          thresholds.map(() => newId()),
          thresholds.map((t) => t.direction),
          thresholds.map((t) => t.threshold.toString()),
          thresholds.map((t) => armedAtCreation(t.direction, t.threshold, available)),
        ],
      );
      return rows.map(toAlert);
    });
  }

  async list(ref: AccountRef): Promise<BalanceAlertRow[]> {
    const rows = await this.uow.prepared<RawAlert>(
      `SELECT ${ALERT_COLUMNS} FROM balance_alerts
       WHERE account_id = (SELECT id FROM accounts WHERE kind = $1 AND owner_id = $2 AND currency = 'CREDIT')
       ORDER BY created_at, id`,
      [ref.kind, ref.owner],
    );
    return rows.map(toAlert);
  }

  remove(ref: AccountRef, alertId: string): Promise<void> {
    return this.uow.run(async () => {
      const [removed] = await this.uow.prepared<{ id: string }>(
        `WITH acc AS (SELECT id FROM accounts WHERE kind = $1 AND owner_id = $2 AND currency = 'CREDIT' FOR NO KEY UPDATE)
         DELETE FROM balance_alerts WHERE id = $3 AND account_id = (SELECT id FROM acc) RETURNING account_id::text AS id`,
        [ref.kind, ref.owner, alertId],
      );
      if (!removed) throw new NotFoundError(`no balance alert ${alertId} on ${ref.kind}/${ref.owner}`);
      await this.uow.prepared(
        `UPDATE accounts a SET has_alerts = EXISTS (SELECT 1 FROM balance_alerts b WHERE b.account_id = a.id)
         WHERE a.id = $1`,
        [removed.id],
      );
    });
  }
}

import { randomUUID } from 'node:crypto';
import type { TestApp } from './test-app';

/** One-line builders for ledger tests: keys, funded accounts, balances. */
export class LedgerCtx {
  constructor(readonly t: TestApp) {}

  admin = (): Record<string, string> => ({ Authorization: `Bearer ${this.t.adminKey}` });

  async newKey(role: 'admin' | 'client' | 'prover', subject: string): Promise<Record<string, string>> {
    const res = await this.t.http().post('/v1/admin/keys').set(this.admin()).send({ role, subject }).expect(201);
    return { Authorization: `Bearer ${res.body.key}` };
  }

  /** A fresh user name, so tests never collide. */
  name(prefix = 'u'): string {
    return `${prefix}-${randomUUID().slice(0, 8)}`;
  }

  async mint(accountType: string, accountId: string, amount: string) {
    return this.t
      .http()
      .post('/v1/credits/mint')
      .set(this.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ account_type: accountType, account_id: accountId, amount })
      .expect(201);
  }

  /** POST /v1/credits/transfers/batch, as an admin unless `auth` names another key: the request, to await or expect on. */
  batch(items: unknown[], auth: Record<string, string> = this.admin()) {
    return this.t.http().post('/v1/credits/transfers/batch').set(auth).send({ items });
  }

  async balance(
    accountType: string,
    accountId: string,
  ): Promise<{ posted: string; pending: string; available: string; incoming: string }> {
    const res = await this.t
      .http()
      .get(`/v1/credits/accounts/${accountType}/${accountId}`)
      .set(this.admin())
      .expect(200);
    return res.body.balance;
  }

  /** An account's posted balance in micros. */
  async postedMicros(accountType: string, accountId: string): Promise<bigint> {
    return microsOf((await this.balance(accountType, accountId)).posted);
  }

  /** Sum of every account's posted and pending balance, straight from the database (in micros). */
  async totals(): Promise<{ posted: string; pending: string }> {
    const [row] = await this.t.dataSource.query(
      `SELECT COALESCE(sum(posted_credits - posted_debits), 0)::text AS posted,
              COALESCE(sum(pending_credits - pending_debits), 0)::text AS pending FROM accounts`,
    );
    return row;
  }

  async transferCount(): Promise<number> {
    const [row] = await this.t.dataSource.query(`SELECT count(*)::int AS n FROM transfers`);
    return row.n;
  }
}

/** An API amount ("-12.5") as micros, for exact arithmetic in assertions. */
export function microsOf(amount: string): bigint {
  const [w, f = ''] = amount.replace('-', '').split('.');
  const v = BigInt(w) * 1_000_000n + BigInt(f.padEnd(6, '0'));
  return amount.startsWith('-') ? -v : v;
}

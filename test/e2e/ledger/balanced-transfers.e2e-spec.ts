import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { startTestApp, TestApp } from '../../support/test-app';

/**
 * The database's own last word on double entry: whatever writes to `entries` directly, a
 * transfer whose debits and credits differ (per currency and phase) does not commit.
 */
describe('balanced transfers, in the database', () => {
  let t: TestApp;
  let platform: string;
  let issuance: string;
  beforeAll(async () => {
    t = await startTestApp();
    const rows: { id: string; kind: string }[] = await t.dataSource.query(
      `SELECT id::text, kind FROM accounts WHERE kind IN ('platform', 'issuance')`,
    );
    platform = rows.find((r) => r.kind === 'platform')!.id;
    issuance = rows.find((r) => r.kind === 'issuance')!.id;
  });
  afterAll(() => t.close());

  type Leg = { account: string; side: 'D' | 'C'; amount: number; phase?: string; leg: number };
  const insert = (m: EntityManager, transfer: string, legs: Leg[]) =>
    m.query(
      `INSERT INTO entries (transfer_id, transfer_seq, leg, account_id, side, phase, amount, posted_debits_after,
                            posted_credits_after, pending_debits_after, pending_credits_after, version_after, hash)
       SELECT $1, 0, u.leg, u.account, u.side, u.phase, u.amount, 0, 0, 0, 0, 0, '\\x00'
       FROM unnest($2::smallint[], $3::bigint[], $4::char[], $5::varchar[], $6::bigint[])
            AS u(leg, account, side, phase, amount)`,
      [
        transfer,
        legs.map((l) => l.leg),
        legs.map((l) => l.account),
        legs.map((l) => l.side),
        legs.map((l) => l.phase ?? 'posted'),
        legs.map((l) => l.amount),
      ],
    );
  const entriesOf = async (transfer: string) =>
    (await t.dataSource.query(`SELECT count(*)::int AS n FROM entries WHERE transfer_id = $1`, [transfer]))[0].n;
  /** Writes each group of legs with its own statement, in one transaction. */
  const write = (transfer: string, ...statements: Leg[][]) =>
    t.dataSource.transaction(async (m) => {
      for (const legs of statements) await insert(m, transfer, legs);
    });

  it('refuses an unbalanced transfer at commit, and writes none of it', async () => {
    const transfer = randomUUID();
    await expect(
      write(transfer, [
        { leg: 0, account: issuance, side: 'D', amount: 5 },
        { leg: 1, account: platform, side: 'C', amount: 4 },
      ]),
    ).rejects.toThrow(`transfer ${transfer} does not balance: its CREDIT posted debits minus its credits are 1`);
    expect(await entriesOf(transfer)).toBe(0);
  });

  it('accepts a balanced transfer, even written in several statements', async () => {
    const transfer = randomUUID();
    await write(
      transfer,
      [{ leg: 0, account: issuance, side: 'D', amount: 5 }],
      [
        { leg: 1, account: platform, side: 'C', amount: 2 },
        { leg: 2, account: platform, side: 'C', amount: 3 },
      ],
    );
    expect(await entriesOf(transfer)).toBe(3);
  });

  it('balances per phase: a pending debit does not balance a posted credit', async () => {
    const transfer = randomUUID();
    await expect(
      write(transfer, [
        { leg: 0, account: issuance, side: 'D', amount: 5, phase: 'pending' },
        { leg: 1, account: platform, side: 'C', amount: 5 },
      ]),
    ).rejects.toThrow('does not balance');
    expect(await entriesOf(transfer)).toBe(0);
  });

  it('balances per currency', async () => {
    const [other] = await t.dataSource.query(
      `INSERT INTO accounts (kind, owner_id, currency) VALUES ('user', $1, 'OTHER') RETURNING id::text`,
      [`other-${randomUUID().slice(0, 8)}`],
    );
    const transfer = randomUUID();
    await expect(
      write(transfer, [
        { leg: 0, account: issuance, side: 'D', amount: 5 },
        { leg: 1, account: other.id, side: 'C', amount: 5 },
      ]),
    ).rejects.toThrow('does not balance');
    expect(await entriesOf(transfer)).toBe(0);
  });
});

import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { SealedBatch } from '@tally/receipts';
import { UnitOfWork } from '@tally/database';
import { ISSUANCE, LedgerVerifier, LedgerWriter, simpleLegs, userAccount } from '@tally/ledger';
import { SettlementVerifier } from '@tally/settlement';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/**
 * On a Postgres server the slow transaction runs beside the seal. Embedded PGlite has one
 * connection, so there a seal asked for meanwhile waits behind the slow transaction; the
 * tests check the same outcome: nothing in flight is skipped.
 */
const server = Boolean(process.env.DATABASE_URL);

describe('settlement horizon', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp({ SETTLEMENT_ENABLED: 'false' });
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  const seal = () => t.http().post('/v1/settlement/batches').set(ctx.admin());
  const batchOf = async (transferId: string): Promise<number | null> => {
    const rows = await t.dataSource.query(
      `SELECT batch_no::int AS n FROM settlement_batch_transfers WHERE transfer_id = $1`,
      [transferId],
    );
    return rows[0]?.n ?? null;
  };

  /** A transfer between two funded users: it locks neither issuance nor the slow transaction's accounts. */
  const move = async () => {
    const [a, b] = [ctx.name('a'), ctx.name('b')];
    await ctx.mint('user', a, '5');
    return async () =>
      (
        await t
          .http()
          .post('/v1/credits/transfer')
          .set(ctx.admin())
          .set('Idempotency-Key', randomUUID())
          .send({
            from: { account_type: 'user', account_id: a },
            to: { account_type: 'user', account_id: b },
            amount: '2',
          })
          .expect(201)
      ).body.transfer_id as string;
  };

  /** A posting through the app's own path (a unit of work and the LedgerWriter, as jobs settle), held open. */
  const slowPosting = (id: string, account: string, end: Promise<void>) => {
    let written!: (seq: string) => void;
    const seq = new Promise<string>((r) => (written = r));
    const done = t.app.get(UnitOfWork).run(async () => {
      const result = await t.app.get(LedgerWriter).post({
        id,
        kind: 'mint',
        legs: simpleLegs(ISSUANCE, userAccount(account), 3_000_000n),
      });
      expect(result.outcome).toBe('posted');
      written('transfer' in result ? result.transfer.seq : '');
      await end;
    });
    return { seq, done };
  };

  it('a slow transaction holding a low sequence number is not skipped by a seal running meanwhile', async () => {
    if (!server) {
      const early = (await ctx.mint('user', ctx.name('early'), '1')).body.transfer_id as string;
      let release!: () => void;
      const slowId = randomUUID();
      const slow = slowPosting(slowId, ctx.name('slow'), new Promise<void>((r) => (release = r)));
      await slow.seq;
      const sealing = seal().then((r) => r);
      await new Promise((r) => setTimeout(r, 200));
      release();
      await slow.done;
      const batch: SealedBatch = (await sealing).body.batch;
      expect(await batchOf(early)).toBe(batch.batch_no);
      expect(await batchOf(slowId)).toBe(batch.batch_no);
      expect((await t.app.get(SettlementVerifier).verify()).problems).toEqual([]);
      return;
    }
    const early = (await ctx.mint('user', ctx.name('early'), '1')).body.transfer_id as string;
    const lateMove = await move();

    // The app's own path (a unit of work posting through the LedgerWriter, as jobs settle),
    // held open after its transfer is written: its seq is taken, its commit is not.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let written!: (seq: string) => void;
    const slowWritten = new Promise<string>((r) => (written = r));
    const slowId = randomUUID();
    const slow = t.app.get(UnitOfWork).run(async () => {
      const result = await t.app.get(LedgerWriter).post({
        id: slowId,
        kind: 'mint',
        legs: simpleLegs(ISSUANCE, userAccount(ctx.name('slow')), 3_000_000n),
      });
      expect(result.outcome).toBe('posted');
      written('transfer' in result ? result.transfer.seq : '');
      await gate;
    });
    const slowSeq = await slowWritten;

    // Committed after the slow one started, with a higher seq.
    const late = await lateMove();
    const [{ seq: lateSeq }] = await t.dataSource.query(`SELECT seq::text FROM transfers WHERE id = $1`, [late]);
    expect(BigInt(slowSeq)).toBeLessThan(BigInt(lateSeq));

    const first: SealedBatch = (await seal().expect(201)).body.batch;
    expect(await batchOf(early)).toBe(first.batch_no);
    expect(await batchOf(slowId)).toBeNull();
    // Everything from the slow transaction on waits behind it, however it commits.
    expect(await batchOf(late)).toBeNull();
    expect(BigInt(first.last_seq)).toBeLessThan(BigInt(slowSeq));
    await seal().expect(200);

    release();
    await slow;
    const second: SealedBatch = (await seal().expect(201)).body.batch;
    expect(second.batch_no).toBe(first.batch_no + 1);
    expect(await batchOf(slowId)).toBe(second.batch_no);
    expect(await batchOf(late)).toBe(second.batch_no);
    expect(second.first_seq).toBe(slowSeq);

    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM transfers`);
    const [{ b }] = await t.dataSource.query(`SELECT count(*)::int AS b FROM settlement_batch_transfers`);
    expect(b).toBe(n);
    expect((await t.app.get(SettlementVerifier).verify()).problems).toEqual([]);
    expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);
  });

  it('a slow transaction that rolls back leaves no hole: later transfers seal once it is gone', async () => {
    if (!server) {
      let abort!: () => void;
      const goneId = randomUUID();
      const slow = slowPosting(
        goneId,
        ctx.name('gone'),
        new Promise<void>((_, reject) => (abort = () => reject(new Error('roll back')))),
      );
      await slow.seq;
      const sealing = seal().then((r) => r);
      await new Promise((r) => setTimeout(r, 200));
      abort();
      await expect(slow.done).rejects.toThrow('roll back');
      expect([200, 201]).toContain((await sealing).status);
      const after = (await ctx.mint('user', ctx.name('after'), '1')).body.transfer_id as string;
      const batch: SealedBatch = (await seal().expect(201)).body.batch;
      expect(await batchOf(after)).toBe(batch.batch_no);
      expect(await batchOf(goneId)).toBeNull();
      expect((await t.app.get(SettlementVerifier).verify()).problems).toEqual([]);
      return;
    }
    const afterMove = await move();
    await seal();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let written!: () => void;
    const slowWritten = new Promise<void>((r) => (written = r));
    const slow = t.app
      .get(UnitOfWork)
      .run(async () => {
        await t.app.get(LedgerWriter).post({
          id: randomUUID(),
          kind: 'mint',
          legs: simpleLegs(ISSUANCE, userAccount(ctx.name('gone')), 1_000_000n),
        });
        written();
        await gate;
        throw new Error('roll back');
      })
      .catch((e: Error) => e.message);
    await slowWritten;
    const after = await afterMove();
    await seal().expect(200);
    release();
    expect(await slow).toBe('roll back');
    const batch: SealedBatch = (await seal().expect(201)).body.batch;
    expect(await batchOf(after)).toBe(batch.batch_no);
    expect((await t.app.get(SettlementVerifier).verify()).problems).toEqual([]);
  });

  it("another database's open transaction does not hold this database's horizon back", async () => {
    // Transaction ids are cluster-wide: a transaction in another database is in every snapshot's in-flight list.
    const other = server ? new Client({ connectionString: process.env.DATABASE_URL }) : null;
    if (other) {
      await other.connect();
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()');
    }
    try {
      const id = (await ctx.mint('user', ctx.name('now'), '1')).body.transfer_id as string;
      const batch: SealedBatch = (await seal().expect(201)).body.batch;
      expect(await batchOf(id)).toBe(batch.batch_no);
    } finally {
      await other?.query('ROLLBACK');
      await other?.end();
    }
  });

  it('seals racing postings on the hot accounts: no errors, every transfer in exactly one batch', async () => {
    const users = Array.from({ length: 8 }, () => ctx.name('hot'));
    for (const u of users) await ctx.mint('user', u, '100');
    const keys = await Promise.all(users.map((u) => ctx.newKey('client', u)));
    const spends = Array.from({ length: 120 }, (_, i) =>
      t
        .http()
        .post('/v1/credits/spend')
        .set(keys[i % keys.length])
        .set('Idempotency-Key', randomUUID())
        .send({ amount: '0.5' })
        .then((r) => r.status),
    );
    const seals = Array.from({ length: 6 }, () => seal().then((r) => r.status));
    const statuses = await Promise.all(spends);
    expect(statuses.every((s) => s === 201)).toBe(true);
    expect((await Promise.all(seals)).every((s) => s === 200 || s === 201)).toBe(true);
    await seal();
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM transfers`);
    const [{ b, d }] = await t.dataSource.query(
      `SELECT count(*)::int AS b, count(DISTINCT transfer_id)::int AS d FROM settlement_batch_transfers`,
    );
    expect([b, d]).toEqual([n, n]);
    expect((await t.app.get(SettlementVerifier).verify()).problems).toEqual([]);
  });
});

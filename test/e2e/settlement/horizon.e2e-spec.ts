import { randomUUID } from 'node:crypto';
import type { SealedBatch } from '@tally/receipts';
import { UnitOfWork } from '@tally/database';
import { ISSUANCE, LedgerVerifier, LedgerWriter, simpleLegs, userAccount } from '@tally/ledger';
import { SettlementVerifier } from '@tally/settlement';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

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

  it('a slow transaction holding a low sequence number is not skipped by a seal running meanwhile', async () => {
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
});

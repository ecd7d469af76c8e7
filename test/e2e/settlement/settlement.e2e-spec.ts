import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import {
  type AccountProof,
  SigningKeyring,
  type SealedBatch,
  type TransferProof,
  verifyAccountProof,
  verifyBatch,
  verifyBatchLink,
  verifyTransferProof,
} from '@tally/receipts';
import { SettlementVerifier } from '@tally/settlement';
import { Clock } from '@tally/shared';
import { LedgerVerifier } from '@tally/ledger';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);

describe('settlement batches', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  beforeAll(async () => {
    t = await startTestApp({ SETTLEMENT_ENABLED: 'false' });
    ctx = new LedgerCtx(t);
  });
  afterAll(() => t.close());

  const seal = () => t.http().post('/v1/settlement/batches').set(ctx.admin());
  const keys = () => t.app.get(SigningKeyring).publicKeys();
  const transfer = (from: string, to: string, amount: string) =>
    t
      .http()
      .post('/v1/credits/transfer')
      .set(ctx.admin())
      .set('Idempotency-Key', randomUUID())
      .send({ from: { account_type: 'user', account_id: from }, to: { account_type: 'user', account_id: to }, amount });

  it('random transfers and accounts: every inclusion proof verifies against the signed roots, the sum root is the supply', async () => {
    const users = Array.from({ length: 7 }, () => ctx.name('s'));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ to: fc.nat(6), micros: fc.integer({ min: 1, max: 5_000_000 }) }), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.record({ from: fc.nat(6), to: fc.nat(6), micros: fc.integer({ min: 1, max: 100_000 }) }), {
          maxLength: 8,
        }),
        async (mints, moves) => {
          for (const m of mints) await ctx.mint('user', users[m.to], (m.micros / 1e6).toFixed(6));
          for (const m of moves) {
            if (m.from === m.to) continue;
            await transfer(users[m.from], users[m.to], (m.micros / 1e6).toFixed(6)).expect((r) =>
              expect([201, 402, 404]).toContain(r.status),
            );
          }
          const res = await seal().expect(201);
          const batch: SealedBatch = res.body.batch;
          expect(verifyBatch(batch, await keys())).toEqual({ valid: true });

          const ids: { id: string }[] = await t.dataSource.query(
            `SELECT transfer_id::text AS id FROM settlement_batch_transfers WHERE batch_no = $1`,
            [batch.batch_no],
          );
          expect(ids).toHaveLength(batch.transfer_count);
          for (const { id } of ids) {
            const proof: TransferProof = (
              await t
                .http()
                .get(`/v1/settlement/batches/${batch.batch_no}/proofs/transfers/${id}`)
                .set(ctx.admin())
                .expect(200)
            ).body;
            expect(verifyTransferProof(batch, proof)).toEqual({ valid: true });
            const leg = { ...proof.transfer.legs[0], amount: String(BigInt(proof.transfer.legs[0].amount) + 1n) };
            const altered = { ...proof, transfer: { ...proof.transfer, legs: [leg, ...proof.transfer.legs.slice(1)] } };
            expect(verifyTransferProof(batch, altered).valid).toBe(false);
            if (proof.siblings.length > 0) {
              const siblings = [flip(proof.siblings[0]), ...proof.siblings.slice(1)];
              expect(verifyTransferProof(batch, { ...proof, siblings })).toMatchObject({ valid: false });
            }
            expect(verifyTransferProof({ ...batch, transfers_root: flip(batch.transfers_root) }, proof).valid).toBe(
              false,
            );
          }

          const accounts: { kind: string; owner_id: string; posted: string }[] = await t.dataSource.query(
            `SELECT kind, owner_id, (posted_credits - posted_debits)::text AS posted FROM accounts
             WHERE kind <> 'issuance' AND EXISTS (SELECT 1 FROM entries e WHERE e.account_id = accounts.id)`,
          );
          expect(accounts).toHaveLength(batch.account_count);
          let sum = 0n;
          for (const a of accounts) {
            const proof: AccountProof = (
              await t
                .http()
                .get(`/v1/settlement/batches/${batch.batch_no}/proofs/accounts/${a.kind}/${a.owner_id}`)
                .set(ctx.admin())
                .expect(200)
            ).body;
            // Nothing posts while the test seals, so the balance after the batch is the current one.
            expect(proof.balance).toBe(a.posted);
            sum += BigInt(proof.balance);
            expect(verifyAccountProof(batch, proof)).toEqual({ valid: true });
            expect(verifyAccountProof(batch, { ...proof, balance: String(BigInt(proof.balance) + 1n) }).valid).toBe(
              false,
            );
            if (proof.siblings.length > 0) {
              const s0 = proof.siblings[0];
              const bumped = [{ ...s0, sum: String(BigInt(s0.sum) + 1n) }, ...proof.siblings.slice(1)];
              expect(verifyAccountProof(batch, { ...proof, siblings: bumped }).valid).toBe(false);
              const rehashed = [{ ...s0, hash: flip(s0.hash) }, ...proof.siblings.slice(1)];
              expect(verifyAccountProof(batch, { ...proof, siblings: rehashed }).valid).toBe(false);
            }
          }
          const [issuance] = await t.dataSource.query(
            `SELECT (posted_debits - posted_credits)::text AS supply FROM accounts WHERE kind = 'issuance'`,
          );
          expect(batch.total_supply).toBe(issuance.supply);
          expect(sum.toString()).toBe(batch.total_supply);
        },
      ),
      { numRuns: 4 },
    );

    // The chain links, and the whole of it recomputes from the journal.
    const list = (await t.http().get('/v1/settlement/batches?limit=500').expect(200)).body.items as SealedBatch[];
    list.forEach((b, i) => expect(verifyBatchLink(b, i === 0 ? null : list[i - 1])).toEqual({ valid: true }));
    expect((await t.app.get(SettlementVerifier).verify()).problems).toEqual([]);
    expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);
  });

  it('a batch, its signature or its key altered fails verification with a reason', async () => {
    await ctx.mint('user', ctx.name(), '1');
    const batch: SealedBatch = (await seal().expect(201)).body.batch;
    const published = await keys();
    expect(verifyBatch({ ...batch, total_supply: String(BigInt(batch.total_supply) + 1n) }, published)).toEqual({
      valid: false,
      reason: 'batch_hash does not match the statement',
    });
    expect(verifyBatch({ ...batch, signature: flip(batch.signature) }, published)).toEqual({
      valid: false,
      reason: 'the signature does not verify',
    });
    expect(verifyBatch(batch, [])).toMatchObject({ valid: false, reason: expect.stringMatching(/unknown key/) });
    const other = published.map((k) => ({ ...k, public_key: flip(k.public_key) }));
    expect(verifyBatch(batch, other).valid).toBe(false);
  });

  it('answers 200 with sealed: false when nothing new committed, and the batch stays unchanged', async () => {
    await ctx.mint('user', ctx.name(), '2');
    const batch: SealedBatch = (await seal().expect(201)).body.batch;
    const res = await seal().expect(200);
    expect(res.body).toEqual({ sealed: false, detail: expect.any(String) });
    expect((await t.http().get(`/v1/settlement/batches/${batch.batch_no}`).expect(200)).body).toEqual(batch);
  });

  it('routes: public batches with keyset pages, 404s as problem+json, proofs for admins and owners only', async () => {
    const alice = ctx.name('alice');
    const bob = ctx.name('bob');
    await ctx.mint('user', alice, '10');
    await ctx.mint('user', bob, '10');
    const moved = (await transfer(alice, bob, '1').expect(201)).body.transfer_id as string;
    const batch: SealedBatch = (await seal().expect(201)).body.batch;
    const n = batch.batch_no;

    expect((await t.http().get(`/v1/settlement/batches/${n}`).expect(200)).body).toEqual(batch);
    const page1 = (await t.http().get('/v1/settlement/batches?limit=2').expect(200)).body;
    expect(page1.items.map((b: SealedBatch) => b.batch_no)).toEqual([1, 2]);
    const page2 = (await t.http().get(`/v1/settlement/batches?limit=2&cursor=${page1.next_cursor}`).expect(200)).body;
    expect(page2.items[0].batch_no).toBe(3);
    await t.http().get('/v1/settlement/batches?cursor=nonsense').expect(400);
    await t.http().get('/v1/settlement/batches?limit=0').expect(400);

    const missing = await t
      .http()
      .get(`/v1/settlement/batches/${n + 100}`)
      .expect(404);
    expect(missing.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(missing.body.code).toBe('DSE-015');
    await t.http().get('/v1/settlement/batches/zero').expect(400);
    const notIn = await t.http().get(`/v1/settlement/batches/1/proofs/transfers/${moved}`).set(ctx.admin()).expect(404);
    expect(notIn.body.detail).toMatch(/is not in batch 1/);
    await t.http().get(`/v1/settlement/batches/${n}/proofs/transfers/${randomUUID()}`).set(ctx.admin()).expect(404);
    await t.http().get(`/v1/settlement/batches/${n}/proofs/transfers/not-a-uuid`).set(ctx.admin()).expect(400);
    const noAccount = await t
      .http()
      .get(`/v1/settlement/batches/${n}/proofs/accounts/user/nobody-here`)
      .set(ctx.admin());
    expect(noAccount.status).toBe(404);
    expect(noAccount.body.code).toBe('DSE-011');
    await t.http().get(`/v1/settlement/batches/${n}/proofs/accounts/issuance/main`).set(ctx.admin()).expect(404);

    const aliceKey = await ctx.newKey('client', alice);
    const carolKey = await ctx.newKey('client', ctx.name('carol'));
    await t.http().get(`/v1/settlement/batches/${n}/proofs/accounts/user/${alice}`).expect(401);
    const own = await t
      .http()
      .get(`/v1/settlement/batches/${n}/proofs/accounts/user/${alice}`)
      .set(aliceKey)
      .expect(200);
    expect(own.body.balance).toBe('9000000');
    expect(verifyAccountProof(batch, own.body)).toEqual({ valid: true });
    await t.http().get(`/v1/settlement/batches/${n}/proofs/accounts/user/${bob}`).set(aliceKey).expect(403);
    await t.http().get(`/v1/settlement/batches/${n}/proofs/transfers/${moved}`).set(aliceKey).expect(200);
    await t.http().get(`/v1/settlement/batches/${n}/proofs/transfers/${moved}`).set(carolKey).expect(403);
    await t.http().post('/v1/settlement/batches').set(aliceKey).expect(403);
    await t.http().get('/v1/settlement/status').set(aliceKey).expect(403);
    const status = (await t.http().get('/v1/settlement/status').set(ctx.admin()).expect(200)).body;
    expect(status).toMatchObject({ enabled: false, pending_count: 0, sinks: [], last_batch: { batch_no: n } });
  });

  it("stamps a batch with the server's Clock, signed as stamped", async () => {
    await ctx.mint('user', ctx.name('k'), '1');
    const at = new Date('2031-05-06T07:08:09.123Z');
    const clock = jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(at));
    let batch: SealedBatch;
    try {
      batch = (await seal().expect(201)).body.batch;
    } finally {
      clock.mockRestore();
    }
    expect(batch.created_at).toBe(at.toISOString());
    expect(verifyBatch(batch, await keys())).toEqual({ valid: true });
    expect((await t.http().get(`/v1/settlement/batches/${batch.batch_no}`).expect(200)).body).toEqual(batch);
  });

  it('concurrent seals while transfers post: gapless batch numbers, no transfer twice, none missing', async () => {
    const users = Array.from({ length: 4 }, () => ctx.name('c'));
    const before = (await t.http().get('/v1/settlement/batches?limit=500').expect(200)).body.items.length as number;
    await Promise.all([
      ...users.flatMap((u) => [ctx.mint('user', u, '1'), ctx.mint('user', u, '2')]),
      ...Array.from({ length: 6 }, () => seal().then((r) => expect([200, 201]).toContain(r.status))),
    ]);
    await Promise.all([seal(), seal()]);
    // Past batch 10 and beyond (numbers order as numbers, not as text).
    for (let i = 0; i < 12; i++) {
      await ctx.mint('user', users[i % 4], '1');
      await seal().expect(201);
    }
    const all = (await t.http().get('/v1/settlement/batches?limit=500').expect(200)).body.items as SealedBatch[];
    expect(all.map((b) => b.batch_no)).toEqual(all.map((_, i) => i + 1));
    expect(all.length).toBeGreaterThan(before);
    const [row] = await t.dataSource.query(
      `SELECT (SELECT count(*) FROM transfers)::int AS transfers,
              (SELECT count(*) FROM settlement_batch_transfers)::int AS batched,
              (SELECT count(DISTINCT transfer_id) FROM settlement_batch_transfers)::int AS distinct_batched`,
    );
    expect(row.batched).toBe(row.transfers);
    expect(row.distinct_batched).toBe(row.transfers);
    expect(all.reduce((s, b) => s + b.transfer_count, 0)).toBe(row.transfers);
    expect((await t.app.get(SettlementVerifier).verify()).problems).toEqual([]);
  });
});

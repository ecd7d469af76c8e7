import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli';
import { LedgerCtx } from '../../support/ledger-ctx';
import { createTestDatabase, TestDatabase } from '../../support/test-database';
import { startTestApp, TestApp } from '../../support/test-app';

/** `npm run cli -- ledger verify` on the test's database (no signing key: verifying needs none). */
async function verify(db: TestDatabase): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await runCli(db.env, 'ledger', 'verify');
  return { code, out: stdout + stderr };
}

describe('ledger verify checks the settlement batch chain (CLI)', () => {
  let db: TestDatabase;
  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  /** Runs SQL with the append-only triggers of the settlement tables off, as a tamperer would. */
  async function tamper(sql: string): Promise<void> {
    const t: TestApp = await startTestApp({ SETTLEMENT_ENABLED: 'false' }, db);
    const tables = ['settlement_batches', 'settlement_batch_transfers', 'settlement_balances'];
    for (const table of tables) await t.dataSource.query(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_append_only`);
    await t.dataSource.query(sql);
    for (const table of tables) await t.dataSource.query(`ALTER TABLE ${table} ENABLE TRIGGER ${table}_append_only`);
    await t.close();
  }

  it('exits 0 on a sound chain and 1, naming the batch, once a batch, a leaf or a stored balance is altered', async () => {
    const t = await startTestApp({ SETTLEMENT_ENABLED: 'false' }, db);
    const ctx = new LedgerCtx(t);
    for (let i = 0; i < 3; i++) {
      await ctx.mint('user', `dave${i}`, '4');
      await t.http().post('/v1/settlement/batches').set(ctx.admin()).expect(201);
    }
    await ctx.mint('user', 'erin', '1'); // beyond the last horizon: not yet batched, and that is fine
    // Sealed batches are append-only.
    await expect(t.dataSource.query(`UPDATE settlement_batches SET total_supply = 0`)).rejects.toThrow(/append-only/);
    await t.close();

    const ok = await verify(db);
    expect(ok.out).toMatch(/3 settlement batches holding 3 transfers checked/);
    expect(ok.out).toMatch(/settlement OK/);
    expect(ok.code).toBe(0);

    await tamper(`UPDATE settlement_batches SET total_supply = total_supply + 1 WHERE batch_no = 2`);
    const bad = await verify(db);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/batch 2: batch_hash does not match the statement/);
    expect(bad.out).toMatch(/batch 2: total_supply is 8000001 but the journal gives 8000000/);
    await tamper(`UPDATE settlement_batches SET total_supply = total_supply - 1 WHERE batch_no = 2`);
    expect((await verify(db)).code).toBe(0);

    await tamper(`DELETE FROM settlement_batch_transfers WHERE batch_no = 3`);
    const missing = await verify(db);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/batch 3: its stored transfer leaves differ from its members in the journal/);
    expect(missing.out).toMatch(/2 transfers are recorded in batches but the batches count 3/);
  }, 240_000);
});

describe('verify-proof checks settlement proofs offline (CLI)', () => {
  let db: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'tally-proofs-'));
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  it("exits 0 for a sealed batch's transfer and account proofs, 1 with the reason for a tampered one", async () => {
    const t = await startTestApp({ SETTLEMENT_ENABLED: 'false' }, db);
    const ctx = new LedgerCtx(t);
    const minted = (await ctx.mint('user', 'alice', '7.25')).body.transfer_id;
    await ctx.mint('user', 'bob', '1');
    await t.http().post('/v1/settlement/batches').set(ctx.admin()).expect(201);
    const batch = (await t.http().get('/v1/settlement/batches/1').expect(200)).body;
    const proofs = '/v1/settlement/batches/1/proofs';
    const transfer = (await t.http().get(`${proofs}/transfers/${minted}`).set(ctx.admin()).expect(200)).body;
    const account = (await t.http().get(`${proofs}/accounts/user/alice`).set(ctx.admin()).expect(200)).body;
    const keys = (await t.http().get('/v1/receipts/keys').expect(200)).body;
    await t.close(); // the embedded database has one user at a time

    const paths = { batch: file('batch.json', batch), keys: file('keys.json', keys) };
    // With --keys it is offline: a database that cannot be reached is never asked.
    const offline = { ...db.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' };
    const verify = (proof: unknown, over = paths) =>
      runCli(offline, 'verify-proof', file('proof.json', proof), '--batch', over.batch, '--keys', over.keys);

    const signedBy = `batch 1, signed by key ${batch.key_id}`;
    expect(await verify(transfer)).toMatchObject({
      code: 0,
      stdout: `valid: transfer ${minted} (mint, seq ${transfer.transfer.seq}) is in ${signedBy}\n`,
    });
    expect(await verify(account)).toMatchObject({
      code: 0,
      stdout: `valid: user/alice holds 7.25 credits after ${signedBy} (total supply 8.25)\n`,
    });

    const legs = [{ ...transfer.transfer.legs[0], amount: '7260000' }, ...transfer.transfer.legs.slice(1)];
    for (const [proof, over, reason] of [
      [
        { ...account, balance: '7250001' },
        paths,
        'the Merkle sum path does not lead to balances_root and total_supply',
      ],
      [{ ...account, account_id: 'bob' }, paths, 'the Merkle sum path does not lead to balances_root and total_supply'],
      [{ ...transfer, transfer: { ...transfer.transfer, legs } }, paths, 'transfer_hash does not match the transfer'],
      [{ ...transfer, batch_no: 2 }, paths, 'the proof is for another batch'],
      [{ nothing: 1 }, paths, 'not a transfer proof nor an account proof'],
      [
        account,
        { ...paths, batch: file('more.json', { ...batch, total_supply: '9250000' }) },
        'batch: batch_hash does not match the statement',
      ],
      [account, { ...paths, keys: file('none.json', { keys: [] }) }, `batch: unknown key ${batch.key_id}`],
    ] as const) {
      const res = await verify(proof, over);
      expect([reason, res.code, res.stdout]).toEqual([reason, 1, `invalid: ${reason}\n`]);
    }
    expect((await runCli(offline, 'verify-proof', file('p.json', account))).code).toBe(2); // no --batch
    const badKeys = await verify(account, { ...paths, keys: file('bad-keys.json', { keys: [null] }) });
    expect([badKeys.code, badKeys.stderr]).toEqual([1, expect.stringContaining('each with key_id and public_key')]);

    // Without --keys, the keys come from the database the CLI is configured for.
    const fromDb = await runCli(db.env, 'verify-proof', file('proof.json', account), '--batch', paths.batch);
    expect(fromDb).toMatchObject({ code: 0, stdout: expect.stringContaining('valid: user/alice holds 7.25') });
  }, 240_000);
});

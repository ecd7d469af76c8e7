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

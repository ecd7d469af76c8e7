import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli';
import { ReceiptsCtx } from '../../support/receipts-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createTestDatabase, TestDatabase } from '../../support/test-database';

// Each CLI run is a process that opens the database.
jest.setTimeout(180_000);

describe('CLI verify-receipt', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dir: string;
  let closed = false;
  const cli = (...args: string[]) => runCli(db.env, ...args);

  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(value));
    return path;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' }, db);
    dir = mkdtempSync(join(tmpdir(), 'tally-receipts-'));
  });
  afterAll(async () => {
    if (!closed) await t.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 for a valid receipt or chain, 1 with the reason for a tampered one, 2 without a file', async () => {
    const ctx = new ReceiptsCtx(t);
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 300_000 }).expect(201);
    const chain = await ctx.settledChain(id, 'AUDITED');
    const keys = file('keys.json', (await t.http().get('/v1/receipts/keys').expect(200)).body);
    const receipt = file('receipt.json', chain[2]);

    const ok = await cli('verify-receipt', receipt, '--keys', keys);
    // With --keys it is offline: no database needed (here none that could be reached).
    const offline = await runCli(
      { ...db.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' },
      'verify-receipt',
      receipt,
      '--keys',
      keys,
    );
    expect([offline.code, offline.stdout]).toEqual([0, ok.stdout]);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain(`valid: signed by key ${chain[2].signature.key_id}`);

    const tampered = file('tampered.json', { ...chain[2], receipt: { ...chain[2].receipt, refund_micros: '1' } });
    const bad = await cli('verify-receipt', tampered, '--keys', keys);
    expect(bad).toMatchObject({ code: 1 });
    expect(bad.stdout).toContain('invalid: hash_mismatch');

    // The chain document exactly as GET /v1/jobs/{id}/receipts serves it.
    const served = (await t.http().get(`/v1/jobs/${id}/receipts`).set(client.key).expect(200)).text;
    const whole = join(dir, 'chain.json');
    writeFileSync(whole, served);
    expect(await cli('verify-receipt', whole, '--keys', keys)).toMatchObject({
      code: 0,
      stdout: `valid: chain of 3 receipt(s), head ${chain[2].receipt_hash}\n`,
    });
    const relabelled = file('relabelled.json', { ...JSON.parse(served), network_job_id: String(BigInt(id) + 1n) });
    expect(await cli('verify-receipt', relabelled, '--keys', keys)).toMatchObject({
      code: 1,
      stdout: 'invalid: chain_job_mismatch (receipt 3 of 3)\n',
    });
    const extra = file('extra.json', { ...JSON.parse(served), note: 'x' });
    expect(await cli('verify-receipt', extra, '--keys', keys)).toMatchObject({
      code: 1,
      stdout: 'invalid: a receipt chain document holds only network_job_id and receipts\n',
    });
    const reordered = file('reordered.json', [chain[1], chain[0], chain[2]]);
    const broken = await cli('verify-receipt', reordered, '--keys', keys);
    expect(broken).toMatchObject({ code: 1 });
    expect(broken.stdout).toContain('invalid: chain_out_of_order (receipt 1 of 3)');

    const noKeys = file('no-keys.json', { keys: [] });
    expect((await cli('verify-receipt', receipt, '--keys', noKeys)).stdout).toContain('invalid: unknown_key');
    expect((await cli('verify-receipt')).code).toBe(2);
    expect((await cli('verify-receipt', join(dir, 'missing.json'))).code).toBe(1);

    // Without --keys, the keys come from the database the CLI is configured for. The embedded
    // database takes one process at a time, so the app lets go of it first.
    await t.close();
    closed = true;
    expect(await cli('verify-receipt', receipt)).toMatchObject({ code: 0 });
  });
});

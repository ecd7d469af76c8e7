import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LedgerCtx } from '../../support/ledger-ctx';
import { CAPABILITIES, HARDWARE } from '../../support/prover-profile';
import { listening } from '../../support/sse-client';
import { startTestApp, type TestApp } from '../../support/test-app';

const run = promisify(execFile);
const ROOT = join(__dirname, '../../..');
const EXAMPLES = join(ROOT, 'examples/sdk');
const baseEnv = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' });
/** The key of an `Authorization: Bearer <key>` header. */
const bearer = (headers: Record<string, string>) => headers.Authorization.slice('Bearer '.length);

/**
 * What an integrator does: `npm pack` the SDK, `npm install` the tarball into an empty
 * directory (its dependencies come from the npm registry), and run the examples there, as
 * they are in examples/sdk, against the real server.
 */
describe('the @tally/sdk tarball', () => {
  let t: TestApp;
  let dir: string;
  const example = async (file: string, env: Record<string, string>, ...args: string[]) => {
    const { stdout } = await run(process.execPath, [file, ...args], {
      cwd: dir,
      env: { ...baseEnv(), ...env },
    });
    return stdout;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tally-sdk-'));
    await run('npm', ['run', 'sdk:build'], { cwd: ROOT });
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: join(ROOT, 'packages/sdk'),
    });
    const [{ filename }] = JSON.parse(stdout) as { filename: string }[];
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'sdk-user', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', join(dir, filename)], { cwd: dir });
    for (const file of readdirSync(EXAMPLES)) copyFileSync(join(EXAMPLES, file), join(dir, file));
    t = await startTestApp({ SETTLEMENT_ENABLED: 'false' });
  }, 300_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs with types and without Nest, TypeORM, pg or an embedded database', () => {
    const installed = readdirSync(join(dir, 'node_modules'));
    expect(installed).toContain('@tally');
    expect(existsSync(join(dir, 'node_modules/@tally/sdk/dist/index.d.ts'))).toBe(true);
    for (const heavy of ['@nestjs', 'typeorm', 'pg', '@electric-sql', 'class-validator', 'reflect-metadata']) {
      expect(installed).not.toContain(heavy);
    }
  });

  it('runs the examples: an admin mints, a prover works, a client pays for a job and proves its balance', async () => {
    const url = `http://127.0.0.1:${await listening(t)}`;
    const ctx = new LedgerCtx(t);
    const client = ctx.name('client');

    const minted = await example('admin-mint.mjs', { TALLY_URL: url, TALLY_ADMIN_KEY: t.adminKey }, client, '12.5');
    expect(minted).toContain(`minted 12.5 credits to user/${client}`);
    expect(minted).toContain(`balance of user/${client}: posted 12.5, available 12.5`);
    expect(minted).toContain('1 transactions, 12.5 credits minted in all');

    // A registered prover running the SDK's prover loop example: it takes the job and reports its cost.
    const proverId = ctx.name('prover');
    const proverKey = await ctx.newKey('prover', proverId);
    await t
      .http()
      .post('/v1/provers/register')
      .set(proverKey)
      .send({
        prover_id: proverId,
        hardware_profile: HARDWARE,
        capabilities: CAPABILITIES,
        region: 'eu-west-1',
        max_concurrency: 4,
      })
      .expect(201);
    const prover = spawn(process.execPath, ['prover-loop.mjs'], {
      cwd: dir,
      env: { ...baseEnv(), TALLY_URL: url, TALLY_KEY: bearer(proverKey), TALLY_PROVER_ID: proverId },
    });
    let proverOut = '';
    prover.stdout.on('data', (chunk: Buffer) => (proverOut += chunk.toString()));
    const proverExit = new Promise<number | null>((resolve) => prover.once('exit', resolve));

    const clientKey = bearer(await ctx.newKey('client', client));
    try {
      const paid = await example('client-pays-job.mjs', {
        TALLY_URL: url,
        TALLY_CLIENT_KEY: clientKey,
        TALLY_CLIENT_ID: client,
      });
      expect(paid).toContain('available before: 12.5');
      expect(paid).toMatch(/JobAssigned\nJobCompleted\n/);
      expect(paid).toContain('charged 0.4 credits');
      expect(paid).toContain('available after: 12.1');
    } finally {
      prover.kill('SIGTERM');
    }
    // SIGTERM stops its long poll, and it exits cleanly.
    expect(await proverExit).toBe(0);
    expect(proverOut).toMatch(/^job \d+ done$/m);

    await t.http().post('/v1/settlement/batches').set(ctx.admin()).expect(201);
    const proven = await example('verify-balance.mjs', {
      TALLY_URL: url,
      TALLY_KEY: clientKey,
      TALLY_ACCOUNT: `user/${client}`,
    });
    expect(proven).toContain(`your balance is proven: 12.1 credits for user/${client} in batch 1`);
  }, 120_000);
});

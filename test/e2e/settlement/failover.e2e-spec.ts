import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CommandBus } from '@nestjs/cqrs';
import type { SealedBatch } from '@tally/receipts';
import { DeliverBatchesCommand } from '@tally/settlement';
import { Clock } from '@tally/shared';
import { LedgerCtx } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createTestDatabase, TestDatabase } from '../../support/test-database';

const SECRET = 'a-webhook-secret-of-some-length';
const server = Boolean(process.env.DATABASE_URL);

/**
 * A real HTTP receiver that can be told to fail (503 while `down`). It keeps what it
 * accepted once per dedupe key, as the sink's contract asks, and counts what it accepted
 * per key, so a second 2xx for the same batch would show. `beforeAnswer` runs before each
 * answer (the test reads the chain's state from there, mid-reconcile).
 */
class Receiver {
  down = false;
  /** When set, the ack echoes this balances_root instead of the batch's (a receiver storing something else). */
  wrongRootFor: number | null = null;
  readonly requested: number[] = [];
  readonly accepted: SealedBatch[] = [];
  readonly acceptedPerKey = new Map<string, number>();
  readonly badRequests: string[] = [];
  beforeAnswer: ((batch: SealedBatch) => Promise<void>) | null = null;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const batch = JSON.parse(body.toString()) as SealedBatch;
      this.requested.push(batch.batch_no);
      const key = req.headers['x-tally-dedupe-key'];
      if (key !== `${batch.batch_no}:${batch.batch_hash}`) this.badRequests.push(`dedupe key ${String(key)}`);
      const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      if (req.headers['x-tally-signature'] !== signature) this.badRequests.push(`signature of ${batch.batch_no}`);
      if (this.beforeAnswer) await this.beforeAnswer(batch);
      if (this.down) return res.writeHead(503).end();
      this.acceptedPerKey.set(key as string, (this.acceptedPerKey.get(key as string) ?? 0) + 1);
      if (!this.accepted.some((b) => b.batch_no === batch.batch_no)) this.accepted.push(batch);
      const balancesRoot = this.wrongRootFor === batch.batch_no ? 'f'.repeat(64) : batch.balances_root;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          batch_no: batch.batch_no,
          batch_hash: batch.batch_hash,
          transfers_root: batch.transfers_root,
          balances_root: balancesRoot,
        }),
      );
    });
  });

  get acceptedNos(): number[] {
    return this.accepted.map((b) => b.batch_no);
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/batches`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const nonDecreasing = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);

/** The sink chain's env: three webhooks, N = 2 failures to fail over, M = 3 successes to recover. */
async function chainEnv(primary: Receiver, secondary: Receiver, emergency: Receiver) {
  return {
    // No ticker: the test runs each delivery pass itself, under a clock it moves.
    SETTLEMENT_ENABLED: 'false',
    SETTLEMENT_WEBHOOK_URL: await primary.start(),
    SETTLEMENT_WEBHOOK_SECRET: SECRET,
    SETTLEMENT_SECONDARY_WEBHOOK_URL: await secondary.start(),
    SETTLEMENT_EMERGENCY_WEBHOOK_URL: await emergency.start(),
    SETTLEMENT_RETRY_BASE_MS: '1000',
    SETTLEMENT_RETRY_MAX_MS: '4000',
    SETTLEMENT_FAILOVER_FAILURES: '2',
    SETTLEMENT_RECOVERY_SUCCESSES: '3',
  };
}

describe('settlement sink failover', () => {
  let t: TestApp;
  let ctx: LedgerCtx;
  const primary = new Receiver();
  const secondary = new Receiver();
  const emergency = new Receiver();
  let now = Date.now();
  beforeAll(async () => {
    t = await startTestApp(await chainEnv(primary, secondary, emergency));
    ctx = new LedgerCtx(t);
    jest.spyOn(t.app.get(Clock), 'now').mockImplementation(() => new Date(now));
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await t.close();
    await Promise.all([primary.stop(), secondary.stop(), emergency.stop()]);
  });

  const seal = async (): Promise<SealedBatch> => {
    await ctx.mint('user', ctx.name(), '1');
    return (await t.http().post('/v1/settlement/batches').set(ctx.admin()).expect(201)).body.batch;
  };
  const pass = () => t.app.get(CommandBus).execute(new DeliverBatchesCommand());
  const later = (ms: number) => (now += ms);
  const get = async (route: string) =>
    (await t.http().get(`/v1/settlement/fallback/${route}`).set(ctx.admin()).expect(200)).body;

  it('walks Healthy → Warning → Degraded → Emergency → Recovering → Healthy; the primary gets every batch once, in order', async () => {
    expect(await get('status')).toMatchObject({
      state: 'healthy',
      fallback_active: false,
      pending_reconcile_count: 0,
      failures_to_fail_over: 2,
      successes_to_recover: 3,
      sinks: [
        { tier: 'primary', name: 'webhook', consecutive_failures: 0 },
        { tier: 'secondary', name: 'secondary-webhook' },
        { tier: 'emergency', name: 'emergency-webhook' },
      ],
    });
    const sealed = [await seal()];
    await pass();
    expect(primary.acceptedNos).toEqual([1]);

    // The primary fails once: Warning, and the batch waits for it (no fallback yet).
    primary.down = true;
    sealed.push(await seal());
    await pass();
    expect(await get('status')).toMatchObject({ state: 'warning', fallback_active: false, pending_reconcile_count: 1 });
    expect(secondary.requested).toEqual([]);
    // The retry is due by the clock: a pass before then tries nothing.
    const tried = primary.requested.length;
    await pass();
    expect(primary.requested.length).toBe(tried);

    // Its second failure in a row fails over: Degraded, batch 2 goes to the secondary.
    later(1000);
    await pass();
    let status = await get('status');
    expect(status).toMatchObject({ state: 'degraded', fallback_active: true, active_sink: 'secondary-webhook' });
    expect(status.last_fallback_at).toBe(new Date(now).toISOString());
    expect(status.sinks[0]).toMatchObject({ consecutive_failures: 2, last_error: 'webhook answered 503' });
    expect(secondary.acceptedNos).toEqual([2]);
    sealed.push(await seal());
    await pass();
    expect(secondary.acceptedNos).toEqual([2, 3]);
    expect(await get('pending')).toMatchObject({
      primary: 'webhook',
      total: 2,
      items: [
        { batch_no: 2, batch_hash: sealed[1].batch_hash, held_by: ['secondary-webhook'] },
        { batch_no: 3, batch_hash: sealed[2].batch_hash, held_by: ['secondary-webhook'] },
      ],
    });

    // The secondary fails too, twice in a row: Emergency, batch 4 goes to the emergency sink.
    secondary.down = true;
    sealed.push(await seal());
    await pass();
    expect((await get('status')).state).toBe('degraded');
    later(1000);
    await pass();
    status = await get('status');
    expect(status).toMatchObject({ state: 'emergency', active_sink: 'emergency-webhook' });
    expect(status.sinks[1]).toMatchObject({ consecutive_failures: 2 });
    expect(emergency.acceptedNos).toEqual([4]);
    emergency.wrongRootFor = 5;
    sealed.push(await seal());
    later(5000);
    await pass();
    expect(emergency.acceptedNos).toEqual([4, 5]);
    expect(
      (await get('pending')).items.map((i: { batch_no: number; held_by: string[] }) => [i.batch_no, i.held_by]),
    ).toEqual([
      [2, ['secondary-webhook']],
      [3, ['secondary-webhook']],
      [4, ['emergency-webhook']],
      [5, ['emergency-webhook']],
    ]);
    // A reconcile while the primary is still down delivers nothing and says why.
    const failed = (await t.http().post('/v1/settlement/fallback/reconcile').set(ctx.admin()).send({}).expect(200))
      .body;
    expect(failed).toMatchObject({
      success: false,
      state: 'emergency',
      batches_processed: 4,
      batches_reconciled: 0,
      batches_remaining: 4,
      errors: ['webhook answered 503'],
    });

    // The primary answers again (the secondary is still down): a reconcile delivers what it lacks, in order.
    primary.down = false;
    const seen: Array<[number, string]> = [];
    primary.beforeAnswer = async (b) => {
      seen.push([b.batch_no, (await get('status')).state]);
    };
    const rec = (await t.http().post('/v1/settlement/fallback/reconcile').set(ctx.admin()).send({}).expect(200)).body;
    primary.beforeAnswer = null;
    expect(rec).toMatchObject({
      success: true,
      state: 'healthy',
      batches_processed: 4,
      batches_reconciled: 4,
      batches_remaining: 0,
      errors: [],
    });
    // The first success moves Emergency to Recovering; the third (M) to Healthy.
    expect(seen).toEqual([
      [2, 'emergency'],
      [3, 'recovering'],
      [4, 'recovering'],
      [5, 'healthy'],
    ]);
    expect(primary.acceptedNos).toEqual([1, 2, 3, 4, 5]);
    expect(primary.accepted).toEqual(sealed);
    expect(await get('pending')).toEqual({ primary: 'webhook', total: 0, items: [] });
    expect(await get('status')).toMatchObject({ state: 'healthy', fallback_active: false, pending_reconcile_count: 0 });
    // Both reconciles are control actions, logged with what each did.
    const logged = (
      await t.http().get('/v1/admin/control-log').query({ action: 'settlement.fallbackReconcile' }).set(ctx.admin())
    ).body.items;
    expect(logged.map((e: { outcome: string; fields: unknown }) => [e.outcome, e.fields])).toEqual([
      ['ok', { success: false, batches_processed: 4, batches_reconciled: 0, batches_remaining: 4 }],
      ['ok', { success: true, batches_processed: 4, batches_reconciled: 4, batches_remaining: 0 }],
    ]);

    // After recovery a batch goes to the primary only; the secondary's stale wait for batch 4 was dropped.
    sealed.push(await seal());
    secondary.down = false;
    later(60_000);
    await pass();
    expect(primary.acceptedNos).toEqual([1, 2, 3, 4, 5, 6]);
    expect(secondary.acceptedNos).toEqual([2, 3]);
    expect(emergency.acceptedNos).toEqual([4, 5]);

    // Exactly once to the primary, and every receiver was asked in batch order, retries included.
    expect([...primary.acceptedPerKey.values()]).toEqual([1, 1, 1, 1, 1, 1]);
    for (const r of [primary, secondary, emergency]) {
      expect(nonDecreasing(r.requested)).toBe(true);
      expect(r.badRequests).toEqual([]);
    }

    // Consistency: 6 primary + 2 secondary + 2 emergency acks checked; the emergency sink's ack of batch 5 names another root.
    const report = await get('consistency');
    expect(report).toMatchObject({
      is_consistent: false,
      items_verified: 10,
      inconsistencies_found: 1,
      details: [
        {
          kind: 'balances_root_mismatch',
          sink: 'emergency-webhook',
          batch_no: 5,
          expected: sealed[4].balances_root,
          acknowledged: 'f'.repeat(64),
        },
      ],
      verified_at: new Date(now).toISOString(),
    });
  });

  it('the fallback routes are for admins only', async () => {
    const client = await ctx.newKey('client', ctx.name());
    for (const route of ['status', 'pending', 'consistency']) {
      await t.http().get(`/v1/settlement/fallback/${route}`).set(client).expect(403);
      await t.http().get(`/v1/settlement/fallback/${route}`).expect(401);
    }
    await t.http().post('/v1/settlement/fallback/reconcile').set(client).send({}).expect(403);
    const bad = await t.http().post('/v1/settlement/fallback/reconcile').set(ctx.admin()).send({ now: true });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('DSE-001');
  });
});

/** Two replicas on one database on a server (an embedded database has one process: the same passes race there in one). */
describe('settlement sink failover with passes racing', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];
  const primary = new Receiver();
  const secondary = new Receiver();
  const emergency = new Receiver();
  beforeAll(async () => {
    db = await createTestDatabase();
    const env = {
      ...(await chainEnv(primary, secondary, emergency)),
      SETTLEMENT_RETRY_BASE_MS: '10',
      SETTLEMENT_RETRY_MAX_MS: '10',
    };
    apps.push(await startTestApp(env, db));
    if (server) apps.push(await startTestApp({ ...env, TALLY_ADMIN_KEY: apps[0].adminKey }, db));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await db.drop();
    await Promise.all([primary.stop(), secondary.stop(), emergency.stop()]);
  });

  it('passes racing on every replica, through outages of the primary: every batch reaches the primary once, in order', async () => {
    const ctx = new LedgerCtx(apps[0]);
    const passes = (n: number) =>
      Promise.all(
        [...apps, ...apps].map(async (t) => {
          for (let i = 0; i < n; i++) {
            await t.app.get(CommandBus).execute(new DeliverBatchesCommand());
            await new Promise((r) => setTimeout(r, 12));
          }
        }),
      );
    for (let round = 0; round < 4; round++) {
      primary.down = round % 2 === 0;
      for (let i = 0; i < 3; i++) {
        await ctx.mint('user', ctx.name(), '1');
        await apps[round % apps.length].http().post('/v1/settlement/batches').set(ctx.admin()).expect(201);
      }
      await passes(8);
    }
    primary.down = false;
    await apps[apps.length - 1].http().post('/v1/settlement/fallback/reconcile').set(ctx.admin()).send({}).expect(200);
    await passes(2);
    const batches = Array.from({ length: 12 }, (_, i) => i + 1);
    expect(primary.acceptedNos).toEqual(batches);
    expect([...primary.acceptedPerKey.values()]).toEqual(batches.map(() => 1));
    expect(nonDecreasing(primary.requested)).toBe(true);
    // What went to a fallback went there in order too, and only while the primary lacked it.
    expect(nonDecreasing(secondary.requested)).toBe(true);
    expect(secondary.acceptedNos.length).toBeGreaterThan(0);
    const status = (await apps[0].http().get('/v1/settlement/fallback/status').set(ctx.admin()).expect(200)).body;
    expect(status).toMatchObject({ state: 'healthy', pending_reconcile_count: 0 });
    const report = (
      await apps[apps.length - 1].http().get('/v1/settlement/fallback/consistency').set(ctx.admin()).expect(200)
    ).body;
    expect(report).toMatchObject({ is_consistent: true, inconsistencies_found: 0, details: [] });
    expect(report.items_verified).toBe(12 + secondary.accepted.length + emergency.accepted.length);
  });
});

import { randomUUID } from 'node:crypto';
import { DB_GAUGES_CACHE_MS } from '../../apps/api/src/operations/metrics/business-metrics';
import { JobsCtx } from '../support/jobs-ctx';
import { startTestApp, TestApp } from '../support/test-app';

/** Every sample of `name` in the exposition text, by its labels as written (`kind="mint"`, or '' without labels). */
function samples(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? (\\S+)$`, 'gm'))) out[m[1] ?? ''] = Number(m[2]);
  return out;
}

/** Micros (a decimal string) as credits, for comparing with a metric's float. */
const credits = (micros: string) => Number(micros) / 1e6;

describe('business metrics on /metrics', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  // Manual assignment and sealing: the test decides what happens, and counts it.
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  const jobsByState = async () =>
    Object.fromEntries(
      (
        (await t.dataSource.query(`SELECT status, count(*)::int AS n FROM jobs GROUP BY status`)) as {
          status: string;
          n: number;
        }[]
      ).map((r) => [`state="${r.status}"`, r.n]),
    );

  it('after a lifecycle and a seal: transfers and amounts by kind, jobs and provers by state, supply, refusals, replays', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.workingProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 2_000_000 });
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 400_000 }).expect(201);
    // A completed job is audited right after (COMPLETED, then AUDITED): let it get there.
    expect(['COMPLETED', 'AUDITED']).toContain(await ctx.waitForStatus(id, 'AUDITED', 3_000));
    // A retry of the report is answered with the first answer: a replay.
    const again = await ctx.report(id, prover.key, { success: true, final_cost_micros: 400_000 });
    expect(again.headers['idempotent-replayed']).toBe('true');
    // A spend beyond the balance is refused with DSE-008.
    const refused = await t
      .http()
      .post('/v1/credits/spend')
      .set(client.key)
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '1000' })
      .expect(402);
    expect(refused.body.code).toBe('DSE-008');
    const sealed = await t.http().post('/v1/settlement/batches').set(ctx.admin()).expect(201);

    const text = (await t.http().get('/metrics').expect(200)).text;

    // Transfers: exactly what the database holds (this app is its only writer), by kind.
    const rows: { kind: string; n: string; micros: string }[] = await t.dataSource.query(
      `SELECT kind, count(*)::text AS n, sum(amount)::text AS micros FROM transfers GROUP BY kind`,
    );
    expect(rows.map((r) => r.kind).sort()).toEqual(expect.arrayContaining(['capture', 'hold', 'mint']));
    const transfers = samples(text, 'tally_transfers_total');
    const amounts = samples(text, 'tally_transfer_amount_credits_total');
    for (const r of rows) {
      expect(transfers[`kind="${r.kind}"`]).toBe(Number(r.n));
      expect(amounts[`kind="${r.kind}"`]).toBeCloseTo(credits(r.micros), 6);
    }
    expect(transfers['kind="void"']).toBe(0); // every kind is listed, from zero
    expect(amounts['kind="mint"']).toBe(10);

    expect(samples(text, 'tally_jobs')).toEqual(await jobsByState());
    expect(Object.keys(samples(text, 'tally_jobs'))).toHaveLength(1); // settled (COMPLETED, or AUDITED once audited)
    expect(samples(text, 'tally_provers')).toEqual({ 'state="active"': 1 });
    expect(samples(text, 'tally_supply_credits')).toEqual({ '': 10 });
    expect(samples(text, 'tally_escrow_credits')).toEqual({ '': 0 });
    const [platform] = await t.dataSource.query(
      `SELECT (posted_credits - posted_debits)::text AS micros FROM accounts WHERE kind = 'platform'`,
    );
    expect(samples(text, 'tally_platform_credits')['']).toBeCloseTo(credits(platform?.micros ?? '0'), 6);
    expect(samples(text, 'tally_rejections_total')).toMatchObject({ 'code="DSE-008"': 1 });
    const replays = samples(text, 'tally_idempotent_replays_total');
    expect(Object.values(replays).reduce((a, b) => a + b, 0)).toBe(1);
    expect(Object.keys(replays)[0]).toMatch(/^route="\/v1\/jobs\/:\w+\/result"$/);
    expect(samples(text, 'tally_settlement_last_batch')).toEqual({ '': Number(sealed.body.batch.batch_no) });
    expect(samples(text, 'tally_settlement_last_batch_timestamp_seconds')['']).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(samples(text, 'tally_outbox_backlog')['']).toBeGreaterThanOrEqual(0);
    // Submit→assigned and submit→settled: the one job, once each (the replayed report moves nothing).
    expect(samples(text, 'tally_job_latency_seconds_count')).toEqual({ 'stage="assigned"': 1, 'stage="settled"': 1 });
    const [times] = await t.dataSource.query(
      `SELECT extract(epoch FROM assigned_at - submitted_at)::float8 AS assigned,
              extract(epoch FROM completed_at - submitted_at)::float8 AS settled FROM jobs WHERE network_job_id = $1`,
      [id],
    );
    const sums = samples(text, 'tally_job_latency_seconds_sum');
    // The metric reads the rows' times as JavaScript dates (whole milliseconds), the database
    // keeps microseconds: the two differences agree within a millisecond.
    expect(Math.abs(sums['stage="assigned"'] - times.assigned)).toBeLessThan(0.001);
    expect(Math.abs(sums['stage="settled"'] - times.settled)).toBeLessThan(0.001);
    // Group commit: the one submit went in a batch of one; the ledger's writer batched the mints.
    expect(samples(text, 'tally_group_commit_batch_size_sum')).toMatchObject({ 'writer="jobs.submit"': 1 });
    expect(samples(text, 'tally_group_commit_batch_size_count')['writer="ledger"']).toBeGreaterThanOrEqual(1);
    expect(samples(text, 'tally_group_commit_wait_seconds_count')['writer="ledger"']).toBeGreaterThanOrEqual(1);
    if (process.env.DATABASE_URL) {
      const pool = samples(text, 'tally_pg_pool_connections');
      expect(Object.keys(pool).sort()).toEqual(['state="idle"', 'state="in_use"', 'state="waiting"']);
      expect(pool['state="in_use"'] + pool['state="idle"']).toBeGreaterThan(0);
    }
  });

  it(
    'reads shared gauges from the database at most once per cache period',
    async () => {
      const client = await ctx.fundedClient('1');
      await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201);
      // Within the cache period the gauge may still be the cached value; after it, it is fresh.
      await new Promise((r) => setTimeout(r, DB_GAUGES_CACHE_MS + 100));
      const text = (await t.http().get('/metrics').expect(200)).text;
      expect(samples(text, 'tally_jobs')).toEqual(await jobsByState());
      expect(samples(text, 'tally_jobs')).toMatchObject({ 'state="PENDING"': 1 });
      expect(samples(text, 'tally_escrow_credits')).toEqual({ '': 1 });
      expect(samples(text, 'tally_supply_credits')).toEqual({ '': 11 });
    },
    DB_GAUGES_CACHE_MS + 20_000,
  );
});

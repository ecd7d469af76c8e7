import { randomUUID } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
import { CloseDisputeWindowsCommand, JOB_COMPLETED, JOB_DISPUTE_RESOLVED } from '@tally/jobs';
import { LedgerVerifier } from '@tally/ledger';
import { JobsCtx, oneCreditSchedule } from '../../support/jobs-ctx';
import { microsOf } from '../../support/ledger-ctx';
import { GrpcCtx } from '../../support/grpc-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

type Headers = Record<string, string>;
type Prover = { name: string; key: Headers };

/**
 * The dispute window (docs/economics.md, Disputes): a completed job's rewards stay pending,
 * the client may dispute within the window, an admin upholds or refunds, and a sweep releases
 * undisputed rewards once the window closes. The first test is the doc's worked example.
 */
describe('disputes', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    // Sweeps run by the tests (closeWindows), never on a timer.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  const sid = () => `dispute-${randomUUID().slice(0, 8)}`;
  const closeWindows = () => t.app.get(CommandBus).execute(new CloseDisputeWindowsCommand());
  const dispute = (id: string, key: Headers, body: unknown = { reason: 'the proof does not verify' }) =>
    t
      .http()
      .post(`/v1/jobs/${id}/dispute`)
      .set(key)
      .send(body as object);
  const resolve = (id: string, body: unknown) =>
    t
      .http()
      .post(`/v1/jobs/${id}/resolve`)
      .set(ctx.admin())
      .send(body as object);
  const staked = async (credits: string): Promise<Prover> => {
    const p = await ctx.workingProver();
    await ctx.mint('provider', p.name, credits);
    await t
      .http()
      .post(`/v1/provers/${p.name}/stake`)
      .set(p.key)
      .set('Idempotency-Key', randomUUID())
      .send({ amount: credits })
      .expect(201);
    return p;
  };
  /** A job of 2 credits at most on `provers` (1 or 2) as replicas, all reporting the same result at `cost`. */
  const completed = async (service: string, provers: Prover[], client: Headers, cost = 2_000_000) => {
    // The estimate is units × replicas credits: 2 credits in all.
    const units = String(2 / provers.length);
    const id = await ctx.running(client, provers, { service, units, replicas: provers.length, max_cost_micros: 2e6 });
    for (const p of provers) {
      await ctx.report(id, p.key, { success: true, final_cost_micros: cost, result_hash: 'h' }).expect(201);
    }
    return id;
  };
  /** A provider account's incoming credits: its rewards held (pending) for it. */
  const pendingOf = async (account: string) => microsOf((await ctx.balance('provider', account)).incoming);
  /** Waits for the job's COMPLETED audit entry (written by the in-process recorder just after the settlement commits). */
  const audited = async (id: string) => {
    for (let i = 0; i < 200; i++) {
      const [row] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM job_audit_log WHERE network_job_id = $1 AND event->>'status' = 'COMPLETED'`,
        [id],
      );
      if (row.n > 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`job ${id} has no audit entry`);
  };
  const event = async (type: string, jobId: string) => {
    const [row] = await t.dataSource.query(`SELECT payload FROM outbox WHERE event_type = $1 AND partition_key = $2`, [
      type,
      jobId,
    ]);
    return row.payload;
  };
  const earned = async (prover: string) =>
    (await t.http().get(`/v1/provers/${prover}`).set(ctx.admin()).expect(200)).body.stake.earned_micros;
  const snapshot = async (client: string, provers: Prover[]) => ({
    client: await ctx.postedMicros('user', client),
    provers: await Promise.all(provers.map((p) => ctx.postedMicros('provider', p.name))),
    pending: await Promise.all(provers.map((p) => pendingOf(p.name))),
    platform: await ctx.postedMicros('platform', 'main'),
  });

  // docs/economics.md, "Disputes": this test is its worked example, number for number.
  it('refunds a disputed job exactly as the worked example of docs/economics.md', async () => {
    const service = sid();
    await ctx
      .putService(service, oneCreditSchedule({ dispute_window_seconds: 3600, slash_dispute_bps: 2000 }))
      .expect(201);
    const client = await ctx.fundedClient('10');
    const [a, b] = [await staked('8'), await staked('8')];
    const platformBefore = await ctx.postedMicros('platform', 'main');

    const id = await completed(service, [a, b], client.key);
    // cost 2 000 000; fee 10 %: pool 1 800 000, 900 000 each, pending (held platform → prover).
    const done = (await ctx.job(id).expect(200)).body;
    expect(done.status).toBe('COMPLETED');
    expect(done.dispute).toMatchObject({ disputed_at: null, outcome: null });
    // The majority's rewards, in prover id order (as settlement lists them).
    expect(done.dispute.pending_rewards).toEqual(
      [a.name, b.name].sort().map((prover_id) => ({ prover_id, reward_micros: '900000' })),
    );
    expect(await pendingOf(a.name)).toBe(900_000n);
    expect((await event(JOB_COMPLETED, id)).rewards_pending_until).toBe(done.dispute.closes_at);
    expect(await ctx.postedMicros('provider', a.name)).toBe(0n);

    const disputed = await dispute(id, client.key, { reason: 'the proof does not verify' }).expect(200);
    expect(disputed.body).toMatchObject({ status: 'DISPUTED', dispute: { reason: 'the proof does not verify' } });
    // The window's close leaves a DISPUTED job alone.
    await closeWindows();

    const resolved = await resolve(id, { outcome: 'refund', refund_micros: '1500000' }).expect(200);
    expect(resolved.body).toMatchObject({
      status: 'COMPLETED',
      dispute: { outcome: 'refund', refund_micros: '1500000', pending_rewards: [] },
      assignments: [{ reward_micros: '0' }, { reward_micros: '0' }],
    });
    // Rewards voided; 1 500 000 refunded from the platform; a and b each lose 20 % of 8 000 000 = 1 600 000:
    // a's all to the client, b's 400 000 to the client (2 000 000 in all: the job's cost) and 1 200 000 to the platform.
    expect(await ctx.postedMicros('user', client.name)).toBe(11_500_000n);
    expect(await ctx.postedMicros('provider', a.name)).toBe(0n);
    expect(await ctx.postedMicros('provider', b.name)).toBe(0n);
    expect(await pendingOf(a.name)).toBe(0n);
    expect(await earned(a.name)).toBe('0');
    expect(await ctx.postedMicros('stake', a.name)).toBe(6_400_000n);
    expect(await ctx.postedMicros('stake', b.name)).toBe(6_400_000n);
    expect((await ctx.postedMicros('platform', 'main')) - platformBefore).toBe(1_700_000n);
    expect(await event(JOB_DISPUTE_RESOLVED, id)).toMatchObject({
      outcome: 'refund',
      refund_micros: '1500000',
      slashes: [
        { prover_id: a.name, slashed_micros: '1600000', to_client_micros: '1600000', to_platform_micros: '0' },
        { prover_id: b.name, slashed_micros: '1600000', to_client_micros: '400000', to_platform_micros: '1200000' },
      ],
    });
    // Resolved: the window is closed, and the sweep makes it AUDITED once its audit entry is in.
    await audited(id);
    await closeWindows();
    expect((await ctx.job(id).expect(200)).body.status).toBe('AUDITED');
    const timeline = (await t.http().get(`/v1/jobs/${id}/timeline`).set(client.key).expect(200)).body;
    expect(timeline.transitions.map((x: { status: string }) => x.status)).toEqual([
      'PENDING',
      'ASSIGNED',
      'RUNNING',
      'COMPLETED',
      'DISPUTED',
      'COMPLETED',
      'AUDITED',
    ]);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);
  });

  it('upholds a dispute: the pending rewards are paid, and the same resolution again replays', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ dispute_window_seconds: 3600 })).expect(201);
    const client = await ctx.fundedClient('10');
    const p = await ctx.workingProver();
    const platformBefore = await ctx.postedMicros('platform', 'main');
    const id = await completed(service, [p], client.key, 1_000_001);
    await dispute(id, client.key).expect(200);
    // A second dispute answers as the first: the first reason stands.
    const again = await dispute(id, client.key, { reason: 'another reason' }).expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.dispute.reason).toBe('the proof does not verify');

    await resolve(id, { outcome: 'uphold' }).expect(200);
    // pool ⌊1 000 001 × 0.9⌋ = 900 000; the platform keeps 100 001.
    expect(await ctx.postedMicros('provider', p.name)).toBe(900_000n);
    expect((await ctx.postedMicros('platform', 'main')) - platformBefore).toBe(100_001n);
    expect(await ctx.postedMicros('user', client.name)).toBe(10_000_000n - 1_000_001n);
    const replay = await resolve(id, { outcome: 'uphold' }).expect(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await resolve(id, { outcome: 'refund' }).expect(409);
    expect(other.body.code).toBe('DSE-010');
    expect(await ctx.postedMicros('provider', p.name)).toBe(900_000n);
    // A resolved job cannot be disputed again.
    expect((await dispute(id, client.key).expect(409)).body.code).toBe('DSE-010');
  });

  it('releases undisputed rewards when the window closes, then the job is AUDITED; a late dispute is DSE-010', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ dispute_window_seconds: 1 })).expect(201);
    const client = await ctx.fundedClient('10');
    const p = await ctx.workingProver();
    const id = await completed(service, [p], client.key);
    await audited(id);
    // Within the window, the recorder leaves it COMPLETED: AUDITED comes after the window.
    expect((await ctx.job(id).expect(200)).body.status).toBe('COMPLETED');
    await new Promise((r) => setTimeout(r, 1100));
    await closeWindows();
    const job = (await ctx.job(id).expect(200)).body;
    expect(job).toMatchObject({ status: 'AUDITED', dispute: { pending_rewards: [], outcome: null } });
    expect(await ctx.postedMicros('provider', p.name)).toBe(1_800_000n);
    expect(await pendingOf(p.name)).toBe(0n);
    expect(await earned(p.name)).toBe('1800000');
    expect((await dispute(id, client.key).expect(409)).body.code).toBe('DSE-010');
    // Nothing is released twice.
    await closeWindows();
    expect(await ctx.postedMicros('provider', p.name)).toBe(1_800_000n);
  });

  it('pays at settlement with no window (the default): no dispute is possible, AUDITED as before', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule()).expect(201);
    const client = await ctx.fundedClient('10');
    const p = await ctx.workingProver();
    const id = await completed(service, [p], client.key);
    expect(await ctx.postedMicros('provider', p.name)).toBe(1_800_000n);
    expect(await ctx.waitForStatus(id, 'AUDITED')).toBe('AUDITED');
    expect((await ctx.job(id).expect(200)).body.dispute).toBeNull();
    const refused = await dispute(id, client.key).expect(409);
    expect(refused.body).toMatchObject({ code: 'DSE-010' });
    expect(refused.body.detail).toContain('no dispute window');
  });

  it('refuses the wrong role, another client, bad input and wrong states, and nothing moves', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ dispute_window_seconds: 3600 })).expect(201);
    const client = await ctx.fundedClient('10');
    const stranger = await ctx.fundedClient('1');
    const p = await ctx.workingProver();
    const id = await completed(service, [p], client.key);
    const before = await snapshot(client.name, [p]);

    await dispute(id, ctx.admin()).expect(403);
    await dispute(id, p.key).expect(403);
    expect((await dispute(id, stranger.key).expect(404)).body.code).toBe('DSE-003');
    expect((await dispute('999999999', client.key).expect(404)).body.code).toBe('DSE-003');
    for (const body of [{}, { reason: '' }, { reason: '   ' }, { reason: 7 }, { reason: 'x'.repeat(2001) }, []]) {
      expect((await dispute(id, client.key, body).expect(400)).body.code).toBe('DSE-001');
    }
    expect((await dispute(id, client.key, { reason: 'ok', extra: 1 }).expect(400)).body.code).toBe('DSE-001');
    // Resolving what is not disputed, and resolving as a client or a prover.
    expect((await resolve(id, { outcome: 'uphold' }).expect(409)).body.code).toBe('DSE-010');
    await t.http().post(`/v1/jobs/${id}/resolve`).set(client.key).send({ outcome: 'uphold' }).expect(403);
    await t.http().post(`/v1/jobs/${id}/resolve`).set(p.key).send({ outcome: 'uphold' }).expect(403);

    await dispute(id, client.key).expect(200);
    for (const body of [
      {},
      { outcome: 'maybe' },
      { outcome: 'refund', refund_micros: '-1' },
      { outcome: 'refund', refund_micros: '1.5' },
      { outcome: 'refund', refund_micros: '2000001' }, // more than the final cost
      { outcome: 'uphold', refund_micros: '1' },
    ]) {
      expect((await resolve(id, body).expect(400)).body.code).toBe('DSE-001');
    }
    expect((await resolve('999999999', { outcome: 'uphold' }).expect(404)).body.code).toBe('DSE-003');
    expect(await snapshot(client.name, [p])).toEqual(before);
    expect((await ctx.job(id).expect(200)).body.status).toBe('DISPUTED');

    // A job still running cannot be disputed.
    const running = await ctx.running(client.key, [p], { service, units: '1', max_cost_micros: 1_000_000 });
    expect((await dispute(running, client.key).expect(409)).body.code).toBe('DSE-010');
    await t.http().post(`/v1/jobs/${running}/cancel`).set(client.key).expect(200);
    await resolve(id, { outcome: 'refund', refund_micros: '0' }).expect(200);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('takes disputes and resolutions over gRPC (JobService/DisputeJob, ResolveDispute), with the same refusals', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ dispute_window_seconds: 3600 })).expect(201);
    const client = await ctx.fundedClient('10');
    const p = await ctx.workingProver();
    const id = await completed(service, [p], client.key);
    const grpc = new GrpcCtx(t);
    try {
      const blank = await grpc.failure(grpc.jobs, 'DisputeJob', { network_job_id: id, reason: ' ' }, client.key);
      expect(blank.dseCode).toBe('DSE-001');
      const byProver = await grpc.failure(grpc.jobs, 'DisputeJob', { network_job_id: id, reason: 'x' }, p.key);
      expect(byProver.dseCode).toBe('DSE-002');
      const disputed = await grpc.call(grpc.jobs, 'DisputeJob', { network_job_id: id, reason: 'wrong' }, client.key);
      expect(disputed.message).toMatchObject({ status: 'DISPUTED', dispute: { reason: 'wrong' } });
      const again = await grpc.call(grpc.jobs, 'DisputeJob', { network_job_id: id, reason: 'again' }, client.key);
      expect(again.trailer.get('idempotent-replayed')).toEqual(['true']);
      const byClient = await grpc.failure(
        grpc.jobs,
        'ResolveDispute',
        { network_job_id: id, outcome: 'uphold' },
        client.key,
      );
      expect(byClient.dseCode).toBe('DSE-002');
      const tooMuch = { network_job_id: id, outcome: 'refund', refund_micros: '2000001' };
      expect((await grpc.failure(grpc.jobs, 'ResolveDispute', tooMuch, ctx.admin())).dseCode).toBe('DSE-001');
      const refund = { network_job_id: id, outcome: 'refund', refund_micros: '500000' };
      const resolved = await grpc.call(grpc.jobs, 'ResolveDispute', refund, ctx.admin());
      expect(resolved.message).toMatchObject({
        status: 'COMPLETED',
        dispute: { outcome: 'refund', refund_micros: '500000' },
      });
      expect(await ctx.postedMicros('user', client.name)).toBe(10_000_000n - 2_000_000n + 500_000n);
      // A control action however it came in, refused or done.
      const logged = await t.dataSource.query(
        `SELECT fields::jsonb->'body' AS body, error_code FROM control_log
         WHERE action = 'jobs.resolve' AND fields::jsonb->'params'->>'network_job_id' = $1 ORDER BY seq`,
        [id],
      );
      expect(logged).toEqual([
        { body: { outcome: 'refund', refund_micros: '2000001' }, error_code: 'DSE-001' },
        { body: { outcome: 'refund', refund_micros: '500000' }, error_code: null },
      ]);
    } finally {
      grpc.close();
    }
  });

  it('a dispute racing the window close: exactly one wins for every job', async () => {
    const service = sid();
    await ctx.putService(service, oneCreditSchedule({ dispute_window_seconds: 3 })).expect(201);
    const client = await ctx.fundedClient('100');
    const p = await ctx.workingProver();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await completed(service, [p], client.key));
    const rows: { id: string; closes: Date }[] = await t.dataSource.query(
      `SELECT network_job_id::text AS id, dispute_closes_at AS closes FROM jobs WHERE network_job_id = ANY($1::bigint[])`,
      [ids],
    );
    const closes = new Map(rows.map((r) => [r.id, new Date(r.closes).getTime()]));
    // Job i is disputed at its window's close + (i − 4) × 100 ms: the first ones before it, the
    // last ones after, those near it racing the sweeps, which run (two at a time) throughout.
    const answers = new Map<string, number>();
    let disputing = true;
    const disputes = ids.map(async (id, i) => {
      await new Promise((r) => setTimeout(r, Math.max(0, closes.get(id)! + (i - 4) * 100 - Date.now())));
      const res = await dispute(id, client.key);
      if (res.status !== 200 && res.status !== 409)
        throw new Error(`dispute: ${res.status} ${JSON.stringify(res.body)}`);
      answers.set(id, res.status);
    });
    const sweeps = Array.from({ length: 2 }, async () => {
      while (disputing) await closeWindows();
    });
    await Promise.all(disputes).finally(() => (disputing = false));
    await Promise.all(sweeps);
    await closeWindows();

    let disputed = 0;
    for (const id of ids) {
      const job = (await ctx.job(id).expect(200)).body;
      if (answers.get(id) === 200) {
        // The dispute won: the rewards are still pending, nothing was paid.
        disputed++;
        expect(job).toMatchObject({ status: 'DISPUTED', dispute: { pending_rewards: [{ reward_micros: '1800000' }] } });
      } else {
        expect(job.status === 'COMPLETED' || job.status === 'AUDITED').toBe(true);
        expect(job.dispute.pending_rewards).toEqual([]);
        expect(job.dispute.disputed_at).toBeNull();
      }
    }
    // Both sides won somewhere: the disputes well before the close, the sweeps well after it.
    expect(disputed).toBeGreaterThan(0);
    expect(disputed).toBeLessThan(ids.length);
    expect(await ctx.postedMicros('provider', p.name)).toBe(BigInt(ids.length - disputed) * 1_800_000n);
    expect(await pendingOf(p.name)).toBe(BigInt(disputed) * 1_800_000n);
    for (const id of ids) if (answers.get(id) === 200) await resolve(id, { outcome: 'uphold' }).expect(200);
    expect(await ctx.postedMicros('provider', p.name)).toBe(BigInt(ids.length) * 1_800_000n);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);
  });
});

describe('disputes: the window sweep', () => {
  it('runs on the periodic timers: undisputed rewards are paid once the window closes, then AUDITED', async () => {
    const t = await startTestApp({});
    try {
      const ctx = new JobsCtx(t);
      await ctx.putService('window-1s', oneCreditSchedule({ dispute_window_seconds: 1 })).expect(201);
      const client = await ctx.fundedClient('10');
      const p = await ctx.workingProver();
      const id = (await ctx.submit(client.key, { service: 'window-1s', units: '2', max_cost_micros: 2e6 }).expect(201))
        .body.network_job_id;
      // The scheduler assigns it to the one live prover.
      expect(await ctx.waitForStatus(id, 'ASSIGNED')).toBe('ASSIGNED');
      await ctx.start(id, p.key).expect(201);
      await ctx.report(id, p.key, { success: true, final_cost_micros: 2_000_000 }).expect(201);
      expect(await ctx.postedMicros('provider', p.name)).toBe(0n);
      expect(await ctx.waitForStatus(id, 'AUDITED')).toBe('AUDITED');
      expect(await ctx.postedMicros('provider', p.name)).toBe(1_800_000n);
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM transfers WHERE job_id = $1 AND kind = 'capture' AND prover_id = $2`,
        [id, p.name],
      );
      expect(n).toBe(1);
    } finally {
      await t.close();
    }
  });
});

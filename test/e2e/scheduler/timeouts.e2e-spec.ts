import { JOB_FAILED } from '@tally/jobs';
import { UnitOfWork } from '@tally/database';
import { microsOf } from '../../support/ledger-ctx';
import { ProversCtx } from '../../support/provers-ctx';
import { BASIC_CAPABILITIES, GPU_BOX, SchedulerCtx, TestProver } from '../../support/scheduler-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { SchedulingRepository } from '../../../libs/scheduler/src/persistence/scheduling.repository';

/** Timeouts with manual ticks and sweeps; silence is simulated by moving last_heartbeat back. */
describe('scheduler: timeouts', () => {
  let t: TestApp;
  let ctx: SchedulerCtx;
  let mine: TestProver[] = [];
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SCHEDULER_MAX_ATTEMPTS: '2' });
    ctx = new SchedulerCtx(t);
  });
  afterAll(() => t.close());
  afterEach(async () => {
    // Leave no live prover and no unsettled job behind for the next test.
    await ctx.cancelUnsettled();
    for (const p of mine) await ctx.silence(p);
    await ctx.sweep();
    mine = [];
  });

  const prover = async () => {
    const p = await ctx.liveProver({ max_concurrency: 2 });
    mine.push(p);
    return p;
  };
  const byName = (name: string) => mine.find((p) => p.name === name)!;

  it('a requeued job is taken back from every replica: each prover hears of it once at its next heartbeat, unless the job came back to it', async () => {
    const client = await ctx.fundedClient('10');
    const told = async (p: TestProver): Promise<string[]> =>
      (
        await t
          .http()
          .post(`/v1/provers/${p.name}/heartbeat`)
          .set(p.key)
          .send({ hardware_profile: GPU_BOX, capabilities: BASIC_CAPABILITIES, load_factor: 0 })
          .expect(200)
      ).body.cancelled_jobs;
    await prover();
    await prover();
    await prover();
    const id = await ctx.submitted(client.key, { max_cost_micros: 2_000_000, replicas: 2 });
    await ctx.tick();
    const [gone, live] = (await ctx.jobRow(id)).provers.map(byName);
    await ctx.start(id, gone.key).expect(201);
    await ctx.start(id, live.key).expect(201);

    await ctx.silence(gone);
    expect(await ctx.sweep()).toMatchObject({ offline: [gone.name], requeued: 1 });
    expect(await ctx.jobRow(id)).toEqual({ status: 'PENDING', attempts: 1, provers: [] });
    // The live replica's prover is told at once; a late result of it is refused.
    expect(await told(live)).toEqual([id]);
    expect(await told(live)).toEqual([]);
    // Its replica was taken back: the job is no longer its own (unknown to it, as on GET).
    await ctx.report(id, live.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(404);

    // The silent one is back and the job is assigned again before it heartbeats: told only if it is not its own again.
    await t.dataSource.query(`UPDATE provers SET last_heartbeat = now(), state = 'active' WHERE prover_id = $1`, [
      gone.name,
    ]);
    await ctx.tick();
    const holders = (await ctx.jobRow(id)).provers;
    expect(await told(gone)).toEqual(holders.includes(gone.name) ? [] : [id]);
    expect(await told(gone)).toEqual([]);
    for (const p of mine) expect(await told(p)).toEqual([]);
  });

  it('a drain outlives going offline: a drained prover that goes silent and comes back is draining, and so is one drained while offline; neither gets new jobs', async () => {
    const client = await ctx.fundedClient('10');
    const state = async (p: TestProver) =>
      (await t.http().get(`/v1/provers/${p.name}`).set(ctx.admin()).expect(200)).body.state;

    // Drained, then silent: offline; back: draining again (not active).
    const drained = await prover();
    await ctx.drain(drained);
    await ctx.silence(drained);
    expect((await ctx.sweep()).offline).toContain(drained.name);
    expect(await state(drained)).toBe('offline');
    await ctx.heartbeat(drained);
    expect(await state(drained)).toBe('draining');

    // Silent first, drained while offline: the drain is answered (still offline) and holds when it is back.
    const later = await prover();
    await ctx.silence(later);
    await ctx.sweep();
    const answer = await t.http().post(`/v1/provers/${later.name}/drain`).set(later.key).send().expect(200);
    expect(answer.body.state).toBe('offline');
    await ctx.heartbeat(later);
    expect(await state(later)).toBe('draining');
    // Registering again (alive) keeps the drain too.
    await t
      .http()
      .post('/v1/provers/register')
      .set(later.key)
      .send({ prover_id: later.name, hardware_profile: GPU_BOX, capabilities: BASIC_CAPABILITIES, max_concurrency: 2 })
      .expect(200);
    expect(await state(later)).toBe('draining');

    // They are the only live provers: a new job waits, and placement ranks neither.
    const id = await ctx.submitted(client.key);
    await ctx.tick();
    expect(await ctx.jobRow(id)).toEqual({ status: 'PENDING', attempts: 0, provers: [] });
    const placement = await t.http().get(`/v1/placement/${id}?rf=3`).set(ctx.admin()).expect(200);
    expect(placement.body.items).toEqual([]);
  });

  it('a silent prover goes offline; its ASSIGNED job is requeued without using an attempt, a RUNNING one uses one; past max_attempts the job fails with a full refund', async () => {
    const client = await ctx.fundedClient('10');
    await prover();
    await prover();
    await prover();
    const id = await ctx.submitted(client.key, { max_cost_micros: 2_000_000 });
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '10', pending: '2', available: '8' });

    // 1. Assigned, not started: the prover goes silent → back to PENDING, attempts unchanged.
    await ctx.tick();
    const first = (await ctx.jobRow(id)).provers[0];
    await ctx.silence(byName(first));
    const sweep1 = await ctx.sweep();
    expect(sweep1).toMatchObject({ swept: true, offline: [first], requeued: 1, gaveUp: 0, timedOut: 0 });
    expect(await ctx.jobRow(id)).toEqual({ status: 'PENDING', attempts: 0, provers: [] });
    expect((await t.http().get(`/v1/provers/${first}`).set(ctx.admin()).expect(200)).body.state).toBe('offline');
    const [{ state }] = await t.dataSource.query(`SELECT state FROM provers WHERE prover_id = $1`, [first]);
    expect(state).toBe('offline');

    // 2. Reassigned elsewhere and started: silence → PENDING with one attempt used.
    await ctx.tick();
    const second = (await ctx.jobRow(id)).provers[0];
    expect(second).not.toBe(first);
    await ctx.start(id, byName(second).key).expect(201);
    await ctx.silence(byName(second));
    expect(await ctx.sweep()).toMatchObject({ offline: [second], requeued: 1, gaveUp: 0 });
    expect(await ctx.jobRow(id)).toEqual({ status: 'PENDING', attempts: 1, provers: [] });

    // 3. The last live prover runs it and goes silent too: the second attempt is the last.
    await ctx.tick();
    const third = (await ctx.jobRow(id)).provers[0];
    expect([first, second]).not.toContain(third);
    await ctx.start(id, byName(third).key).expect(201);
    await ctx.silence(byName(third));
    expect(await ctx.sweep()).toMatchObject({ offline: [third], requeued: 0, gaveUp: 1 });
    const failed = (await ctx.job(id).expect(200)).body;
    expect(failed).toMatchObject({ status: 'FAILED', refunded_micros: '2000000', final_cost_micros: null });
    expect(failed.error_message).toMatch(/prover went offline; gave up after 2 attempt\(s\)/);
    // The replica that was out is called off, and its prover is told when it is back.
    expect(failed.assignments).toMatchObject([{ prover_id: third, status: 'CANCELLED' }]);
    expect(await ctx.heartbeat(byName(third))).toEqual([id]);
    expect(await ctx.heartbeat(byName(third))).toEqual([]);

    // Exact balances: the whole hold is back, nothing paid, the ledger sums to zero.
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '10', pending: '0', available: '10' });
    for (const p of [first, second, third]) {
      const res = await t.http().get(`/v1/credits/accounts/provider/${p}`).set(ctx.admin());
      if (res.status === 200) expect(microsOf(res.body.balance.posted)).toBe(0n);
    }
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    // Nothing is left to sweep.
    expect(await ctx.sweep()).toMatchObject({ offline: [], requeued: 0, gaveUp: 0, timedOut: 0 });
  });

  it('a prover that heartbeats again before the sweep keeps its job', async () => {
    const client = await ctx.fundedClient('10');
    const p = await prover();
    const id = await ctx.submitted(client.key);
    await ctx.tick();
    expect(await ctx.jobRow(id)).toMatchObject({ status: 'ASSIGNED', provers: [p.name] });
    await ctx.silence(p);
    await ctx.heartbeat(p);
    expect(await ctx.sweep()).toMatchObject({ offline: [], requeued: 0 });
    expect(await ctx.jobRow(id)).toMatchObject({ status: 'ASSIGNED', provers: [p.name] });
    await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
  });

  it('a job leaves a prover only once the sweep has marked it offline, not when its heartbeat merely turned stale after that mark', async () => {
    // The sweep marks provers offline, then reads their jobs on a later clock: a prover whose
    // heartbeat passed the TTL between the two reads must keep its job until it is marked.
    const client = await ctx.fundedClient('10');
    const p = await prover();
    const id = await ctx.submitted(client.key);
    await ctx.tick();
    await ctx.silence(p);
    const scheduling = t.app.get(SchedulingRepository);
    const orphaned = () => t.app.get(UnitOfWork).run(() => scheduling.orphanedAssignments(100));
    const stillOrphaned = () => t.app.get(UnitOfWork).run(() => scheduling.stillOrphaned(id, p.name));
    expect(await orphaned()).not.toContainEqual({ network_job_id: id, prover_id: p.name });
    expect(await stillOrphaned()).toBe(false);
    expect(await ctx.sweep()).toMatchObject({ offline: [p.name], requeued: 1 });
    expect(await ctx.jobRow(id)).toMatchObject({ status: 'PENDING', attempts: 0 });
    await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
  });

  it('a job ASSIGNED or RUNNING past the wall-clock TTL fails with a full refund; a younger one is untouched', async () => {
    const client = await ctx.fundedClient('10');
    const p = await prover();
    const running = await ctx.submitted(client.key, { max_cost_micros: 3_000_000 });
    const assigned = await ctx.submitted(client.key, { max_cost_micros: 1_500_000 });
    await ctx.tick();
    await ctx.start(running, p.key).expect(201);
    await ctx
      .start(assigned, p.key)
      .expect(201)
      .catch(() => undefined);
    // Put the first two past the default 10-minute TTL.
    await t.dataSource.query(
      `UPDATE jobs SET assigned_at = now() - interval '11 minutes' WHERE network_job_id = ANY($1::bigint[])`,
      [[running, assigned]],
    );
    const young = await ctx.submitted(client.key, { max_cost_micros: 1_000_000 });
    expect(await ctx.tick()).toMatchObject({ assigned: 0 }); // max_concurrency 2: no room for it
    await t.http().post(`/v1/jobs/${young}/cancel`).set(client.key).expect(200);

    expect(await ctx.sweep()).toMatchObject({ requeued: 0, timedOut: 2 });
    for (const [id, held] of [
      [running, '3000000'],
      [assigned, '1500000'],
    ]) {
      const job = (await ctx.job(id).expect(200)).body;
      expect(job).toMatchObject({ status: 'FAILED', error_message: 'wall-clock timeout', refunded_micros: held });
      expect(job.assignments).toMatchObject([{ prover_id: p.name, status: 'CANCELLED' }]);
    }
    expect((await ctx.heartbeat(p)).sort()).toEqual([running, assigned].sort());
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '10', pending: '0', available: '10' });
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    // The failures name the prover that held them (its scorecard takes the failure).
    const events = await t.dataSource.query(
      `SELECT payload FROM outbox WHERE event_type = '${JOB_FAILED}' AND partition_key = ANY($1::text[])`,
      [[running, assigned]],
    );
    expect(events.map((e: { payload: { prover_id: string } }) => e.payload.prover_id)).toEqual([p.name, p.name]);
  });

  it('a replicated job that times out charges the failure to the replicas that ran out of time only, never to one that had reported or was merely called off', async () => {
    const scores = new ProversCtx(t);
    const card = async (p: TestProver) =>
      (await t.http().get(`/v1/provers/${p.name}`).set(ctx.admin()).expect(200)).body;
    const client = await ctx.fundedClient('10');

    // Wall clock: one replica reported, the other was still running.
    const [a, b] = [await prover(), await prover()];
    const late = await ctx.submitted(client.key, { max_cost_micros: 2_000_000, replicas: 2 });
    await ctx.tick();
    expect((await ctx.jobRow(late)).provers.sort()).toEqual([a.name, b.name].sort());
    for (const p of [a, b]) await ctx.start(late, p.key).expect(201);
    await ctx.report(late, a.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    await t.dataSource.query(`UPDATE jobs SET assigned_at = now() - interval '11 minutes' WHERE network_job_id = $1`, [
      late,
    ]);
    expect(await ctx.sweep()).toMatchObject({ timedOut: 1 });
    expect(await scores.waitForScoreVersion(b.name, 1)).toMatchObject({ failed_jobs: '1', successful_jobs: '0' });
    expect(await card(a)).toMatchObject({ version: '0', failed_jobs: '0', successful_jobs: '0' });

    // Heartbeat: the job's last attempt; one replica's prover goes silent, the other is still running.
    for (const p of [a, b]) await ctx.silence(p);
    await ctx.sweep();
    const [c, d] = [await prover(), await prover()];
    const orphaned = await ctx.submitted(client.key, { max_cost_micros: 2_000_000, replicas: 2 });
    await ctx.tick();
    expect((await ctx.jobRow(orphaned)).provers.sort()).toEqual([c.name, d.name].sort());
    for (const p of [c, d]) await ctx.start(orphaned, p.key).expect(201);
    await t.dataSource.query(`UPDATE jobs SET attempts = 1 WHERE network_job_id = $1`, [orphaned]);
    await ctx.silence(c);
    expect(await ctx.sweep()).toMatchObject({ offline: [c.name], gaveUp: 1 });
    expect((await ctx.job(orphaned).expect(200)).body).toMatchObject({ status: 'FAILED', refunded_micros: '2000000' });
    expect(await scores.waitForScoreVersion(c.name, 1)).toMatchObject({ failed_jobs: '1', successful_jobs: '0' });
    expect(await card(d)).toMatchObject({ version: '0', failed_jobs: '0', successful_jobs: '0' });
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '10', pending: '0' });
  });
});

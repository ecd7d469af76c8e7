import { CommandBus } from '@nestjs/cqrs';
import { UnitOfWork } from '@tally/database';
import { AssignJobCommand, AssignJobsCommand } from '@tally/jobs';
import { candidatesFor, presentWeight, proverWeight, topN, weightsOf } from '@tally/scheduler';
import { BASIC_CAPABILITIES, GPU_BOX, SchedulerCtx, TestProver } from '../../support/scheduler-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/**
 * Assignment with the periodic ticks off (SCHEDULER_ENABLED=false): each test runs ticks
 * itself and awaits them, so what a tick sees is exactly what the test set up. Each test
 * drains the provers it made before it ends, so the next test sees only its own.
 */
describe('scheduler: assignment', () => {
  let t: TestApp;
  let ctx: SchedulerCtx;
  let mine: TestProver[] = [];
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new SchedulerCtx(t);
  });
  afterAll(() => t.close());
  afterEach(async () => {
    await ctx.cancelUnsettled();
    for (const p of mine) await ctx.drain(p);
    mine = [];
  });

  const prover = async (spec: Parameters<SchedulerCtx['liveProver']>[0] = {}) => {
    const p = await ctx.liveProver(spec);
    mine.push(p);
    return p;
  };

  it('assigns to the capable, live, active prover only; jobs nobody can take stay PENDING', async () => {
    const client = await ctx.fundedClient('100');
    const small = await prover({ hardware_profile: { gpu_count: 1 }, capabilities: { supported_kernels: ['msm'] } });
    const big = await prover({
      hardware_profile: { gpu_count: 4, gpu_memory_gb: 80 },
      capabilities: {
        supported_kernels: ['msm', 'ntt'],
        zk_acceleration: { groth16: true, plonk: false, stark: false },
      },
    });
    const drained = await prover({
      hardware_profile: { gpu_count: 8, gpu_memory_gb: 80 },
      capabilities: { supported_kernels: ['msm', 'ntt'], zk_acceleration: { groth16: true, plonk: true, stark: true } },
    });
    await ctx.drain(drained);
    const silent = await prover({
      hardware_profile: { gpu_count: 8, gpu_memory_gb: 80 },
      capabilities: { supported_kernels: ['msm', 'ntt'], zk_acceleration: { groth16: true, plonk: true, stark: true } },
    });
    await ctx.silence(silent, 16_000); // just past the 15 s default TTL

    const needsTwoGpus = await ctx.submitted(client.key, {
      requirements: { gpu_count: 2, supported_kernels: ['ntt'] },
    });
    const needsStark = await ctx.submitted(client.key, { requirements: { zk_acceleration: { stark: true } } });
    const needsFp16 = await ctx.submitted(client.key, { requirements: { supports_fp16: true } });
    // A service's hardware requirements count too.
    await t
      .http()
      .put('/v1/registry/services/groth16-prove')
      .set(ctx.admin())
      .send({
        price_per_unit: '0.01',
        unit: 'proof',
        size_factor: '1',
        minimum_charge: '0',
        hardware_requirements: { gpu_memory_gb: 48, zk_acceleration: ['groth16'] },
      })
      .expect(201);
    const viaService = await ctx.submitted(client.key, { service: 'groth16-prove', units: '10' });

    const tick = await ctx.tick();
    expect(tick).toMatchObject({ examined: 4, assigned: 2 });
    expect(await ctx.jobRow(needsTwoGpus)).toMatchObject({ status: 'ASSIGNED', provers: [big.name] });
    expect(await ctx.jobRow(viaService)).toMatchObject({ status: 'ASSIGNED', provers: [big.name] });
    // Only the drained or the silent prover could run these: they wait.
    expect(await ctx.jobRow(needsStark)).toMatchObject({ status: 'PENDING', provers: [] });
    expect(await ctx.jobRow(needsFp16)).toMatchObject({ status: 'PENDING', provers: [] });
    expect(small.name).not.toBe(big.name);

    // The silent prover comes back: its heartbeat makes it a candidate again.
    await ctx.heartbeat(silent);
    await ctx.tick();
    expect(await ctx.jobRow(needsStark)).toMatchObject({ status: 'ASSIGNED', provers: [silent.name] });
    expect(await ctx.jobRow(needsFp16)).toMatchObject({ status: 'PENDING' });
    await t.http().post(`/v1/jobs/${needsFp16}/cancel`).set(client.key).expect(200);
  });

  it('never chooses a draining prover, and respects max_concurrency', async () => {
    const client = await ctx.fundedClient('100');
    const a = await prover({ max_concurrency: 3 });
    const b = await prover({ max_concurrency: 3 });
    await ctx.drain(b);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await ctx.submitted(client.key));
    expect(await ctx.tick()).toMatchObject({ assigned: 3 });
    const rows = await Promise.all(ids.map((id) => ctx.jobRow(id)));
    expect(rows.filter((r) => r.status === 'ASSIGNED').every((r) => r.provers[0] === a.name)).toBe(true);
    // The oldest three got the slots.
    expect(rows.map((r) => r.status)).toEqual(['ASSIGNED', 'ASSIGNED', 'ASSIGNED', 'PENDING', 'PENDING']);
    // A slot frees when a job settles.
    await ctx.start(ids[0], a.key).expect(201);
    await ctx.report(ids[0], a.key, { success: true, final_cost_micros: 1 }).expect(201);
    expect(await ctx.tick()).toMatchObject({ assigned: 1 });
    expect(await ctx.jobRow(ids[3])).toMatchObject({ status: 'ASSIGNED', provers: [a.name] });
    expect(await ctx.jobRow(ids[4])).toMatchObject({ status: 'PENDING' });
    for (const id of ids.slice(1)) await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
  });

  describe('a batch being written when a drain, a registration or an admin assignment comes', () => {
    // Each assignment insert sleeps, so a tick is caught between its read of the provers and its commit.
    beforeEach(async () => {
      await t.dataSource.query(`
        CREATE FUNCTION test_slow_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(0.8); RETURN NEW; END $$`);
      await t.dataSource.query(
        `CREATE TRIGGER test_slow_assignment BEFORE INSERT ON job_assignments FOR EACH ROW EXECUTE FUNCTION test_slow_assignment()`,
      );
    });
    afterEach(async () => {
      await t.dataSource.query(`DROP TRIGGER test_slow_assignment ON job_assignments`);
      await t.dataSource.query(`DROP FUNCTION test_slow_assignment()`);
    });
    const tickCaughtWriting = async () => {
      const tick = ctx.tick();
      const deadline = Date.now() + 3_000;
      for (;;) {
        const [{ n }] = await t.dataSource.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND query ILIKE '%job_assignments%'`,
        );
        if (n > 0 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      return { tick }; // wrapped: returning the promise itself would make the caller await the whole tick
    };

    // A change the prover is promised takes effect at once answers only after the batch that read
    // the prover before it has committed; that batch's job came first, and no later batch adds one.
    const changes: [string, (p: TestProver) => Promise<unknown>][] = [
      ['a drain', (p) => ctx.drain(p)],
      [
        'a registration lowering max_concurrency to 1',
        (p) =>
          t
            .http()
            .post('/v1/provers/register')
            .set(p.key)
            .send({
              prover_id: p.name,
              hardware_profile: GPU_BOX,
              capabilities: BASIC_CAPABILITIES,
              region: 'eu-west-1',
              max_concurrency: 1,
            })
            .expect(200),
      ],
    ];
    it.each(changes)(
      '%s answers after the batch being written; no later batch gives the prover a job',
      async (_, change) => {
        const client = await ctx.fundedClient('10');
        const p = await prover({ max_concurrency: 2 });
        const first = await ctx.submitted(client.key);
        const { tick } = await tickCaughtWriting();
        await change(p);
        expect(await ctx.jobRow(first)).toMatchObject({ status: 'ASSIGNED', provers: [p.name] });
        expect(await tick).toMatchObject({ assigned: 1 });
        const later = await ctx.submitted(client.key);
        expect(await ctx.tick()).toMatchObject({ assigned: 0 });
        expect(await ctx.jobRow(later)).toMatchObject({ status: 'PENDING' });
        for (const job of [first, later]) await t.http().post(`/v1/jobs/${job}/cancel`).set(client.key).expect(200);
      },
    );

    it("an admin's assignment racing a tick sees the tick's load: max_concurrency holds", async () => {
      const client = await ctx.fundedClient('10');
      const p = await prover({ max_concurrency: 1 });
      const first = await ctx.submitted(client.key);
      const { tick } = await tickCaughtWriting();
      // Submitted after the tick claimed its jobs, so the admin route is the only way it can reach p.
      const second = await ctx.submitted(client.key);
      const refused = await ctx.assign(second, [p.name]).expect(409);
      expect(refused.body).toMatchObject({ code: 'DSE-010' });
      expect(refused.body.detail).toContain('at max_concurrency');
      expect(await tick).toMatchObject({ assigned: 1 });
      expect(await ctx.jobRow(first)).toMatchObject({ status: 'ASSIGNED', provers: [p.name] });
      expect(await ctx.jobRow(second)).toMatchObject({ status: 'PENDING' });
      for (const job of [first, second]) await t.http().post(`/v1/jobs/${job}/cancel`).set(client.key).expect(200);
    });
  });

  it('assigns HIGH before NORMAL before LOW, then oldest first', async () => {
    const client = await ctx.fundedClient('100');
    const order = ['LOW', 'NORMAL', 'HIGH', 'LOW', 'NORMAL', 'HIGH', 'NORMAL'] as const;
    const jobs: { id: string; priority: string }[] = [];
    for (const priority of order) jobs.push({ id: await ctx.submitted(client.key, { priority }), priority });
    // No prover yet: nothing moves.
    expect(await ctx.tick()).toMatchObject({ assigned: 0 });
    const p = await prover({ max_concurrency: 1 });
    const assigned: string[] = [];
    for (let i = 0; i < jobs.length; i++) {
      expect(await ctx.tick()).toMatchObject({ assigned: 1 });
      const [row] = await t.dataSource.query(
        `SELECT a.network_job_id FROM job_assignments a JOIN jobs j USING (network_job_id)
         WHERE a.prover_id = $1 AND j.status = 'ASSIGNED'`,
        [p.name],
      );
      assigned.push(row.network_job_id);
      await ctx.start(row.network_job_id, p.key).expect(201);
      await ctx.report(row.network_job_id, p.key, { success: true, final_cost_micros: 1 }).expect(201);
    }
    const expected = [
      ...jobs.filter((j) => j.priority === 'HIGH'),
      ...jobs.filter((j) => j.priority === 'NORMAL'),
      ...jobs.filter((j) => j.priority === 'LOW'),
    ].map((j) => j.id);
    expect(assigned).toEqual(expected);
  });

  it('places a replicated job on distinct provers, the same ones placement names, whatever the row order', async () => {
    const client = await ctx.fundedClient('100');
    const provers: TestProver[] = [];
    for (let i = 0; i < 6; i++) provers.push(await prover({ load_factor: i / 10, max_concurrency: 8 }));
    // Different scores: the weights differ (score 0..100 in the database, as scorecards would leave them).
    for (const [i, p] of provers.entries()) {
      await t.dataSource.query(`UPDATE provers SET score_value = $2 WHERE prover_id = $1`, [p.name, 20 + i * 12.5]);
    }
    const id = await ctx.submitted(client.key, { replicas: 3 });
    const placement = (await ctx.placement(id, 3).expect(200)).body;
    expect(placement).toMatchObject({ key: id, rf: 3, network_job_id: id });
    expect(placement.items.map((i: { rank: number }) => i.rank)).toEqual([1, 2, 3]);

    // The same ranking from the pure functions over the rows, in two different orders.
    const weights = weightsOf({ w_score: '1', w_load: '1' });
    const rows = provers.map((p, i) => ({
      proverId: p.name,
      state: 'active',
      lastHeartbeat: new Date(),
      maxConcurrency: 8,
      activeJobs: 0,
      scoreValue: String(20 + i * 12.5),
      currentScore: 20 + i * 12.5, // never scored: no decay
      loadFactor: String(i / 10),
      latencyMs: null,
      region: null,
      hardwareProfile: {},
      capabilities: {},
    }));
    const expected = topN(
      id,
      candidatesFor(rows, { requirements: {} }, { now: new Date(), ttlMs: 60_000 }, weights),
      3,
    );
    const reversed = topN(
      id,
      candidatesFor([...rows].reverse(), { requirements: {} }, { now: new Date(), ttlMs: 60_000 }, weights),
      3,
    );
    expect(reversed).toEqual(expected);
    expect(placement.items).toEqual(
      expected.map((e) => ({ prover_id: e.proverId, weight: presentWeight(e.weight), rank: e.rank })),
    );
    expect(placement.items[0].weight).toBe(
      presentWeight(
        proverWeight(
          rows.find((r) => r.proverId === expected[0].proverId)!.scoreValue,
          rows.find((r) => r.proverId === expected[0].proverId)!.loadFactor,
          weights,
        ),
      ),
    );

    await ctx.tick();
    const job = await ctx.jobRow(id);
    expect(job.status).toBe('ASSIGNED');
    expect(job.provers).toEqual(expected.map((e) => e.proverId));
    await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
  });

  describe('weights use the score GET /v1/provers shows: an idle prover weighs its decayed score', () => {
    /** Makes the prover's last score `agoMs` old (as the database clock counts), with this stored score. */
    const scoredAgo = (p: TestProver, score: string, agoMs: number) =>
      t.dataSource.query(
        `UPDATE provers SET score_value = $2, last_scored_at = now() - make_interval(secs => $3::float8 / 1000)
         WHERE prover_id = $1`,
        [p.name, score, agoMs],
      );
    const HOUR = 3_600_000;
    const DAY = 86_400_000;
    // A double on the wire; its shortest form is the exact decimal shown (at most 6 places).
    const shownScore = async (p: TestProver): Promise<string> =>
      String((await t.http().get(`/v1/provers/${p.name}`).set(ctx.admin()).expect(200)).body.score_value);

    it("placement's weight lies between the weights of GET's score just before and just after it", async () => {
      const p = await prover();
      await scoredAgo(p, '90', HOUR + DAY); // idle for one half-life: about 70, stored 90
      const weights = weightsOf((await t.http().get('/v1/scheduler/config').set(ctx.admin()).expect(200)).body);
      const weightOf = async () => proverWeight(await shownScore(p), '0', weights);
      const before = await weightOf();
      const item = (await ctx.placement('idle-prover', 16).expect(200)).body.items.find(
        (i: { prover_id: string }) => i.prover_id === p.name,
      );
      const after = await weightOf();
      // Decaying toward 50 from above, the weight only falls with time (shown to 6 places).
      const weight = Number(item.weight);
      expect(weight).toBeLessThanOrEqual(before + 5e-7);
      expect(weight).toBeGreaterThanOrEqual(after - 5e-7);
      expect(weight).toBeCloseTo(proverWeight('70', '0', weights), 4);
      expect(weight).not.toBeCloseTo(proverWeight('90', '0', weights), 1); // not the stored score's
    });

    it('the tick chooses by the decayed weights too (a job the stored scores would give the idle prover)', async () => {
      const client = await ctx.fundedClient('10');
      const id = await ctx.submitted(client.key);
      const weights = weightsOf((await t.http().get('/v1/scheduler/config').set(ctx.admin()).expect(200)).body);
      // Stored 90 but idle for 30 half-lives (50 to 6 places) against an active 60: names for which
      // the stored scores would pick the idle prover and the decayed ones the active prover.
      const winner = (idle: string, active: string, idleScore: string) =>
        topN(
          id,
          [
            { proverId: idle, weight: proverWeight(idleScore, '0', weights) },
            { proverId: active, weight: proverWeight('60', '0', weights) },
          ],
          1,
        )[0].proverId;
      let names: [string, string];
      do names = [ctx.name('idle'), ctx.name('active')];
      while (winner(...names, '90') !== names[0] || winner(...names, '50') !== names[1]);
      const idle = await prover({ name: names[0] });
      const active = await prover({ name: names[1] });
      await scoredAgo(idle, '90', HOUR + 30 * DAY);
      await scoredAgo(active, '60', 1000);
      expect(await shownScore(idle)).toBe('50');

      const placed = (await ctx.placement(id, 2).expect(200)).body.items;
      expect(placed).toEqual([
        { prover_id: active.name, weight: presentWeight(proverWeight('60', '0', weights)), rank: 1 },
        { prover_id: idle.name, weight: presentWeight(proverWeight('50', '0', weights)), rank: 2 },
      ]);
      await ctx.tick();
      expect(await ctx.jobRow(id)).toMatchObject({ status: 'ASSIGNED', provers: [active.name] });
    });
  });

  it('placement: deterministic for any key, rf 1-16 (default 3), only live active provers', async () => {
    const ps: TestProver[] = [];
    for (let i = 0; i < 4; i++) ps.push(await prover());
    const names = new Set(ps.map((p) => p.name));
    const first = (await ctx.placement('deadbeef').expect(200)).body;
    expect(first).toMatchObject({ key: 'deadbeef', rf: 3, network_job_id: null });
    expect(first.items).toHaveLength(3);
    expect(first.items.every((i: { prover_id: string }) => names.has(i.prover_id))).toBe(true);
    // Weights are decimal strings of at most 6 fractional digits, like scores: never 1.9174079000000002 or 1e-06.
    for (const i of first.items) expect(i.weight).toMatch(/^(0|[1-9]\d*)(\.\d{0,5}[1-9])?$/);
    expect((await ctx.placement('deadbeef').expect(200)).body).toEqual(first);
    const all = (await ctx.placement('deadbeef', 16).expect(200)).body.items;
    expect(all).toHaveLength(4);
    expect(all.slice(0, 3)).toEqual(first.items);
    // A drained prover leaves the ranking; the others keep their order.
    const gone = all[0].prover_id;
    await ctx.drain(ps.find((p) => p.name === gone)!);
    const after = (await ctx.placement('deadbeef', 16).expect(200)).body.items;
    expect(after.map((i: { prover_id: string }) => i.prover_id)).toEqual(
      all.slice(1).map((i: { prover_id: string }) => i.prover_id),
    );
    for (const rf of ['0', '17', 'abc', '1.5', '-1']) {
      expect((await ctx.placement('deadbeef', rf).expect(400)).body.code).toBe('DSE-001');
    }
    const tooLong = 'a'.repeat(257);
    expect((await ctx.placement(tooLong).expect(400)).body.code).toBe('DSE-001');
    expect((await ctx.placement('a%20b').expect(400)).body.code).toBe('DSE-001');
  });

  it("AssignJobCommand joins the tick's transaction (a rollback undoes it)", async () => {
    const client = await ctx.fundedClient('10');
    const p = await prover();
    const id = await ctx.submitted(client.key);
    const uow = t.app.get(UnitOfWork);
    const commands = t.app.get(CommandBus);
    await expect(
      uow.run(async () => {
        await commands.execute(new AssignJobCommand(id, [p.name]));
        const [inside] = await uow.tx.query(`SELECT status FROM jobs WHERE network_job_id = $1`, [id]);
        expect(inside.status).toBe('ASSIGNED');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await ctx.jobRow(id)).toMatchObject({ status: 'PENDING', provers: [] });
    await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
  });

  it('AssignJobsCommand assigns a batch all or nothing, with one chained assignment receipt per job', async () => {
    const client = await ctx.fundedClient('10');
    const [p1, p2] = [await prover(), await prover()];
    const ids = [await ctx.submitted(client.key), await ctx.submitted(client.key), await ctx.submitted(client.key)];
    const commands = t.app.get(CommandBus);
    // One bad entry (a prover twice for a one-replica job) and nothing of the batch is written.
    await expect(
      commands.execute(
        new AssignJobsCommand([
          { jobId: ids[0], proverIds: [p1.name] },
          { jobId: ids[1], proverIds: [p1.name, p1.name] },
        ]),
      ),
    ).rejects.toThrow(/distinct prover/);
    for (const id of ids) expect(await ctx.jobRow(id)).toMatchObject({ status: 'PENDING', provers: [] });

    const assigned = await commands.execute(
      new AssignJobsCommand([
        { jobId: ids[2], proverIds: [p2.name] },
        { jobId: ids[0], proverIds: [p1.name] },
        { jobId: ids[1], proverIds: [p2.name] },
      ]),
    );
    expect(assigned.map((j) => [j.network_job_id, j.status])).toEqual([
      [ids[2], 'ASSIGNED'],
      [ids[0], 'ASSIGNED'],
      [ids[1], 'ASSIGNED'],
    ]);
    expect((await ctx.jobRow(ids[0])).provers).toEqual([p1.name]);
    expect((await ctx.jobRow(ids[1])).provers).toEqual([p2.name]);
    for (const [id, p] of [
      [ids[0], p1],
      [ids[1], p2],
      [ids[2], p2],
    ] as const) {
      const chain = (await t.http().get(`/v1/jobs/${id}/receipts`).set(ctx.admin()).expect(200)).body;
      const receipts = chain.receipts;
      expect(receipts).toHaveLength(1);
      expect(receipts[0].receipt).toMatchObject({
        kind: 'assignment',
        seq: 1,
        network_job_id: id,
        prev_receipt_hash: null,
        provers: [{ prover_id: p.name, replica: 1 }],
      });
      expect((await t.http().post('/v1/receipts/verify').send(receipts[0]).expect(200)).body.valid).toBe(true);
    }
  });
});

import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('admin views of jobs', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    // Jobs move only by the routes here (an admin assigns): no scheduler.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  it('lists jobs with filters and a cursor, and reports stats', async () => {
    const client = await ctx.fundedClient('50');
    const prover = await ctx.workingProver();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++)
      ids.push((await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id);
    await ctx.assign(ids[0], [prover.name]).expect(201);
    await ctx.start(ids[0], prover.key).expect(201);
    await ctx.report(ids[0], prover.key, { success: true, final_cost_micros: 400_000 }).expect(201);
    await t.http().post(`/v1/jobs/${ids[1]}/cancel`).set(client.key).expect(200);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await t
        .http()
        .get('/v1/admin/jobs')
        .query({ client_id: client.name, limit: 3, ...(cursor ? { cursor } : {}) })
        .set(ctx.admin())
        .expect(200);
      seen.push(...page.body.items.map((j: { network_job_id: string }) => j.network_job_id));
      cursor = page.body.next_cursor ?? undefined;
    } while (cursor);
    expect([...seen].sort()).toEqual([...ids].sort());

    const byProver = await t
      .http()
      .get('/v1/admin/jobs')
      .query({ prover_id: prover.name })
      .set(ctx.admin())
      .expect(200);
    expect(byProver.body.items.map((j: { network_job_id: string }) => j.network_job_id)).toEqual([ids[0]]);
    const cancelled = await t
      .http()
      .get('/v1/admin/jobs')
      .query({ status: 'CANCELLED', client_id: client.name })
      .set(ctx.admin())
      .expect(200);
    expect(cancelled.body.items.map((j: { network_job_id: string }) => j.network_job_id)).toEqual([ids[1]]);
    await t.http().get('/v1/admin/jobs').query({ status: 'DONE' }).set(ctx.admin()).expect(400);
    // Garbage, and cursors shaped like real ones but naming an instant or id Postgres cannot take.
    for (const text of [
      'garbage',
      `-010000-01-01T00:00:00.000Z|${ids[0]}`,
      `0000-01-01T00:00:00.000Z|${ids[0]}`,
      `2026-02-30T00:00:00.000Z|${ids[0]}`,
      `2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`,
      `2026-01-01T00:00:00.000Z|${ids[0]}|x`,
    ]) {
      const cursor = text === 'garbage' ? text : Buffer.from(text).toString('base64url');
      const res = await t.http().get('/v1/admin/jobs').query({ cursor }).set(ctx.admin());
      expect([res.status, res.body.code, res.body.detail]).toEqual([
        400,
        'DSE-001',
        'cursor is not one this API returned',
      ]);
    }
    await t.http().get('/v1/admin/jobs').set(client.key).expect(403);

    const stats = await t.http().get('/v1/admin/stats').set(ctx.admin()).expect(200);
    expect(stats.body.jobs_by_status.PENDING).toBe(5);
    expect(stats.body.escrow_micros).toBe('5000000');
    expect(stats.body.total_supply_micros).toBe('50000000');
  });

  it('refuses a result before the job runs, and an assignment of the wrong size', async () => {
    const client = await ctx.fundedClient('5');
    const [a, b] = [await ctx.workingProver(), await ctx.workingProver()];
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    expect((await ctx.assign(id, [a.name, b.name]).expect(400)).body.code).toBe('DSE-001');
    await ctx.assign(id, [a.name]).expect(201);
    expect((await ctx.report(id, a.key, { success: true, final_cost_micros: 1 }).expect(409)).body.code).toBe(
      'DSE-010',
    );
    expect((await ctx.start(id, b.key).expect(404)).body.code).toBe('DSE-003');
    const other = await ctx.fundedClient('1');
    await t.http().post(`/v1/jobs/${id}/cancel`).set(other.key).expect(404);
    await t.http().get(`/v1/jobs/${id}`).set(other.key).expect(404);
    await t.http().get(`/v1/jobs/${id}`).set(client.key).expect(200);
    await t.http().get(`/v1/jobs/${id}`).set(a.key).expect(200);
    expect(
      (
        await ctx
          .submit(client.key, { max_cost_micros: 1, payload_encoding: 'base64', payload: 'not base64!' })
          .expect(400)
      ).body.code,
    ).toBe('DSE-001');
    await ctx.submit(client.key, { max_cost_micros: 1, payload_encoding: 'base64', payload: 'aGVsbG8=' }).expect(201);
    await t.http().post('/v1/jobs/submit').set(client.key).send({ max_cost_micros: 1 }).expect(400);
  });

  it('an admin assigns only to provers that may take the job: known, active, with room, meeting its requirements', async () => {
    const client = await ctx.fundedClient('10');
    const submit = async (body: Record<string, unknown> = {}) =>
      (await ctx.submit(client.key, { max_cost_micros: 1_000_000, ...body }).expect(201)).body.network_job_id as string;
    const refused = async (id: string, prover: string, status: number, code: string) => {
      const res = await ctx.assign(id, [prover]).expect(status);
      expect(res.body.code).toBe(code);
      // Nothing moved: the job still waits, its credits still held.
      expect((await ctx.job(id)).body).toMatchObject({ status: 'PENDING', assignments: [] });
    };
    const id = await submit();
    await refused(id, ctx.name('nobody'), 404, 'DSE-004');
    const draining = await ctx.workingProver();
    await t.http().post(`/v1/provers/${draining.name}/drain`).set(draining.key).send({}).expect(200);
    await refused(id, draining.name, 409, 'DSE-010');
    const small = await ctx.workingProver(1);
    await ctx.assign(await submit(), [small.name]).expect(201);
    await refused(id, small.name, 409, 'DSE-010');
    const ready = await ctx.workingProver();
    await refused(await submit({ requirements: { gpu_count: 8 } }), ready.name, 400, 'DSE-001');
    await ctx.assign(id, [ready.name]).expect(201);
    expect((await ctx.job(id)).body.status).toBe('ASSIGNED');
  });
});

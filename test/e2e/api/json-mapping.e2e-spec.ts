import type { Response } from 'supertest';
import { JOB_AUDIT } from '@tally/jobs';
import { SCORECARD_UPDATE } from '@tally/provers';
import { ProversCtx } from '../../support/provers-ctx';
import { sendRawJson, startTestApp, type TestApp } from '../../support/test-app';

/** RFC 3339 in UTC, as the mapping writes every Timestamp. */
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** An int64 as the mapping writes it: a decimal string. */
const INT64 = /^-?(0|[1-9]\d*)$/;
const int64 = expect.stringMatching(INT64);
const timestamp = expect.stringMatching(RFC3339);

/** 400 DSE-001 problem+json naming the field (as `field`, or in `errors` for the validation pipe). */
function expectRefused(res: Response, field: string): void {
  expect(res.status).toBe(400);
  expect(res.body.code).toBe('DSE-001');
  const fields = [res.body.field, ...((res.body.errors ?? []) as { field: string }[]).map((e) => e.field)];
  expect(fields).toContain(field);
}

/** docs/api.md, "JSON mapping": int64 as strings (read from strings or numbers), doubles as numbers, enums by name, RFC 3339. */
describe('the proto3 JSON mapping on REST and in the event payloads', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  let prover: { name: string; key: Record<string, string> };
  let client: { name: string; key: Record<string, string> };
  let jobId: string;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false', SCORE_DECAY_HALF_LIFE_MS: '0' });
    ctx = new ProversCtx(t);
    prover = await ctx.registeredProver();
    await ctx.heartbeat(prover.name, prover.key, { load_factor: 0.5 }).expect(200);
    client = await ctx.fundedClient('10');
    const submitted = await ctx.submit(client.key, { max_cost_micros: '3000000', priority: 'HIGH' }).expect(201);
    expect(submitted.body).toEqual({ network_job_id: expect.any(String), status: 'PENDING', held_micros: '3000000' });
    jobId = submitted.body.network_job_id;
    await ctx.assign(jobId, [prover.name]).expect(201);
    const polled = await ctx.poll(prover.name, prover.key).expect(200);
    expect(polled.body).toMatchObject({ network_job_id: jobId, max_cost_micros: '3000000', priority: 'HIGH' });
    await ctx.report(jobId, prover.key, { success: true, final_cost_micros: 1_200_000 }).expect(201);
    await ctx.waitForScoreVersion(prover.name, 1);
    // Its audit entry moves it on to AUDITED (the relay's work, after the commit).
    for (let i = 0; i < 200 && (await ctx.job(jobId).expect(200)).body.status !== 'AUDITED'; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(() => t.close());

  const json = (method: 'post' | 'put', path: string, key: Record<string, string>, body: string) =>
    sendRawJson(t, method, path, key, body);

  it('a job: int64 micros and version as strings, statuses and priority by name, RFC 3339 timestamps', async () => {
    const { body } = await ctx.job(jobId).expect(200);
    expect(body).toMatchObject({
      status: 'AUDITED',
      priority: 'HIGH',
      replicas: 1,
      max_cost_micros: '3000000',
      held_micros: '3000000',
      final_cost_micros: '1200000',
      refunded_micros: expect.stringMatching(INT64),
      platform_fee_micros: expect.stringMatching(INT64),
      version: int64,
      assignments: [
        {
          prover_id: prover.name,
          status: 'REPORTED',
          success: true,
          final_cost_micros: '1200000',
          reward_micros: int64,
        },
      ],
    });
    expect(body.timestamps).toMatchObject({
      submitted_at: timestamp,
      assigned_at: timestamp,
      started_at: timestamp,
      completed_at: timestamp,
      failed_at: null,
      cancelled_at: null,
      audited_at: timestamp,
    });
    const listed = (await t.http().get('/v1/admin/jobs?limit=500').set(ctx.admin()).expect(200)).body.items;
    expect(listed.find((j: { network_job_id: string }) => j.network_job_id === jobId)).toMatchObject({
      status: 'AUDITED',
      priority: 'HIGH',
      max_cost_micros: '3000000',
      final_cost_micros: '1200000',
      submitted_at: timestamp,
      completed_at: timestamp,
    });
  });

  it('a prover: doubles as numbers, int64 counters and version as strings, RFC 3339 timestamps', async () => {
    const { body } = await ctx.getProver(prover.name).expect(200);
    expect(body).toMatchObject({
      state: 'active',
      score_value: 55,
      score_recorded: 55,
      successful_jobs: '1',
      failed_jobs: '0',
      version: '1',
      load_factor: 0.5,
      last_heartbeat: timestamp,
      last_scored_at: timestamp,
      registered_at: timestamp,
    });
    const listed = (await t.http().get('/v1/admin/provers?limit=500').set(ctx.admin()).expect(200)).body.items;
    expect(listed.find((p: { prover_id: string }) => p.prover_id === prover.name)).toMatchObject({
      score_value: 55,
      successful_jobs: '1',
      version: '1',
      load_factor: 0.5,
    });
    const caps = (await t.http().get(`/v1/provers/${prover.name}/capabilities`).set(prover.key).expect(200)).body;
    expect(typeof caps.hardware_profile.network_bandwidth_gbps).toBe('number');
  });

  it('an account, a service schedule and the scheduler config: version an int64 string', async () => {
    const account = await t.http().get(`/v1/credits/accounts/user/${client.name}`).set(ctx.admin()).expect(200);
    expect(account.body).toMatchObject({ version: int64, created_at: timestamp });
    const service = await t
      .http()
      .put('/v1/registry/services/json-mapping')
      .set(ctx.admin())
      .send({ price_per_unit: '1', unit: 'job', size_factor: '1', minimum_charge: '0', hardware_requirements: {} })
      .expect(201);
    expect(service.body).toMatchObject({ version: '1', created_at: timestamp, updated_at: timestamp });
    const config = await t.http().get('/v1/scheduler/config').set(ctx.admin()).expect(200);
    expect(config.body).toMatchObject({ version: int64, updated_at: timestamp });
  });

  it('ScorecardUpdateEvent: the fields §5 names, the score a number, expected_version an int64 string', async () => {
    const [event] = await t.dataSource.query(
      `SELECT event_id::text, payload FROM outbox WHERE event_type = $1 AND partition_key = $2`,
      [SCORECARD_UPDATE, prover.name],
    );
    expect(event.payload).toEqual({
      prover_id: prover.name,
      delta_success: 1,
      delta_failure: 0,
      new_score_value: 55,
      expected_version: '0',
      event_id: event.event_id,
      emitted_at: timestamp,
    });
  });

  it('JobAuditEvent: the fields §5 names, status the JobStatus name, final_cost_micros an int64 string', async () => {
    const [event] = await t.dataSource.query(
      `SELECT event_id::text, payload FROM outbox WHERE event_type = $1 AND partition_key = $2`,
      [JOB_AUDIT, jobId],
    );
    expect(event.payload).toEqual({
      network_job_id: jobId,
      timestamp,
      client_job_id: null,
      prover_id: prover.name,
      status: 'COMPLETED',
      final_cost_micros: '1200000',
      error_message: null,
      event_id: event.event_id,
    });
  });

  describe('int64 inputs: a decimal string or a JSON integer', () => {
    it.each([
      ['"123"', '123'],
      ['123', '123'],
    ])('max_cost_micros %s is read as %s', async (text, held) => {
      const res = await json('post', '/v1/jobs/submit', client.key, `{"payload":{},"max_cost_micros":${text}}`);
      expect(res.status).toBe(201);
      expect(res.body.held_micros).toBe(held);
    });

    it.each([
      '1.5',
      '"1.5"',
      '"1e3"',
      '1e400',
      '"9223372036854775808"',
      '9223372036854775808',
      '9007199254740993',
      '" 1"',
      'true',
    ])('max_cost_micros %s is refused', async (text) => {
      expectRefused(
        await json('post', '/v1/jobs/submit', client.key, `{"payload":{},"max_cost_micros":${text}}`),
        'max_cost_micros',
      );
    });

    it('final_cost_micros: the same rule on a report (nothing written by a refusal)', async () => {
      const p = await ctx.registeredProver();
      const id = await ctx.polledJob([p]);
      for (const text of ['1.5', '"1e3"', '9223372036854775808', '"9223372036854775808"']) {
        expectRefused(
          await json('post', `/v1/jobs/${id}/result`, p.key, `{"success":true,"final_cost_micros":${text}}`),
          'final_cost_micros',
        );
      }
      expect((await ctx.job(id).expect(200)).body.status).toBe('RUNNING');
      const ok = await json('post', `/v1/jobs/${id}/result`, p.key, '{"success":true,"final_cost_micros":"1000"}');
      expect(ok.status).toBe(201);
      expect((await ctx.job(id).expect(200)).body).toMatchObject({ final_cost_micros: '1000' });
    });

    it('version on PUT /v1/scheduler/config: a string or a number, never 1.5 or "1e3"', async () => {
      const { version } = (await t.http().get('/v1/scheduler/config').set(ctx.admin()).expect(200)).body;
      for (const text of ['1.5', '"1e3"', '"1.0"', '"9223372036854775808"']) {
        expectRefused(
          await json('put', '/v1/scheduler/config', ctx.admin(), `{"w_score":"1","w_load":"1","version":${text}}`),
          'version',
        );
      }
      const asString = await json(
        'put',
        '/v1/scheduler/config',
        ctx.admin(),
        `{"w_score":"2","w_load":"1","version":"${version}"}`,
      );
      expect(asString.status).toBe(200);
      const next = asString.body.version;
      expect(next).toBe(String(Number(version) + 1));
      const asNumber = await json(
        'put',
        '/v1/scheduler/config',
        ctx.admin(),
        `{"w_score":"3","w_load":"1","version":${next}}`,
      );
      expect(asNumber.status).toBe(200);
      expect(asNumber.body.version).toBe(String(Number(next) + 1));
    });
  });
});

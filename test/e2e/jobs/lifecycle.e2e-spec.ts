import { randomUUID } from 'node:crypto';
import { JobsCtx } from '../../support/jobs-ctx';
import { microsOf } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('job lifecycle settlement', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    // Jobs move only by the routes here (an admin assigns): no scheduler.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  it('success: holds at submit, captures the final cost, rewards the prover, releases the rest', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.workingProver();
    const submitted = await ctx.submit(client.key, { max_cost_micros: 5_000_000 }).expect(201);
    expect(submitted.body).toMatchObject({ status: 'PENDING', held_micros: '5000000' });
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '10', pending: '5', available: '5' });
    const id = submitted.body.network_job_id;
    await ctx.assign(id, [prover.name]).expect(201);
    await ctx.start(id, prover.key).expect(201);

    const platformBefore = await ctx.postedMicros('platform', 'main');
    const escrowBefore = await ctx.balance('escrow', 'main');
    const result = await ctx.report(id, prover.key, { success: true, final_cost_micros: 2_000_001 }).expect(201);
    expect(result.body).toEqual({
      network_job_id: id,
      outcome: 'COMPLETED',
      final_cost_micros: '2000001',
      reward_micros: '1800000',
      refunded_micros: '2999999',
    });
    expect(await ctx.balance('user', client.name)).toMatchObject({
      posted: '7.999999',
      pending: '0',
      available: '7.999999',
    });
    expect(await ctx.balance('provider', prover.name)).toMatchObject({ posted: '1.8' });
    // fee 10% of 2.000001 = 0.2000001 → the platform keeps 0.200001 (the division's remainder included)
    expect((await ctx.postedMicros('platform', 'main')) - platformBefore).toBe(200_001n);
    expect(microsOf((await ctx.balance('escrow', 'main')).posted)).toBe(microsOf(escrowBefore.posted));
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });

    expect(await ctx.waitForStatus(id, 'AUDITED')).toBe('AUDITED');
    const job = (await ctx.job(id)).body;
    expect(job).toMatchObject({
      final_cost_micros: '2000001',
      refunded_micros: '2999999',
      assigned_prover: prover.name,
    });
    expect(job.timestamps.audited_at).not.toBeNull();
    const audit = await t.dataSource.query(`SELECT event FROM job_audit_log WHERE network_job_id = $1`, [id]);
    expect(audit).toHaveLength(1);
    expect(Object.keys(audit[0].event).sort()).toEqual([
      'client_job_id',
      'error_message',
      'event_id',
      'final_cost_micros',
      'network_job_id',
      'prover_id',
      'status',
      'timestamp',
    ]);
  });

  it('failure: voids the hold, a full refund', async () => {
    const client = await ctx.fundedClient('3');
    const prover = await ctx.workingProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 3_000_000 });
    const res = await ctx.report(id, prover.key, { success: false, error_message: 'out of memory' }).expect(201);
    expect(res.body).toMatchObject({ outcome: 'FAILED', refunded_micros: '3000000' });
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '3', pending: '0', available: '3' });
    const job = (await ctx.job(id)).body;
    expect(job).toMatchObject({ status: 'FAILED', error_message: 'out of memory' });
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it.each(['PENDING', 'ASSIGNED', 'RUNNING'])(
    'cancel from %s refunds everything; a second cancel answers as the first, refunding nothing more',
    async (from) => {
      const client = await ctx.fundedClient('2');
      const prover = await ctx.workingProver();
      const id = (await ctx.submit(client.key, { max_cost_micros: '2000000' }).expect(201)).body.network_job_id;
      if (from !== 'PENDING') await ctx.assign(id, [prover.name]).expect(201);
      if (from === 'RUNNING') await ctx.start(id, prover.key).expect(201);
      const cancelled = await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
      expect(cancelled.body).toMatchObject({ status: 'CANCELLED', refunded_micros: '2000000' });
      expect(cancelled.headers['idempotent-replayed']).toBeUndefined();
      expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '2', pending: '0' });
      const again = await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
      expect(again.text).toBe(cancelled.text);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '2', pending: '0' });
      if (from === 'RUNNING') {
        const late = await ctx.report(id, prover.key, { success: true, final_cost_micros: 1 }).expect(409);
        expect(late.body.code).toBe('DSE-010');
      }
    },
  );

  it('replicas: a majority with one dissenter pays the majority the median cost in equal shares', async () => {
    const client = await ctx.fundedClient('10');
    const [a, b, c] = [await ctx.workingProver(), await ctx.workingProver(), await ctx.workingProver()];
    const id = await ctx.running(client.key, [a, b, c], { max_cost_micros: 9_000_000, replicas: 3 });
    const first = await ctx
      .report(id, a.key, { success: true, final_cost_micros: 3_000_000, result_hash: 'h1' })
      .expect(201);
    expect(first.body.outcome).toBe('AWAITING_REPLICAS');
    await ctx.report(id, c.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'other' }).expect(201);
    const decided = await ctx
      .report(id, b.key, { success: true, final_cost_micros: 2_000_000, result_hash: 'h1' })
      .expect(201);
    // majority a (3.0) and b (2.0): lower median 2.0; pool 1.8 → 0.9 each
    expect(decided.body).toMatchObject({ outcome: 'COMPLETED', final_cost_micros: '2000000', reward_micros: '900000' });
    expect((await ctx.balance('provider', a.name)).posted).toBe('0.9');
    expect((await ctx.balance('provider', b.name)).posted).toBe('0.9');
    expect((await ctx.balance('provider', c.name)).posted).toBe('0');
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '8', pending: '0' });
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('replicas: no possible majority fails the job with a full refund', async () => {
    const client = await ctx.fundedClient('4');
    const [a, b] = [await ctx.workingProver(), await ctx.workingProver()];
    const id = await ctx.running(client.key, [a, b], { max_cost_micros: 4_000_000, replicas: 2 });
    await ctx.report(id, a.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'x' }).expect(201);
    const res = await ctx
      .report(id, b.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'y' })
      .expect(201);
    expect(res.body.outcome).toBe('FAILED');
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '4', pending: '0' });
  });

  it('a JSON array body is 400 DSE-001 on every job route, those that take no fields included', async () => {
    const client = await ctx.fundedClient('1');
    const prover = await ctx.workingProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    for (const [path, key] of [
      [`/v1/jobs/${id}/cancel`, client.key],
      [`/v1/jobs/${id}/result`, prover.key],
      ['/v1/jobs/submit', client.key],
    ] as const) {
      const res = await t.http().post(path).set(key).set('content-type', 'application/json').send('[]').expect(400);
      expect(res.body).toMatchObject({ code: 'DSE-001', detail: 'request body must be a JSON object' });
    }
    expect((await ctx.job(id)).body.status).toBe('RUNNING');
  });

  it('a report that contradicts itself is 400 DSE-001 and settles nothing', async () => {
    const client = await ctx.fundedClient('1');
    const prover = await ctx.workingProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    for (const [report, field] of [
      [{ success: true, final_cost_micros: '5', error_message: 'oops' }, 'error_message'],
      [{ success: false, final_cost_micros: '5' }, 'final_cost_micros'],
      [{ success: false, error_message: 'oom', result_hash: 'h1' }, 'result_hash'],
    ] as const) {
      const res = await ctx.report(id, prover.key, report).expect(400);
      expect(res.body.code).toBe('DSE-001');
      expect(res.body.errors).toEqual([
        { field, message: `${field} must be left out when success is ${report.success}` },
      ]);
    }
    expect((await ctx.job(id)).body.status).toBe('RUNNING');
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '1' });
    const failed = await ctx.report(id, prover.key, { success: false, error_message: 'oom' }).expect(201);
    expect(failed.body).toMatchObject({ outcome: 'FAILED', final_cost_micros: null });
  });

  it('a report refused as an illegal move names the transition it asked for', async () => {
    const client = await ctx.fundedClient('4');
    const [a, b, c] = [await ctx.workingProver(), await ctx.workingProver(), await ctx.workingProver()];
    const id = await ctx.running(client.key, [a, b, c], { max_cost_micros: 3_000_000, replicas: 3 });
    await ctx.report(id, a.key, { success: false, error_message: 'oom' }).expect(201);
    expect((await ctx.report(id, b.key, { success: false, error_message: 'oom' }).expect(201)).body.outcome).toBe(
      'FAILED',
    );
    // c's replica was called off when the job failed; a's earlier report was a different one.
    for (const [key, report] of [
      [c.key, { success: false, error_message: 'late' }],
      [a.key, { success: false, error_message: 'changed my mind' }],
    ] as const) {
      const res = await ctx.report(id, key, report).expect(409);
      expect(res.body).toMatchObject({ code: 'DSE-010', from: 'FAILED', to: 'FAILED' });
    }
    const late = await ctx.report(id, c.key, { success: true, final_cost_micros: 1, result_hash: 'h' }).expect(409);
    expect(late.body).toMatchObject({ code: 'DSE-010', from: 'FAILED', to: 'COMPLETED' });
  });

  it('guards: 402 creates no job, DSE-013 settles nothing, other provers 403, illegal moves DSE-010', async () => {
    const client = await ctx.fundedClient('1');
    const jobsBefore = (await t.dataSource.query(`SELECT count(*)::int AS n FROM jobs`))[0].n;
    const poor = await ctx.submit(client.key, { max_cost_micros: 1_000_001 }).expect(402);
    expect(poor.body.code).toBe('DSE-008');
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM jobs`))[0].n).toBe(jobsBefore);

    const prover = await ctx.workingProver();
    const stranger = await ctx.workingProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    const over = await ctx.report(id, prover.key, { success: true, final_cost_micros: 1_000_001 }).expect(422);
    expect(over.body.code).toBe('DSE-013');
    expect((await ctx.job(id)).body.status).toBe('RUNNING');
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '1' });
    // Another prover's job is unknown to it, on report as on GET: it cannot even tell the job exists.
    const wrong = await ctx.report(id, stranger.key, { success: true, final_cost_micros: 1 }).expect(404);
    expect(wrong.body.code).toBe('DSE-003');
    await t.http().get(`/v1/jobs/${id}`).set(stranger.key).expect(404);
    // RUNNING → ASSIGNED is a give-back's move, not an assignment's.
    expect((await ctx.assign(id, [stranger.name]).expect(409)).body).toMatchObject({
      code: 'DSE-010',
      from: 'RUNNING',
      to: 'ASSIGNED',
      detail: 'a RUNNING job cannot be assigned: only a PENDING one can',
    });
    const first = await ctx.report(id, prover.key, { success: true, final_cost_micros: 500_000 }).expect(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const changed = await ctx.report(id, prover.key, { success: true, final_cost_micros: 400_000 }).expect(409);
    expect(changed.body.code).toBe('DSE-010');
    expect(changed.body).toMatchObject({ to: 'COMPLETED', detail: 'a different result was already reported' });
    const same = await ctx.report(id, prover.key, { success: true, final_cost_micros: 500_000 }).expect(201);
    expect(same.body).toMatchObject({ outcome: 'COMPLETED', final_cost_micros: '500000' });
    expect(same.body.replayed).toBeUndefined();
    expect(same.headers['idempotent-replayed']).toBe('true');
    await t.http().get(`/v1/jobs/987654321`).set(ctx.admin()).expect(404);
    for (const bad of [
      { max_cost_micros: 0 },
      { max_cost_micros: -5 },
      { max_cost_micros: 1.5 },
      { max_cost_micros: '9223372036854775808' },
      { max_cost_micros: 5, replicas: 8 },
      { max_cost_micros: 5, priority: 'URGENT' },
    ]) {
      const res = await ctx.submit(client.key, bad).expect(400);
      expect(res.body.code).toBe('DSE-001');
    }
  });

  it('requirements no prover could meet (unknown attributes, wrong types) are 400 DSE-001: no job, nothing held', async () => {
    const client = await ctx.fundedClient('10');
    for (const requirements of [
      { bogus: 1 },
      { gpu_count: 'x' },
      { gpu_count: -1 },
      { features: ['fp32'] },
      { zk_acceleration: { groth16: 'yes' } },
      { a: { b: { c: 1 } } },
      'gpu',
      [{ gpu_count: 1 }],
      // Object.prototype's names are not prover attributes either (and must not vanish on the way in).
      ...['toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'isPrototypeOf'].map((key) => ({ [key]: 1 })),
      { hardware_profile: { toString: 1 } },
      // Values no prover can register: its storage types and its gpu_count range (0-64).
      { storage_type: 'floppy' },
      { gpu_count: 100_000_000_000 },
      { gpu_count: 65 },
      { zk_acceleration: ['msm'] },
    ]) {
      const res = await ctx.submit(client.key, { max_cost_micros: 1_000_000, requirements }).expect(400);
      expect(res.body.code).toBe('DSE-001');
      expect(JSON.stringify(res.body)).toMatch(/requirements/);
    }
    // These two the body parser refuses before validation (see the payload test below).
    for (const key of ['constructor', '__proto__']) {
      const res = await t
        .http()
        .post('/v1/jobs/submit')
        .set(client.key)
        .set('content-type', 'application/json')
        .send(`{"payload":{},"max_cost_micros":"1000","requirements":{"${key}":1}}`)
        .expect(400);
      expect(res.body.code).toBe('DSE-001');
    }
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '10', pending: '0', available: '10' });
    const [{ jobs }] = await t.dataSource.query(`SELECT count(*)::int AS jobs FROM jobs WHERE client_id = $1`, [
      client.name,
    ]);
    expect(jobs).toBe(0);
    const ok = await ctx
      .submit(client.key, {
        max_cost_micros: 1_000_000,
        requirements: { gpu_count: 1, capabilities: { zk_acceleration: { stark: true } }, region: 'eu-west-1' },
      })
      .expect(201);
    expect(ok.body.status).toBe('PENDING');
    const edges = await ctx
      .submit(client.key, { max_cost_micros: 1_000_000, requirements: { gpu_count: 64, storage_type: 'network' } })
      .expect(201);
    expect((await ctx.job(edges.body.network_job_id)).body.requirements).toEqual({
      gpu_count: 64,
      storage_type: 'network',
    });
  });

  it('stores an opaque payload as sent, keys named like Object.prototype methods included', async () => {
    const client = await ctx.fundedClient('1');
    const payload = { toString: 'x', valueOf: { __defineGetter__: 1 }, nested: [{ hasOwnProperty: true }] };
    const res = await ctx.submit(client.key, { max_cost_micros: 1_000, payload }).expect(201);
    const [row] = await t.dataSource.query(`SELECT payload FROM jobs WHERE network_job_id = $1`, [
      res.body.network_job_id,
    ]);
    expect(row.payload).toEqual(payload);
    // Keys the framework would strip without a word are refused instead of lost.
    for (const key of ['constructor', 'prototype', '__proto__']) {
      const refused = await t
        .http()
        .post('/v1/jobs/submit')
        .set(client.key)
        .set('content-type', 'application/json')
        .send(`{"payload":{"${key}":1},"max_cost_micros":"1000"}`)
        .expect(400);
      expect(refused.body).toMatchObject({ code: 'DSE-001', detail: expect.stringContaining(`(${key})`) });
    }
  });

  it('races: identical reports settle once; cancel racing a result leaves the ledger matching the winner', async () => {
    const client = await ctx.fundedClient('20');
    const prover = await ctx.workingProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 2_000_000 });
    const reports = await Promise.all(
      Array.from({ length: 20 }, () => ctx.report(id, prover.key, { success: true, final_cost_micros: 1_000_000 })),
    );
    expect(reports.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(reports.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect((await ctx.balance('provider', prover.name)).posted).toBe('0.9');
    const captures = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM transfers WHERE job_id = $1 AND kind = 'capture'`,
      [id],
    );
    expect(captures[0].n).toBe(1);

    for (let i = 0; i < 5; i++) {
      const racer = await ctx.workingProver();
      const job = await ctx.running(client.key, [racer], { max_cost_micros: 1_000_000 });
      const before = await ctx.balance('user', client.name);
      const [cancel, result] = await Promise.all([
        t.http().post(`/v1/jobs/${job}/cancel`).set(client.key),
        ctx.report(job, racer.key, { success: true, final_cost_micros: 600_000 }),
      ]);
      // Exactly one wins: the cancel (200, the report 409) or the report (201, the cancel 409).
      expect([
        [200, 409],
        [409, 201],
      ]).toContainEqual([cancel.status, result.status]);
      const after = await ctx.balance('user', client.name);
      const spent = microsOf(before.posted) - microsOf(after.posted);
      expect(spent).toBe(cancel.status === 200 ? 0n : 600_000n);
      expect(after.pending).toBe(before.pending === '1' ? '0' : String(microsOf(before.pending) - 1_000_000n));
    }
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('prices a job by its service: the hold is the estimate, which must fit under max_cost_micros', async () => {
    const service = `svc-${ctx.name('s').toLowerCase()}`;
    await t
      .http()
      .put(`/v1/registry/services/${service}`)
      .set(ctx.admin())
      .send({
        price_per_unit: '0.01',
        unit: 'gpu_second',
        size_factor: '1.5',
        minimum_charge: '0.5',
        hardware_requirements: {},
      })
      .expect(201);
    const client = await ctx.fundedClient('10');
    // 0.01 × 120 × 1.5 = 1.8 credits per replica, × 2 replicas = 3.6
    const priced = await ctx
      .submit(client.key, { max_cost_micros: 5_000_000, service, units: '120', replicas: 2 })
      .expect(201);
    expect(priced.body.held_micros).toBe('3600000');
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '3.6', available: '6.4' });
    const tooDear = await ctx
      .submit(client.key, { max_cost_micros: 3_599_999, service, units: '120', replicas: 2 })
      .expect(422);
    expect(tooDear.body.code).toBe('DSE-013');
    await ctx.submit(client.key, { max_cost_micros: 5_000_000, service: 'no-such-service', units: '1' }).expect(404);
    await ctx.submit(client.key, { max_cost_micros: 5_000_000, service }).expect(400);
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '3.6' });

    const [a, b] = [await ctx.workingProver(), await ctx.workingProver()];
    const id = priced.body.network_job_id;
    await ctx.assign(id, [a.name, b.name]).expect(201);
    await ctx.start(id, a.key).expect(201);
    await ctx.start(id, b.key).expect(201);
    await ctx.report(id, a.key, { success: true, final_cost_micros: 3_600_001, result_hash: 'r' }).expect(422);
    await ctx.report(id, a.key, { success: true, final_cost_micros: 3_000_000, result_hash: 'r' }).expect(201);
    await ctx.report(id, b.key, { success: true, final_cost_micros: 3_000_000, result_hash: 'r' }).expect(201);
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '7', pending: '0' });
  });

  it('20 concurrent submits with one client_job_id create one job and one hold', async () => {
    const client = await ctx.fundedClient('5');
    const body = { client_job_id: 'same-job', max_cost_micros: 1_000_000 };
    const results = await Promise.all(Array.from({ length: 20 }, () => ctx.submit(client.key, body)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(results.map((r) => r.body.network_job_id)).size).toBe(1);
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '1', available: '4' });
    const other = await ctx.submit(client.key, { ...body, max_cost_micros: 2_000_000 }).expect(409);
    expect(other.body.code).toBe('DSE-009');
  });

  it('an Idempotency-Key names the submission as client_job_id does: retries (even at once) get the one job and one hold', async () => {
    const client = await ctx.fundedClient('5');
    const key = `retry-${randomUUID()}`;
    const body = { max_cost_micros: 1_000_000, payload: { n: 1 } };
    const submit = (b: Record<string, unknown>, k = key) => ctx.submit(client.key, b).set('Idempotency-Key', k);
    const results = await Promise.all(Array.from({ length: 10 }, () => submit(body)));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    const ids = new Set(results.map((r) => r.body.network_job_id));
    expect(ids.size).toBe(1);
    const [id] = ids;
    expect(results.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
    expect((await ctx.job(id).expect(200)).body.client_job_id).toBe(key);
    // The body may name the same id; the key is then the same submission.
    expect((await submit({ ...body, client_job_id: key }).expect(201)).body.network_job_id).toBe(id);
    expect((await submit({ ...body, max_cost_micros: 2_000_000 }).expect(409)).body.code).toBe('DSE-009');
    for (const [b, k] of [
      [{ ...body, client_job_id: 'another' }, key],
      [body, 'has a space'],
      [body, 'x'.repeat(129)],
    ] as const) {
      const res = await submit(b, k).expect(400);
      expect(res.body).toMatchObject({ code: 'DSE-001', field: 'Idempotency-Key' });
    }
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '1', available: '4' });
  });

  it('a resubmission is the same request however it is written: micros as a string, defaults spelled out, keys reordered', async () => {
    const client = await ctx.fundedClient('5');
    const first = await ctx
      .submit(client.key, { client_job_id: 'written-twice', max_cost_micros: 1_000_000, payload: { a: 1, b: [2] } })
      .expect(201);
    for (const again of [
      { client_job_id: 'written-twice', max_cost_micros: '1000000', payload: { b: [2], a: 1 } },
      {
        payload: { a: 1, b: [2] },
        priority: 'NORMAL',
        replicas: 1,
        max_cost_micros: 1_000_000,
        client_job_id: 'written-twice',
      },
      { client_job_id: 'written-twice', max_cost_micros: 1_000_000, payload: { a: 1, b: [2] }, requirements: {} },
    ]) {
      const res = await ctx.submit(client.key, again).expect(201);
      expect(res.body.network_job_id).toBe(first.body.network_job_id);
      expect(res.headers['idempotent-replayed']).toBe('true');
    }
    for (const different of [
      { client_job_id: 'written-twice', max_cost_micros: 1_000_000, payload: { a: 2, b: [2] } },
      { client_job_id: 'written-twice', max_cost_micros: 1_000_000, payload: { a: 1, b: [2] }, priority: 'HIGH' },
      { client_job_id: 'written-twice', max_cost_micros: 1_000_000, payload: { a: 1, b: [2] }, replicas: 2 },
    ]) {
      expect((await ctx.submit(client.key, different).expect(409)).body.code).toBe('DSE-009');
    }
    expect(await ctx.balance('user', client.name)).toMatchObject({ pending: '1', available: '4' });
  });
});

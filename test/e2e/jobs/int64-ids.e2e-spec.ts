import type { Response } from 'supertest';
import { verifyReceiptChain, verifyTransferProof } from '@tally/receipts';
import { ReceiptsCtx } from '../../support/receipts-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

/** 2^53 + 1: the first integer a JSON number (an IEEE double) cannot hold. */
const BEYOND_DOUBLES = '9007199254740993';
const INT64_MAX = '9223372036854775807';

function expectInvalidId(res: Response): void {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(res.text)).toMatchObject({ code: 'DSE-001', field: 'network_job_id' });
}

describe('network job ids are int64s', () => {
  let t: TestApp;
  let ctx: ReceiptsCtx;
  beforeAll(async () => {
    // Jobs are assigned by hand here: no scheduler ticks, no seals but the test's. A start a
    // heartbeat leaves out of running_jobs is given back at once, so a listed id shows it matched.
    t = await startTestApp({
      SCHEDULER_ENABLED: 'false',
      SETTLEMENT_SEAL_CRON: '0 0 0 1 1 *',
      PROVER_START_ACK_GRACE_MS: '0',
    });
    ctx = new ReceiptsCtx(t);
  });
  afterAll(() => t.close());

  it('are handed out by a sequence, each once, as decimal strings', async () => {
    const client = await ctx.fundedClient('10');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await ctx.submit(client.key, { max_cost_micros: '1000000' }).expect(201);
      expect(res.text).toMatch(/"network_job_id":"[1-9][0-9]*"/);
      ids.push(res.body.network_job_id);
    }
    // Increasing, never repeated: a gap is allowed (a refused submit burns its number), reuse is not.
    expect(ids.map(BigInt)).toEqual([...ids.map(BigInt)].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(ids).size).toBe(3);
    // A refused submit (the hold cannot be met) takes a number and leaves no job with it.
    await ctx.submit(client.key, { max_cost_micros: '1000000000' }).expect(402);
    const next = (await ctx.submit(client.key, { max_cost_micros: '1000000' }).expect(201)).body.network_job_id;
    expect(BigInt(next)).toBeGreaterThan(BigInt(ids[2]));
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM jobs WHERE network_job_id > $1`, [ids[2]]);
    expect(n).toBe(1);
  });

  // Before the next test moves the sequence past 2^53: this job's id is still a safe JSON integer.
  it('a body takes a job id as a string or a safe JSON integer; a JSON number past 2^53 is refused, not rounded', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: '1000000' });
    const listed = await ctx.heartbeat(prover.name, prover.key, { running_jobs: [Number(id)] }).expect(200);
    expect(listed.body.released_jobs).toEqual([]);
    // Left out, it is given back, named as a string.
    const unlisted = await ctx.heartbeat(prover.name, prover.key, { running_jobs: [] }).expect(200);
    expect(unlisted.body.released_jobs).toEqual([id]);

    const raw = (running: string) =>
      t
        .http()
        .post(`/v1/provers/${prover.name}/heartbeat`)
        .set(prover.key)
        .set('Content-Type', 'application/json')
        .send(`{"load_factor": 0.25, "running_jobs": [${running}]}`);
    for (const bad of [BEYOND_DOUBLES, '0', '-1', '1.5', '"01"', '"abc"', `"${INT64_MAX}0"`, 'null']) {
      const res = await raw(bad);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text)).toMatchObject({ code: 'DSE-001' });
    }
  });

  it('a job numbered beyond 2^53 round-trips exactly: submit, get, report, receipt, events, settlement; and cancel', async () => {
    await t.dataSource.query(`SELECT setval('jobs_network_job_id_seq', $1)`, [BigInt(BEYOND_DOUBLES) - 1n]);
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();

    const submitted = await ctx.submit(client.key, { max_cost_micros: '2000000' }).expect(201);
    expect(submitted.text).toContain(`"network_job_id":"${BEYOND_DOUBLES}"`);
    const id: string = submitted.body.network_job_id;
    expect(id).toBe(BEYOND_DOUBLES);

    const got = await t.http().get(`/v1/jobs/${id}`).set(client.key).expect(200);
    expect(got.text).toContain(`"network_job_id":"${BEYOND_DOUBLES}"`);
    expect(got.body).toMatchObject({ network_job_id: BEYOND_DOUBLES, status: 'PENDING' });

    await ctx.assign(id, [prover.name]).expect(201);
    await ctx.start(id, prover.key).expect(201);
    // A heartbeat lists it among its running jobs, as a string: nothing is given back.
    const beat = await ctx.heartbeat(prover.name, prover.key, { running_jobs: [id] }).expect(200);
    expect(beat.body.released_jobs).toEqual([]);
    const reported = await ctx.report(id, prover.key, { success: true, final_cost_micros: '1500000' }).expect(201);
    expect(reported.text).toContain(`"network_job_id":"${BEYOND_DOUBLES}"`);

    // Its receipts (version 2) name it exactly and verify.
    const chain = await ctx.settledChain(id, 'AUDITED');
    expect(chain.map((r) => [r.version, r.receipt.network_job_id])).toEqual([
      [2, BEYOND_DOUBLES],
      [2, BEYOND_DOUBLES],
      [2, BEYOND_DOUBLES],
    ]);
    expect(verifyReceiptChain(chain, await ctx.keys())).toMatchObject({ valid: true, length: 3 });
    const latest = await t.http().get(`/v1/jobs/${id}/receipt`).set(client.key).expect(200);
    expect(latest.text).toContain(`"network_job_id":"${BEYOND_DOUBLES}"`);
    expect(await ctx.verify(latest.body)).toMatchObject({ valid: true });

    // Every event names it as the same string, the audit log too; so do the ledger's postings.
    const events: { type: string; kind: string; job: string }[] = await t.dataSource.query(
      `SELECT event_type AS type, jsonb_typeof(payload->'network_job_id') AS kind, payload->>'network_job_id' AS job
       FROM outbox WHERE payload ? 'network_job_id' AND partition_key = $1 ORDER BY id`,
      [id],
    );
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['JobSubmitted', 'JobStarted', 'JobCompleted', 'JobAudit', 'JobAudited']),
    );
    for (const e of events) expect(e).toMatchObject({ kind: 'string', job: BEYOND_DOUBLES });
    expect(
      await t.dataSource.query(
        `SELECT network_job_id::text AS id, event->>'network_job_id' AS event FROM job_audit_log WHERE network_job_id = $1`,
        [id],
      ),
    ).toEqual([{ id: BEYOND_DOUBLES, event: BEYOND_DOUBLES }]);
    const postings: { id: string; kind: string }[] = await t.dataSource.query(
      `SELECT id::text, kind FROM transfers WHERE job_id = $1 ORDER BY seq`,
      [id],
    );
    expect(postings.map((p) => p.kind)).toEqual(['hold', 'capture', 'reward']);

    // A settlement statement names it as the same string, and proves.
    const sealed = await t.http().post('/v1/settlement/batches').set(ctx.admin()).send({}).expect(201);
    const batch = sealed.body.batch;
    const capture = postings.find((p) => p.kind === 'capture')!;
    const proof = await t
      .http()
      .get(`/v1/settlement/batches/${batch.batch_no}/proofs/transfers/${capture.id}`)
      .set(ctx.admin())
      .expect(200);
    expect(proof.text).toContain(`"job_id":"${BEYOND_DOUBLES}"`);
    expect(verifyTransferProof(batch, proof.body)).toEqual({ valid: true });

    // The next one, cancelled.
    const second = await ctx.submit(client.key, { max_cost_micros: '1000000' }).expect(201);
    const next = (BigInt(BEYOND_DOUBLES) + 1n).toString();
    expect(second.body.network_job_id).toBe(next);
    const cancelled = await t.http().post(`/v1/jobs/${next}/cancel`).set(client.key).send({}).expect(200);
    expect(cancelled.text).toContain(`"network_job_id":"${next}"`);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', refunded_micros: '1000000' });
  });

  it('a path id that is not a positive int64 is 400 DSE-001 on every job route; a valid unknown one is 404', async () => {
    const client = await ctx.fundedClient('1');
    const prover = await ctx.prover();
    const bad = ['abc', '0', '-1', '01', '1.5', '1e3', '9223372036854775808', '99999999999999999999', '0x10'];
    bad.push('00000000-0000-4000-8000-000000000000'); // a uuid, as ids were before
    for (const id of bad) {
      expectInvalidId(await t.http().get(`/v1/jobs/${id}`).set(client.key));
      expectInvalidId(await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).send({}));
      expectInvalidId(await t.http().post(`/v1/jobs/${id}/assign`).set(ctx.admin()).send({ prover_id: 'p' }));
      expectInvalidId(await t.http().post(`/v1/jobs/${id}/start`).set(prover.key).send({}));
      expectInvalidId(await t.http().post(`/v1/jobs/${id}/result`).set(prover.key).send({ success: false }));
      expectInvalidId(await t.http().get(`/v1/jobs/${id}/receipt`).set(client.key));
      expectInvalidId(await t.http().get(`/v1/jobs/${id}/receipts`).set(client.key));
    }
    for (const id of ['987654321', INT64_MAX]) {
      const res = await t.http().get(`/v1/jobs/${id}`).set(ctx.admin()).expect(404);
      expect(res.body).toMatchObject({ code: 'DSE-003' });
    }
  });
});

import { CommandBus } from '@nestjs/cqrs';
import { JOB_START_RELEASED, ReleaseStartCommand } from '@tally/jobs';
import { ProversCtx } from '../../support/provers-ctx';
import { StatementFaults } from '../../support/statement-faults';
import { startTestApp, TestApp } from '../../support/test-app';

const faults = new StatementFaults().install();
afterAll(() => faults.uninstall());

describe('prover poll (job pickup) and cancellations on heartbeat', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  beforeAll(async () => {
    // A slow re-check timer: a long poll that answers quickly was woken by the JobAssigned event.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', PROVER_POLL_RECHECK_MS: '5000' });
    ctx = new ProversCtx(t);
  });
  afterAll(() => t.close());

  const submit = async (client: Record<string, string>, body: Record<string, unknown> = {}) =>
    (await ctx.submit(client, { max_cost_micros: 1_000_000, ...body }).expect(201)).body.network_job_id as string;

  it('204 with no body when nothing is assigned; the poll counts as a heartbeat', async () => {
    const p = await ctx.registeredProver();
    await t.dataSource.query(`UPDATE provers SET last_heartbeat = NULL, state = 'offline' WHERE prover_id = $1`, [
      p.name,
    ]);
    const res = await ctx.poll(p.name, p.key).expect(204);
    expect(res.text).toBe('');
    const after = (await ctx.getProver(p.name).expect(200)).body;
    expect(after.state).toBe('active');
    expect(after.last_heartbeat).not.toBeNull();
  });

  it('returns the oldest assigned job and starts it (ASSIGNED → RUNNING); the next poll returns the next one', async () => {
    const client = await ctx.fundedClient('10');
    const p = await ctx.registeredProver();
    const first = await submit(client.key, {
      payload: { circuit: 'c1' },
      priority: 'HIGH',
      requirements: { gpu_count: 1 },
    });
    const second = await submit(client.key);
    await ctx.assign(first, [p.name]).expect(201);
    await ctx.assign(second, [p.name]).expect(201);

    const res = await ctx.poll(p.name, p.key).expect(200);
    expect(res.body).toEqual({
      network_job_id: first,
      payload: { circuit: 'c1' },
      payload_encoding: 'json',
      max_cost_micros: '1000000',
      priority: 'HIGH',
      replicas: 1,
      requirements: { gpu_count: 1 },
      service: null,
      units: null,
    });
    expect((await ctx.job(first)).body.status).toBe('RUNNING');
    expect((await ctx.job(second)).body.status).toBe('ASSIGNED');
    expect((await ctx.poll(p.name, p.key).expect(200)).body.network_job_id).toBe(second);
    await ctx.poll(p.name, p.key).expect(204);
    // Started through the jobs lib: the result can be reported as usual.
    await ctx.report(first, p.key, { success: true, final_cost_micros: 500_000 }).expect(201);
  });

  it('two racing polls of one prover never get the same job', async () => {
    const client = await ctx.fundedClient('10');
    const p = await ctx.registeredProver();
    const jobs = [await submit(client.key), await submit(client.key)];
    for (const id of jobs) await ctx.assign(id, [p.name]).expect(201);
    const answers = await Promise.all([ctx.poll(p.name, p.key), ctx.poll(p.name, p.key), ctx.poll(p.name, p.key)]);
    const got = answers.filter((r) => r.status === 200).map((r) => r.body.network_job_id);
    expect(answers.every((r) => r.status === 200 || r.status === 204)).toBe(true);
    expect(new Set(got).size).toBe(got.length);
    const running = await Promise.all(jobs.map(async (id) => (await ctx.job(id)).body.status));
    expect(running.filter((s) => s === 'RUNNING')).toHaveLength(got.length);
  });

  it('long poll: returns within about a second of an assignment made meanwhile', async () => {
    const client = await ctx.fundedClient('10');
    const p = await ctx.registeredProver();
    const id = await submit(client.key);
    const started = Date.now();
    const polling = ctx.poll(p.name, p.key, { max_wait_seconds: 10 }).then((res) => ({ res, at: Date.now() }));
    await new Promise((r) => setTimeout(r, 400));
    await ctx.assign(id, [p.name]).expect(201);
    const assignedAt = Date.now();
    const { res, at } = await polling;
    expect(res.status).toBe(200);
    expect(res.body.network_job_id).toBe(id);
    expect(at - assignedAt).toBeLessThan(1000);
    expect(at - started).toBeGreaterThanOrEqual(400);
    expect((await ctx.job(id)).body.status).toBe('RUNNING');
  });

  it('tells the prover how the payload was sent: base64 bytes and a JSON {"base64": …} are different jobs', async () => {
    const client = await ctx.fundedClient('10');
    const p = await ctx.registeredProver();
    const bytes = await submit(client.key, { payload_encoding: 'base64', payload: 'aGVsbG8=', client_job_id: 'enc-1' });
    await ctx.assign(bytes, [p.name]).expect(201);
    expect((await ctx.poll(p.name, p.key).expect(200)).body).toMatchObject({
      network_job_id: bytes,
      payload: 'aGVsbG8=',
      payload_encoding: 'base64',
    });
    const json = await submit(client.key, { payload: { base64: 'aGVsbG8=' } });
    await ctx.assign(json, [p.name]).expect(201);
    expect((await ctx.poll(p.name, p.key).expect(200)).body).toMatchObject({
      network_job_id: json,
      payload: { base64: 'aGVsbG8=' },
      payload_encoding: 'json',
    });
    // The same client_job_id with the JSON look-alike is another request, not a replay.
    const reuse = await ctx
      .submit(client.key, { max_cost_micros: 1_000_000, payload: { base64: 'aGVsbG8=' }, client_job_id: 'enc-1' })
      .expect(409);
    expect(reuse.body.code).toBe('DSE-009');
    const replay = await ctx
      .submit(client.key, {
        max_cost_micros: 1_000_000,
        payload_encoding: 'base64',
        payload: 'aGVsbG8=',
        client_job_id: 'enc-1',
      })
      .expect(201);
    expect(replay.body.network_job_id).toBe(bytes);
  });

  it('a job started for a poll whose caller went away is given back (ASSIGNED again), and the next poll gets it', async () => {
    const client = await ctx.fundedClient('10');
    const p = await ctx.registeredProver();
    const id = await submit(client.key);
    // The start is held back on its way to the database, and the caller hangs up meanwhile.
    const startPattern = /SET status = 'RUNNING', started_at = now\(\) FROM picked/;
    const starting = faults.nextSent(startPattern);
    const slowStart = faults.delayNext(startPattern, 600);
    const poll = ctx.poll(p.name, p.key, { max_wait_seconds: 10 });
    const gone = new Promise<string>((resolve) => {
      poll.on('abort', () => resolve('gave up'));
      poll.then(
        () => resolve('answered'),
        () => resolve('failed'),
      );
    });
    await new Promise((r) => setTimeout(r, 50));
    await ctx.assign(id, [p.name]).expect(201);
    await starting;
    poll.abort();
    expect(await gone).toBe('gave up');
    await slowStart;
    // The start commits after the caller left; then it is given back.
    const releasedRows = () =>
      t.dataSource.query(
        `SELECT payload FROM outbox WHERE event_type = '${JOB_START_RELEASED}' AND partition_key = $1`,
        [id],
      );
    const deadline = Date.now() + 5_000;
    while ((await releasedRows()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((await releasedRows()).map((r: { payload: unknown }) => r.payload)).toEqual([
      { network_job_id: id, prover_id: p.name, job_status: 'ASSIGNED' },
    ]);
    const job = (await ctx.job(id)).body;
    expect(job).toMatchObject({ status: 'ASSIGNED', assignments: [{ prover_id: p.name, status: 'ASSIGNED' }] });
    expect(job.timestamps.started_at).toBeNull();
    const again = await ctx.poll(p.name, p.key).expect(200);
    expect(again.body.network_job_id).toBe(id);
    expect((await ctx.job(id)).body.status).toBe('RUNNING');
  });

  it('giving back a start: the job stays RUNNING while another replica runs; a reported replica is not given back', async () => {
    const client = await ctx.fundedClient('10');
    const [a, b] = [await ctx.registeredProver(), await ctx.registeredProver()];
    const id = await submit(client.key, { max_cost_micros: 2_000_000, replicas: 2 });
    await ctx.assign(id, [a.name, b.name]).expect(201);
    for (const p of [a, b]) await ctx.start(id, p.key).expect(201);
    const giveBack = (p: { name: string }) => t.app.get(CommandBus).execute(new ReleaseStartCommand(id, p.name));
    const statuses = async (): Promise<Record<string, string>> => {
      const job = (await ctx.job(id)).body;
      return {
        job: job.status,
        ...Object.fromEntries(
          job.assignments.map((x: { prover_id: string; status: string }) => [x.prover_id, x.status]),
        ),
      };
    };
    expect(await giveBack(a)).toBe(true);
    expect(await statuses()).toEqual({ job: 'RUNNING', [a.name]: 'ASSIGNED', [b.name]: 'RUNNING' });
    expect(await giveBack(a)).toBe(false); // nothing of a's is running now
    await ctx.report(id, b.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    expect(await giveBack(b)).toBe(false); // reported: it stays reported
    expect((await statuses())[b.name]).toBe('REPORTED');
    // a polls again and gets its replica back; its agreeing report completes the job.
    expect((await ctx.poll(a.name, a.key).expect(200)).body.network_job_id).toBe(id);
    await ctx.report(id, a.key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    expect(['COMPLETED', 'AUDITED']).toContain((await statuses()).job);
  });

  it('a key revoked while its poll waits gets 401, not the job that is assigned meanwhile', async () => {
    const client = await ctx.fundedClient('10');
    const name = ctx.name('prover');
    const created = await t
      .http()
      .post('/v1/admin/keys')
      .set(ctx.admin())
      .send({ role: 'prover', subject: name })
      .expect(201);
    const key = { Authorization: `Bearer ${created.body.key}` };
    await ctx.register(key, { prover_id: name }).expect(201);
    const id = await submit(client.key);
    const polling = ctx.poll(name, key, { max_wait_seconds: 10 });
    await new Promise((r) => setTimeout(r, 200));
    await t.http().delete(`/v1/admin/keys/${created.body.id}`).set(ctx.admin()).expect(200);
    await ctx.assign(id, [name]).expect(201);
    const res = await polling;
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('DSE-002');
    expect((await ctx.job(id)).body.status).toBe('ASSIGNED');
  });

  it('long poll: 204 at the deadline when nothing comes (query string form too)', async () => {
    const p = await ctx.registeredProver();
    const started = Date.now();
    await t.http().post(`/v1/provers/${p.name}/poll`).query({ max_wait_seconds: '1' }).set(p.key).expect(204);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(3000);
  });

  it('validates max_wait_seconds (0–30) and who may poll', async () => {
    const p = await ctx.registeredProver();
    const other = await ctx.registeredProver();
    for (const bad of [
      { max_wait_seconds: 31 },
      { max_wait_seconds: -1 },
      { max_wait_seconds: 'soon' },
      { max_wait_seconds: '3' },
      { x: 1 },
    ]) {
      expect((await ctx.poll(p.name, p.key, bad).expect(400)).body.code).toBe('DSE-001');
    }
    await ctx.poll(p.name, other.key).expect(403);
    await ctx.poll(p.name, ctx.admin()).expect(403);
    const ghost = await ctx.prover();
    expect((await ctx.poll(ghost.name, ghost.key).expect(404)).body.code).toBe('DSE-004');
  });

  it('heartbeat returns the jobs cancelled since the previous heartbeat, each once', async () => {
    const client = await ctx.fundedClient('10');
    const p = await ctx.registeredProver();
    await ctx.heartbeat(p.name, p.key).expect(200);
    const [assigned, running, untouched] = [
      await submit(client.key),
      await submit(client.key),
      await submit(client.key),
    ];
    await ctx.assign(assigned, [p.name]).expect(201);
    await ctx.assign(running, [p.name]).expect(201);
    await ctx.assign(untouched, [p.name]).expect(201);
    await ctx.start(running, p.key).expect(201);
    await t.http().post(`/v1/jobs/${assigned}/cancel`).set(client.key).expect(200);
    await t.http().post(`/v1/jobs/${running}/cancel`).set(client.key).expect(200);
    // A poll in between refreshes liveness but does not swallow the cancellations.
    await ctx.poll(p.name, p.key).expect(200);

    const res = await ctx.heartbeat(p.name, p.key).expect(200);
    expect(res.body.accepted).toBe(true);
    expect([...res.body.cancelled_jobs].sort()).toEqual([assigned, running].sort());
    expect((await ctx.heartbeat(p.name, p.key).expect(200)).body.cancelled_jobs).toEqual([]);

    // Another prover's cancellations are not this one's.
    const other = await ctx.registeredProver();
    const theirs = await submit(client.key);
    await ctx.assign(theirs, [other.name]).expect(201);
    await t.http().post(`/v1/jobs/${theirs}/cancel`).set(client.key).expect(200);
    expect((await ctx.heartbeat(p.name, p.key).expect(200)).body.cancelled_jobs).toEqual([]);
    expect((await ctx.heartbeat(other.name, other.key).expect(200)).body.cancelled_jobs).toEqual([theirs]);
  });

  it('a replica still out when its job is decided is cancelled: its prover hears of it once, and its late result is 409', async () => {
    const client = await ctx.fundedClient('10');
    const [a, b, c] = [await ctx.registeredProver(), await ctx.registeredProver(), await ctx.registeredProver()];
    for (const p of [a, b, c]) await ctx.heartbeat(p.name, p.key).expect(200);
    const id = await submit(client.key, { max_cost_micros: 3_000_000, replicas: 3 });
    await ctx.assign(id, [a.name, b.name, c.name]).expect(201);
    for (const p of [a, b, c]) await ctx.start(id, p.key).expect(201);
    const report = { success: true, final_cost_micros: 1_000_000, result_hash: 'same' };
    await ctx.report(id, a.key, report).expect(201);
    expect((await ctx.report(id, b.key, report).expect(201)).body.outcome).toBe('COMPLETED');

    const job = (await ctx.job(id).expect(200)).body;
    const statuses = Object.fromEntries(
      job.assignments.map((x: { prover_id: string; status: string }) => [x.prover_id, x.status]),
    );
    expect(statuses).toEqual({ [a.name]: 'REPORTED', [b.name]: 'REPORTED', [c.name]: 'CANCELLED' });
    expect((await ctx.heartbeat(c.name, c.key).expect(200)).body.cancelled_jobs).toEqual([id]);
    expect((await ctx.heartbeat(c.name, c.key).expect(200)).body.cancelled_jobs).toEqual([]);
    expect((await ctx.heartbeat(a.name, a.key).expect(200)).body.cancelled_jobs).toEqual([]);
    expect((await ctx.report(id, c.key, report).expect(409)).body.code).toBe('DSE-010');
  });

  it('heartbeats racing each other tell each cancelled job once, across all their answers', async () => {
    const client = await ctx.fundedClient('10');
    const p = await ctx.registeredProver();
    await ctx.heartbeat(p.name, p.key).expect(200);
    const ids = [await submit(client.key), await submit(client.key), await submit(client.key)];
    for (const id of ids) await ctx.assign(id, [p.name]).expect(201);
    for (const id of ids) await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
    const answers = await Promise.all(Array.from({ length: 6 }, () => ctx.heartbeat(p.name, p.key).expect(200)));
    const told = answers.flatMap((r) => r.body.cancelled_jobs as string[]);
    expect(told.sort()).toEqual([...ids].sort());
  });
});

describe('long polls and shutdown', () => {
  it('a long poll in flight answers 204 at once when the app shuts down, and does not hold it up', async () => {
    const t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    const ctx = new ProversCtx(t);
    const p = await ctx.registeredProver();
    const polling = ctx.poll(p.name, p.key, { max_wait_seconds: 30 }).then((res) => res.status);
    await new Promise((r) => setTimeout(r, 300));
    const closing = Date.now();
    await t.close();
    expect(await polling).toBe(204);
    expect(Date.now() - closing).toBeLessThan(5000);
  });
});

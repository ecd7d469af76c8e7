import { SCORECARD_UPDATE } from '@tally/provers';
import { JOB_START_RELEASED } from '@tally/jobs';
import { microsOf } from '../../support/ledger-ctx';
import { ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

type Prover = { name: string; key: Record<string, string> };

const GRACE_MS = 2000;
/** A job id no job here has (they are numbered from 1). */
const unknownJob = (n = 0) => (9_000_000_000_000_000_000n + BigInt(n)).toString();

describe('lost deliveries: a start the prover does not list comes back', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  beforeAll(async () => {
    // No scheduler (an admin assigns); a slow re-check timer, so a long poll that answers
    // quickly was woken by the give-back itself.
    t = await startTestApp({
      SCHEDULER_ENABLED: 'false',
      PROVER_POLL_RECHECK_MS: '5000',
      PROVER_START_ACK_GRACE_MS: String(GRACE_MS),
    });
    ctx = new ProversCtx(t);
  });
  afterAll(() => t.close());

  /** A job of `client` assigned to the provers, each started by its own poll (whose answer is then "lost"). */
  const polledJob = async (client: Prover, provers: Prover[]) => {
    const res = await ctx.submit(client.key, { max_cost_micros: 1_000_000 * provers.length, replicas: provers.length });
    const id: string = res.body.network_job_id;
    await ctx
      .assign(
        id,
        provers.map((p) => p.name),
      )
      .expect(201);
    for (const p of provers) expect((await ctx.poll(p.name, p.key).expect(200)).body.network_job_id).toBe(id);
    return id;
  };
  /** Moves a replica's start back an hour, past the grace (the start's clock is the database's). */
  const age = (id: string, p: Prover) =>
    t.dataSource.query(
      `UPDATE job_assignments SET started_at = started_at - interval '1 hour' WHERE network_job_id = $1 AND prover_id = $2`,
      [id, p.name],
    );
  /** A heartbeat (with running_jobs when given): its answer's two lists. */
  const beat = async (p: Prover, runningJobs?: string[]) => {
    const { body } = await ctx.heartbeat(p.name, p.key, runningJobs ? { running_jobs: runningJobs } : {}).expect(200);
    expect(body.accepted).toBe(true);
    return { cancelled_jobs: body.cancelled_jobs as string[], released_jobs: body.released_jobs as string[] };
  };
  const statuses = async (id: string): Promise<Record<string, string>> => {
    const job = (await ctx.job(id).expect(200)).body;
    return {
      job: job.status,
      ...Object.fromEntries(job.assignments.map((a: { prover_id: string; status: string }) => [a.prover_id, a.status])),
    };
  };
  /**
   * Two requests sent at once, round by round one of them a little later (by turns, 0-8 ms):
   * the rounds of a race cover both orders and the instants where they overlap.
   */
  const race = async <A, B>(round: number, a: () => PromiseLike<A>, b: () => PromiseLike<B>): Promise<[A, B]> => {
    const lag = (round >> 1) * 2;
    const after = async <T>(ms: number, send: () => PromiseLike<T>) => {
      await new Promise((r) => setTimeout(r, ms));
      return send();
    };
    return Promise.all([after(round % 2 ? 0 : lag, a), after(round % 2 ? lag : 0, b)]);
  };
  const releasedEvents = (id: string) =>
    t.dataSource.query(`SELECT payload FROM outbox WHERE event_type = '${JOB_START_RELEASED}' AND partition_key = $1`, [
      id,
    ]);
  const transferKinds = async (id: string) =>
    (await t.dataSource.query(`SELECT kind FROM transfers WHERE job_id = $1 ORDER BY seq`, [id])).map(
      (r: { kind: string }) => r.kind,
    );
  const scorecard = async (p: Prover) => {
    const { score_value, successful_jobs, failed_jobs, version } = (await ctx.getProver(p.name).expect(200)).body;
    const [events] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM outbox WHERE event_type = '${SCORECARD_UPDATE}' AND partition_key = $1`,
      [p.name],
    );
    return { score_value, successful_jobs, failed_jobs, version, events: events.n };
  };

  it('once older than the grace, an unlisted start goes back to ASSIGNED and the next poll returns it; no score, no ledger movement', async () => {
    const client = await ctx.fundedClient('5');
    const p = await ctx.registeredProver();
    const id = await polledJob(client, [p]);
    const card = await scorecard(p);

    // Within the grace the start may still be on its way: kept.
    expect(await beat(p, [])).toEqual({ cancelled_jobs: [], released_jobs: [] });
    expect(await statuses(id)).toEqual({ job: 'RUNNING', [p.name]: 'RUNNING' });
    await new Promise((r) => setTimeout(r, GRACE_MS + 200));
    // A heartbeat that does not report its jobs (an older agent) changes nothing.
    expect(await beat(p)).toEqual({ cancelled_jobs: [], released_jobs: [] });
    expect(await statuses(id)).toEqual({ job: 'RUNNING', [p.name]: 'RUNNING' });

    expect(await beat(p, [unknownJob()])).toEqual({ cancelled_jobs: [], released_jobs: [id] });
    const job = (await ctx.job(id)).body;
    expect(job).toMatchObject({ status: 'ASSIGNED', assignments: [{ prover_id: p.name, status: 'ASSIGNED' }] });
    expect(job.timestamps.started_at).toBeNull();
    expect((await releasedEvents(id)).map((r: { payload: unknown }) => r.payload)).toEqual([
      { network_job_id: id, prover_id: p.name, job_status: 'ASSIGNED' },
    ]);
    expect(await transferKinds(id)).toEqual(['hold']);
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '5', pending: '1' });
    expect(await beat(p, [])).toEqual({ cancelled_jobs: [], released_jobs: [] }); // given back once

    // The next poll returns it, and this time the prover lists it: kept, however old.
    expect((await ctx.poll(p.name, p.key).expect(200)).body.network_job_id).toBe(id);
    await age(id, p);
    expect(await beat(p, [id.toUpperCase()])).toEqual({ cancelled_jobs: [], released_jobs: [] });
    expect(await statuses(id)).toEqual({ job: 'RUNNING', [p.name]: 'RUNNING' });
    await ctx.report(id, p.key, { success: true, final_cost_micros: 400_000 }).expect(201);
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '4.6', pending: '0' });
    // Its one score is the success: the give-back was not scored.
    const after = await ctx.waitForScoreVersion(p.name, Number(card.version) + 1);
    expect(after).toMatchObject({
      successful_jobs: String(Number(card.successful_jobs) + 1),
      failed_jobs: card.failed_jobs,
    });
    expect((await scorecard(p)).events).toBe(card.events + 1);
  });

  it("only this prover's unlisted starts go back: its listed and waiting replicas and others' stay", async () => {
    const client = await ctx.fundedClient('10');
    const [p, q] = [await ctx.registeredProver(), await ctx.registeredProver()];
    const [listed, lost] = [await polledJob(client, [p]), await polledJob(client, [p])];
    const theirs = await polledJob(client, [q]);
    const waiting = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await ctx.assign(waiting, [p.name]).expect(201);
    for (const [id, prover] of [
      [listed, p],
      [lost, p],
      [theirs, q],
    ] as const)
      await age(id, prover);

    expect(await beat(p, [listed])).toEqual({ cancelled_jobs: [], released_jobs: [lost] });
    expect(await statuses(listed)).toEqual({ job: 'RUNNING', [p.name]: 'RUNNING' });
    expect(await statuses(lost)).toEqual({ job: 'ASSIGNED', [p.name]: 'ASSIGNED' });
    expect(await statuses(theirs)).toEqual({ job: 'RUNNING', [q.name]: 'RUNNING' });
    expect(await statuses(waiting)).toEqual({ job: 'ASSIGNED', [p.name]: 'ASSIGNED' });
  });

  it('a replicated job stays RUNNING while another replica runs; the lost replica comes back to its own prover', async () => {
    const client = await ctx.fundedClient('10');
    const [a, b] = [await ctx.registeredProver(), await ctx.registeredProver()];
    const id = await polledJob(client, [a, b]);
    await age(id, a);
    await age(id, b);

    expect(await beat(a, [])).toEqual({ cancelled_jobs: [], released_jobs: [id] });
    expect(await statuses(id)).toEqual({ job: 'RUNNING', [a.name]: 'ASSIGNED', [b.name]: 'RUNNING' });
    expect((await releasedEvents(id)).map((r: { payload: unknown }) => r.payload)).toEqual([
      { network_job_id: id, prover_id: a.name, job_status: 'RUNNING' },
    ]);
    expect((await ctx.poll(a.name, a.key).expect(200)).body.network_job_id).toBe(id);
    const report = { success: true, final_cost_micros: 1_000_000, result_hash: 'h' };
    for (const p of [a, b]) await ctx.report(id, p.key, report).expect(201);
    expect(['COMPLETED', 'AUDITED']).toContain((await statuses(id)).job);
  });

  it('a long poll of the prover wakes when its heartbeat gives a start back', async () => {
    const client = await ctx.fundedClient('5');
    const p = await ctx.registeredProver();
    const id = await polledJob(client, [p]);
    await age(id, p);
    const polling = ctx.poll(p.name, p.key, { max_wait_seconds: 20 }).then((res) => ({ res, at: Date.now() }));
    await new Promise((r) => setTimeout(r, 300));
    const released = Date.now();
    expect((await beat(p, [])).released_jobs).toEqual([id]);
    const { res, at } = await polling;
    expect(res.status).toBe(200);
    expect(res.body.network_job_id).toBe(id);
    // Woken by the give-back, not by the 5 s re-check.
    expect(at - released).toBeLessThan(2500);
    expect(await statuses(id)).toEqual({ job: 'RUNNING', [p.name]: 'RUNNING' });
  });

  it('a heartbeat with invalid running_jobs is 400 and gives nothing back', async () => {
    const client = await ctx.fundedClient('5');
    const p = await ctx.registeredProver();
    const id = await polledJob(client, [p]);
    await age(id, p);
    for (const running_jobs of [null, 'x', [id, 'x'], Array.from({ length: 1025 }, (_, n) => unknownJob(n))]) {
      expect((await ctx.heartbeat(p.name, p.key, { running_jobs }).expect(400)).body.code).toBe('DSE-001');
    }
    expect(await statuses(id)).toEqual({ job: 'RUNNING', [p.name]: 'RUNNING' });
    expect(await releasedEvents(id)).toEqual([]);
    // 1024 ids is the bound, and allowed.
    const many = [id, ...Array.from({ length: 1023 }, (_, n) => unknownJob(n))];
    expect(await beat(p, many)).toEqual({ cancelled_jobs: [], released_jobs: [] });
  });

  it('the OpenAPI document describes running_jobs, released_jobs and the idempotent cancel', async () => {
    const docs = (await t.http().get('/docs-json').expect(200)).body;
    const schemas = docs.components.schemas;
    expect(schemas.HeartbeatRequestDto.properties.running_jobs).toMatchObject({
      type: 'array',
      maxItems: 1024,
      items: { type: 'string', format: 'int64' },
    });
    expect(schemas.HeartbeatRequestDto.required).not.toContain('running_jobs');
    expect(schemas.HeartbeatResponseDto.required).toEqual(['accepted', 'cancelled_jobs', 'released_jobs']);
    const heartbeat = docs.paths['/v1/provers/{prover_id}/heartbeat'].post;
    expect(heartbeat.responses['200'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/HeartbeatResponseDto',
    );
    // The idempotent cancel: 200 (also for a job already cancelled), 404 unknown, 409 finished.
    const cancel = docs.paths['/v1/jobs/{network_job_id}/cancel'].post.responses;
    expect(Object.keys(cancel).filter((status) => status.startsWith('2'))).toEqual(['200']);
    expect(Object.keys(cancel)).toEqual(expect.arrayContaining(['404', '409']));
  });

  describe('races (concurrent requests)', () => {
    it('a heartbeat racing the poll that starts a job: the grace keeps the start', async () => {
      const client = await ctx.fundedClient('10');
      const p = await ctx.registeredProver();
      for (let round = 0; round < 10; round++) {
        const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
        await ctx.assign(id, [p.name]).expect(201);
        const [poll, beats] = await race(
          round,
          () => ctx.poll(p.name, p.key),
          () => Promise.all(Array.from({ length: 3 }, () => ctx.heartbeat(p.name, p.key, { running_jobs: [] }))),
        );
        expect(poll.status).toBe(200);
        expect(poll.body.network_job_id).toBe(id);
        expect(beats.map((b) => [b.status, b.body.released_jobs])).toEqual(Array(3).fill([200, []]));
        expect(await statuses(id)).toEqual({ job: 'RUNNING', [p.name]: 'RUNNING' });
        await ctx.report(id, p.key, { success: false, error_message: 'done with it' }).expect(201);
      }
      expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '10', pending: '0' });
    });

    it('a heartbeat racing a result: exactly one wins, and the ledger matches it', async () => {
      const client = await ctx.fundedClient('20');
      const p = await ctx.registeredProver();
      let charged = 0n;
      for (let round = 0; round < 10; round++) {
        const id = await polledJob(client, [p]);
        await age(id, p);
        const [report, heartbeat] = await race(
          round,
          () => ctx.report(id, p.key, { success: true, final_cost_micros: 250_000 }),
          () => ctx.heartbeat(p.name, p.key, { running_jobs: [] }),
        );
        expect(heartbeat.status).toBe(200);
        const status = (await statuses(id)).job;
        if (report.status === 201) {
          charged += 250_000n;
          expect(heartbeat.body.released_jobs).toEqual([]);
          expect(['COMPLETED', 'AUDITED']).toContain(status);
          expect(await transferKinds(id)).toEqual(['hold', 'capture', 'reward']);
        } else {
          expect(report.status).toBe(409);
          expect(report.body.code).toBe('DSE-010');
          expect(heartbeat.body.released_jobs).toEqual([id]);
          expect(await statuses(id)).toEqual({ job: 'ASSIGNED', [p.name]: 'ASSIGNED' });
          expect(await transferKinds(id)).toEqual(['hold']);
          await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
        }
      }
      const balance = await ctx.balance('user', client.name);
      expect(balance.pending).toBe('0');
      expect(microsOf(balance.posted)).toBe(20_000_000n - charged);
      expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    });

    it('two heartbeats at once give a start back once', async () => {
      const client = await ctx.fundedClient('10');
      const p = await ctx.registeredProver();
      for (let round = 0; round < 4; round++) {
        const id = await polledJob(client, [p]);
        await age(id, p);
        const answers = await Promise.all(Array.from({ length: 4 }, () => beat(p, [])));
        expect(answers.flatMap((a) => a.released_jobs)).toEqual([id]);
        expect(await releasedEvents(id)).toHaveLength(1);
        expect(await statuses(id)).toEqual({ job: 'ASSIGNED', [p.name]: 'ASSIGNED' });
        await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);
      }
    });

    it('a cancel racing a give-back: CANCELLED, refunded once, the prover told once', async () => {
      const client = await ctx.fundedClient('10');
      const p = await ctx.registeredProver();
      await beat(p);
      for (let round = 0; round < 10; round++) {
        const id = await polledJob(client, [p]);
        await age(id, p);
        const [cancel, heartbeat] = await race(
          round,
          () => t.http().post(`/v1/jobs/${id}/cancel`).set(client.key),
          () => ctx.heartbeat(p.name, p.key, { running_jobs: [] }),
        );
        expect(cancel.status).toBe(200);
        expect(cancel.body.status).toBe('CANCELLED');
        expect(heartbeat.status).toBe(200);
        expect(heartbeat.body.released_jobs.length).toBe((await releasedEvents(id)).length);
        expect(await statuses(id)).toEqual({ job: 'CANCELLED', [p.name]: 'CANCELLED' });
        expect(await transferKinds(id)).toEqual(['hold', 'void']);
        // Told of the cancel by the racing heartbeat or the next one, once.
        expect([...heartbeat.body.cancelled_jobs, ...(await beat(p, [])).cancelled_jobs]).toEqual([id]);
      }
      expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '10', pending: '0' });
    });
  });
});

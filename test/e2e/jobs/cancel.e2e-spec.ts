import { JOB_CANCELLED, JOB_COMPLETED, JOB_FAILED } from '@tally/jobs';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('cancel: idempotent once CANCELLED, refused once the job ended otherwise', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    // Jobs move only by the routes here (an admin assigns): no scheduler.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  const cancel = (id: string, key: Record<string, string>) => t.http().post(`/v1/jobs/${id}/cancel`).set(key).send();
  /** The job's ledger transfers by kind, and its outcome events by type. */
  const movements = async (id: string) => ({
    transfers: await t.dataSource.query(
      `SELECT kind, count(*)::int AS n FROM transfers WHERE job_id = $1 GROUP BY kind ORDER BY kind`,
      [id],
    ),
    events: await t.dataSource.query(
      `SELECT event_type, count(*)::int AS n FROM outbox WHERE partition_key = $1
         AND event_type IN ('${JOB_COMPLETED}', '${JOB_FAILED}', '${JOB_CANCELLED}') GROUP BY event_type`,
      [id],
    ),
  });

  it('a retry answers 200 with the first answer byte for byte, for the owner and an admin; others see no job', async () => {
    const client = await ctx.fundedClient('2');
    const stranger = await ctx.fundedClient('1');
    const prover = await ctx.workingProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 2_000_000 });

    const first = await cancel(id, ctx.admin()).expect(200);
    expect(first.body).toMatchObject({ network_job_id: id, status: 'CANCELLED', refunded_micros: '2000000' });
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    for (const key of [client.key, ctx.admin(), client.key]) {
      const again = await cancel(id, key).expect(200);
      expect(again.text).toBe(first.text);
      expect(again.headers['idempotent-replayed']).toBe('true');
    }
    // Someone else's job stays unknown, cancelled or not.
    expect((await cancel(id, stranger.key).expect(404)).body.code).toBe('DSE-003');
    await cancel(id, prover.key).expect(403);

    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '2', pending: '0' });
    expect(await movements(id)).toEqual({
      transfers: [
        { kind: 'hold', n: 1 },
        { kind: 'void', n: 1 },
      ],
      events: [{ event_type: JOB_CANCELLED, n: 1 }],
    });
  });

  it('a job that ended FAILED, COMPLETED or AUDITED is 409 DSE-010 naming that state; nothing moves', async () => {
    const client = await ctx.fundedClient('5');
    const prover = await ctx.workingProver();
    const refusal = async (id: string) => {
      const before = await movements(id);
      const balance = await ctx.balance('user', client.name);
      const res = await cancel(id, client.key).expect(409);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ code: 'DSE-010', to: 'CANCELLED' });
      expect(res.body.detail).toBe(
        `job ${id} already ended ${res.body.from}: only a job that has not settled can be cancelled`,
      );
      expect(await movements(id)).toEqual(before);
      expect(await ctx.balance('user', client.name)).toEqual(balance);
      return res.body.from as string;
    };

    const failed = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    await ctx.report(failed, prover.key, { success: false, error_message: 'oom' }).expect(201);
    expect(await refusal(failed)).toBe('FAILED');

    const completed = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    await ctx.report(completed, prover.key, { success: true, final_cost_micros: 400_000 }).expect(201);
    // The audit may move it on to AUDITED at any moment: the refusal names whichever it is in.
    expect(['COMPLETED', 'AUDITED']).toContain(await refusal(completed));
    expect(await ctx.waitForStatus(completed, 'AUDITED')).toBe('AUDITED');
    expect(await refusal(completed)).toBe('AUDITED');
  });

  it.each(['PENDING', 'ASSIGNED', 'RUNNING'])(
    '20 concurrent cancels of a %s job: all 200 with one body, one refund',
    async (from) => {
      const client = await ctx.fundedClient('3');
      const prover = await ctx.workingProver();
      const id = (await ctx.submit(client.key, { max_cost_micros: 3_000_000 }).expect(201)).body.network_job_id;
      if (from !== 'PENDING') await ctx.assign(id, [prover.name]).expect(201);
      if (from === 'RUNNING') await ctx.start(id, prover.key).expect(201);

      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => cancel(id, i % 2 ? client.key : ctx.admin())),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(new Set(answers.map((a) => a.text)).size).toBe(1);
      expect(answers.filter((a) => a.headers['idempotent-replayed'] === undefined)).toHaveLength(1);
      expect(answers[0].body).toMatchObject({ status: 'CANCELLED', refunded_micros: '3000000' });

      expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '3', pending: '0' });
      expect((await movements(id)).transfers).toEqual([
        { kind: 'hold', n: 1 },
        { kind: 'void', n: 1 },
      ]);
      expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    },
  );
});

import { randomUUID } from 'node:crypto';
import { JobsCtx } from '../../support/jobs-ctx';
import { listening, SseStream, StreamedEvent } from '../../support/sse-client';
import { startTestApp, TestApp } from '../../support/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** `promise`, or a failure naming `what` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('GET /v1/events/stream (Server-Sent Events)', () => {
  const server = Boolean(process.env.DATABASE_URL);
  let t: TestApp;
  let ctx: JobsCtx;
  let port: number;
  const open: SseStream[] = [];
  const stream = async (headers: Record<string, string>, query = '') => {
    const s = await SseStream.open(port, headers, query);
    open.push(s);
    return s;
  };
  const maxOutboxId = async (): Promise<string> =>
    (await t.dataSource.query(`SELECT COALESCE(max(id), 0)::text AS id FROM outbox`))[0].id;

  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SSE_POLL_MS: '20', SSE_HEARTBEAT_SECONDS: '1' });
    ctx = new JobsCtx(t);
    port = await listening(t);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(() => t.close());

  /** A job submitted by `client`, assigned to `prover`, started and reported as a success; returns its id. */
  const lifecycle = async (client: Record<string, string>, prover: { name: string; key: Record<string, string> }) => {
    const id = await ctx.running(client, [prover], { max_cost_micros: 1_000_000 });
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 500_000 }).expect(201);
    return id as string;
  };

  it('a reconnect with Last-Event-ID misses nothing and repeats nothing across a run of concurrent jobs', async () => {
    const client = await ctx.fundedClient('100');
    const prover = await ctx.workingProver();
    const start = await maxOutboxId();
    const received: StreamedEvent[] = [];
    let s = await stream(ctx.admin(), `?last_event_id=${start}`);
    const run = Promise.all(Array.from({ length: 24 }, () => lifecycle(client.key, prover)));
    // Drop the connection four times while jobs run; each reconnect names the last id it got.
    for (let reconnect = 0; reconnect < 4; reconnect++) {
      await s.until(() => s.events.length >= 5);
      s.close();
      received.push(...s.events);
      s = await stream({ ...ctx.admin(), 'Last-Event-ID': received[received.length - 1].id });
    }
    const jobs = await run;
    // Each settled job is audited afterwards (by an event handler): its JobAudited is the last of its events.
    await s.until(
      () => received.concat(s.events).filter((e) => e.event === 'JobAudited').length === jobs.length,
      30_000,
    );
    received.push(...s.events);
    const ids = received.map((e) => e.id);
    const expected = (
      await t.dataSource.query(`SELECT id::text FROM outbox WHERE id > $1 AND id <= $2 ORDER BY outbox.id`, [
        start,
        ids[ids.length - 1],
      ])
    ).map((r: { id: string }) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expected);
    expect(received.filter((e) => e.event === 'JobCompleted')).toHaveLength(24);
    const first = received[0];
    expect(first.data.sequence).toBe(first.id);
    expect(first.data.type).toBe(first.event);
    expect(first.data.event_id).toMatch(/^[0-9a-f-]{36}$/);
  }, 120_000);

  it('holds back an event until every smaller outbox id has committed (ids are drawn at insert, not commit)', async () => {
    const s = await stream(ctx.admin(), `?last_event_id=${await maxOutboxId()}`);
    const runner = t.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      // An event written by a transaction still open: its id is drawn now, smaller than the next one.
      const [early] = await runner.query(
        `INSERT INTO outbox (event_type, partition_key, payload, published_at)
         VALUES ('SpecSlowCommit', 'spec', '{}', now()) RETURNING id::text`,
      );
      if (server) {
        expect((await ctx.mint('user', ctx.name('client'), '1')).status).toBe(201);
        await sleep(300);
        expect(s.events.filter((e) => e.event === 'SpecSlowCommit' || e.event === 'TransferPosted')).toEqual([]);
        await runner.commitTransaction();
      } else {
        // Embedded PGlite serves one connection at a time from one session: no write can commit
        // while a transaction is open, so the case cannot arise; the order still holds.
        await runner.commitTransaction();
        await runner.release();
        expect((await ctx.mint('user', ctx.name('client'), '1')).status).toBe(201);
      }
      await s.until(() => s.events.some((e) => e.event === 'TransferPosted'));
      expect(s.events[0].id).toBe(early.id);
      expect(s.events.map((e) => e.event)).toEqual(['SpecSlowCommit', 'TransferPosted']);
    } finally {
      if (!runner.isReleased) {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
    }
  });

  it('a client key sees its own jobs and accounts, never another client’s', async () => {
    const alice = await ctx.fundedClient('10');
    const bob = await ctx.fundedClient('10');
    const prover = await ctx.workingProver();
    const start = await maxOutboxId();
    const aliceStream = await stream(alice.key, `?last_event_id=${start}`);
    const bobStream = await stream(bob.key, `?last_event_id=${start}`);
    const [aliceJob, bobJob] = await Promise.all([lifecycle(alice.key, prover), lifecycle(bob.key, prover)]);
    await ctx.mint('user', alice.name, '1');
    for (const [s, job] of [
      [aliceStream, aliceJob],
      [bobStream, bobJob],
    ] as const) {
      await s.until(() => s.events.some((e) => e.event === 'JobCompleted' && e.data.data.network_job_id === job));
    }
    // Alice's mint (her job's reward is a TransferPosted of hers too).
    await aliceStream.until(() =>
      aliceStream.events.some((e) => e.event === 'TransferPosted' && e.data.data.kind === 'mint'),
    );
    await sleep(200);
    const jobsOf = (s: SseStream) =>
      new Set(s.events.map((e) => e.data.data.network_job_id ?? e.data.data.job_id).filter((j) => j != null));
    expect([...jobsOf(aliceStream)]).toEqual([aliceJob]);
    expect([...jobsOf(bobStream)]).toEqual([bobJob]);
    expect(aliceStream.events.map((e) => e.event)).toEqual(
      expect.arrayContaining(['JobSubmitted', 'HoldPlaced', 'JobAssigned', 'JobStarted', 'JobCompleted']),
    );
    // The mint to alice's account is hers alone (bob's transfers are his job's); scorecards are no client's business.
    expect(bobStream.events.filter((e) => e.event === 'TransferPosted' && e.data.data.job_id !== bobJob)).toEqual([]);
    expect(aliceStream.events.filter((e) => e.event === 'TransferPosted' && e.data.data.kind === 'mint')).toHaveLength(
      1,
    );
    for (const s of [aliceStream, bobStream]) expect(s.events.some((e) => e.event === 'ScorecardUpdate')).toBe(false);
  });

  it('a prover sees its assignments and their cancellations, not other provers’', async () => {
    const client = await ctx.fundedClient('10');
    const mine = await ctx.workingProver();
    const other = await ctx.workingProver();
    const s = await stream(mine.key, `?last_event_id=${await maxOutboxId()}`);
    const submit = async () => (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body;
    const forMe = (await submit()).network_job_id;
    const forOther = (await submit()).network_job_id;
    await ctx.assign(forMe, [mine.name]).expect(201);
    await ctx.assign(forOther, [other.name]).expect(201);
    await t.http().post(`/v1/jobs/${forMe}/cancel`).set(client.key).send({}).expect(200);
    await s.until(() => s.events.some((e) => e.event === 'JobCancelled'));
    expect(s.events.map((e) => [e.event, e.data.data.network_job_id])).toEqual([
      ['JobAssigned', forMe],
      ['JobCancelled', forMe],
    ]);
  });

  it('an admin filters by type; heartbeat comments arrive on an idle stream', async () => {
    const s = await stream(ctx.admin(), `?types=TransferPosted&last_event_id=${await maxOutboxId()}`);
    const client = await ctx.fundedClient('3');
    await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201);
    await s.until(() => s.events.length >= 1);
    await s.until(() => s.comments.includes('ping'), 5_000);
    expect(s.events.map((e) => e.event)).toEqual(['TransferPosted']);
    expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(s.headers['x-protocol-version']).toBe('1');
  });

  it('refuses a malformed or conflicting Last-Event-ID with DSE-001, and a missing key with 401', async () => {
    for (const [headers, query] of [
      [{ 'Last-Event-ID': 'abc' }, ''],
      [{ 'Last-Event-ID': '5' }, '?last_event_id=6'],
      [{}, '?last_event_id=-1'],
      [{}, '?last_event_id=9223372036854775808'],
      [{}, '?types=Job Submitted'],
    ] as const) {
      const res = await t
        .http()
        .get(`/v1/events/stream${query}`)
        .set({ ...ctx.admin(), ...headers })
        .expect(400);
      expect(res.body.code).toBe('DSE-001');
    }
    await t.http().get('/v1/events/stream').expect(401);
  });
});

describe('event streams end', () => {
  it('when the key is revoked, and when the server shuts down', async () => {
    const t = await startTestApp({ SSE_POLL_MS: '20', SSE_KEY_RECHECK_SECONDS: '1' });
    let closed = false;
    try {
      const ctx = new JobsCtx(t);
      const port = await listening(t);
      const created = await t
        .http()
        .post('/v1/admin/keys')
        .set(ctx.admin())
        .send({ role: 'client', subject: `c-${randomUUID().slice(0, 8)}` })
        .expect(201);
      const revokedStream = await SseStream.open(port, { Authorization: `Bearer ${created.body.key}` });
      const adminStream = await SseStream.open(port, ctx.admin());
      await t.http().delete(`/v1/admin/keys/${created.body.id}`).set(ctx.admin()).expect(200);
      await within(revokedStream.ended, 15_000, 'the stream of a revoked key ends');
      expect(revokedStream.comments).toContain('closed (revoked)');

      const closing = t.close();
      closed = true;
      await within(adminStream.ended, 15_000, 'a stream ends at shutdown');
      expect(adminStream.comments).toContain('closed (shutdown)');
      await closing;
    } finally {
      if (!closed) await t.close();
    }
  }, 120_000);
});

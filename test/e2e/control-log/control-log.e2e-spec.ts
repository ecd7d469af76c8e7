import type { QueryRunner } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { ControlLog, ControlLogVerifier, CreateApiKeyCommand } from '@tally/auth';
import { CommandBus } from '@nestjs/cqrs';
import { CAPABILITIES, HARDWARE, ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createTestDatabase, TestDatabase } from '../../support/test-database';

type Headers = Record<string, string>;
interface Entry {
  seq: string;
  at: string;
  actor: { key_id: string | null; role: string; subject: string };
  action: string;
  fields: Record<string, unknown>;
  outcome: 'ok' | 'rejected';
  error_code: string | null;
  prev_hash: string | null;
  hash: string | null;
}

describe('control-action log (DSE §7.4)', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  let adminKeyId: string;
  beforeAll(async () => {
    t = await startTestApp({ WEBHOOKS_ALLOW_PRIVATE_URLS: 'true', SCHEDULER_ENABLED: 'false' });
    ctx = new ProversCtx(t);
    adminKeyId = (await t.http().get('/v1/auth/whoami').set(ctx.admin()).expect(200)).body.key_id;
  });
  afterAll(() => t.close());

  const q = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
    t.dataSource.query(sql, params) as Promise<T[]>;
  const lastSeq = async () => (await q<{ s: string }>(`SELECT COALESCE(max(seq), 0)::text AS s FROM control_log`))[0].s;
  /** The rows appended after `seq`, as the API lists them. */
  const since = async (seq: string): Promise<Entry[]> => {
    const all: Entry[] = [];
    let cursor: string | undefined;
    for (;;) {
      const res = await t
        .http()
        .get('/v1/admin/control-log')
        .query({ limit: 500, ...(cursor ? { cursor } : {}) })
        .set(ctx.admin())
        .expect(200);
      all.push(...res.body.items);
      if (!res.body.next_cursor) break;
      cursor = res.body.next_cursor;
    }
    return all.filter((e) => BigInt(e.seq) > BigInt(seq));
  };
  /** Runs `act` and returns the one row it appended (and checks it appended exactly one). */
  const oneRow = async (act: () => Promise<unknown>): Promise<Entry> => {
    const before = await lastSeq();
    await act();
    const rows = await since(before);
    expect(rows).toHaveLength(1);
    return rows[0];
  };
  const verify = () => t.app.get(ControlLogVerifier).verify();

  it('appends one row per admin action, with the actor, the essential fields and the outcome', async () => {
    const admin = ctx.admin();
    const byAdmin = { key_id: adminKeyId, role: 'admin', subject: expect.any(String) };

    const createdKey = await oneRow(() =>
      t.http().post('/v1/admin/keys').set(admin).send({ role: 'client', subject: 'carol', label: 'ops' }).expect(201),
    );
    expect(createdKey).toMatchObject({
      actor: byAdmin,
      action: 'admin.createKey',
      fields: { body: { role: 'client', subject: 'carol', label: 'ops' } },
      outcome: 'ok',
      error_code: null,
    });
    const keys = (await t.http().get('/v1/admin/keys').query({ subject: 'carol' }).set(admin).expect(200)).body.keys;
    // Never the key itself: only what the request held.
    expect(JSON.stringify(createdKey)).not.toMatch(/tly_/);

    expect(await oneRow(() => t.http().delete(`/v1/admin/keys/${keys[0].id}`).set(admin).expect(200))).toMatchObject({
      action: 'admin.revokeKey',
      fields: { params: { id: keys[0].id } },
      outcome: 'ok',
    });

    const user = ctx.name('user');
    expect(
      await oneRow(() =>
        t
          .http()
          .post('/v1/credits/accounts')
          .set(admin)
          .set('Idempotency-Key', randomUUID())
          .send({ account_type: 'user', account_id: user })
          .expect(201),
      ),
    ).toMatchObject({ action: 'credits.createAccount', fields: { body: { account_type: 'user', account_id: user } } });

    expect(await oneRow(() => ctx.mint('user', user, '10'))).toMatchObject({
      action: 'credits.mint',
      fields: { body: { account_type: 'user', account_id: user, amount: '10' } },
      outcome: 'ok',
    });

    const other = ctx.name('user');
    await ctx.mint('user', other, '1');
    const moved = await oneRow(() =>
      t
        .http()
        .post('/v1/credits/transfer')
        .set(admin)
        .set('Idempotency-Key', randomUUID())
        .send({
          from: { account_type: 'user', account_id: user },
          to: { account_type: 'user', account_id: other },
          amount: '2',
        })
        .expect(201),
    );
    expect(moved).toMatchObject({ action: 'credits.transfer', outcome: 'ok', actor: byAdmin });

    const config = (await t.http().get('/v1/scheduler/config').set(admin).expect(200)).body;
    expect(
      await oneRow(() =>
        t
          .http()
          .put('/v1/scheduler/config')
          .set(admin)
          .send({ w_score: config.w_score, w_load: config.w_load, version: config.version })
          .expect(200),
      ),
    ).toMatchObject({ action: 'scheduler.putConfig', outcome: 'ok', fields: { body: { w_score: config.w_score } } });

    const service = `svc-${ctx.name('s').toLowerCase()}`;
    expect(
      await oneRow(() =>
        t
          .http()
          .put(`/v1/registry/services/${service}`)
          .set(admin)
          .send({
            price_per_unit: '0.01',
            unit: 'gpu_second',
            size_factor: '1.5',
            minimum_charge: '0.5',
            hardware_requirements: {},
          })
          .expect(201),
      ),
    ).toMatchObject({ action: 'registry.put', fields: { params: { id: service }, body: { price_per_unit: '0.01' } } });

    const prover = await ctx.workingProver();
    // Drain and resume are control actions whoever asks: here the prover itself, then an admin.
    const proverKeyId = (await t.http().get('/v1/auth/whoami').set(prover.key).expect(200)).body.key_id;
    expect(
      await oneRow(() => t.http().post(`/v1/provers/${prover.name}/drain`).set(prover.key).send({}).expect(200)),
    ).toMatchObject({
      actor: { key_id: proverKeyId, role: 'prover', subject: prover.name },
      action: 'provers.drain',
      fields: { params: { prover_id: prover.name } },
      outcome: 'ok',
    });
    expect(
      await oneRow(() => t.http().post(`/v1/provers/${prover.name}/resume`).set(admin).send({}).expect(200)),
    ).toMatchObject({ actor: byAdmin, action: 'provers.resume', outcome: 'ok' });

    // A job an admin assigns and cancels; a prover an admin registers; a reward; a hold; alerts.
    const payer = await ctx.fundedClient('5');
    const submitted = await ctx.submit(payer.key, { max_cost_micros: 1_000_000 }).expect(201);
    const jobId = submitted.body.network_job_id as string;
    expect(await oneRow(() => ctx.assign(jobId, [prover.name]).expect(201))).toMatchObject({
      action: 'jobs.assign',
      fields: { params: { network_job_id: jobId }, body: { prover_ids: [prover.name] } },
      outcome: 'ok',
    });
    expect(await oneRow(() => t.http().post(`/v1/jobs/${jobId}/cancel`).set(admin).send({}).expect(200))).toMatchObject(
      { action: 'jobs.cancel', fields: { params: { network_job_id: jobId } }, outcome: 'ok' },
    );
    const registered = ctx.name('prover');
    expect(
      await oneRow(() =>
        ctx
          .register(admin, { prover_id: registered, hardware_profile: HARDWARE, capabilities: CAPABILITIES })
          .expect(201),
      ),
    ).toMatchObject({ action: 'provers.register', fields: { body: { prover_id: registered } } });
    await ctx.mint('platform', 'main', '1');
    expect(
      await oneRow(() =>
        t
          .http()
          .post('/v1/credits/reward')
          .set(admin)
          .set('Idempotency-Key', randomUUID())
          .send({ prover_id: prover.name, amount: '0.5' })
          .expect(201),
      ),
    ).toMatchObject({ action: 'credits.reward', outcome: 'ok' });
    expect(
      await oneRow(() =>
        t
          .http()
          .post('/v1/credits/holds')
          .set(admin)
          .set('Idempotency-Key', randomUUID())
          .send({ account_type: 'user', account_id: user, amount: '1' })
          .expect(201),
      ),
    ).toMatchObject({ action: 'credits.placeHold', outcome: 'ok' });
    let alertId = '';
    expect(
      await oneRow(async () => {
        const res = await t
          .http()
          .post(`/v1/credits/accounts/user/${user}/alerts`)
          .set(admin)
          .send({ below: '1' })
          .expect(201);
        alertId = res.body.items[0].alert_id;
      }),
    ).toMatchObject({ action: 'credits.createAlerts', fields: { params: { account_id: user }, body: { below: '1' } } });
    expect(
      await oneRow(() => t.http().delete(`/v1/credits/accounts/user/${user}/alerts/${alertId}`).set(admin).expect(204)),
    ).toMatchObject({ action: 'credits.deleteAlert', outcome: 'ok' });

    const sealed = await oneRow(() => t.http().post('/v1/settlement/batches').set(admin).send({}));
    expect(sealed).toMatchObject({ action: 'settlement.seal', outcome: 'ok', actor: byAdmin });

    let hookId = '';
    const hook = await oneRow(async () => {
      const res = await t
        .http()
        .post('/v1/webhooks')
        .set(admin)
        .send({ url: 'http://127.0.0.1:9/hook', event_types: ['JobSubmitted'] })
        .expect(201);
      hookId = res.body.webhook_id;
    });
    expect(hook).toMatchObject({ action: 'webhooks.create', fields: { body: { url: 'http://127.0.0.1:9/hook' } } });
    // The subscription's signing secret is generated by the route and never logged.
    expect(await oneRow(() => t.http().delete(`/v1/webhooks/${hookId}`).set(admin).expect(204))).toMatchObject({
      action: 'webhooks.delete',
      fields: { params: { webhook_id: hookId } },
    });
    expect(JSON.stringify(await since('0'))).not.toMatch(/whsec_/);

    // What a client does on the same routes is not a control action.
    const client = await ctx.fundedClient('5');
    const before = await lastSeq();
    await t
      .http()
      .post('/v1/credits/spend')
      .set(client.key)
      .set('Idempotency-Key', randomUUID())
      .send({ amount: '1' })
      .expect(201);
    await t
      .http()
      .post('/v1/webhooks')
      .set(client.key)
      .send({ url: 'http://127.0.0.1:9/c', event_types: ['JobSubmitted'] })
      .expect(201);
    // fundedClient's own key creation and mint were admin actions; the spend and webhook are not.
    expect(await since(before)).toEqual([]);

    const [{ n }] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM control_log`);
    expect(await verify()).toEqual({ rows: n, unchained: 0, problems: [] });
  });

  it('logs a refused action as rejected with its DSE code, and nothing of the action', async () => {
    const admin = ctx.admin();
    const missing = randomUUID();
    expect(await oneRow(() => t.http().delete(`/v1/admin/keys/${missing}`).set(admin).expect(404))).toMatchObject({
      action: 'admin.revokeKey',
      outcome: 'rejected',
      error_code: 'DSE-015',
    });

    // Validation fails inside the action: DSE-001, and no key made.
    const keysBefore = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM api_keys`))[0].n;
    expect(
      await oneRow(() => t.http().post('/v1/admin/keys').set(admin).send({ role: 'root', subject: 'x' }).expect(400)),
    ).toMatchObject({ action: 'admin.createKey', outcome: 'rejected', error_code: 'DSE-001' });
    expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM api_keys`))[0].n).toBe(keysBefore);

    // A stale version: the config is unchanged, the attempt is logged.
    const config = (await t.http().get('/v1/scheduler/config').set(admin).expect(200)).body;
    const stale = await oneRow(() =>
      t
        .http()
        .put('/v1/scheduler/config')
        .set(admin)
        .send({ w_score: '0.9', w_load: '0.1', version: String(Number(config.version) + 5) })
        .expect(409),
    );
    expect(stale).toMatchObject({ action: 'scheduler.putConfig', outcome: 'rejected', error_code: 'DSE-005' });
    expect((await t.http().get('/v1/scheduler/config').set(admin).expect(200)).body.version).toBe(config.version);

    // A refused posting keeps its refusal under its Idempotency-Key (a retry answers the same) and is logged once.
    const poor = ctx.name('poor');
    await ctx.mint('user', poor, '1');
    const key = randomUUID();
    const transfer = () =>
      t
        .http()
        .post('/v1/credits/transfer')
        .set(admin)
        .set('Idempotency-Key', key)
        .send({
          from: { account_type: 'user', account_id: poor },
          to: { account_type: 'platform', account_id: 'main' },
          amount: '5',
        });
    expect(await oneRow(() => transfer().expect(402))).toMatchObject({
      action: 'credits.transfer',
      outcome: 'rejected',
      error_code: 'DSE-008',
    });
    await ctx.mint('user', poor, '10');
    const replay = await transfer().expect(402);
    expect(replay.headers['idempotent-replayed']).toBe('true');

    expect((await verify()).problems).toEqual([]);
  });

  it('commits the action and its row together: neither survives the other failing', async () => {
    const log = t.app.get(ControlLog);
    const commands = t.app.get(CommandBus);
    const actor = { keyId: null, role: 'cli' as const, subject: 'test' };
    const subject = ctx.name('crash');
    const keysOf = async () =>
      (await q<{ n: number }>(`SELECT count(*)::int AS n FROM api_keys WHERE subject = $1`, [subject]))[0].n;

    // The action crashes after its write: the key and the row both roll back (a crash is no refusal: no row).
    const before = await lastSeq();
    await expect(
      log.run({ actor, action: 'admin.createKey', fields: { subject } }, async () => {
        await commands.execute(new CreateApiKeyCommand('client', subject));
        throw new Error('crash after the write');
      }),
    ).rejects.toThrow('crash after the write');
    expect(await keysOf()).toBe(0);
    expect(await lastSeq()).toBe(before);

    // The row cannot be written: the action rolls back with it.
    await q(`ALTER TABLE control_log ADD CONSTRAINT refuse_test CHECK (action <> 'test.refused')`);
    try {
      await expect(
        log.run({ actor, action: 'test.refused', fields: { subject } }, () =>
          commands.execute(new CreateApiKeyCommand('client', subject)),
        ),
      ).rejects.toThrow(/refuse_test/);
    } finally {
      await q(`ALTER TABLE control_log DROP CONSTRAINT refuse_test`);
    }
    expect(await keysOf()).toBe(0);
    expect(await lastSeq()).toBe(before);

    await log.run({ actor, action: 'admin.createKey', fields: { subject } }, () =>
      commands.execute(new CreateApiKeyCommand('client', subject)),
    );
    expect(await keysOf()).toBe(1);
    expect(await since(before)).toMatchObject([{ actor: { key_id: null, role: 'cli', subject: 'test' } }]);
  });

  it('lets an unchained row get its hashes once, and nothing else change with them', async () => {
    // A row in a transaction that never commits: the chainer cannot see it, the trigger acts alone.
    const onUncommittedRow = async (work: (runner: QueryRunner, seq: string) => Promise<unknown>) => {
      const runner = t.dataSource.createQueryRunner();
      await runner.startTransaction();
      try {
        const [{ seq }] = (await runner.query(
          `INSERT INTO control_log (at, actor_role, actor_subject, action, fields, outcome)
           VALUES (now(), 'cli', 'test', 'test.chain', '{}', 'ok') RETURNING seq::text AS seq`,
        )) as { seq: string }[];
        await work(runner, seq);
      } finally {
        await runner.rollbackTransaction();
        await runner.release();
      }
    };
    const hashes = `prev_hash = repeat('a', 64), hash = repeat('b', 64)`;
    const attempt = (change: string) =>
      onUncommittedRow(async (runner, seq) => {
        await runner.query(`UPDATE control_log SET ${hashes} WHERE seq = $1`, [seq]);
        await runner.query(`UPDATE control_log SET ${change} WHERE seq = $1`, [seq]);
      });
    // The hashes once is what the chainer does; a second time, or any other column, is refused.
    await expect(attempt(`hash = repeat('c', 64)`)).rejects.toThrow(/append-only/);
    await expect(attempt(`prev_hash = NULL, hash = NULL`)).rejects.toThrow(/append-only/);
    await expect(attempt(`outcome = 'rejected', error_code = 'DSE-008'`)).rejects.toThrow(/append-only/);
    await expect(
      onUncommittedRow((runner, seq) =>
        runner.query(`UPDATE control_log SET fields = '{"x":1}', ${hashes} WHERE seq = $1`, [seq]),
      ),
    ).rejects.toThrow(/append-only/);
    // The rolled-back rows left their seqs unused: the chain goes on over the gap.
    await ctx.newKey('client', ctx.name('c'));
    expect(await verify()).toMatchObject({ unchained: 0, problems: [] });
  });

  it('refuses UPDATE, DELETE and TRUNCATE; a tampered row fails verification naming its seq', async () => {
    await ctx.newKey('client', ctx.name('c'));
    await ctx.newKey('client', ctx.name('c'));
    // The last two rows (seq has gaps where an action rolled back).
    const [{ seq }, { seq: target }] = await q<{ seq: string }>(
      `SELECT seq::text AS seq FROM control_log ORDER BY control_log.seq DESC LIMIT 2`,
    );
    await expect(q(`UPDATE control_log SET outcome = 'ok' WHERE seq = $1`, [seq])).rejects.toThrow(/append-only/);
    await expect(q(`DELETE FROM control_log WHERE seq = $1`, [seq])).rejects.toThrow(/append-only/);
    await expect(q(`TRUNCATE control_log`)).rejects.toThrow(/append-only/);
    expect((await verify()).problems).toEqual([]);

    // As the database's owner can: switch the trigger off and change one row's fields.
    await q(`ALTER TABLE control_log DISABLE TRIGGER control_log_append_only`);
    const [{ fields }] = await q<{ fields: string }>(`SELECT fields FROM control_log WHERE seq = $1`, [target]);
    try {
      await q(`UPDATE control_log SET fields = $2 WHERE seq = $1`, [target, fields.replace('"client"', '"admin"')]);
      expect((await verify()).problems).toEqual([`control log seq ${target}: its hash does not match its contents`]);
      // A removed row is named too: the one after it no longer follows.
      await q(`UPDATE control_log SET fields = $2 WHERE seq = $1`, [target, fields]);
      expect((await verify()).problems).toEqual([]);
      await q(`DELETE FROM control_log WHERE seq = $1`, [target]);
      expect((await verify()).problems).toEqual([`control log seq ${seq}: does not name the previous row's hash`]);
    } finally {
      await q(`ALTER TABLE control_log ENABLE TRIGGER control_log_append_only`);
    }
  });
});

describe('control-action log: paging, filters and concurrency', () => {
  let db: TestDatabase;
  let t: TestApp;
  let ctx: ProversCtx;
  // On a Postgres server, three replicas on one database; embedded (one process), one.
  const replicas: TestApp[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    for (let i = 0; i < (process.env.DATABASE_URL ? 3 : 1); i++) replicas.push(await startTestApp({}, db));
    t = replicas[0];
    ctx = new ProversCtx(t);
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    await db.drop();
  });
  const list = (query: Record<string, string | number>, key: Headers = ctx.admin()) =>
    t.http().get('/v1/admin/control-log').query(query).set(key);

  it('keeps one unbroken chain under many concurrent admin actions', async () => {
    const admins = await Promise.all(Array.from({ length: 4 }, (_, i) => ctx.newKey('admin', `ops-${i}`)));
    const before = Number((await list({ limit: 500 }).expect(200)).body.items.length);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? replicas[i % replicas.length]
              .http()
              .post('/v1/admin/keys')
              .set(admins[i % 4])
              .send({ role: 'client', subject: `c${i}` })
          : replicas[i % replicas.length]
              .http()
              .post('/v1/credits/mint')
              .set(admins[i % 4])
              .set('Idempotency-Key', randomUUID())
              .send({ account_type: 'user', account_id: `u${i % 5}`, amount: '1' }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(201));
    // Verifying first chains what has committed (each replica's chainer would, within a moment).
    const verified = await t.app.get(ControlLogVerifier).verify();
    const rows = (await list({ limit: 500 }).expect(200)).body.items as Entry[];
    expect(rows).toHaveLength(before + 40);
    expect(verified).toEqual({ rows: rows.length, unchained: 0, problems: [] });
    rows.forEach((row, i) => {
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
      if (i > 0) expect(BigInt(row.seq)).toBeGreaterThan(BigInt(rows[i - 1].seq));
      if (i > 0) expect(row.prev_hash).toBe(rows[i - 1].hash);
    });
  });

  it('filters by action, actor key, outcome and time, in keyset pages', async () => {
    const ops = await ctx.newKey('admin', 'pager');
    const opsId = (await t.http().get('/v1/auth/whoami').set(ops).expect(200)).body.key_id;
    const start = new Date().toISOString();
    for (let i = 0; i < 5; i++) {
      await t
        .http()
        .post('/v1/admin/keys')
        .set(ops)
        .send({ role: 'client', subject: `p${i}` })
        .expect(201);
    }
    await t.http().delete(`/v1/admin/keys/${randomUUID()}`).set(ops).expect(404);

    const pages: Entry[][] = [];
    let cursor: string | undefined;
    do {
      const res = await list({ actor_key_id: opsId, limit: 4, ...(cursor ? { cursor } : {}) }).expect(200);
      pages.push(res.body.items);
      cursor = res.body.next_cursor ?? undefined;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([4, 2]);
    const mine = pages.flat();
    expect(mine.every((e) => e.actor.key_id === opsId)).toBe(true);
    expect(new Set(mine.map((e) => e.seq)).size).toBe(6);

    const rejected = (await list({ actor_key_id: opsId, outcome: 'rejected' }).expect(200)).body.items;
    expect(rejected).toMatchObject([{ action: 'admin.revokeKey', error_code: 'DSE-015' }]);
    const created = (await list({ action: 'admin.createKey', from: start }).expect(200)).body.items;
    expect(created.map((e: Entry) => e.fields.body)).toEqual(
      [0, 1, 2, 3, 4].map((i) => expect.objectContaining({ subject: `p${i}` })),
    );
    expect(
      (await list({ action: 'admin.createKey', to: start }).expect(200)).body.items.every((e: Entry) => e.at < start),
    ).toBe(true);

    await list({ outcome: 'maybe' }).expect(400);
    await list({ action: 'not an action' }).expect(400);
    await list({ from: 'yesterday' }).expect(400);
    await list({ cursor: 'bm90LWEtY3Vyc29y' }).expect(400);
    await list({ colour: 'red' }).expect(400);
    const client = await ctx.newKey('client', 'nosy');
    await list({}, client).expect(403);
  });
});

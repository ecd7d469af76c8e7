import { sha256Hex } from '@tally/shared';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase } from '../support/test-database';

const PROBLEM = /^application\/problem\+json/;

interface CreatedKey {
  id: string;
  key: string;
  role: string;
  subject: string;
  require_signature: boolean;
  created_at: string;
}

async function createKey(t: TestApp, body: Record<string, unknown>): Promise<CreatedKey> {
  const res = await t.http().post('/v1/admin/keys').set('Authorization', `Bearer ${t.adminKey}`).send(body);
  expect(res.status).toBe(201);
  return res.body as CreatedKey;
}

describe('auth: API keys, roles, admin key routes', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  describe('authentication', () => {
    it('answers a request without a key with 401 DSE-002 problem+json', async () => {
      const res = await t.http().get('/v1/admin/keys').expect(401);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ code: 'DSE-002', status: 401, instance: '/v1/admin/keys' });
    });

    it('answers an unknown key with 401', async () => {
      const res = await t.http().get('/v1/admin/keys').set('X-API-Key', 'tly_not_a_key_at_all_0000000000').expect(401);
      expect(res.body).toMatchObject({ code: 'DSE-002', detail: 'unknown or revoked API key' });
    });

    it('answers a malformed Authorization header with 401', async () => {
      const res = await t.http().get('/v1/admin/keys').set('Authorization', `Basic ${t.adminKey}`).expect(401);
      expect(res.body.code).toBe('DSE-002');
    });

    it('takes the key as a Bearer token or as X-API-Key', async () => {
      await t.http().get('/v1/admin/keys').set('Authorization', `Bearer ${t.adminKey}`).expect(200);
      await t.http().get('/v1/admin/keys').set('X-API-Key', t.adminKey).expect(200);
    });

    it('tells a key who it is', async () => {
      const alice = await createKey(t, { role: 'client', subject: 'alice' });
      const res = await t.http().get('/v1/auth/whoami').set('X-API-Key', alice.key).expect(200);
      expect(res.body).toEqual({ key_id: alice.id, role: 'client', subject: 'alice' });
      const post = await t.http().post('/v1/auth/whoami').set('X-API-Key', alice.key).send({ any: 'thing' });
      expect(post.status).toBe(200);
      expect(post.body).toEqual({ key_id: alice.id, role: 'client', subject: 'alice' });
    });

    it('refuses a key whose role the route does not list with 403 DSE-002', async () => {
      const client = await createKey(t, { role: 'client', subject: 'bob' });
      const prover = await createKey(t, { role: 'prover', subject: 'p1' });
      for (const key of [client.key, prover.key]) {
        const res = await t.http().get('/v1/admin/keys').set('Authorization', `Bearer ${key}`).expect(403);
        expect(res.headers['content-type']).toMatch(PROBLEM);
        expect(res.body).toMatchObject({ code: 'DSE-002', status: 403 });
      }
      await t
        .http()
        .post('/v1/admin/keys')
        .set('X-API-Key', client.key)
        .send({ role: 'admin', subject: 'x' })
        .expect(403);
    });

    it('stops a revoked key at once, even right after it was used', async () => {
      const carol = await createKey(t, { role: 'client', subject: 'carol' });
      await t.http().get('/v1/auth/whoami').set('X-API-Key', carol.key).expect(200); // now cached
      const revoked = await t.http().delete(`/v1/admin/keys/${carol.id}`).set('X-API-Key', t.adminKey).expect(200);
      expect(revoked.body).toMatchObject({ id: carol.id, role: 'client', subject: 'carol' });
      expect(Date.parse(revoked.body.revoked_at)).not.toBeNaN();
      const res = await t.http().get('/v1/auth/whoami').set('X-API-Key', carol.key).expect(401);
      expect(res.body.code).toBe('DSE-002');

      const again = await t.http().delete(`/v1/admin/keys/${carol.id}`).set('X-API-Key', t.adminKey).expect(200);
      expect(again.body.revoked_at).toBe(revoked.body.revoked_at);
    });

    it('lets an admin revoke its own key', async () => {
      const ops = await createKey(t, { role: 'admin', subject: 'ops' });
      await t.http().delete(`/v1/admin/keys/${ops.id}`).set('X-API-Key', ops.key).expect(200);
      await t.http().get('/v1/admin/keys').set('X-API-Key', ops.key).expect(401);
    });

    it('answers revoking an unknown key with 404 DSE-015', async () => {
      for (const id of ['0b9d6c9e-5c3f-4d0e-9a51-1b7e1c2d3f4a', 'not-a-uuid']) {
        const res = await t.http().delete(`/v1/admin/keys/${id}`).set('X-API-Key', t.adminKey).expect(404);
        expect(res.headers['content-type']).toMatch(PROBLEM);
        expect(res.body).toMatchObject({ code: 'DSE-015', detail: `no API key with id ${id}` });
      }
    });
  });

  describe('admin key routes', () => {
    it('creates a key, shows it once, and stores only its hash', async () => {
      const res = await t
        .http()
        .post('/v1/admin/keys')
        .set('X-API-Key', t.adminKey)
        .send({ role: 'prover', subject: 'prover-7', require_signature: true, label: 'rack 4' })
        .expect(201);
      const created = res.body as CreatedKey & { prefix: string };
      expect(created).toMatchObject({
        role: 'prover',
        subject: 'prover-7',
        require_signature: true,
        label: 'rack 4',
        revoked_at: null,
      });
      expect(created.key).toMatch(/^tly_[A-Za-z0-9_-]{43}$/);
      expect(created.prefix).toBe(created.key.slice(0, 12));
      expect(Date.parse(created.created_at)).not.toBeNaN();
      expect(JSON.stringify(created)).not.toContain(sha256Hex(created.key));

      const [row] = await t.dataSource.query(`SELECT * FROM api_keys WHERE id = $1`, [created.id]);
      expect(row.key_hash).toBe(sha256Hex(created.key));
      expect(JSON.stringify(row)).not.toContain(created.key);
    });

    it('lists keys without secrets or hashes', async () => {
      const dave = await createKey(t, { role: 'client', subject: 'dave' });
      const res = await t.http().get('/v1/admin/keys').set('X-API-Key', t.adminKey).expect(200);
      const listed = res.body.keys as Record<string, unknown>[];
      const text = JSON.stringify(res.body);
      for (const secret of [dave.key, t.adminKey]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(sha256Hex(secret));
      }
      const entry = listed.find((k) => k.id === dave.id);
      expect(Object.keys(entry!).sort()).toEqual(
        ['created_at', 'id', 'label', 'prefix', 'require_signature', 'revoked_at', 'role', 'subject'].sort(),
      );
      expect(entry).toMatchObject({ prefix: dave.key.slice(0, 12), revoked_at: null });
      expect(listed.find((k) => k.label === 'TALLY_ADMIN_KEY')).toMatchObject({ role: 'admin', subject: 'admin' });
    });

    it('filters the listing by role, subject and revoked, and refuses unknown or bad filters', async () => {
      const admin = { 'X-API-Key': t.adminKey };
      const subject = `filter-${Date.now()}`;
      const create = async (role: string) =>
        (await t.http().post('/v1/admin/keys').set(admin).send({ role, subject }).expect(201)).body;
      const [client, prover] = [await create('client'), await create('prover')];
      await t.http().delete(`/v1/admin/keys/${prover.id}`).set(admin).expect(200);
      const ids = async (query: Record<string, string>) =>
        (await t.http().get('/v1/admin/keys').query(query).set(admin).expect(200)).body.keys.map(
          (k: { id: string }) => k.id,
        );
      expect(await ids({ subject })).toEqual([client.id, prover.id]);
      expect(await ids({ subject, role: 'prover' })).toEqual([prover.id]);
      expect(await ids({ subject, revoked: 'false' })).toEqual([client.id]);
      expect(await ids({ subject, revoked: 'true' })).toEqual([prover.id]);
      for (const query of [{ role: 'root' }, { revoked: 'yes' }, { subject: 'a b' }, { limit: '0' }, { foo: 'bar' }]) {
        const res = await t.http().get('/v1/admin/keys').query(query).set(admin).expect(400);
        expect(res.body.code).toBe('DSE-001');
      }
    });

    it('pages the listing by keyset cursor: every key once, in order, across keys created in the same instant', async () => {
      const admin = { 'X-API-Key': t.adminKey };
      const subject = `paged-${Date.now()}`;
      // Created in parallel, so several may share created_at and be ordered by id.
      await Promise.all(
        Array.from({ length: 11 }, () =>
          t.http().post('/v1/admin/keys').set(admin).send({ role: 'client', subject }).expect(201),
        ),
      );
      const all = (await t.http().get('/v1/admin/keys').query({ subject }).set(admin).expect(200)).body;
      expect(all.keys).toHaveLength(11);
      expect(all.next_cursor).toBeNull();
      const paged: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const query: Record<string, string> = { subject, limit: '4', ...(cursor ? { cursor } : {}) };
        const page = (await t.http().get('/v1/admin/keys').query(query).set(admin).expect(200)).body;
        expect(page.keys.length).toBeLessThanOrEqual(4);
        paged.push(...page.keys.map((k: { id: string }) => k.id));
        cursor = page.next_cursor ?? undefined;
        pages += 1;
      } while (cursor && pages < 10);
      expect(pages).toBe(3);
      expect(paged).toEqual(all.keys.map((k: { id: string }) => k.id));
      // The default page is 50 keys; the last full page's cursor leads to an empty one.
      const everything = (await t.http().get('/v1/admin/keys').query({ limit: '500' }).set(admin).expect(200)).body;
      const last = everything.keys[everything.keys.length - 1].id as string;
      const after = await t
        .http()
        .get('/v1/admin/keys')
        .query({ cursor: Buffer.from(last).toString('base64url') })
        .set(admin)
        .expect(200);
      expect(after.body).toEqual({ keys: [], next_cursor: null });
      const bad = [
        { limit: '501' },
        { cursor: 'not a cursor' },
        { cursor: Buffer.from('not-a-uuid').toString('base64url') },
        { cursor: Buffer.from('00000000-0000-4000-8000-000000000000').toString('base64url') },
        { cursor: Buffer.from(last).toString('base64url') + '=' },
      ];
      for (const query of bad) {
        const res = await t.http().get('/v1/admin/keys').query(query).set(admin).expect(400);
        expect(res.headers['content-type']).toMatch(PROBLEM);
        expect(res.body).toMatchObject({ code: 'DSE-001' });
      }
    });

    it.each([
      ['a bad role', { role: 'root', subject: 'alice' }, 'role'],
      ['an unknown field', { role: 'client', subject: 'alice', owner: 'x' }, 'owner'],
      ['an empty subject', { role: 'client', subject: '' }, 'subject'],
      ['a missing subject', { role: 'client' }, 'subject'],
      ['a subject with spaces', { role: 'client', subject: 'alice smith' }, 'subject'],
      ['a subject of 129 characters', { role: 'client', subject: 'a'.repeat(129) }, 'subject'],
      [
        'a non-boolean require_signature',
        { role: 'prover', subject: 'p', require_signature: 'yes' },
        'require_signature',
      ],
    ])('rejects %s with DSE-001', async (_name, body, field) => {
      const before = await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`);
      const res = await t.http().post('/v1/admin/keys').set('X-API-Key', t.adminKey).send(body).expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.code).toBe('DSE-001');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await t.dataSource.query(`SELECT count(*)::int AS n FROM api_keys`)).toEqual(before);
    });

    it('rejects require_signature on a key that is not a prover key', async () => {
      const res = await t
        .http()
        .post('/v1/admin/keys')
        .set('X-API-Key', t.adminKey)
        .send({ role: 'client', subject: 'alice', require_signature: true })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'DSE-001', detail: 'require_signature applies to prover keys only' });
    });

    it('rejects a body that is not JSON with DSE-001', async () => {
      const res = await t
        .http()
        .post('/v1/admin/keys')
        .set('X-API-Key', t.adminKey)
        .set('Content-Type', 'application/json')
        .send('{"role":')
        .expect(400);
      expect(res.body.code).toBe('DSE-001');
    });

    it('documents the routes in OpenAPI', async () => {
      const res = await t.http().get('/docs-json').expect(200);
      expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/admin/keys', '/v1/admin/keys/{id}']));
      expect(res.body.paths['/v1/auth/whoami'].get).toBeDefined();
      expect(res.body.components.schemas.CreateApiKeyRequestDto.properties.role.enum).toEqual([
        'admin',
        'client',
        'prover',
      ]);
    });
  });
});

// These tests start two apps in turn on one database (slow on embedded PGlite under load).
const RESTART_TIMEOUT_MS = 180_000;

describe('auth: the TALLY_ADMIN_KEY bootstrap', () => {
  it(
    'ensures the admin key once, across restarts',
    async () => {
      const db = await createTestDatabase();
      try {
        const first = await startTestApp({}, db);
        await first.close();
        const second = await startTestApp({ TALLY_ADMIN_KEY: first.adminKey }, db);
        try {
          const res = await second.http().get('/v1/auth/whoami').set('X-API-Key', first.adminKey).expect(200);
          expect(res.body).toMatchObject({ role: 'admin', subject: 'admin' });
          const rows = await second.dataSource.query(`SELECT id FROM api_keys WHERE key_hash = $1`, [
            sha256Hex(first.adminKey),
          ]);
          expect(rows).toHaveLength(1);
        } finally {
          await second.close();
        }
      } finally {
        await db.drop();
      }
    },
    RESTART_TIMEOUT_MS,
  );

  it(
    'does not bring a revoked admin key back',
    async () => {
      const db = await createTestDatabase();
      try {
        const first = await startTestApp({}, db);
        const [{ id }] = await first.dataSource.query(`SELECT id FROM api_keys WHERE key_hash = $1`, [
          sha256Hex(first.adminKey),
        ]);
        await first.http().delete(`/v1/admin/keys/${id}`).set('X-API-Key', first.adminKey).expect(200);
        await first.close();
        const second = await startTestApp({ TALLY_ADMIN_KEY: first.adminKey }, db);
        try {
          await second.http().get('/v1/auth/whoami').set('X-API-Key', first.adminKey).expect(401);
        } finally {
          await second.close();
        }
      } finally {
        await db.drop();
      }
    },
    RESTART_TIMEOUT_MS,
  );
});

describe('auth: rate limits', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp({ RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_SECONDS: '60' })));
  afterAll(() => t.close());

  it('answers the request over the limit with 429 DSE-012 and Retry-After, per key', async () => {
    const erin = await createKey(t, { role: 'client', subject: 'erin' }); // the admin key's first request
    for (let i = 1; i <= 3; i++) {
      const ok = await t.http().get('/v1/auth/whoami').set('X-API-Key', erin.key).expect(200);
      expect(ok.headers['x-ratelimit-limit']).toBe('3');
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(3 - i));
    }
    const res = await t.http().get('/v1/auth/whoami').set('X-API-Key', erin.key).expect(429);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body).toMatchObject({ code: 'DSE-012', status: 429 });
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    // The 60 s window, plus at most the tenth of it the hits were counted in.
    expect(retryAfter).toBeLessThanOrEqual(66);
    expect(res.body.retry_after_seconds).toBe(retryAfter);

    // Another key has its own budget.
    await t.http().get('/v1/admin/keys').set('X-API-Key', t.adminKey).expect(200);
  });

  it('limits requests without a valid key by client IP', async () => {
    for (let i = 0; i < 3; i++) await t.http().get('/v1/admin/keys').expect(401);
    const res = await t.http().get('/v1/admin/keys').set('X-API-Key', 'tly_guess').expect(429);
    expect(res.body.code).toBe('DSE-012');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('limits public routes that work for anyone by client IP too, never the probes', async () => {
    // This IP's budget (3) is spent by now, or is by these.
    for (let i = 0; i < 3; i++) await t.http().get('/v1/receipts/keys');
    for (const res of [
      await t.http().get('/v1/receipts/keys'),
      await t.http().post('/v1/receipts/verify').send({ receipt: {} }),
      await t.http().get('/v1/settlement/batches'),
    ]) {
      expect([res.status, res.body.code]).toEqual([429, 'DSE-012']);
    }
    for (const path of ['/health', '/ready', '/metrics', '/v1/system/info']) await t.http().get(path).expect(200);
  });
});

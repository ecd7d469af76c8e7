import { connect } from 'node:net';
import type { Server } from 'node:http';
import type { Response } from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';

const TEN_MB = 10 * 1024 * 1024;

/** Every error: problem+json with a DSE code, the status it claims, no stack trace. */
function expectProblem(res: Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  expect(body).toMatchObject({ type: `/docs/errors#${code}`, code, status, title: expect.any(String) });
  expect(typeof body.detail).toBe('string');
  expect(body.request_id).toBe(res.headers['x-request-id']);
  expect(res.headers['x-protocol-version']).toBe('1');
  expect(res.text).not.toMatch(/\bat \S+ \(|node_modules|\.ts:\d+|\.js:\d+/); // no stack, no source paths
}

/** Sends raw bytes over one connection and returns the raw HTTP response. */
async function rawRequest(server: Server, bytes: string): Promise<string> {
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.listen(0, '127.0.0.1', resolve)));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return new Promise((resolve, reject) => {
    const socket = connect(address.port, '127.0.0.1');
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (out += chunk));
    socket.once('error', reject);
    socket.once('end', () => resolve(out));
    socket.end(bytes);
  });
}

describe('errors are problem+json with a code, never a 500', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  // Bodies are parsed before routing and authentication, so any POST path will do.
  it.each([
    ['truncated', '{"role":'],
    ['not JSON at all', 'hello'],
    ['a trailing comma', '{"a":1,}'],
    ['single quotes', "{'a':1}"],
  ])('rejects a malformed JSON body (%s) with 400 DSE-001', async (_what, body) => {
    const res = await t.http().post('/v1/admin/keys').set('Content-Type', 'application/json').send(body);
    expectProblem(res, 400, 'DSE-001');
    expect(res.body.detail).toBe('request body is not valid JSON');
    expect(res.text).not.toContain(body); // the parser's message (which quotes the body) is not echoed
  });

  it.each([['"just a string"'], ['null'], ['1'], ['true'], ['[]'], ['[{"role":"client"}]']])(
    'refuses a body of valid JSON that is not an object (%s) with 400 DSE-001 saying so',
    async (body) => {
      const res = await t.http().post('/v1/admin/keys').set('Content-Type', 'application/json').send(body);
      expectProblem(res, 400, 'DSE-001');
      expect(res.body.detail).toBe('request body must be a JSON object');
    },
  );

  it('refuses strings that cannot be stored as sent (a NUL, a lone surrogate) with 400 DSE-001, anywhere in a body', async () => {
    const admin = { Authorization: `Bearer ${t.adminKey}` };
    for (const body of [
      '{"role":"client","subject":"a\\u0000b"}',
      '{"role":"client","subject":"nul","extra":{"k\\u0000":1}}',
      '{"role":"client","subject":"\\ud800"}',
      '{"role":"client","subject":"x","extra":["\\udc00"]}',
    ]) {
      const res = await t.http().post('/v1/admin/keys').set(admin).set('Content-Type', 'application/json').send(body);
      expectProblem(res, 400, 'DSE-001');
      expect(res.body.detail).toMatch(/NUL character or a lone surrogate/);
    }
    // A pair written as escapes is a character like any other; an escaped backslash is not an escape.
    for (const subject of ['\\ud83d\\ude00', '\\\\u0000']) {
      const res = await t
        .http()
        .post('/v1/admin/keys')
        .set(admin)
        .set('Content-Type', 'application/json')
        .send(`{"role":"client","subject":"${subject}"}`);
      expect(res.body.detail ?? '').not.toMatch(/lone surrogate/);
    }
  });

  it('titles follow the status where one code serves two: 401 Unauthorized, 403 Forbidden, 404 Not found', async () => {
    const admin = { Authorization: `Bearer ${t.adminKey}` };
    const key = await t
      .http()
      .post('/v1/admin/keys')
      .set(admin)
      .send({ role: 'client', subject: 'titles' })
      .expect(201);
    const cases = [
      [await t.http().get('/v1/admin/keys'), 401, 'DSE-002', 'Unauthorized'],
      [
        await t.http().get('/v1/admin/keys').set('Authorization', `Bearer ${key.body.key}`),
        403,
        'DSE-002',
        'Forbidden',
      ],
      [await t.http().get('/v1/no-such-route').set(admin), 404, 'DSE-015', 'Not found'],
      [await t.http().post('/v1/admin/keys').set(admin).send({ role: 'nobody' }), 400, 'DSE-001', 'Invalid request'],
    ] as const;
    for (const [res, status, code, title] of cases) {
      expectProblem(res, status, code);
      expect(res.body.title).toBe(title);
    }
  });

  it('rejects a malformed JSON body on an unknown path the same way', async () => {
    const res = await t.http().post('/v1/no-such-thing').set('Content-Type', 'application/json').send('{');
    expectProblem(res, 400, 'DSE-001');
  });

  it('rejects a body over 10 MB with 413 DSE-001', async () => {
    const body = `{"pad":"${'x'.repeat(TEN_MB)}"}`;
    const res = await t.http().post('/v1/admin/keys').set('Content-Type', 'application/json').send(body);
    expectProblem(res, 413, 'DSE-001');
    expect(res.body.detail).toBe('request body exceeds 10 MB');
  });

  it('rejects a chunked body that grows over 10 MB with 413 DSE-001', async () => {
    const chunk = 'x'.repeat(1024 * 1024);
    let chunked = '';
    for (let i = 0; i < 11; i++) chunked += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    const raw = await rawRequest(
      t.app.getHttpServer(),
      'POST /v1/admin/keys HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked}0\r\n\r\n`,
    );
    expect(raw).toMatch(/^HTTP\/1\.1 413 /);
    expect(raw).toMatch(/content-type: application\/problem\+json/i);
    expect(raw).toContain('"code":"DSE-001"');
  });

  it.each([
    ['a malformed header line', 'GET /health HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n', 400],
    [
      'a Content-Length that is not a number',
      'POST /v1/admin/keys HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}',
      400,
    ],
    [
      'a broken chunk',
      'POST /v1/admin/keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      400,
    ],
    ['a garbage request line', 'HELLO THERE\r\n\r\n', 400],
    ['headers over the limit', `GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])(
    'answers a request the HTTP parser refuses (%s) with problem+json DSE-001 and closes',
    async (_what, bytes, status) => {
      const raw = await rawRequest(t.app.getHttpServer(), bytes);
      expect(raw).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      const [head, rest] = [raw.slice(0, raw.indexOf('\r\n\r\n')), raw.slice(raw.indexOf('\r\n\r\n') + 4)];
      const body = rest.slice(0, Number(/content-length: (\d+)/i.exec(head)![1])); // one answer only
      expect(head).toMatch(/content-type: application\/problem\+json/i);
      expect(head).toMatch(/x-protocol-version: 1/i);
      expect(JSON.parse(body)).toMatchObject({ code: 'DSE-001', status, type: '/docs/errors#DSE-001' });
      expect(JSON.parse(body).request_id).toBe(/x-request-id: (\S+)/i.exec(head)![1]);
    },
  );

  it('accepts a body just under the limit as far as parsing goes', async () => {
    const body = `{"pad":"${'x'.repeat(TEN_MB - 100)}"}`;
    const res = await t.http().post('/v1/no-such-thing').set('Content-Type', 'application/json').send(body);
    expectProblem(res, 404, 'DSE-015'); // parsed, then no route
  });

  it('rejects a JSON body in an unsupported charset with 400 DSE-001, not a 500', async () => {
    const res = await t
      .http()
      .post('/v1/admin/keys')
      .set('Content-Type', 'application/json; charset=latin1')
      .send('{}');
    expectProblem(res, 400, 'DSE-001');
  });

  it('refuses a body that is not JSON (form-encoded, text) with 400 DSE-001, naming the type to send', async () => {
    for (const [type, body] of [
      ['application/x-www-form-urlencoded', 'role=admin&subject=x'],
      ['text/plain', '{"role":"admin"}'],
    ]) {
      const res = await t
        .http()
        .post('/v1/admin/keys')
        .set('Authorization', `Bearer ${t.adminKey}`)
        .set('Content-Type', type)
        .send(body);
      expectProblem(res, 400, 'DSE-001');
      expect(res.body.detail).toBe('unsupported Content-Type: send application/json');
    }
  });

  it('takes application/*+json bodies as JSON, and refuses __proto__ or constructor.prototype keys', async () => {
    const admin = { Authorization: `Bearer ${t.adminKey}` };
    const ok = await t
      .http()
      .post('/v1/admin/keys')
      .set(admin)
      .set('Content-Type', 'application/merge-patch+json')
      .send('{"role":"client","subject":"plus-json"}');
    expect(ok.status).toBe(201);
    for (const body of [
      '{"role":"client","subject":"p","__proto__":{"x":1}}',
      '{"constructor":{"prototype":{"x":1}}}',
    ]) {
      const res = await t.http().post('/v1/admin/keys').set(admin).set('Content-Type', 'application/json').send(body);
      expectProblem(res, 400, 'DSE-001');
    }
  });

  it('refuses a body that names a key twice in one object (JSON.parse would keep the last): nothing is written', async () => {
    const admin = { Authorization: `Bearer ${t.adminKey}` };
    const owner = `dup-${Date.now()}`;
    const res = await t
      .http()
      .post('/v1/credits/mint')
      .set(admin)
      .set('Idempotency-Key', `dup-${owner}`)
      .set('Content-Type', 'application/json')
      .send(`{"account_type":"user","account_id":"${owner}","amount":"1","amount":"1000"}`);
    expectProblem(res, 400, 'DSE-001');
    expect(res.body.detail).toBe('request body names the key "amount" twice in one object');
    await t.http().get(`/v1/credits/accounts/user/${owner}`).set(admin).expect(404);
  });

  it('refuses a body nested deeper than 64 levels with 400 DSE-001 on a validated route, not a 500', async () => {
    const admin = { Authorization: `Bearer ${t.adminKey}` };
    const nested = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
    for (const [body, field] of [
      [`{"role":"client","subject":${'['.repeat(2000)}${']'.repeat(2000)}}`, `subject${'.0'.repeat(63)}`],
      [`{"role":"client","subject":"deep","extra":${nested(10_000)}}`, `extra${'.a'.repeat(63)}`],
      // Brackets inside strings are not nesting: a string of 5,000 brackets is just a bad subject.
    ]) {
      const res = await t.http().post('/v1/admin/keys').set(admin).set('Content-Type', 'application/json').send(body);
      expectProblem(res, 400, 'DSE-001');
      expect(res.body.detail).toMatch(/^request body is nested deeper than 64 levels, at (subject|extra)\./);
      expect(res.body.field).toBe(field);
    }
    const strings = await t
      .http()
      .post('/v1/admin/keys')
      .set(admin)
      .set('Content-Type', 'application/json')
      .send(`{"role":"client","subject":"${'['.repeat(5000)}\\"{"}`);
    expectProblem(strings, 400, 'DSE-001');
    expect(strings.body.detail).not.toContain('nested');
    // 64 levels (the key object and 63 below it) is still a body, validated as usual.
    const deepest = await t
      .http()
      .post('/v1/admin/keys')
      .set(admin)
      .set('Content-Type', 'application/json')
      .send(`{"role":"client","subject":"deep","extra":${nested(63)}}`);
    expectProblem(deepest, 400, 'DSE-001');
    expect(deepest.body.detail).toMatch(/extra/);
  });

  it('refuses a body with a Content-Encoding (gzip, br, anything but identity) with 400 DSE-001 naming it', async () => {
    const admin = { Authorization: `Bearer ${t.adminKey}` };
    const body = '{"role":"client","subject":"encoded"}';
    for (const encoding of ['gzip', 'br', 'deflate, gzip']) {
      const res = await t
        .http()
        .post('/v1/admin/keys')
        .set(admin)
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .send(body);
      expectProblem(res, 400, 'DSE-001');
      expect(res.body.detail).toBe(
        `unsupported Content-Encoding ${JSON.stringify(encoding)}: send the body uncompressed`,
      );
    }
    const keys = await t.dataSource.query(`SELECT 1 FROM api_keys WHERE subject = 'encoded'`);
    expect(keys).toHaveLength(0);
    const identity = await t
      .http()
      .post('/v1/admin/keys')
      .set(admin)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'identity')
      .send(body);
    expect(identity.status).toBe(201);
  });

  it('routes that take no body refuse one with fields (400 DSE-001 naming the field), and take none or {}', async () => {
    const admin = { Authorization: `Bearer ${t.adminKey}` };
    const created = await t.http().post('/v1/admin/keys').set(admin).send({ role: 'prover', subject: 'no-body' });
    const prover = { Authorization: `Bearer ${created.body.key}` };
    const job = '987654321';
    const hold = '00000000-0000-4000-8000-000000000001';
    const answers: { path: string; body: unknown; status: number; code?: string; detail?: string }[] = [];
    for (const [path, key] of [
      [`/v1/jobs/${job}/cancel`, admin],
      [`/v1/jobs/${job}/start`, prover],
      ['/v1/provers/no-body/drain', prover],
      [`/v1/credits/holds/${hold}/void`, admin],
      ['/v1/settlement/batches', admin],
    ] as const) {
      const res = await t.http().post(path).set(key).set('Idempotency-Key', `no-body-${path}`).send({ reason: 'x' });
      expectProblem(res, 400, 'DSE-001');
      expect(res.body.detail).toBe('property reason should not exist');
      for (const body of [undefined, {}]) {
        const plain = t
          .http()
          .post(path)
          .set(key)
          .set('Idempotency-Key', `no-body-${path}-${body ? 'e' : 'n'}`);
        const answer = body ? await plain.send(body) : await plain.send();
        answers.push({ path, body, status: answer.status, code: answer.body?.code, detail: answer.body?.detail });
      }
    }
    // Without a body (or with {}), each route answers as usual: here, nothing of that name exists.
    expect(answers.map((a) => [a.path, a.status, a.code])).toEqual(
      [
        [`/v1/jobs/${job}/cancel`, 404, 'DSE-003'],
        [`/v1/jobs/${job}/start`, 404, 'DSE-003'],
        ['/v1/provers/no-body/drain', 404, 'DSE-004'],
        [`/v1/credits/holds/${hold}/void`, 404, 'DSE-015'],
        ['/v1/settlement/batches', 200, undefined],
      ].flatMap((a) => [a, a]),
    );
  });

  it('rejects a path with a malformed percent-encoding with 400 DSE-001, not a 500', async () => {
    expectProblem(await t.http().get('/v1/%E0%A4%A'), 400, 'DSE-001');
  });

  it.each([
    ['GET', '/v1/no-such-thing'],
    ['GET', '/no-version-prefix'],
    ['GET', '/v2/system/info'],
    ['DELETE', '/v1/credits/accounts/x/y/z/w'],
    ['GET', '/v1/..%2f..%2fetc%2fpasswd'],
  ])('answers %s %s (no such route) with 404 DSE-015', async (method, path) => {
    const res = await t
      .http()
      [method.toLowerCase() as 'get' | 'post' | 'delete'](path)
      .set('Accept', 'application/json');
    expectProblem(res, 404, 'DSE-015');
  });

  it('answers a path that exists under other methods with 405 DSE-001 and Allow', async () => {
    const admin = { Authorization: `Bearer ${t.adminKey}` };
    for (const [method, path, allow] of [
      ['post', '/v1/system/info', 'GET, HEAD'],
      ['put', '/v1/admin/keys', 'GET, HEAD, POST'],
      ['delete', '/v1/provers/p1', 'GET, HEAD'],
      ['patch', '/v1/scheduler/config', 'GET, HEAD, PUT'],
      ['options', '/v1/credits/accounts/user/alice?x=1', 'GET, HEAD'],
    ] as const) {
      const res = await t.http()[method](path).set(admin);
      expectProblem(res, 405, 'DSE-001');
      expect([res.headers.allow, res.body.title]).toEqual([allow, 'Method not allowed']);
      expect(res.body.detail).toBe(`${path.split('?')[0]} takes ${allow}, not ${method.toUpperCase()}`);
    }
  });

  it('names the method and path of an unknown route, without the query string', async () => {
    const res = await t.http().get('/v1/no-such-thing?token=secret');
    expectProblem(res, 404, 'DSE-015');
    expect(res.body.detail).toBe('no route GET /v1/no-such-thing');
  });

  describe('request validation (POST /v1/admin/keys, an admin route with a validated body)', () => {
    const post = (body: unknown) =>
      t
        .http()
        .post('/v1/admin/keys')
        .set('Authorization', `Bearer ${t.adminKey}`)
        .send(body as object);
    const fields = (res: Response) => (res.body.errors as { field: string }[]).map((e) => e.field).sort();

    it('rejects an unknown field with 400 DSE-001 naming it', async () => {
      const res = await post({ role: 'client', subject: 'alice', is_admin: true });
      expectProblem(res, 400, 'DSE-001');
      expect(fields(res)).toEqual(['is_admin']);
    });

    it('rejects wrong types with 400 DSE-001, one entry per field', async () => {
      const res = await post({ role: 5, subject: ['alice'], require_signature: 'yes' });
      expectProblem(res, 400, 'DSE-001');
      expect(fields(res)).toEqual(expect.arrayContaining(['require_signature', 'role', 'subject']));
    });

    it('rejects a missing field with 400 DSE-001', async () => {
      const res = await post({ role: 'client' });
      expectProblem(res, 400, 'DSE-001');
      expect(fields(res)).toContain('subject');
    });

    it('rejects a body that is not an object with 400 DSE-001', async () => {
      expectProblem(await post([{ role: 'client', subject: 'alice' }]), 400, 'DSE-001');
      expectProblem(await t.http().post('/v1/admin/keys').set('Authorization', `Bearer ${t.adminKey}`), 400, 'DSE-001');
    });

    it('checks the key before the body: no key is 401 DSE-002', async () => {
      const res = await t.http().post('/v1/admin/keys').send({ role: 'client', subject: 'alice', junk: 1 });
      expectProblem(res, 401, 'DSE-002');
    });
  });
});

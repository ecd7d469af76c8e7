import { runCli } from '../support/cli';
import { startTestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

// Each CLI run is a process that opens the database (several seconds on embedded PGlite).
jest.setTimeout(180_000);

describe('auth: the keys CLI', () => {
  let db: TestDatabase;
  const cli = (...args: string[]) => runCli(db.env, ...args);

  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  it('creates, lists and revokes keys that the API then honours', async () => {
    const created = await cli('keys', 'create', '--role', 'client', '--subject', 'alice');
    expect(created.code).toBe(0);
    const key = /^key:\s+(tly_\S+)$/m.exec(created.stdout)![1];
    const id = /^id:\s+(\S+)$/m.exec(created.stdout)![1];
    expect(created.stderr).toMatch(/not shown again/);

    const signed = await cli('keys', 'create', '--role', 'prover', '--subject', 'p1', '--require-signature', '--json');
    expect(signed.code).toBe(0);
    const prover = JSON.parse(signed.stdout);
    expect(prover).toMatchObject({ role: 'prover', subject: 'p1', require_signature: true });

    const listed = await cli('keys', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+PREFIX\s+ROLE\s+SUBJECT/);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain(key.slice(0, 12));
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).not.toContain(prover.key);

    const revoked = await cli('keys', 'revoke', prover.id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${prover.id}`);

    const t = await startTestApp({}, db);
    try {
      const res = await t.http().get('/v1/auth/whoami').set('X-API-Key', key).expect(200);
      expect(res.body).toEqual({ key_id: id, role: 'client', subject: 'alice' });
      await t.http().get('/v1/auth/whoami').set('X-API-Key', prover.key).expect(401);
      const { body } = await t.http().get('/v1/admin/keys').set('X-API-Key', t.adminKey).expect(200);
      const revokedAt = (keyId: string) => body.keys.find((k: { id: string }) => k.id === keyId).revoked_at;
      expect(revokedAt(prover.id)).not.toBeNull();
      expect(revokedAt(id)).toBeNull();
    } finally {
      await t.close();
    }
  });

  it('explains bad input and exits non-zero', async () => {
    const missing = await cli('keys', 'create', '--role', 'client');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '--subject <id>' not specified/);
    const invalid = await cli('keys', 'create', '--role', 'client', '--subject', 'bob', '--require-signature');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/prover keys only/);
    const unknown = await cli('keys', 'revoke', '--id', '0b9d6c9e-5c3f-4d0e-9a51-1b7e1c2d3f4a');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no API key with id/);
  });

  it('a database it cannot reach is one line and exit 1, at once (no retries, no stack trace)', async () => {
    const started = Date.now();
    const down = await runCli({ ...db.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' }, 'keys', 'list');
    expect(down.code).toBe(1);
    // One line naming the server, the cause and what to check.
    expect(down.stderr.trim()).toBe(
      'cannot open the database: could not reach the database (host 127.0.0.1, port 1, database nowhere): ' +
        'connect ECONNREFUSED 127.0.0.1:1. Check DATABASE_URL (host, port, database name, user) and that the server is running.',
    );
    expect(Date.now() - started).toBeLessThan(30_000); // ten retries 3 s apart would take longer
  });
});

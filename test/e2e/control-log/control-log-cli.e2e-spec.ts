import { runCli } from '../../support/cli';
import { startTestApp } from '../../support/test-app';
import { createTestDatabase, TestDatabase } from '../../support/test-database';

// Each CLI run is a process that opens the database (several seconds on embedded PGlite).
jest.setTimeout(240_000);

describe('control-action log: the CLI', () => {
  let db: TestDatabase;
  const cli = (...args: string[]) => runCli(db.env, ...args);

  beforeAll(async () => (db = await createTestDatabase()));
  afterAll(() => db.drop());

  it('logs the operator actions, and ledger verify checks the chain and names a tampered row', async () => {
    const created = await cli('keys', 'create', '--role', 'client', '--subject', 'alice', '--json');
    expect(created.code).toBe(0);
    const keyId = JSON.parse(created.stdout).id as string;
    expect((await cli('mint', '--type', 'user', '--id', 'alice', '--amount', '5')).code).toBe(0);
    expect((await cli('keys', 'revoke', keyId)).code).toBe(0);
    // A refused revoke is logged as such.
    expect((await cli('keys', 'revoke', '0b9d6c9e-5c3f-4d0e-9a51-1b7e1c2d3f4a')).code).toBe(1);

    const verified = await cli('ledger', 'verify');
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('4 control-log rows checked');
    expect(verified.stdout).toContain('control log OK');

    const t = await startTestApp({}, db);
    try {
      const { body } = await t
        .http()
        .get('/v1/admin/control-log')
        .set({ Authorization: `Bearer ${t.adminKey}` })
        .expect(200);
      expect(body.items).toMatchObject([
        {
          seq: '1',
          actor: { key_id: null, role: 'cli', subject: expect.any(String) },
          action: 'admin.createKey',
          fields: { body: { role: 'client', subject: 'alice', require_signature: false, label: null } },
          outcome: 'ok',
        },
        {
          seq: '2',
          action: 'credits.mint',
          fields: { body: { account_type: 'user', account_id: 'alice', amount: '5', memo: null } },
          outcome: 'ok',
        },
        { seq: '3', action: 'admin.revokeKey', fields: { body: { id: keyId } }, outcome: 'ok' },
        { seq: '4', action: 'admin.revokeKey', outcome: 'rejected', error_code: 'DSE-015' },
      ]);
      expect(JSON.stringify(body)).not.toMatch(/tly_/);

      // Tampered by someone who can switch the trigger off: the mint's amount.
      await t.dataSource.query(`ALTER TABLE control_log DISABLE TRIGGER control_log_append_only`);
      await t.dataSource.query(`UPDATE control_log SET fields = replace(fields, '"5"', '"50"') WHERE seq = 2`);
      await t.dataSource.query(`ALTER TABLE control_log ENABLE TRIGGER control_log_append_only`);
    } finally {
      await t.close();
    }
    const broken = await cli('ledger', 'verify');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('control log seq 2: its hash does not match its contents');
  });
});

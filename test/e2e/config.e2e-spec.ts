import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnServer, startBuiltServer, waitForExit } from '../support/built-server';
import { TestPki } from '../support/test-pki';

describe('configuration (the compiled server)', () => {
  let dataDir: string;
  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'tally-config-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it.each([
    ['PORT', 'abc'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['SHUTDOWN_GRACE_MS', '-5'],
    ['TALLY_ADMIN_KEY', 'short'],
  ])('refuses to start with %s=%s, naming the variable', async (name, value) => {
    const server = spawnServer({ TALLY_DATA_DIR: dataDir, [name]: value });
    const exit = await waitForExit(server, 50_000);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    const stderr = server.stderr();
    expect(stderr).toContain('Invalid environment');
    expect(stderr).toMatch(new RegExp(`^\\s*${name}: `, 'm'));
    expect(stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
    expect(server.stdout()).not.toContain('listening on');
  });

  it('refuses to start with a gRPC TLS certificate but no key, naming the variable', async () => {
    const pki = TestPki.create();
    try {
      const server = spawnServer({ TALLY_DATA_DIR: dataDir, GRPC_TLS_CERT: pki.issueServer().cert });
      expect((await waitForExit(server, 50_000)).code).toBe(1);
      expect(server.stderr()).toMatch(/^\s*GRPC_TLS_KEY: must be set with GRPC_TLS_CERT/m);
      expect(server.stderr()).not.toMatch(/^\s+at /m);
      expect(server.stdout()).not.toContain('listening on');
    } finally {
      pki.cleanup();
    }
  });

  it('names every wrong variable at once', async () => {
    const server = spawnServer({ TALLY_DATA_DIR: dataDir, PORT: '70000', LOG_LEVEL: 'loud' });
    const exit = await waitForExit(server, 50_000);
    expect(exit.code).toBe(1);
    expect(server.stderr()).toMatch(/^\s*PORT: /m);
    expect(server.stderr()).toMatch(/^\s*LOG_LEVEL: /m);
  });
});

describe('.env in the working directory (the compiled server)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tally-dotenv-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const writeDotEnv = (lines: string[]) => writeFileSync(join(dir, '.env'), `${lines.join('\n')}\n`);

  it('is read and validated: a wrong value there stops the server, naming the variable', async () => {
    writeDotEnv([`TALLY_DATA_DIR=${join(dir, 'data')}`, 'SHUTDOWN_GRACE_MS=-5']);
    const server = spawnServer({}, { cwd: dir });
    const exit = await waitForExit(server, 50_000);
    expect(exit.code).toBe(1);
    expect(server.stderr()).toMatch(/^\s*SHUTDOWN_GRACE_MS: /m);
  });

  it('fills in what the environment leaves out, and a variable set in the environment wins', async () => {
    const adminKey = `tly_admin_${randomBytes(16).toString('hex')}`;
    // The environment sets PORT=0 and LOG_LEVEL=info: had the file's values won, the server would refuse to start.
    writeDotEnv([`TALLY_DATA_DIR=${join(dir, 'data')}`, `TALLY_ADMIN_KEY=${adminKey}`, 'PORT=abc', 'LOG_LEVEL=loud']);
    const server = await startBuiltServer({}, 120_000, { cwd: dir });
    try {
      const keys = await fetch(`${server.url}/v1/admin/keys`, { headers: { 'X-API-Key': adminKey } });
      expect(keys.status).toBe(200);
    } finally {
      server.proc.kill('SIGTERM');
      await waitForExit(server, 30_000);
    }
  }, 180_000); // the start may take its 120 s on a loaded machine, then the stop
});

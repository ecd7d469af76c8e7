import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
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

/** The JSON log lines a server printed, as objects. */
const logLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; time: unknown; context?: string; msg: string });

describe('start-up a person can read (the compiled server)', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'tally-start-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const stop = async (server: Awaited<ReturnType<typeof startBuiltServer>>) => {
    server.proc.kill('SIGTERM');
    await waitForExit(server, 30_000);
  };

  it("prints one line per fact at info, with Nest's module and route lines kept for debug", async () => {
    const server = await startBuiltServer({ TALLY_DATA_DIR: dataDir });
    try {
      // The last fact comes a moment after the port is known.
      const deadline = Date.now() + 10_000;
      while (!server.stdout().includes('admin key') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const lines = logLines(server.stdout());
      const facts = lines.filter((l) => l.context === 'Bootstrap').map((l) => l.msg);
      expect(facts).toEqual([
        expect.stringMatching(/^Tally \d+\.\d+\.\d+/),
        `listening on http://127.0.0.1:${server.port}`,
        `database: embedded (PGlite) at ${dataDir}`,
        `API docs: http://127.0.0.1:${server.port}/docs`,
        expect.stringMatching(
          /^no admin key yet: restart with TALLY_ADMIN_KEY=.*`npm run cli -- keys create --role admin/,
        ),
      ]);
      for (const chatter of ['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']) {
        expect(lines.filter((l) => l.context === chatter)).toEqual([]);
      }
      // Times a person can read: ISO 8601, not epoch milliseconds.
      for (const line of lines)
        expect(line.time).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/));
    } finally {
      await stop(server);
    }
    const adminKey = `tly_admin_${randomBytes(16).toString('hex')}`;
    const again = await startBuiltServer({ TALLY_DATA_DIR: dataDir, TALLY_ADMIN_KEY: adminKey });
    try {
      const deadline = Date.now() + 10_000;
      while (!again.stdout().includes('admin key') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(logLines(again.stdout()).map((l) => l.msg)).toContain('admin key: present');
    } finally {
      await stop(again);
    }
  }, 300_000);

  it('without a signing key on a database server: one message saying how to make one, exit 1, no stack', async () => {
    // A Postgres-speaking server of the test's own (PGlite), so this runs without any other database.
    const db = await PGlite.create('memory://');
    const socket = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
    await socket.start();
    try {
      const server = spawnServer({
        TALLY_DATA_DIR: dataDir,
        DATABASE_URL: `postgres://postgres:postgres@${socket.getServerConn()}/postgres`,
        DATABASE_POOL_SIZE: '2',
        RECEIPT_SIGNING_KEY_HEX: '',
      });
      expect((await waitForExit(server, 120_000)).code).toBe(1);
      const stderr = server.stderr().trim();
      expect(stderr.split('\n')).toHaveLength(1);
      expect(stderr).toContain('RECEIPT_SIGNING_KEY_HEX is required with DATABASE_URL');
      expect(stderr).toContain('openssl rand -hex 32');
      expect(server.stdout()).not.toContain('RECEIPT_SIGNING_KEY_HEX is required');
      expect(server.stdout() + stderr).not.toMatch(/^\s+at /m);
    } finally {
      await socket.stop();
      await db.close();
    }
  }, 180_000);

  it('an unreachable database: one line per attempt, then one message naming host, port and database', async () => {
    const server = spawnServer({
      TALLY_DATA_DIR: dataDir,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/tally_nowhere',
      DATABASE_CONNECT_ATTEMPTS: '3',
    });
    expect((await waitForExit(server, 60_000)).code).toBe(1);
    const retries = logLines(server.stdout()).filter((l) => l.context === 'DatabaseConnection');
    expect(retries.map((l) => l.msg)).toEqual([
      expect.stringMatching(/host 127\.0\.0\.1, port 1, database tally_nowhere not reachable .*attempt 1 of 3/),
      expect.stringMatching(/attempt 2 of 3/),
    ]);
    const stderr = server.stderr().trim();
    expect(stderr.split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /could not reach the database \(host 127\.0\.0\.1, port 1, database tally_nowhere\) after 3 attempts/,
    );
    expect(server.stdout() + stderr).not.toMatch(/^\s+at /m);
  }, 90_000);
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

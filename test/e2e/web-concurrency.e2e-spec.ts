import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { spawnServer, startBuiltServer, waitForExit } from '../support/built-server';
import { runCli } from '../support/cli';
import { createServerDatabase, TestDatabase } from '../support/test-database';

jest.setTimeout(300_000);

/** The JSON log lines a server printed (its workers' too: they share its stdout). */
const logLines = (stdout: string) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { pid: number; msg: string; req?: { url: string } });

describe('WEB_CONCURRENCY (the compiled server)', () => {
  it('refuses more than one process on the embedded database, naming the variable', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tally-workers-'));
    try {
      const server = spawnServer({ TALLY_DATA_DIR: dataDir, WEB_CONCURRENCY: '2' });
      expect((await waitForExit(server, 50_000)).code).toBe(1);
      expect(server.stderr()).toMatch(/^\s*WEB_CONCURRENCY: more than one process needs DATABASE_URL/m);
      expect(server.stdout()).not.toContain('listening on');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('two workers on a database server', () => {
    let db: TestDatabase & { url: string };
    beforeAll(async () => (db = await createServerDatabase()));
    afterAll(() => db.drop());

    it('answers from both on one port, keeps the background work right, and stops both on SIGTERM', async () => {
      const adminKey = `tly_${randomBytes(16).toString('hex')}`;
      const server = await startBuiltServer({ ...db.env, TALLY_ADMIN_KEY: adminKey, WEB_CONCURRENCY: '2' });
      const admin = { authorization: `Bearer ${adminKey}` };
      try {
        // Both workers start (each runs the migrations' check and ensures the admin key).
        const deadline = Date.now() + 60_000;
        const listening = () => logLines(server.stdout()).filter((l) => l.msg.startsWith('listening on'));
        while (listening().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(listening().map((l) => l.msg)).toEqual([`listening on ${server.url}`, `listening on ${server.url}`]);
        const workerPids = new Set(listening().map((l) => l.pid));
        expect(workerPids.size).toBe(2);
        expect(workerPids.has(server.proc.pid!)).toBe(false);

        // Admin actions on fresh connections (handed to the workers in turn): mints, keys and
        // transfers, each worker's control-log rows, outbox rows and postings interleaved.
        const post = (path: string, body: unknown) =>
          new Promise<{ status: number }>((resolve, reject) => {
            const payload = JSON.stringify(body);
            const req = request(
              `${server.url}${path}`,
              {
                method: 'POST',
                agent: false, // a connection of its own
                headers: { ...admin, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
              },
              (res) => res.resume().on('end', () => resolve({ status: res.statusCode ?? 0 })),
            );
            req.on('error', reject);
            req.end(payload);
          });
        for (let u = 0; u < 8; u++) {
          expect(await post('/v1/credits/mint', { account_type: 'user', account_id: `u${u}`, amount: '5' })).toEqual({
            status: 201,
          });
        }
        const statuses = await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 4 === 0
              ? post('/v1/admin/keys', { role: 'client', subject: `w${i}` })
              : i % 4 === 1
                ? post('/v1/credits/mint', { account_type: 'user', account_id: `u${i % 8}`, amount: '5' })
                : post('/v1/credits/transfer', {
                    from: { account_type: 'user', account_id: `u${(i + 7) % 8}` },
                    to: { account_type: 'user', account_id: `u${i % 8}` },
                    amount: '0.000001',
                  })
            ).then((r) => r.status),
          ),
        );
        expect(statuses).toEqual(Array(40).fill(201));
        const answeredBy = new Set(logLines(server.stdout()).flatMap((l) => (l.req ? [l.pid] : [])));
        expect(answeredBy).toEqual(workerPids);

        // Each worker's relay publishes its own outbox rows, and their chainers chain the log once.
        const pg = new Client({ connectionString: db.url });
        await pg.connect();
        try {
          const pending = async () =>
            (
              await pg.query<{ outbox: number; unchained: number }>(
                `SELECT (SELECT count(*)::int FROM outbox WHERE published_at IS NULL) AS outbox,
                        (SELECT count(*)::int FROM control_log WHERE hash IS NULL) AS unchained`,
              )
            ).rows[0];
          const until = Date.now() + 20_000;
          while (Date.now() < until) {
            const { outbox, unchained } = await pending();
            if (outbox === 0 && unchained === 0) break;
            await new Promise((r) => setTimeout(r, 100));
          }
          expect(await pending()).toEqual({ outbox: 0, unchained: 0 });
        } finally {
          await pg.end();
        }
      } finally {
        server.proc.kill('SIGTERM');
      }
      expect(await waitForExit(server, 60_000)).toEqual({ code: 0, signal: null });

      const verified = await runCli(db.env, 'ledger', 'verify');
      expect(verified.stderr).toBe('');
      expect(verified.code).toBe(0);
      expect(verified.stdout).toContain('control log OK');
    });

    it('stops the other worker and exits 1 when one dies, for the supervisor to restart the service', async () => {
      const server = await startBuiltServer({ ...db.env, WEB_CONCURRENCY: '2' });
      const listening = () => logLines(server.stdout()).filter((l) => l.msg.startsWith('listening on'));
      const deadline = Date.now() + 60_000;
      while (listening().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const [crashed, other] = listening().map((l) => l.pid);
      process.kill(crashed, 'SIGKILL');
      expect((await waitForExit(server, 60_000)).code).toBe(1);
      expect(server.stderr()).toContain(`worker ${crashed} exited (SIGKILL): stopping the others`);
      expect(() => process.kill(other, 0)).toThrow(); // gone too
    });
  });
});

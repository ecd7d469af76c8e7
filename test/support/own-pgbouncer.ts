import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';

/** Debian's PgBouncer (`apt-get install -y pgbouncer`; .ci/run installs it). */
const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

/**
 * A PgBouncer of the test's own (a temporary config directory, a free port, trust auth), in
 * front of a Postgres server: never the system one. Run as root, it switches to the
 * `postgres` user (PgBouncer refuses to run as root).
 */
export class OwnPgBouncer {
  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    readonly port: number,
  ) {}

  /**
   * Starts it with `pool_mode` and `poolSize` server connections per database/user pair,
   * forwarding every database name to the server of `serverUrl`.
   */
  static async start(
    serverUrl: string,
    { poolMode, poolSize }: { poolMode: 'session' | 'transaction'; poolSize: number },
  ): Promise<OwnPgBouncer> {
    const server = new URL(serverUrl);
    const user = decodeURIComponent(server.username || 'postgres');
    const dir = mkdtempSync(join(tmpdir(), 'tally-pgbouncer-'));
    const port = await freePort();
    writeFileSync(join(dir, 'userlist.txt'), `"${user}" ""\n`);
    writeFileSync(
      join(dir, 'pgbouncer.ini'),
      [
        '[databases]',
        `* = host=${server.hostname || '127.0.0.1'} port=${server.port || '5432'}`,
        '[pgbouncer]',
        'listen_addr = 127.0.0.1',
        `listen_port = ${port}`,
        'unix_socket_dir =',
        'auth_type = trust',
        `auth_file = ${join(dir, 'userlist.txt')}`,
        `logfile = ${join(dir, 'pgbouncer.log')}`,
        `pool_mode = ${poolMode}`,
        `default_pool_size = ${poolSize}`,
        'max_client_conn = 200',
        '',
      ].join('\n'),
    );
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      const [uid, gid] = ['-u', '-g'].map((flag) =>
        Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' })),
      );
      for (const file of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(join(dir, file), uid, gid);
    }
    const args = [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')];
    const child = spawn(PGBOUNCER_BIN, args, { stdio: 'ignore' });
    const bouncer = new OwnPgBouncer(child, dir, port);
    try {
      await bouncer.untilAccepting(server.pathname.slice(1) || 'postgres', user);
    } catch (error) {
      const log = bouncer.log();
      await bouncer.close();
      throw new Error(`pgbouncer did not start: ${(error as Error).message}\n${log}`, { cause: error });
    }
    return bouncer;
  }

  /** A URL to `database` through this pooler. */
  url(database: string, user = 'postgres'): string {
    return `postgres://${user}@127.0.0.1:${this.port}/${database}`;
  }

  /** The pooler's own log, for a failure message. */
  log(): string {
    const path = join(this.dir, 'pgbouncer.log');
    return existsSync(path) ? readFileSync(path, 'utf8').slice(-3_000) : '';
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM'); // immediate shutdown
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async untilAccepting(database: string, user: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`exited with ${this.child.exitCode}`);
      const client = new Client({ connectionString: this.url(database, user), connectionTimeoutMillis: 1_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
  }
}

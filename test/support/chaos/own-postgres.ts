import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../free-port';
import { isRunning } from '../global-setup';

const PREFIX = 'tally-chaos-pg-';
const execFileAsync = promisify(execFile);

/** The directory of the Postgres server binaries: `pg_config --bindir`, else the newest /usr/lib/postgresql/<v>/bin, else PATH. */
function postgresBinDir(): string | undefined {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(join(dir, 'pg_ctl'))) return dir;
  } catch {
    // no pg_config on PATH
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'pg_ctl')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions.length > 0 ? join(root, versions[0], 'bin') : undefined;
}

/**
 * A Postgres cluster of the test's own (initdb into a temporary directory, on a free port,
 * trust auth on loopback), so a test can stop and start it without touching any other. Run
 * as root, the server programs run as the `postgres` user (initdb refuses root).
 */
export class OwnPostgres {
  private running = false;
  private readonly onExit = () => this.destroySync();

  private constructor(
    private readonly bin: string | undefined,
    readonly dir: string,
    readonly port: number,
    private readonly asPostgres: boolean,
  ) {}

  static async create(): Promise<OwnPostgres> {
    removeAbandoned();
    const asPostgres = process.getuid?.() === 0;
    // The name carries this process's id: a later run removes it only once this process is gone.
    const dir = mkdtempSync(join(tmpdir(), `${PREFIX}${process.pid}-`));
    const pg = new OwnPostgres(postgresBinDir(), dir, await freePort(), asPostgres);
    process.once('exit', pg.onExit);
    try {
      if (asPostgres) {
        const [uid, gid] = ['-u', '-g'].map((flag) =>
          Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' })),
        );
        chownSync(dir, uid, gid);
      }
      await pg.run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
      appendFileSync(
        join(dir, 'data', 'postgresql.conf'),
        `\nport = ${pg.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\n` +
          `max_connections = 60\nlog_min_messages = warning\n`,
      );
      await pg.start();
    } catch (error) {
      pg.destroySync();
      throw error;
    }
    return pg;
  }

  /** A URL to `database` on this cluster. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    await this.run('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      'start',
      '-w',
      '-t',
      '60',
      '-l',
      join(this.dir, 'server.log'),
    ]);
    this.running = true;
  }

  /** Stops the server: `fast` disconnects every client and shuts down cleanly, `immediate` is a crash (recovery at the next start). */
  async stop(mode: 'fast' | 'immediate'): Promise<void> {
    await this.run('pg_ctl', this.stopArgs(mode));
    this.running = false;
  }

  /** Stops the server if it runs and removes its files. */
  destroySync(): void {
    process.off('exit', this.onExit);
    if (this.running || existsSync(join(this.dir, 'data', 'postmaster.pid'))) {
      try {
        execFileSync(...this.command('pg_ctl', this.stopArgs('immediate')), { stdio: 'ignore', cwd: this.dir });
      } catch {
        // already down
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The server's own log, for a failure message. */
  log(): string {
    const path = join(this.dir, 'server.log');
    return existsSync(path) ? readFileSync(path, 'utf8').slice(-3_000) : '';
  }

  private stopArgs(mode: 'fast' | 'immediate'): string[] {
    return ['-D', join(this.dir, 'data'), 'stop', '-w', '-t', '60', '-m', mode];
  }

  /** Runs a server program without blocking the event loop (the load goes on meanwhile). */
  private async run(program: string, args: string[]): Promise<void> {
    const [file, argv] = this.command(program, args);
    await execFileAsync(file, argv, { cwd: this.dir });
  }

  private command(program: string, args: string[]): [string, string[]] {
    const path = this.bin ? join(this.bin, program) : program;
    return this.asPostgres ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  }
}

/** Clusters left by runs that were killed before their teardown (their test process is gone): stopped and removed. */
function removeAbandoned(): void {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith(PREFIX))) {
    if (isRunning(Number(name.slice(PREFIX.length).split('-')[0]))) continue;
    const dir = join(tmpdir(), name);
    const pidFile = join(dir, 'data', 'postmaster.pid');
    const postmaster = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
    if (postmaster > 0 && isRunning(postmaster)) process.kill(postmaster, 'SIGQUIT'); // Postgres's immediate shutdown
    rmSync(dir, { recursive: true, force: true });
  }
}

import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Data directories this process has open (a second open in the same process is refused too). */
const held = new Set<string>();

/**
 * Takes `<dir>.lock` for this process: PGlite is one session over files it caches in memory,
 * so a second process on the same directory (the CLI beside the running service, say)
 * would write to its own copy and the other's writes would be lost without a word. A lock
 * whose process is gone is stale and taken over.
 */
function lockDataDir(dir: string): () => void {
  const path = `${dir}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(dir);
      return () => {
        held.delete(dir);
        rmSync(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (owner > 0 && (held.has(dir) || (owner !== process.pid && alive(owner)))) {
      throw new Error(
        `the embedded database in ${dir} is in use by process ${owner}: it takes one process at a time ` +
          `(stop that one, or set DATABASE_URL to share a Postgres server; if no such process is Tally, remove ${path})`,
      );
    }
    rmSync(path, { force: true }); // stale: its process has exited
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Embedded Postgres (PGlite, real Postgres compiled to WASM) served on a loopback port,
 * so the app reaches it through the same `pg` driver and TypeORM path as a server.
 * PGlite is one connection: the pool in front of it must have size 1.
 */
export class EmbeddedPostgres {
  private db?: PGlite;
  private server?: PGLiteSocketServer;
  private url?: string;
  private unlock?: () => void;

  /** `dataDir` persists the database on disk; `memory://` keeps it in memory. */
  constructor(private readonly dataDir: string) {}

  async start(): Promise<string> {
    if (this.url) return this.url;
    const location = this.dataDir.startsWith('memory://') ? this.dataDir : resolve(this.dataDir);
    if (!location.startsWith('memory://')) {
      mkdirSync(location, { recursive: true });
      this.unlock = lockDataDir(location);
    }
    try {
      this.db = await PGlite.create(location);
    } catch (error) {
      this.release();
      throw error;
    }
    // The pool in front has one connection; a second slot lets it reconnect at once after a
    // connection was lost (the server lets go of the old one a moment later, rolling back
    // its open transaction). Statements of the two are never interleaved inside a transaction.
    this.server = new PGLiteSocketServer({ db: this.db, host: '127.0.0.1', port: 0, maxConnections: 2 });
    await this.server.start();
    this.url = `postgres://postgres:postgres@${this.server.getServerConn()}/postgres`;
    return this.url;
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    await this.db?.close();
    this.server = undefined;
    this.db = undefined;
    this.url = undefined;
    this.release();
  }

  private release(): void {
    this.unlock?.();
    this.unlock = undefined;
  }
}

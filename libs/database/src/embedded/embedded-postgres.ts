import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * Embedded Postgres (PGlite, real Postgres compiled to WASM) served on a loopback port,
 * so the app reaches it through the same `pg` driver and TypeORM path as a server.
 * PGlite is one connection: the pool in front of it must have size 1.
 */
export class EmbeddedPostgres {
  private db?: PGlite;
  private server?: PGLiteSocketServer;
  private url?: string;

  /** `dataDir` persists the database on disk; `memory://` keeps it in memory. */
  constructor(private readonly dataDir: string) {}

  async start(): Promise<string> {
    if (this.url) return this.url;
    const location = this.dataDir.startsWith('memory://') ? this.dataDir : resolve(this.dataDir);
    if (!location.startsWith('memory://')) mkdirSync(location, { recursive: true });
    this.db = await PGlite.create(location);
    this.server = new PGLiteSocketServer({ db: this.db, host: '127.0.0.1', port: 0 });
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
  }
}

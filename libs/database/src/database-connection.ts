import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ConfigurationError, TallyEnv } from '@tally/shared';
import { DatabaseKind } from './database-kind';
import { EmbeddedPostgres } from './embedded/embedded-postgres';

/**
 * Where the database is: a Postgres server when DATABASE_URL is set, otherwise an
 * embedded PGlite started here and served on loopback. Owns the embedded instance's life.
 */
@Injectable()
export class DatabaseConnection implements OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseConnection.name);
  private embedded?: EmbeddedPostgres;
  kind: DatabaseKind = 'postgres';
  url = '';
  poolSize = 1;

  constructor(
    readonly env: TallyEnv,
    private readonly moduleRef: ModuleRef,
  ) {}

  async open(): Promise<void> {
    if (this.env.DATABASE_URL) {
      this.kind = 'postgres';
      this.url = this.env.DATABASE_URL;
      this.poolSize = this.env.DATABASE_POOL_SIZE;
      return;
    }
    this.kind = 'embedded';
    this.poolSize = 1; // PGlite is a single connection
    this.embedded = new EmbeddedPostgres(this.env.TALLY_DATA_DIR);
    this.url = await this.embedded.start();
  }

  /** Where the database is, for people: no password. */
  get description(): string {
    if (this.kind === 'embedded') return `embedded (PGlite) at ${this.env.TALLY_DATA_DIR}`;
    return `postgres at ${serverOf(this.url)}`;
  }

  /**
   * The first connection, retried while the server is away (starting up, or not yet
   * reachable): one line per failed attempt, then an error naming host, port and database.
   */
  async connect(initialize: () => Promise<DataSource>, attempts: number, delayMs: number): Promise<DataSource> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await initialize();
      } catch (error) {
        const cause = reasonOf(error);
        if (attempt >= attempts) {
          throw new DatabaseUnreachableError(
            `could not reach the database (${serverOf(this.url)})${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${cause}. ` +
              'Check DATABASE_URL (host, port, database name, user) and that the server is running.',
          );
        }
        this.logger.warn(
          `database ${serverOf(this.url)} not reachable (${cause}); attempt ${attempt} of ${attempts}, retrying in ${delayMs / 1000} s`,
        );
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** Closes the pool before the embedded database it talks to. */
  async onApplicationShutdown(): Promise<void> {
    const dataSource = this.moduleRef.get<DataSource>(getDataSourceToken(), { strict: false });
    if (dataSource?.isInitialized) await dataSource.destroy();
    await this.embedded?.stop();
  }
}

/** The first connection failed past its retries. */
export class DatabaseUnreachableError extends ConfigurationError {}

/** `host <h>, port <p>, database <d>` of a postgres URL (never its password), for messages. */
export function serverOf(url: string): string {
  try {
    const u = new URL(url);
    return `host ${u.hostname || 'localhost'}, port ${u.port || '5432'}, database ${decodeURIComponent(u.pathname.slice(1)) || u.username || 'postgres'}`;
  } catch {
    return 'an unparsable database URL';
  }
}

/** A connection error's code and message on one line. */
function reasonOf(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const message = (e?.message ?? String(error)).split('\n')[0];
  return e?.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}

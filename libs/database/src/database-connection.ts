import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TallyEnv } from '@tally/shared';
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
    private readonly env: TallyEnv,
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
    this.logger.log(`embedded database (PGlite) at ${this.env.TALLY_DATA_DIR}`);
  }

  /** Closes the pool before the embedded database it talks to. */
  async onApplicationShutdown(): Promise<void> {
    const dataSource = this.moduleRef.get<DataSource>(getDataSourceToken(), { strict: false });
    if (dataSource?.isInitialized) await dataSource.destroy();
    await this.embedded?.stop();
  }
}

import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { migrationsApplied } from '@tally/database';

/** What /ready asks the database; a provider of its own so a test can fail just these checks. */
@Injectable()
export class DatabaseProbe {
  constructor(private readonly dataSource: DataSource) {}

  /** Resolves when the database answers a query. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /** True when every migration this build knows has been applied. */
  migrationsApplied(): Promise<boolean> {
    return migrationsApplied(this.dataSource);
  }
}

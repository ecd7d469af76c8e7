import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '@tally/database';
import { DomainError, ErrorCode } from '@tally/shared';
import {
  DEFAULT_SCHEDULER_CONFIG,
  parseSchedulerConfig,
  type SchedulerConfig,
  type VersionedSchedulerConfig,
} from '../domain';

interface ConfigRow {
  config: unknown;
  version: number;
  updated_at: Date;
}

/** The single `scheduler_config` row (id = 1), read and written in the current unit of work. */
@Injectable()
export class SchedulerConfigRepository {
  constructor(private readonly uow: UnitOfWork) {}

  /** The stored config; a row that no longer parses falls back to the defaults (logged by the caller). */
  async get(): Promise<VersionedSchedulerConfig> {
    const rows: ConfigRow[] = await this.uow.tx.query(
      `SELECT config, version, updated_at FROM scheduler_config WHERE id = 1`,
    );
    const row = rows[0];
    if (!row) return { config: DEFAULT_SCHEDULER_CONFIG, version: 0, updatedAt: new Date(0) };
    return { config: this.parse(row.config), version: row.version, updatedAt: row.updated_at };
  }

  /** A stored config column as a config: none (null) or one that no longer parses gives the defaults. */
  parse(stored: unknown): SchedulerConfig {
    if (stored === null || stored === undefined) return DEFAULT_SCHEDULER_CONFIG;
    try {
      return parseSchedulerConfig(stored);
    } catch {
      return DEFAULT_SCHEDULER_CONFIG;
    }
  }

  /**
   * Replaces the config and bumps its version; with `expectedVersion`, only when the stored
   * version is that one (else DSE-005). A config equal to the stored one changes nothing
   * and keeps its version, whatever version was named: a replayed PUT is a no-op.
   */
  async put(config: SchedulerConfig, expectedVersion?: number): Promise<VersionedSchedulerConfig> {
    // An INSERT … RETURNING answers with its rows (only UPDATE and DELETE add a count).
    const rows: ConfigRow[] = await this.uow.tx.query(
      `INSERT INTO scheduler_config AS s (id, config) VALUES (1, $1)
       ON CONFLICT (id) DO UPDATE SET config = EXCLUDED.config, version = s.version + 1, updated_at = now()
       WHERE ($2::int IS NULL OR s.version = $2::int) AND s.config IS DISTINCT FROM EXCLUDED.config
       RETURNING config, version, updated_at`,
      [JSON.stringify(config), expectedVersion ?? null],
    );
    const row = rows[0];
    if (!row) {
      const [same]: (ConfigRow & { same: boolean })[] = await this.uow.tx.query(
        `SELECT config, version, updated_at, config = $1::jsonb AS same FROM scheduler_config WHERE id = 1`,
        [JSON.stringify(config)],
      );
      // The config in force, sent again (a retry of a PUT that landed, say): nothing to write.
      // A version it has not reached yet cannot be such a replay.
      if (same?.same && (expectedVersion === undefined || expectedVersion <= same.version))
        return { config: parseSchedulerConfig(same.config), version: same.version, updatedAt: same.updated_at };
      const current = await this.get();
      throw new DomainError(
        ErrorCode.VersionConflict,
        `the scheduler config is at version ${current.version}, not ${expectedVersion}`,
        { current_version: current.version },
      );
    }
    return { config: parseSchedulerConfig(row.config), version: row.version, updatedAt: row.updated_at };
  }
}

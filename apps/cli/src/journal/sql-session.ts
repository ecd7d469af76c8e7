import { Client } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import { serverOf } from '@tally/database';

/** One connection's queries: a Postgres server's, or the configured database's through the app. */
export interface SqlSession {
  query<T = Record<string, string>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** A connection of its own to a Postgres server. Times read in UTC, so two databases render them alike. */
export async function serverSession(url: string): Promise<SqlSession> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  // A connection lost meanwhile fails the query that was running; without a listener it would end the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new Error(`cannot reach ${serverOf(url)}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  await client.query(`SET TimeZone = 'UTC'`);
  return {
    query: async <T>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as T[],
    close: () => client.end(),
  };
}

/** The app's own database (the embedded one has a single connection: this takes it for the session). */
export async function appSession(dataSource: DataSource): Promise<SqlSession> {
  const runner: QueryRunner = dataSource.createQueryRunner();
  await runner.connect();
  await runner.query(`SET TimeZone = 'UTC'`);
  return {
    query: <T>(text: string, params: unknown[] = []) => runner.query(text, params) as Promise<T[]>,
    close: () => runner.release(),
  };
}

/**
 * Reads `work` from one snapshot: a live database keeps taking writes while a rebuild or a
 * diff streams it, and every table must be read as of the same moment.
 */
export async function inSnapshot<T>(session: SqlSession, work: () => Promise<T>): Promise<T> {
  await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    return await work();
  } finally {
    await session.query('ROLLBACK').catch(() => undefined);
  }
}

import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { EMBEDDED_TEMPLATE_ENV } from './global-setup';

/**
 * A database of the test's own, so no test shares state with another: a fresh Postgres
 * database when DATABASE_URL is set (unless `embedded` is asked for), otherwise a fresh
 * embedded (PGlite) data directory.
 */
export interface TestDatabase {
  /** Environment entries that point an app at this database. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

export async function createTestDatabase({ embedded = false } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl || embedded) {
    const dir = mkdtempSync(join(tmpdir(), 'tally-test-'));
    // An initialised data directory from the run's global setup, when there is one.
    const template = process.env[EMBEDDED_TEMPLATE_ENV];
    if (template) cpSync(template, dir, { recursive: true });
    return { env: { TALLY_DATA_DIR: dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `tally_t_${randomBytes(6).toString('hex')}`;
  await withAdmin(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: '10' },
    drop: () =>
      withAdmin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

async function withAdmin<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The Postgres server the suite may use even when it runs on the embedded database. */
export const TEST_SERVER_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A new, empty database on the Postgres server (whichever database the suite runs on), and its URL. */
export async function createServerDatabase(): Promise<TestDatabase & { url: string }> {
  const name = `tally_t_${randomBytes(6).toString('hex')}`;
  await withAdmin(TEST_SERVER_URL, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    env: { DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: '10' },
    drop: () =>
      withAdmin(TEST_SERVER_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '@tally/database';
import { startTestApp } from '../support/test-app';
import type { TestDatabase } from '../support/test-database';

/** An embedded (PGlite) data directory, whatever DATABASE_URL the suite runs with. */
function embeddedDatabase(): TestDatabase & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tally-embedded-'));
  return {
    dir,
    // An empty DATABASE_URL counts as unset: the app starts the embedded database.
    env: { TALLY_DATA_DIR: dir, DATABASE_URL: '' },
    drop: async () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.lock`, { force: true });
    },
  };
}

// Two embedded starts (the first creates the cluster and migrates it) in one test: slow on a busy machine.
const TWO_STARTS_TIMEOUT_MS = 240_000;

describe('embedded database (no DATABASE_URL)', () => {
  let db: ReturnType<typeof embeddedDatabase>;
  beforeAll(() => (db = embeddedDatabase()));
  afterAll(() => db.drop());

  it(
    'keeps its data across a restart on the same data directory, and serves one process at a time',
    async () => {
      const id = randomUUID();
      const first = await startTestApp({}, db);
      try {
        const info = await first.http().get('/v1/system/info').expect(200);
        expect(info.body.database).toBe('embedded');
        await first.http().get('/ready').expect(200);
        await first.dataSource.query(`CREATE TABLE restart_probe (id uuid PRIMARY KEY, note text NOT NULL)`);
        await first.dataSource.query(`INSERT INTO restart_probe (id, note) VALUES ($1, $2)`, [id, 'survives']);
      } finally {
        await first.close();
      }
      expect(readdirSync(db.dir).length).toBeGreaterThan(0); // on disk, not in memory
      expect(existsSync(`${db.dir}.lock`)).toBe(false); // released on close

      // A lock left by a process that is gone (pids stop below 2^22) is taken over.
      writeFileSync(`${db.dir}.lock`, String(2 ** 22 + 1));
      const second = await startTestApp({}, db);
      try {
        // While it runs, nobody else opens the directory (the CLI beside the service would
        // write to a copy of its own and lose those writes).
        await expect(new EmbeddedPostgres(db.dir).start()).rejects.toThrow(/in use by process \d+/);
        expect(await second.dataSource.query(`SELECT note FROM restart_probe WHERE id = $1`, [id])).toEqual([
          { note: 'survives' },
        ]);
        // Migrations were applied once and found applied on the second start.
        const applied: { name: string }[] = await second.dataSource.query(`SELECT name FROM typeorm_migrations`);
        expect(new Set(applied.map((m) => m.name)).size).toBe(applied.length);
        await second.http().get('/ready').expect(200);
        await second.http().get('/health').expect(200);
      } finally {
        await second.close();
      }
      expect(existsSync(`${db.dir}.lock`)).toBe(false);
    },
    TWO_STARTS_TIMEOUT_MS,
  );
});

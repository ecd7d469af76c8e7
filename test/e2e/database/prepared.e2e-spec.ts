import { prepared } from '@tally/database';
import { startTestApp, TestApp } from '../../support/test-app';

/** The hot paths' statements run through `prepared`: failures must not cost connections or names. */
describe('prepared statements', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' });
  });
  afterAll(() => t.close());

  interface Pool {
    on(event: 'remove', listener: () => void): void;
    off(event: 'remove', listener: () => void): void;
    _clients: { processID: number }[];
  }
  const pool = () => (t.dataSource.driver as unknown as { master: Pool }).master;

  it('a statement that fails (a guard, say) keeps its pooled connection, and runs again afterwards', async () => {
    const guard = `SELECT tally_expect($1::boolean, 'spec') AS ok, pg_backend_pid() AS pid`;
    const [{ pid }] = await prepared<{ pid: number }>(t.dataSource, guard, [true]);
    // Counted as removals, not as the pool's size: the app's own background work may open
    // connections meanwhile, but only a failure handled wrongly drops one.
    let removed = 0;
    const onRemove = () => removed++;
    pool().on('remove', onRemove);
    try {
      for (let i = 0; i < 20; i++) {
        await expect(prepared(t.dataSource, guard, [false])).rejects.toMatchObject({ code: 'TL002' });
      }
    } finally {
      pool().off('remove', onRemove);
    }
    expect(removed).toBe(0);
    expect(pool()._clients.map((c) => c.processID)).toContain(pid);
    expect((await prepared<{ ok: boolean }>(t.dataSource, guard, [true]))[0].ok).toBe(true);
  });

  it('runs in the transaction it is given, and sees its writes', async () => {
    const rows = await t.dataSource.transaction(async (m) => {
      await m.query(`CREATE TEMP TABLE spec_prepared (n int) ON COMMIT DROP`);
      await prepared(m, `INSERT INTO spec_prepared SELECT unnest($1::int[])`, [[1, 2, 3]]);
      return prepared<{ n: number }>(m, `SELECT sum(n)::int AS n FROM spec_prepared`);
    });
    expect(rows).toEqual([{ n: 6 }]);
  });
});

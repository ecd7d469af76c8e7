import { prepared } from '@tally/database';
import { startTestApp, TestApp } from '../../support/test-app';

/** The hot paths' statements run through `prepared`: failures must not cost connections or names. */
describe('prepared statements', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SETTLEMENT_ENABLED: 'false' });
  });
  afterAll(() => t.close());

  const pool = () => (t.dataSource.driver as unknown as { master: { totalCount: number } }).master;

  it('a statement that fails (a guard, say) keeps its pooled connection, and runs again afterwards', async () => {
    const guard = `SELECT tally_expect($1::boolean, 'spec') AS ok, pg_backend_pid() AS pid`;
    const [{ pid }] = await prepared<{ pid: number }>(t.dataSource, guard, [true]);
    const connections = pool().totalCount;
    for (let i = 0; i < 20; i++) {
      await expect(prepared(t.dataSource, guard, [false])).rejects.toMatchObject({ code: 'TL002' });
    }
    expect(pool().totalCount).toBe(connections);
    // The idle connection handed out next is the one just released: still the same backend.
    expect((await prepared<{ pid: number }>(t.dataSource, guard, [true]))[0].pid).toBe(pid);
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

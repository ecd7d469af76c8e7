import { SURVIVED } from '../support/chaos/checks';
import { KillReport, KillScenario, runKillScenario } from '../support/chaos/kill-scenario';
import { OwnPostgres } from '../support/chaos/own-postgres';
import { createTestDatabase, TestDatabase } from '../support/test-database';

// Each test starts the compiled server six times or more and drains its load: minutes, not seconds.
jest.setTimeout(10 * 60_000);

/** A fresh database on the DATABASE_URL server, or on a Postgres cluster of the test's own without one. */
async function postgresDatabase(): Promise<TestDatabase> {
  if (process.env.DATABASE_URL) return createTestDatabase();
  const pg = await OwnPostgres.create();
  return { env: { DATABASE_URL: pg.url() }, drop: async () => pg.destroySync() };
}

/** Runs a kill scenario on a database of its own and prints its figures. */
async function killed(title: string, scenario: Omit<KillScenario, 'dbEnv'>): Promise<KillReport> {
  const db = await postgresDatabase();
  try {
    const report = await runKillScenario({ ...scenario, dbEnv: db.env });
    process.stdout.write(`\nchaos: ${title}\n  ${report.figures}\n`);
    return report;
  } finally {
    await db.drop();
  }
}

/** Nothing a client was told is lost or doubled, every job is audited once, the ledger verifies. */
function expectSurvived(report: KillReport): void {
  expect(report.kills).toBeGreaterThanOrEqual(5);
  // Kills under load leave writes in flight; each must have been settled by its replay.
  expect(report.inFlight).toBeGreaterThan(0);
  expect(report.settledJobs).toBeGreaterThan(0);
  expect(report.findings).toEqual(SURVIVED);
}

describe('SIGKILL and restart under load (the compiled server on Postgres)', () => {
  // Provers also drop three poll answers on purpose (as a kill can): those jobs must come back
  // to a poll once heartbeats leave them out of running_jobs, not wait for the wall clock.
  it('at random instants: every acknowledged write survives, every write in flight settles once on replay', async () => {
    expectSurvived(
      await killed('SIGKILL at random instants (Postgres)', { kills: 6, timing: 'random', uptimeMs: [1_500, 4_000] }),
    );
  });

  it('right after settlements: every settled job still reaches AUDITED with one audit row and one receipt', async () => {
    expectSurvived(
      await killed('SIGKILL right after settlements (Postgres)', {
        kills: 6,
        timing: 'after-settlement',
        uptimeMs: [500, 2_500],
      }),
    );
  });
});

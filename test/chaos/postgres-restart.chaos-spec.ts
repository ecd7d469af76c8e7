import { SURVIVED } from '../support/chaos/checks';
import { OwnPostgres } from '../support/chaos/own-postgres';
import { runPostgresRestartScenario } from '../support/chaos/postgres-restart-scenario';

// initdb, two restarts under load, the drain and the checks: a few minutes on a busy machine.
jest.setTimeout(10 * 60_000);

describe('Postgres restarted under load (the compiled server on a cluster of its own)', () => {
  let pg: OwnPostgres | undefined;
  afterAll(() => pg?.destroySync());

  it('the server stays up, answers 503 + Retry-After (DSE-014) meanwhile, never 500, resumes within 5 s, loses nothing', async () => {
    pg = await OwnPostgres.create();
    const report = await runPostgresRestartScenario(pg, {
      stops: ['fast', 'immediate'],
      downMs: 3_000,
      uptimeMs: 5_000,
      // More loops than the kill tests: a few hundred requests a second.
      workload: {
        spendLoops: 16,
        transferLoops: 10,
        holdLoops: 10,
        submitLoops: 12,
        provers: 6,
        maxUnsettledJobs: 48,
        losePollAnswers: 0, // the kill tests cover jobs whose poll answer was lost
      },
    });
    process.stdout.write(`\nchaos: Postgres restarted twice under load\n  ${report.figures}\n`);

    expect(report.outages).toHaveLength(2);
    expect(report.inFlight).toBeGreaterThan(0);
    expect({ ...report.findings, ...report.outageFindings }).toEqual({
      ...SURVIVED,
      slowResumes: [],
      readyNot503: [],
      healthNot200: {},
    });
  });
});

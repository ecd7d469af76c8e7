import { SURVIVED } from '../support/chaos/checks';
import { runKillScenario } from '../support/chaos/kill-scenario';
import { createTestDatabase } from '../support/test-database';

// Each start of the embedded database takes seconds: five kills and the drain take minutes.
jest.setTimeout(10 * 60_000);

describe('SIGKILL and restart under load (the compiled server on its embedded database)', () => {
  it('every acknowledged write is on disk after a SIGKILL, every write in flight settles once on replay', async () => {
    const db = await createTestDatabase({ embedded: true });
    try {
      const report = await runKillScenario({
        dbEnv: db.env,
        kills: 5,
        timing: 'random',
        uptimeMs: [3_000, 6_000],
        // Jobs whose poll answer was lost are the Postgres kill tests' (they would wait out the long wall clock here).
        workload: { pollLoops: 2, submitLoops: 2, maxUnsettledJobs: 8, losePollAnswers: 0 },
        // The embedded database takes 5-15 s to start: a job running across two kills must not meet its wall clock.
        settings: { JOB_WALL_CLOCK_TTL_MS: '90000' },
      });
      process.stdout.write(`\nchaos: SIGKILL at random instants (embedded)\n  ${report.figures}\n`);
      expect(report.kills).toBe(5);
      expect(report.inFlight).toBeGreaterThan(0);
      expect(report.settledJobs).toBeGreaterThan(0);
      expect(report.findings).toEqual(SURVIVED);
    } finally {
      await db.drop();
    }
  });
});

import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { ControlLogVerifier } from '@tally/auth';
import { LedgerVerifier, VerifyProblem, VerifyRun, VerifyRuns, VERIFY_RUN_HEARTBEAT_MS } from '@tally/ledger';
import { SettlementVerifier } from '@tally/settlement';

/** Stops a run from inside the verifier's progress callback when the app shuts down. */
class ShutDown extends Error {}

/**
 * Runs what `ledger verify` runs (the journal, the settlement batches, the control log) in
 * the background, one run at a time across replicas, recording its progress and outcome in
 * the ledger's verify runs. Its progress counts the journal's accounts, the bulk of the work.
 */
@Injectable()
export class LedgerVerifyRunner implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LedgerVerifyRunner.name);
  private current: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly runs: VerifyRuns,
    private readonly ledger: LedgerVerifier,
    private readonly settlement: SettlementVerifier,
    private readonly controlLog: ControlLogVerifier,
  ) {}

  /** Starts a run, or answers with the one running (here or on another replica). */
  async start(startedBy: string): Promise<VerifyRun> {
    const { run, started } = await this.runs.start(startedBy);
    if (started) this.current = this.run(run.run_id).finally(() => (this.current = undefined));
    return run;
  }

  private async run(runId: string): Promise<void> {
    // Between progress steps (an account's chain may be long) the run still says it is alive.
    const heartbeat = setInterval(
      () => void this.runs.heartbeat(runId).catch(() => undefined),
      VERIFY_RUN_HEARTBEAT_MS,
    );
    try {
      let done = 0;
      let total = 0;
      const ledger = await this.ledger.verify({
        start: (n) => (total = n),
        advance: (by) => {
          if (this.stopping) throw new ShutDown('interrupted: the server shut down before the run finished');
          done += by;
          void this.runs.progress(runId, done, total).catch(() => undefined);
        },
        stop: () => undefined,
      });
      await this.runs.progress(runId, done, total);
      const settlement = await this.settlement.verify();
      const control = await this.controlLog.verify();
      const problems: VerifyProblem[] = [
        ...ledger.problems.map((detail) => ({ kind: 'ledger', detail })),
        ...settlement.problems.map((detail) => ({ kind: 'settlement', detail })),
        ...control.problems.map((detail) => ({ kind: 'control_log', detail })),
      ];
      await this.runs.finish(runId, { problems });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof ShutDown)) this.logger.error(`ledger verify run ${runId} failed: ${message}`);
      await this.runs.finish(runId, { error: message }).catch(() => undefined);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** A run in progress stops at its next step and is recorded as an error, before the database closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.current;
  }
}

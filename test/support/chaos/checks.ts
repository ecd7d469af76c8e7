import { Client } from 'pg';
import { EmbeddedPostgres } from '@tally/database';
import { runCli } from '../cli';
import { answered, call, sleep } from './http';
import { microsOf } from './ledger-model';
import type { RestartableServer } from './restartable-server';
import type { Workload } from './workload';

/** States a job leaves on its own (by its prover, the scheduler, or the audit recorder). */
const UNFINISHED = ['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED'];

/** Jobs by status from /v1/admin/stats, once none is unfinished or at `deadline`. */
export async function waitForJobsToFinish(
  url: string,
  adminKey: string,
  deadline: number,
): Promise<Record<string, number>> {
  let byStatus: Record<string, number> = {};
  for (;;) {
    const a = await call(url, 'GET', '/v1/admin/stats', { headers: { authorization: `Bearer ${adminKey}` } });
    if (answered(a) && a.status === 200) byStatus = a.body.jobs_by_status;
    if (!UNFINISHED.some((s) => byStatus[s]) || Date.now() > deadline) return byStatus;
    await sleep(200);
  }
}

/**
 * Waits until each prover's scorecard counts the jobs it settled (through the API), or
 * `deadline`. A score event a killed process had leased is published again only once its
 * outbox lease (10 s) runs out, so the last scores can trail the jobs by that much.
 */
export async function waitForScorecards(
  url: string,
  adminKey: string,
  workload: Workload,
  deadline: number,
): Promise<void> {
  for (const [prover, completed] of workload.completedByProver()) {
    for (;;) {
      const a = await call(url, 'GET', `/v1/provers/${prover}`, { headers: { authorization: `Bearer ${adminKey}` } });
      if (answered(a) && a.status === 200 && Number(a.body.successful_jobs) >= completed) break;
      if (Date.now() > deadline) return;
      await sleep(200);
    }
  }
}

/** Every account the model knows whose balance (posted, pending, available, incoming) differs from it, through the API. */
export async function balanceMismatches(url: string, adminKey: string, workload: Workload): Promise<string[]> {
  const mismatches: string[] = [];
  for (const name of workload.model.names()) {
    const a = await call(url, 'GET', `/v1/credits/accounts/${name.type}/${name.id}`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    if (!answered(a) || a.status !== 200) {
      mismatches.push(`${name.type}/${name.id}: ${answered(a) ? `${a.status} ${JSON.stringify(a.body)}` : a.error}`);
      continue;
    }
    const expected = workload.model.balance(name);
    for (const field of ['posted', 'pending', 'available', 'incoming'] as const) {
      const actual = microsOf(a.body.balance[field]);
      if (actual !== expected[field]) {
        mismatches.push(`${name.type}/${name.id} ${field}: ${actual} micros, the model says ${expected[field]}`);
      }
    }
  }
  return mismatches;
}

/** Runs `fn` on a pg client of the database in `env`; an embedded one is opened here (its server must be stopped). */
export async function withJournal<T>(env: Record<string, string>, fn: (db: Client) => Promise<T>): Promise<T> {
  const embedded = env.DATABASE_URL ? undefined : new EmbeddedPostgres(env.TALLY_DATA_DIR);
  const client = new Client({ connectionString: env.DATABASE_URL ?? (await embedded!.start()) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
    await embedded?.stop();
  }
}

export interface JournalFindings {
  /** Writes the test was told had committed (201) and the journal does not hold, by key. */
  acknowledgedMissing: string[];
  /** Keys with more than one transfer, or with another transfer than the one answered. */
  notExactlyOnce: string[];
  /** Transfers of the test's own kinds beyond those it has answers for: { kind: [journal, answered] }. */
  transferCounts: Record<string, [number, number]>;
  /** Jobs that did not end AUDITED at their prover's cost with one audit row, one settlement receipt, one hold, capture and reward. */
  jobProblems: string[];
  /** Jobs in the journal the test never submitted, or submitted and got no job for. */
  jobCount: [number, number];
  /** Scorecards whose counters differ from the jobs their prover settled. */
  scorecardProblems: string[];
}

export interface JournalFigures {
  auditRows: number;
  handled: Record<string, number>;
  outboxUnpublished: number;
}

/** Compares the journal with what the workload was answered. */
export async function journalChecks(
  db: Client,
  workload: Workload,
): Promise<{ findings: JournalFindings; figures: JournalFigures }> {
  const keyed = workload.ops.filter((op) => op.transferId);
  const { rows: byKey } = await db.query<{ key: string; ids: string[] }>(
    `SELECT idempotency_key AS key, array_agg(id::text) AS ids FROM transfers
     WHERE idempotency_key = ANY($1::varchar[]) GROUP BY 1`,
    [keyed.map((op) => op.key)],
  );
  const idsOf = new Map(byKey.map((r) => [r.key, r.ids]));
  const acknowledgedMissing: string[] = [];
  const notExactlyOnce: string[] = [];
  for (const op of keyed) {
    const ids = idsOf.get(op.key) ?? [];
    if (ids.length === 0) acknowledgedMissing.push(`${op.kind} ${op.key} (${op.transferId})`);
    else if (ids.length > 1 || ids[0] !== op.transferId)
      notExactlyOnce.push(`${op.kind} ${op.key}: answered ${op.transferId}, journal ${ids.join(', ')}`);
  }

  const { rows: kinds } = await db.query<{ kind: string; n: number }>(
    `SELECT kind, count(*)::int AS n FROM transfers WHERE job_id IS NULL GROUP BY kind`,
  );
  const transferCounts: Record<string, [number, number]> = {};
  for (const kind of ['mint', 'spend', 'transfer', 'hold', 'capture', 'void']) {
    const answeredN = keyed.filter((op) => op.kind === kind).length;
    const journalN = kinds.find((k) => k.kind === kind)?.n ?? 0;
    if (answeredN !== journalN) transferCounts[kind] = [journalN, answeredN];
  }
  for (const k of kinds)
    if (!(k.kind in transferCounts) && !keyed.some((op) => op.kind === k.kind)) {
      transferCounts[k.kind] = [k.n, 0];
    }

  const { rows: jobs } = await db.query<{
    id: string;
    status: string;
    final_cost: string | null;
    error: string | null;
    audits: number;
    receipts: number;
    transfers: Record<string, number>;
  }>(
    `SELECT j.network_job_id::text AS id, j.status, j.final_cost_micros::text AS final_cost, j.error_message AS error,
            (SELECT count(*)::int FROM job_audit_log a WHERE a.network_job_id = j.network_job_id) AS audits,
            (SELECT count(*)::int FROM receipts r WHERE r.network_job_id = j.network_job_id AND r.kind = 'settlement') AS receipts,
            (SELECT coalesce(jsonb_object_agg(kind, n), '{}') FROM
               (SELECT kind, count(*)::int AS n FROM transfers t WHERE t.job_id = j.network_job_id::text GROUP BY kind) k) AS transfers
     FROM jobs j`,
  );
  const jobProblems = new Map<string, string[]>();
  const inJournal = new Map(jobs.map((j) => [j.id, j]));
  for (const job of workload.jobs.values()) {
    const j = inJournal.get(job.id);
    const problem = !j
      ? 'missing from the journal'
      : [
          j.status !== 'AUDITED' && `${j.status}${j.error ? ` (${j.error})` : ''}`,
          j.status !== 'FAILED' && j.final_cost !== job.costMicros.toString() && `final cost ${j.final_cost}`,
          j.audits !== 1 && `${j.audits} audit rows`,
          j.receipts !== 1 && `${j.receipts} settlement receipts`,
          sorted(j.transfers) !== sorted({ capture: 1, hold: 1, reward: 1 }) && `transfers ${sorted(j.transfers)}`,
          !job.settledBy && 'its report never answered COMPLETED',
        ]
          .filter(Boolean)
          .join(', ');
    if (problem) jobProblems.set(problem, [...(jobProblems.get(problem) ?? []), job.id]);
  }

  const { rows: cards } = await db.query<{ prover_id: string; ok: number; failed: number }>(
    `SELECT prover_id, successful_jobs::int AS ok, failed_jobs::int AS failed FROM provers`,
  );
  const scorecardProblems: string[] = [];
  for (const [prover, completed] of workload.completedByProver()) {
    const card = cards.find((c) => c.prover_id === prover);
    if (!card || card.ok !== completed || card.failed !== 0) {
      scorecardProblems.push(
        `${prover}: successful_jobs ${card?.ok} failed_jobs ${card?.failed}, it settled ${completed} jobs`,
      );
    }
  }

  const { rows: handled } = await db.query<{ handler: string; n: number }>(
    `SELECT handler, count(*)::int AS n FROM processed_events GROUP BY 1 ORDER BY 1`,
  );
  const [{ audits, unpublished }] = (
    await db.query<{ audits: number; unpublished: number }>(
      `SELECT (SELECT count(*)::int FROM job_audit_log) AS audits,
              (SELECT count(*)::int FROM outbox WHERE published_at IS NULL) AS unpublished`,
    )
  ).rows;

  return {
    findings: {
      acknowledgedMissing,
      notExactlyOnce,
      transferCounts,
      jobProblems: [...jobProblems].map(
        ([p, ids]) => `${ids.length} job(s): ${p} (e.g. ${ids.slice(0, 3).join(', ')})`,
      ),
      jobCount: [jobs.length, workload.jobs.size],
      scorecardProblems,
    },
    figures: {
      auditRows: audits,
      handled: Object.fromEntries(handled.map((h) => [h.handler, h.n])),
      outboxUnpublished: unpublished,
    },
  };
}

/** An object's entries in key order, as text. */
function sorted(counts: Record<string, number>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b))));
}

/** `ledger verify` (the CLI, as an operator runs it) on the database in `env`: its exit code and last lines. */
export async function ledgerVerify(env: Record<string, string>): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await runCli(env, 'ledger', 'verify');
  return { code, out: `${stdout}${stderr}`.trim().split('\n').slice(-6).join('\n') };
}

/** What a fault test found: every field is what the test expects to be empty, zero or null. */
export interface SurvivalFindings {
  /** Exits of the server process the test did not cause, with the end of its stderr. */
  unexpectedExits: string[];
  /** Why the server refused a heartbeat's running_jobs (null: it took them). */
  runningJobsRefused: string | null;
  /** Answers no fault excuses (see AnswerTally). */
  violations: string[];
  /** Writes in doubt at a fault (no answer, or a 5xx) whose final answer on replay was not a 201. */
  inFlightUnresolved: string[];
  /** Jobs the clients submitted whose prover's report never answered COMPLETED. */
  unsettledJobs: string[];
  /** Jobs by status, other than AUDITED, once the load has drained. */
  jobsNotAudited: Record<string, number>;
  balanceMismatches: string[];
  acknowledgedMissing: string[];
  notExactlyOnce: string[];
  transferCounts: Record<string, [number, number]>;
  jobProblems: string[];
  /** Jobs in the journal minus jobs the clients were answered for. */
  strayJobs: number;
  scorecardProblems: string[];
  verifyExitCode: number;
}

/** The findings of a run that lost nothing: what every fault test expects. */
export const SURVIVED: SurvivalFindings = {
  unexpectedExits: [],
  runningJobsRefused: null,
  violations: [],
  inFlightUnresolved: [],
  unsettledJobs: [],
  jobsNotAudited: {},
  balanceMismatches: [],
  acknowledgedMissing: [],
  notExactlyOnce: [],
  transferCounts: {},
  jobProblems: [],
  strayJobs: 0,
  scorecardProblems: [],
  verifyExitCode: 0,
};

export interface Survival {
  findings: SurvivalFindings;
  /** Writes in doubt at a fault (see Op.inFlightAtFault). */
  inFlight: number;
  /** Figures to print, one per line. */
  lines: string[];
}

/**
 * The end of a fault test: stops new writes and sends every write in doubt again until it
 * is answered, lets the provers settle what was submitted (for up to `drainMs`) and the
 * jobs finish, then compares what the clients were told with the API's balances, the
 * journal and `ledger verify` (the server is stopped first, as the embedded database takes
 * one process at a time).
 */
export async function drainAndCheck(
  server: RestartableServer,
  workload: Workload,
  adminKey: string,
  dbEnv: Record<string, string>,
  drainMs: number,
): Promise<Survival> {
  workload.tally.window = 'drain';
  const unsettled = await workload.drain(Date.now() + drainMs);
  const byStatus = await waitForJobsToFinish(server.url, adminKey, Date.now() + 15_000);
  await waitForScorecards(server.url, adminKey, workload, Date.now() + 25_000);
  const mismatches = await balanceMismatches(server.url, adminKey, workload);
  const unexpectedExits = server.unexpectedExits.map(
    (e) => `${JSON.stringify({ code: e.code, signal: e.signal })} ${e.stderr}`,
  );
  const stopped = await server.stop();
  if (stopped && stopped.code !== 0) unexpectedExits.push(`the graceful stop: ${JSON.stringify(stopped)}`);
  const { findings: journal, figures } = await withJournal(dbEnv, (db) => journalChecks(db, workload));
  const verify = await ledgerVerify(dbEnv);

  const inFlight = workload.ops.filter((op) => op.inFlightAtFault);
  const replayedCommitted = inFlight.filter((op) => op.replayed).length;
  const counts = new Map<string, number>();
  for (const op of workload.ops) counts.set(op.kind, (counts.get(op.kind) ?? 0) + 1);
  return {
    findings: {
      unexpectedExits,
      runningJobsRefused: workload.runningJobsRefusal ?? null,
      violations: withServerLogs(workload.tally.violationList(), server),
      inFlightUnresolved: inFlight.filter((op) => op.status !== 201).map((op) => `${op.kind} ${op.key}: ${op.status}`),
      unsettledJobs: unsettled.map((j) => `${j.id} (${j.clientJobId})`),
      jobsNotAudited: Object.fromEntries(Object.entries(byStatus).filter(([status]) => status !== 'AUDITED')),
      balanceMismatches: mismatches,
      acknowledgedMissing: journal.acknowledgedMissing,
      notExactlyOnce: journal.notExactlyOnce,
      transferCounts: journal.transferCounts,
      jobProblems: journal.jobProblems,
      strayJobs: journal.jobCount[0] - journal.jobCount[1],
      scorecardProblems: journal.scorecardProblems,
      verifyExitCode: verify.code,
    },
    inFlight: inFlight.length,
    lines: [
      ...workload.tally.windows().map((w) => `answers (${w}): ${JSON.stringify(workload.tally.statuses(w))}`),
      `writes: ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}; in doubt at a fault ${inFlight.length} ` +
        `(final answer a replay of an earlier commit ${replayedCommitted}, first committed on a retry ${inFlight.length - replayedCommitted})`,
      `jobs: ${workload.jobs.size} submitted, ${workload.settledJobs} settled by their prover ` +
        `(poll answers dropped on purpose ${workload.lostPollAnswers.length}); ` +
        `by status at the end ${JSON.stringify(byStatus)}; heartbeats ${workload.runningJobsAccepted ? 'with' : 'WITHOUT'} running_jobs`,
      `events handled: ${figures.auditRows} audit rows, processed_events ${JSON.stringify(figures.handled)}, ` +
        `outbox rows unpublished ${figures.outboxUnpublished}`,
      `ledger verify: exit ${verify.code}\n    ${verify.out.replace(/\n/g, '\n    ')}`,
    ],
  };
}

/** Each violation followed by what the server logged for its request id, so a 500 names its cause. */
function withServerLogs(violations: string[], server: RestartableServer): string[] {
  return violations.map((v) => {
    const requestId = /"request_id\\?":\\?"([0-9a-f-]{36})/.exec(v)?.[1];
    const lines = requestId ? server.logLinesOf(requestId).filter((l) => !l.includes('request completed')) : [];
    return lines.length > 0 ? `${v}\n  server log:\n${lines.map((l) => `    ${l.slice(0, 3_000)}`).join('\n')}` : v;
  });
}

// A client pays for a job: it submits one with a cost ceiling (the ceiling is held on its
// account), follows the event stream until the job ends, then reads what it was charged.
//
//   TALLY_URL=http://localhost:3000 TALLY_CLIENT_KEY=tly_… TALLY_CLIENT_ID=alice node client-pays-job.mjs
//
// A prover must be registered and working (npm run prover, or any agent) for the job to run.
/* global process, console, AbortController */
import { TallyClient, fromMicros, isTallyError } from '@tally/sdk';

const tally = new TallyClient({
  baseUrl: process.env.TALLY_URL ?? 'http://localhost:3000',
  apiKey: process.env.TALLY_CLIENT_KEY,
});
const client = process.env.TALLY_CLIENT_ID ?? 'alice';
const balance = async () =>
  (
    await tally.api.GET('/v1/credits/accounts/{account_type}/{account_id}', {
      params: { path: { account_type: 'user', account_id: client } },
    })
  ).data.balance;

console.log(`available before: ${(await balance()).available}`);
let job;
try {
  // Job money fields are integer micros: 2 credits.
  ({ data: job } = await tally.api.POST('/v1/jobs/submit', {
    body: { payload: { task: 'prove', circuit: 'demo' }, max_cost_micros: '2000000' },
  }));
} catch (error) {
  // Typed by DSE code: DSE-008 is "not enough credits for the ceiling".
  if (isTallyError(error, 'DSE-008')) console.error(`cannot pay for the job: ${error.detail}`);
  throw error;
}
console.log(`submitted job ${job.network_job_id}; ceiling held`);

// The client sees only its own events; from its first one (or the last one it handled, kept
// between runs), so no event of this job is missed however fast it runs.
const stop = new AbortController();
const done = ['JobCompleted', 'JobFailed', 'JobCancelled'];
for await (const event of tally.events({
  types: ['JobAssigned', ...done],
  lastEventId: process.env.TALLY_LAST_EVENT_ID ?? '0',
  signal: stop.signal,
})) {
  if (event.data.data.network_job_id !== job.network_job_id) continue;
  console.log(`${event.type}`);
  if (done.includes(event.type)) stop.abort();
}

const { data: final } = await tally.api.GET('/v1/jobs/{network_job_id}', {
  params: { path: { network_job_id: job.network_job_id } },
});
if (final.final_cost_micros !== null) console.log(`charged ${fromMicros(BigInt(final.final_cost_micros))} credits`);
console.log(`job ${final.status}; available after: ${(await balance()).available}`);

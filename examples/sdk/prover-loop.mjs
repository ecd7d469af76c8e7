// A registered prover takes its assignments by long poll and reports each result and cost,
// with @tally/sdk only (the full agent is `npm run prover`). Stops on SIGTERM.
//
//   TALLY_URL=http://localhost:3000 TALLY_KEY=tly_… TALLY_PROVER_ID=p-1 node prover-loop.mjs
/* global process, console, AbortController */
import { createHash } from 'node:crypto';
import { TallyClient } from '@tally/sdk';

const tally = new TallyClient({
  baseUrl: process.env.TALLY_URL ?? 'http://localhost:3000',
  apiKey: process.env.TALLY_KEY,
});
const stop = new AbortController();
process.once('SIGTERM', () => stop.abort());
try {
  for await (const job of tally.assignments(process.env.TALLY_PROVER_ID, { signal: stop.signal })) {
    // The work itself: here, a hash of the payload; the cost is in integer micros.
    const resultHash = createHash('sha256').update(JSON.stringify(job.payload)).digest('hex');
    await tally.api.POST('/v1/jobs/{network_job_id}/result', {
      params: { path: { network_job_id: job.network_job_id } },
      body: { success: true, final_cost_micros: '400000', result_hash: resultHash },
    });
    console.log(`job ${job.network_job_id} done`);
  }
} catch (error) {
  if (!stop.signal.aborted) throw error;
}

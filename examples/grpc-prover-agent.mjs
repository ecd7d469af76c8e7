// A prover agent written against proto/ alone (no REST): it registers, heartbeats, watches
// for assignments, starts each job, "computes" it and reports the result, then gets paid.
//
//   TALLY_GRPC_ADDRESS=127.0.0.1:50051 TALLY_PROVER_ID=prover-eu-1 TALLY_PROVER_KEY=tly_… \
//     node examples/grpc-prover-agent.mjs
//
// TALLY_AGENT_MAX_JOBS=n stops it after n jobs (0: never). Needs @grpc/grpc-js and @grpc/proto-loader.
/* global process, console, setTimeout, setInterval, clearInterval */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const address = process.env.TALLY_GRPC_ADDRESS ?? '127.0.0.1:50051';
const proverId = process.env.TALLY_PROVER_ID;
const key = process.env.TALLY_PROVER_KEY;
const maxJobs = Number(process.env.TALLY_AGENT_MAX_JOBS ?? 0);
if (!proverId || !key) throw new Error('set TALLY_PROVER_ID and TALLY_PROVER_KEY');

// int64 as decimal strings (ids pass 2^53), enums by name, field names as in the .proto files.
const definition = protoLoader.loadSync(['tally/dse/v1/jobs.proto', 'tally/dse/v1/provers.proto'], {
  includeDirs: [join(dirname(fileURLToPath(import.meta.url)), '../proto')],
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const v1 = grpc.loadPackageDefinition(definition).tally.dse.v1;
// Plaintext for a server on this machine; with TLS: grpc.credentials.createSsl(ca, key, cert).
const credentials = grpc.credentials.createInsecure();
const options = { 'grpc.keepalive_time_ms': 20_000, 'grpc.keepalive_permit_without_calls': 1 };
const jobs = new v1.JobService(address, credentials, options);
const provers = new v1.ProverService(address, credentials, options);

const auth = () => {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${key}`);
  return metadata;
};
const call = (client, method, request) =>
  new Promise((resolve, reject) =>
    client[method](request, auth(), (error, answer) => (error ? reject(error) : resolve(answer))),
  );

const profile = {
  hardware_profile: {
    cpu_cores: 32,
    cpu_model: 'AMD EPYC 7763',
    gpu_count: 1,
    gpu_model: 'NVIDIA A100',
    gpu_memory_gb: 80,
    ram_gb: 256,
    storage_type: 'nvme',
    storage_iops: 500000,
    network_bandwidth_gbps: 25,
  },
  capabilities: {
    supports_fp32: true,
    supports_fp16: true,
    supports_int8: false,
    max_batch_size: 64,
    supported_kernels: ['msm', 'ntt'],
    zk_acceleration: { groth16: true, plonk: false, stark: false },
  },
};

const running = new Set();
let done = 0;
let draining = false;
let stream;

/** Runs one job: start it, compute, report. A job another replica or a cancel took is skipped. */
async function run(job) {
  const id = job.network_job_id;
  running.add(id);
  try {
    await call(jobs, 'StartJob', { network_job_id: id });
    // The work itself: here, a hash of the payload stands for the proof.
    const resultHash = createHash('sha256').update(JSON.stringify(job.payload)).digest('hex');
    const cost = BigInt(job.max_cost_micros) / 2n; // what this run cost, within the ceiling
    const outcome = await call(jobs, 'ReportResult', {
      network_job_id: id,
      success: true,
      final_cost_micros: cost.toString(),
      result_hash: resultHash,
    });
    console.log(`job ${id}: ${outcome.outcome}, reward ${outcome.reward_micros ?? 0} micros`);
  } catch (error) {
    // DSE-010 (cancelled, or started elsewhere) and DSE-003 are the job's news, not the agent's failure.
    console.error(`job ${id}: ${error.metadata?.get('dse-code')[0] ?? ''} ${error.details}`);
  } finally {
    running.delete(id);
    done++;
    if (maxJobs > 0 && done >= maxJobs) stop();
  }
}

/** WatchAssignments: every waiting job on connect, then each new one. Reconnects when it ends. */
function watch() {
  stream = provers.WatchAssignments({ prover_id: proverId }, auth());
  stream.on('data', (message) => {
    if (message.event === 'assignment') void run(message.assignment);
    if (message.event === 'drain') {
      draining = true;
      console.log('draining: no new jobs will come');
    }
  });
  stream.on('error', (error) => {
    if (error.code !== grpc.status.CANCELLED) console.error(`watch: ${error.details}; reconnecting`);
  });
  stream.on('end', () => undefined);
  stream.on('close', () => {
    if (!stopped) setTimeout(watch, 1000);
  });
}

async function heartbeat() {
  const answer = await call(provers, 'Heartbeat', {
    prover_id: proverId,
    ...profile,
    load_factor: Math.min(1, running.size / 4),
    running_jobs: [...running],
  });
  for (const id of answer.cancelled_jobs) console.log(`job ${id} was cancelled`);
}

let stopped = false;
let beats;
function stop() {
  stopped = true;
  clearInterval(beats);
  stream?.cancel();
  jobs.close();
  provers.close();
}

await call(provers, 'RegisterProver', { prover_id: proverId, ...profile, max_concurrency: 4 });
await heartbeat();
beats = setInterval(() => heartbeat().catch((error) => console.error(`heartbeat: ${error.details}`)), 5000);
watch();
console.log(`prover ${proverId} watching ${address}${draining ? ' (draining)' : ''}`);

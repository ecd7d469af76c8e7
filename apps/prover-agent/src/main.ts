#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { ProverAgent, describe } from './agent';
// The project's version, read as the API reads it (the file uses node's fs and path only).
import { packageVersion } from '../../../libs/shared/src/config/package-version';
import { ApiClient, type Capabilities } from './api-client';
import { detectHardware } from './hardware';

const ZK = ['groth16', 'plonk', 'stark'] as const;

const integer = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
  return n;
};
const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const program = new Command('tally-prover')
  .description(
    'A Tally prover: registers this machine, long-polls for jobs, runs each with --exec (payload on stdin, ' +
      'metadata in TALLY_JOB_* variables), reports sha256(stdout) and the cost. SIGTERM drains and exits.',
  )
  .version(packageVersion(__dirname))
  .addOption(new Option('--url <url>', 'the API base URL').env('TALLY_URL').makeOptionMandatory())
  .addOption(new Option('--key <key>', "the prover's API key").env('TALLY_PROVER_KEY').makeOptionMandatory())
  .requiredOption('--exec <command>', 'the shell command that runs a job (sh -c)')
  .option('--id <prover-id>', "the prover id (default: the key's subject)")
  .option('--max-concurrency <n>', 'jobs run at once', integer(1, 1024), 1)
  .option('--region <region>', 'the region registered')
  .addOption(
    new Option('--kernels <list>', 'supported kernels, comma-separated (msm,ntt)').argParser(list).default([], 'none'),
  )
  .addOption(
    new Option('--zk <list>', `zk acceleration, comma-separated (${ZK.join(',')})`).argParser(list).default([], 'none'),
  )
  .option('--fp16', 'supports fp16', false)
  .option('--int8', 'supports int8', false)
  .option('--max-batch-size <n>', 'the largest batch', integer(1, 1_000_000), 1)
  .option(
    '--heartbeat-seconds <n>',
    'seconds between heartbeats (the API forgets a prover after 15)',
    integer(1, 60),
    5,
  )
  .option('--poll-wait-seconds <n>', 'how long one long poll waits', integer(1, 30), 20)
  .showHelpAfterError('(--help lists the options)')
  // Usage errors exit 2, as the project's CLI does; --help and --version 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

interface Options {
  url: string;
  key: string;
  exec: string;
  id?: string;
  maxConcurrency: number;
  region?: string;
  kernels: string[];
  zk: string[];
  fp16: boolean;
  int8: boolean;
  maxBatchSize: number;
  heartbeatSeconds: number;
  pollWaitSeconds: number;
}

const log = (message: string) => console.log(`${new Date().toISOString()} ${message}`);

async function main(): Promise<number> {
  const o = program.parse().opts<Options>();
  const unknownZk = o.zk.filter((z) => !(ZK as readonly string[]).includes(z));
  if (unknownZk.length) program.error(`--zk: unknown ${unknownZk.join(', ')} (one of ${ZK.join(', ')})`);
  const api = new ApiClient(o.url, o.key);
  const proverId = o.id ?? (await api.whoami()).subject;
  const hardware = await detectHardware();
  log(
    `prover ${proverId}: ${hardware.cpu_cores} × ${hardware.cpu_model}, ${hardware.ram_gb} GiB RAM, ` +
      `${hardware.gpu_count} GPU(s)${hardware.gpu_count ? ` (${hardware.gpu_model})` : ''}, ${hardware.storage_type}`,
  );
  const capabilities: Capabilities = {
    supports_fp32: true,
    supports_fp16: o.fp16,
    supports_int8: o.int8,
    max_batch_size: o.maxBatchSize,
    supported_kernels: o.kernels,
    zk_acceleration: {
      groth16: o.zk.includes('groth16'),
      plonk: o.zk.includes('plonk'),
      stark: o.zk.includes('stark'),
    },
  };
  const agent = new ProverAgent(api, {
    proverId,
    command: o.exec,
    maxConcurrency: o.maxConcurrency,
    heartbeatMs: o.heartbeatSeconds * 1000,
    pollWaitSeconds: o.pollWaitSeconds,
    log,
  });
  await agent.register({ hardware_profile: hardware, capabilities, ...(o.region ? { region: o.region } : {}) });
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal does not wait for the running jobs: they are killed (and given back by the API).
    if (++signals > 1) {
      agent.killAll();
      process.exit(1);
    }
    log(`${signal}: no new work; exiting once the running jobs are reported`);
    agent.drain();
  };
  process.on('SIGTERM', stop).on('SIGINT', stop);
  await agent.run();
  log('drained: exiting');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`tally-prover: ${describe(error)}`);
    process.exit(1);
  },
);

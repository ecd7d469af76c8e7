import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { GrpcServer } from '../../../apps/api/src/grpc/grpc-server';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('examples/grpc-prover-agent.mjs: a prover written against proto/ alone', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_TICK_MS: '50' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  it('registers, is assigned a job, runs it and is paid', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.prover();
    const agent = spawn(process.execPath, [join(__dirname, '../../../examples/grpc-prover-agent.mjs')], {
      env: {
        PATH: process.env.PATH ?? '',
        TALLY_GRPC_ADDRESS: `127.0.0.1:${t.app.get(GrpcServer).port}`,
        TALLY_PROVER_ID: prover.name,
        TALLY_PROVER_KEY: prover.key.Authorization.replace('Bearer ', ''),
        TALLY_AGENT_MAX_JOBS: '1',
      },
    });
    let output = '';
    agent.stdout.on('data', (d) => (output += d));
    agent.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => agent.on('exit', resolve));
    try {
      // Submitted once the agent watches: it learns of the job from its stream.
      while (!output.includes('watching')) await new Promise((r) => setTimeout(r, 50));
      const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
      expect(await exited).toBe(0);
      expect(output).toContain(`job ${id}: COMPLETED, reward 450000 micros`);
      expect((await ctx.job(id).expect(200)).body).toMatchObject({ final_cost_micros: '500000' });
      expect(await ctx.balance('provider', prover.name)).toMatchObject({ posted: '0.45' });
      expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '9.5', pending: '0' });
    } finally {
      agent.kill();
    }
  }, 30_000);
});

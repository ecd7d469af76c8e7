import { JobsCtx } from '../../support/jobs-ctx';
import { microsOf } from '../../support/ledger-ctx';
import { CAPABILITIES, HARDWARE } from '../../support/prover-profile';
import { GrpcCtx } from '../../support/grpc-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('gRPC and REST mixed: one state machine, one settlement', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  let grpc: GrpcCtx;
  beforeAll(async () => {
    // An admin assigns: jobs move only as the test moves them.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
    grpc = new GrpcCtx(t);
  });
  afterAll(async () => {
    grpc.close();
    await t.close();
  });

  it('submit over REST, start over gRPC, report over REST: settles as on one transport', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.workingProver();
    const id = (await ctx.submit(client.key, { max_cost_micros: 5_000_000 }).expect(201)).body.network_job_id;
    await ctx.assign(id, [prover.name]).expect(201);
    const started = await grpc.call(grpc.jobs, 'StartJob', { network_job_id: id }, prover.key);
    expect(started.message).toMatchObject({ status: 'RUNNING', assigned_prover: { stringValue: prover.name } });
    // REST sees the start gRPC made (a repeated start by the same prover is answered, not repeated).
    expect((await ctx.job(id).expect(200)).body).toMatchObject({ status: 'RUNNING', assigned_prover: prover.name });
    const platform = microsOf((await ctx.balance('platform', 'main')).posted);
    const result = await ctx.report(id, prover.key, { success: true, final_cost_micros: 2_000_001 }).expect(201);
    expect(result.body).toEqual({
      network_job_id: id,
      outcome: 'COMPLETED',
      final_cost_micros: '2000001',
      reward_micros: '1800000',
      refunded_micros: '2999999',
    });
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '7.999999', pending: '0' });
    expect(await ctx.balance('provider', prover.name)).toMatchObject({ posted: '1.8' });
    expect(microsOf((await ctx.balance('platform', 'main')).posted) - platform).toBe(200_001n);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
    // The same report over gRPC is the same report: answered as before.
    const again = await grpc.call(
      grpc.jobs,
      'ReportResult',
      { network_job_id: id, success: true, final_cost_micros: '2000001' },
      prover.key,
    );
    expect(again.message).toEqual(result.body);
    expect(again.trailer.get('idempotent-replayed')).toEqual(['true']);
  });

  it('cancel over gRPC: a running job refunds in full, its prover hears it on a gRPC heartbeat', async () => {
    const client = await ctx.fundedClient('3');
    const prover = await ctx.workingProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 3_000_000 });
    const cancelled = await grpc.call(grpc.jobs, 'CancelJob', { network_job_id: id }, client.key);
    expect(cancelled.message).toMatchObject({ status: 'CANCELLED', refunded_micros: '3000000' });
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '3', pending: '0', available: '3' });
    // Cancelling again answers as the cancel that did it, over either transport.
    const again = await grpc.call(grpc.jobs, 'CancelJob', { network_job_id: id }, client.key);
    expect(again.message).toEqual(cancelled.message);
    expect(again.trailer.get('idempotent-replayed')).toEqual(['true']);
    const rest = await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).send({}).expect(200);
    expect(rest.headers['idempotent-replayed']).toBe('true');
    const beat = await grpc.call(
      grpc.provers,
      'Heartbeat',
      { prover_id: prover.name, hardware_profile: HARDWARE, capabilities: CAPABILITIES, load_factor: 0 },
      prover.key,
    );
    expect(beat.message).toEqual({ accepted: true, cancelled_jobs: [id], released_jobs: [] });
    // The prover's report now meets a cancelled job, over REST as over gRPC.
    expect((await ctx.report(id, prover.key, { success: false }).expect(409)).body.code).toBe('DSE-010');
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('a job id above 2^53 round-trips exactly over gRPC and REST', async () => {
    await t.dataSource.query(`SELECT setval('jobs_network_job_id_seq', 9007199254740992)`);
    const client = await ctx.fundedClient('1');
    const submitted = await grpc.call(
      grpc.jobs,
      'SubmitJob',
      { payload: { stringValue: 'big' }, max_cost_micros: '1000000' },
      client.key,
    );
    const id = submitted.message.network_job_id as string;
    expect(id).toBe('9007199254740993'); // 2^53 + 1
    expect(Number(id).toString()).not.toBe(id); // a double could not have carried it
    const overGrpc = await grpc.call(grpc.jobs, 'GetJob', { network_job_id: id }, client.key);
    expect(overGrpc.message.network_job_id).toBe(id);
    const overRest = await t.http().get(`/v1/jobs/${id}`).set(client.key).expect(200);
    expect(String(overRest.body.network_job_id)).toBe(id);
    const cancelled = await grpc.call(grpc.jobs, 'CancelJob', { network_job_id: id }, client.key);
    expect(cancelled.message).toMatchObject({ network_job_id: id, status: 'CANCELLED' });
  });
});

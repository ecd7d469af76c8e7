import { randomUUID } from 'node:crypto';
import { JobsCtx } from '../../support/jobs-ctx';
import { CAPABILITIES, HARDWARE } from '../../support/prover-profile';
import { GrpcCtx } from '../../support/grpc-ctx';
import { restShape, textNumbers } from '../../support/grpc-shapes';
import { startTestApp, TestApp } from '../../support/test-app';

describe('gRPC: a whole job lifecycle', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  let grpc: GrpcCtx;
  beforeAll(async () => {
    // The scheduler assigns: the prover learns of its job from WatchAssignments alone.
    t = await startTestApp({ SCHEDULER_TICK_MS: '50' });
    ctx = new JobsCtx(t);
    grpc = new GrpcCtx(t);
  });
  afterAll(async () => {
    grpc.close();
    await t.close();
  });

  it('submit, register, heartbeat, watch, start, report over gRPC alone; it settles exactly', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.prover();

    const registered = await grpc.call(
      grpc.provers,
      'RegisterProver',
      { prover_id: prover.name, hardware_profile: HARDWARE, capabilities: CAPABILITIES, max_concurrency: 4 },
      prover.key,
    );
    expect(registered.message).toMatchObject({ prover_id: prover.name, state: 'active', max_concurrency: 4 });
    expect(registered.message.supported_features).toEqual(['fp32', 'fp16', 'groth16', 'stark', 'msm', 'ntt']);
    const beat = await grpc.call(
      grpc.provers,
      'Heartbeat',
      {
        prover_id: prover.name,
        hardware_profile: HARDWARE,
        capabilities: CAPABILITIES,
        load_factor: 0.25,
        latency_ms: 35,
      },
      prover.key,
    );
    expect(beat.message).toEqual({ accepted: true, cancelled_jobs: [], released_jobs: [] });
    // After registration the load alone is a heartbeat: the registered profile and the reported latency are kept.
    const loadOnly = await grpc.call(
      grpc.provers,
      'Heartbeat',
      { prover_id: prover.name, load_factor: 0.5 },
      prover.key,
    );
    expect(loadOnly.message).toEqual({ accepted: true, cancelled_jobs: [], released_jobs: [] });
    const [stored] = await t.dataSource.query(`SELECT latency_ms FROM provers WHERE prover_id = $1`, [prover.name]);
    expect(stored.latency_ms).toBe(35);
    const capabilities = await grpc.call(grpc.provers, 'GetCapabilities', { prover_id: prover.name }, prover.key);
    expect(capabilities.message).toMatchObject({ hardware_profile: HARDWARE });

    const watch = grpc.watch(prover.name, prover.key);
    const clientJobId = randomUUID();
    const submitted = await grpc.call(
      grpc.jobs,
      'SubmitJob',
      {
        client_job_id: clientJobId,
        payload: { structValue: { fields: { task: { stringValue: 'prove' }, n: { numberValue: 7 } } } },
        max_cost_micros: '5000000',
        priority: 'HIGH',
      },
      client.key,
    );
    expect(submitted.message).toEqual({
      network_job_id: expect.stringMatching(/^[1-9]\d*$/),
      status: 'PENDING',
      held_micros: '5000000',
    });
    const id = submitted.message.network_job_id as string;
    expect(await ctx.balance('user', client.name)).toMatchObject({ posted: '10', pending: '5', available: '5' });

    // Pushed by the scheduler's assignment: no poll.
    const [pushed] = await watch.received(1);
    expect(pushed).toMatchObject({
      event: 'assignment',
      assignment: {
        network_job_id: id,
        payload_encoding: 'json',
        max_cost_micros: '5000000',
        priority: 'HIGH',
        replicas: 1,
      },
    });
    expect(restShape((pushed.assignment as Record<string, unknown>).payload, undefined)).toEqual({
      n: '7',
      task: 'prove',
    });

    const started = await grpc.call(grpc.jobs, 'StartJob', { network_job_id: id }, prover.key);
    expect(started.message).toMatchObject({ network_job_id: id, status: 'RUNNING' });

    const platformBefore = await ctx.postedMicros('platform', 'main');
    const reported = await grpc.call(
      grpc.jobs,
      'ReportResult',
      { network_job_id: id, success: true, final_cost_micros: '2000001' },
      prover.key,
    );
    expect(reported.message).toEqual({
      network_job_id: id,
      outcome: 'COMPLETED',
      final_cost_micros: '2000001',
      reward_micros: '1800000',
      refunded_micros: '2999999',
    });
    expect(await ctx.balance('user', client.name)).toMatchObject({
      posted: '7.999999',
      pending: '0',
      available: '7.999999',
    });
    expect(await ctx.balance('provider', prover.name)).toMatchObject({ posted: '1.8' });
    expect((await ctx.postedMicros('platform', 'main')) - platformBefore).toBe(200_001n);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });

    // The same report again is answered as before, and says so.
    const again = await grpc.call(
      grpc.jobs,
      'ReportResult',
      { network_job_id: id, success: true, final_cost_micros: '2000001' },
      prover.key,
    );
    expect(again.message).toEqual(reported.message);
    expect(again.trailer.get('idempotent-replayed')).toEqual(['true']);

    // Settled and audited, GetJob over gRPC and GET over REST agree field for field.
    expect(await ctx.waitForStatus(id, 'AUDITED')).toBe('AUDITED');
    const rest = (await t.http().get(`/v1/jobs/${id}`).set(client.key).expect(200)).body;
    const overGrpc = (await grpc.call(grpc.jobs, 'GetJob', { network_job_id: id }, client.key)).message;
    expect(restShape(overGrpc, rest)).toEqual(textNumbers(rest));
    expect(overGrpc).toMatchObject({ status: 'AUDITED', client_job_id: clientJobId, final_cost_micros: '2000001' });

    // The same for the prover's state and capabilities.
    const restProver = (await t.http().get(`/v1/provers/${prover.name}`).set(prover.key).expect(200)).body;
    const grpcProver = (await grpc.call(grpc.provers, 'GetProver', { prover_id: prover.name }, prover.key)).message;
    expect(Object.keys(restShape(grpcProver, restProver) as object)).toEqual(
      Object.keys(textNumbers(restProver) as object),
    );
    expect(grpcProver).toMatchObject({ prover_id: prover.name, successful_jobs: '1', failed_jobs: '0' });
    const restCaps = (await t.http().get(`/v1/provers/${prover.name}/capabilities`).set(prover.key).expect(200)).body;
    const grpcCaps = (await grpc.call(grpc.provers, 'GetCapabilities', { prover_id: prover.name }, prover.key)).message;
    expect(restShape(grpcCaps, restCaps)).toEqual(textNumbers(restCaps));
    watch.stream.cancel();
  });
});

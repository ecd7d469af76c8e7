import { connectivityState, status } from '@grpc/grpc-js';
import { JobsCtx } from '../../support/jobs-ctx';
import { GrpcCtx } from '../../support/grpc-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

const assignedIds = (messages: Record<string, unknown>[]) =>
  messages
    .filter((m) => m.event === 'assignment')
    .map((m) => (m.assignment as { network_job_id: string }).network_job_id);

/** Milliseconds until the channel drops to IDLE (the server closed its idle connection). */
const untilIdle = async (ctx: GrpcCtx, within: number): Promise<number> => {
  const started = Date.now();
  while (ctx.provers.getChannel().getConnectivityState(false) !== connectivityState.IDLE) {
    if (Date.now() - started > within) throw new Error(`the idle connection was still open after ${within} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return Date.now() - started;
};

describe('gRPC WatchAssignments', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  let grpc: GrpcCtx;
  beforeAll(async () => {
    // An admin assigns (as the scheduler does), so the test knows when.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
    grpc = new GrpcCtx(t);
  });
  afterAll(async () => {
    grpc.close();
    await t.close();
  });

  const submitAndAssign = async (client: Record<string, string>, prover: string): Promise<string> => {
    const id = (await ctx.submit(client, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    await ctx.assign(id, [prover]).expect(201);
    return id;
  };

  it('outlives the server idle close, then receives the next assignment at once', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.workingProver();
    const watch = grpc.watch(prover.name, prover.key);
    // Beside it, a connection whose one call has ended: the server closes it after 30 s idle.
    // (Channels share connections by default: this one has its own, with no stream on it.)
    const idle = new GrpcCtx(t, { 'grpc.use_local_subchannel_pool': 1 });
    await idle.call(idle.provers, 'GetProver', { prover_id: prover.name }, prover.key);
    expect(idle.provers.getChannel().getConnectivityState(false)).toBe(connectivityState.READY);
    // The server's idle close is a timer: on a loaded machine it can fire late, so wait for it
    // (up to 60 s) instead of reading the state once at a fixed instant.
    const idledAfter = await untilIdle(idle, 60_000);
    expect(idledAfter).toBeGreaterThanOrEqual(29_000);
    idle.close();
    const id = await submitAndAssign(client.key, prover.name);
    const started = Date.now();
    expect(assignedIds(await watch.received(1, 5_000))).toEqual([id]);
    // Woken by the assignment, not found by a recheck.
    expect(Date.now() - started).toBeLessThan(900);
    watch.stream.cancel();
  }, 90_000);

  it('sends what waits on connect, each job once per stream; a reconnect misses nothing', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.workingProver();
    const before = await submitAndAssign(client.key, prover.name);
    const first = grpc.watch(prover.name, prover.key);
    expect(assignedIds(await first.received(1))).toEqual([before]);
    const next = await submitAndAssign(client.key, prover.name);
    expect(assignedIds(await first.received(2))).toEqual([before, next]);
    // Re-reads (every second, and on each wake-up) send nothing twice.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(assignedIds(first.messages)).toEqual([before, next]);
    first.stream.cancel();
    expect((await first.ended).error?.details).toMatch(/cancel/i);

    // While disconnected: one started (it is no longer waiting), two more assigned.
    await ctx.start(before, prover.key).expect(201);
    const missedA = await submitAndAssign(client.key, prover.name);
    const missedB = await submitAndAssign(client.key, prover.name);
    const second = grpc.watch(prover.name, prover.key);
    expect(assignedIds(await second.received(3)).sort()).toEqual([next, missedA, missedB].sort());
    second.stream.cancel();
  });

  it('a drained prover is told so on its stream, over either transport', async () => {
    const prover = await ctx.workingProver();
    const watch = grpc.watch(prover.name, prover.key);
    await new Promise((r) => setTimeout(r, 200));
    await t.http().post(`/v1/provers/${prover.name}/drain`).set(prover.key).send({}).expect(200);
    const [signal] = await watch.received(1);
    expect(signal).toEqual({ event: 'drain', drain: { prover_id: prover.name, state: 'draining' } });
    await grpc.call(grpc.provers, 'Resume', { prover_id: prover.name }, prover.key);
    // The stream sees the prover active again (a drain is told once per drain it sees).
    await new Promise((r) => setTimeout(r, 300));
    const drained = await grpc.call(grpc.provers, 'Drain', { prover_id: prover.name }, prover.key);
    expect(drained.message.state).toBe('draining');
    expect((await watch.received(2))[1]).toEqual(signal);
    // A stream opened while drained hears it at once.
    const later = grpc.watch(prover.name, prover.key);
    expect(await later.received(1)).toEqual([signal]);
    watch.stream.cancel();
    later.stream.cancel();
  });

  it('ends UNAUTHENTICATED once its key is revoked', async () => {
    const prover = await ctx.workingProver();
    const watch = grpc.watch(prover.name, prover.key);
    await new Promise((r) => setTimeout(r, 200));
    const keys = (await t.http().get('/v1/admin/keys').query({ subject: prover.name }).set(ctx.admin()).expect(200))
      .body.keys;
    await t.http().delete(`/v1/admin/keys/${keys[0].id}`).set(ctx.admin()).expect(200);
    const { error } = await watch.ended;
    expect({ code: error?.code, dse: error?.dseCode }).toEqual({ code: status.UNAUTHENTICATED, dse: 'DSE-002' });
  });

  it('ends cleanly when the app shuts down', async () => {
    const own = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    const ownCtx = new JobsCtx(own);
    const ownGrpc = new GrpcCtx(own);
    const prover = await ownCtx.workingProver();
    const watch = ownGrpc.watch(prover.name, prover.key);
    await new Promise((r) => setTimeout(r, 200));
    const closing = own.close();
    expect(await watch.ended).toEqual({});
    await closing;
    ownGrpc.close();
  });
});

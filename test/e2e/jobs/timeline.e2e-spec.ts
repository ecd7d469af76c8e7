import { formatMicros } from '@tally/shared';
import { JobsCtx } from '../../support/jobs-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

interface Timeline {
  network_job_id: string;
  status: string;
  transitions: { status: string; at: string }[];
  assignments: {
    prover_id: string;
    replica: number;
    status: string;
    assigned_at: string;
    started_at: string | null;
    reported_at: string | null;
    result_hash: string | null;
  }[];
  money: {
    held_micros: string;
    captured_micros: string;
    fee_micros: string;
    refunded_micros: string;
    rewards: { prover_id: string; amount_micros: string }[];
  };
}

/** Once settled, the money adds up: held = captured + refunded, captured = fee + the rewards. */
function expectMoneyAddsUp({ money }: Timeline): void {
  expect(BigInt(money.held_micros)).toBe(BigInt(money.captured_micros) + BigInt(money.refunded_micros));
  const rewards = money.rewards.reduce((sum, r) => sum + BigInt(r.amount_micros), 0n);
  expect(BigInt(money.captured_micros)).toBe(BigInt(money.fee_micros) + rewards);
}

function expectInTimeOrder({ transitions }: Timeline): void {
  const times = transitions.map((t) => Date.parse(t.at));
  expect(times).toEqual([...times].sort((a, b) => a - b));
}

describe('job timeline', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    // Jobs move only by the routes here (an admin assigns): no scheduler.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  const timeline = (id: string, key: Record<string, string>) => t.http().get(`/v1/jobs/${id}/timeline`).set(key);

  it('a completed job: every transition in order, its replica, and its money where the ledger put it', async () => {
    const client = await ctx.fundedClient('50');
    const prover = await ctx.workingProver();
    const id = (await ctx.submit(client.key, { max_cost_micros: 1_000_000 }).expect(201)).body.network_job_id;
    expect((await timeline(id, client.key).expect(200)).body).toEqual({
      network_job_id: id,
      status: 'PENDING',
      transitions: [{ status: 'PENDING', at: expect.any(String) }],
      assignments: [],
      money: { held_micros: '1000000', captured_micros: '0', fee_micros: '0', refunded_micros: '0', rewards: [] },
    });
    await ctx.assign(id, [prover.name]).expect(201);
    await ctx.start(id, prover.key).expect(201);
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 400_000 }).expect(201);
    await ctx.waitForStatus(id, 'AUDITED');

    const view: Timeline = (await timeline(id, client.key).expect(200)).body;
    const job = (await ctx.job(id).expect(200)).body;
    expect(view.status).toBe('AUDITED');
    expect(view.transitions.map((s) => s.status)).toEqual(['PENDING', 'ASSIGNED', 'RUNNING', 'COMPLETED', 'AUDITED']);
    expectInTimeOrder(view);
    expect(view.transitions.map((s) => s.at)).toEqual([
      job.timestamps.submitted_at,
      job.timestamps.assigned_at,
      job.timestamps.started_at,
      job.timestamps.completed_at,
      job.timestamps.audited_at,
    ]);
    expect(view.assignments).toEqual([
      {
        prover_id: prover.name,
        replica: 1,
        status: 'REPORTED',
        assigned_at: job.timestamps.assigned_at,
        started_at: job.timestamps.started_at,
        reported_at: expect.any(String),
        result_hash: null,
      },
    ]);
    expect(view.money).toMatchObject({
      held_micros: '1000000',
      captured_micros: '400000',
      refunded_micros: '600000',
      fee_micros: job.platform_fee_micros,
    });
    expectMoneyAddsUp(view);
    // The reward is what the prover's account received; the client paid exactly what was captured.
    expect(view.money.rewards).toHaveLength(1);
    expect(view.money.rewards[0].prover_id).toBe(prover.name);
    const reward = BigInt(view.money.rewards[0].amount_micros);
    expect(reward).toBeGreaterThan(0n);
    expect((await ctx.balance('provider', prover.name)).posted).toBe(formatMicros(reward));
    expect((await ctx.balance('user', client.name)).posted).toBe('49.6');
  });

  it('a cancelled job: refunded in full, nothing captured, its replica called off', async () => {
    const client = await ctx.fundedClient('5');
    const prover = await ctx.workingProver();
    const id = (await ctx.submit(client.key, { max_cost_micros: 2_000_000 }).expect(201)).body.network_job_id;
    await ctx.assign(id, [prover.name]).expect(201);
    await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200);

    const view: Timeline = (await timeline(id, ctx.admin()).expect(200)).body;
    expect(view.status).toBe('CANCELLED');
    expect(view.transitions.map((s) => s.status)).toEqual(['PENDING', 'ASSIGNED', 'CANCELLED']);
    expectInTimeOrder(view);
    expect(view.assignments).toMatchObject([{ prover_id: prover.name, replica: 1, status: 'CANCELLED' }]);
    expect(view.money).toEqual({
      held_micros: '2000000',
      captured_micros: '0',
      fee_micros: '0',
      refunded_micros: '2000000',
      rewards: [],
    });
    expectMoneyAddsUp(view);
    expect((await ctx.balance('user', client.name)).posted).toBe('5');
  });

  it("another client's job reads as missing; a prover may not ask; a bad id is refused", async () => {
    const owner = await ctx.fundedClient('1');
    const other = await ctx.fundedClient('1');
    const prover = await ctx.workingProver();
    const id = (await ctx.submit(owner.key, { max_cost_micros: 1000 }).expect(201)).body.network_job_id;
    const missing = await timeline(id, other.key);
    expect([missing.status, missing.body.code]).toEqual([404, 'DSE-003']);
    await timeline(id, prover.key).expect(403);
    const bad = await timeline('not-a-job', ctx.admin());
    expect([bad.status, bad.body.code]).toEqual([400, 'DSE-001']);
    const none = await timeline('987654321', ctx.admin());
    expect([none.status, none.body.code]).toEqual([404, 'DSE-003']);
  });
});

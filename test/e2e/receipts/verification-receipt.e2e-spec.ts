import { verifyReceiptChain } from '@tally/receipts';
import { ReceiptsCtx } from '../../support/receipts-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

describe('verification receipts', () => {
  let t: TestApp;
  let ctx: ReceiptsCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new ReceiptsCtx(t);
  });
  afterAll(() => t.close());

  const three = async () => [await ctx.registeredProver(), await ctx.registeredProver(), await ctx.registeredProver()];

  it('a 3-replica job with one dissenter: the majority, its hash, and the dissenter with its own', async () => {
    const client = await ctx.fundedClient('10');
    const provers = await three();
    const id = await ctx.running(client.key, provers, { max_cost_micros: 3_000_000, replicas: 3 });
    await ctx.report(id, provers[0].key, { success: true, final_cost_micros: 900_000, result_hash: 'h' }).expect(201);
    await ctx.report(id, provers[1].key, { success: true, final_cost_micros: 1_000_000, result_hash: 'x' }).expect(201);
    await ctx.report(id, provers[2].key, { success: true, final_cost_micros: 1_000_000, result_hash: 'h' }).expect(201);
    const chain = await ctx.settledChain(id, 'AUDITED');
    expect(chain.map((r) => r.receipt.kind)).toEqual(['assignment', 'execution', 'verification', 'settlement']);
    const v = chain[2];
    expect(v.receipt.prev_receipt_hash).toBe(chain[1].receipt_hash);
    expect(chain[3].receipt.prev_receipt_hash).toBe(v.receipt_hash);
    const [p0, p1, p2] = provers.map((p) => p.name);
    const replicaOf = (name: string) =>
      (chain[0].receipt.provers as { prover_id: string; replica: number }[]).find((p) => p.prover_id === name)!.replica;
    expect(v.receipt).toMatchObject({
      network_job_id: id,
      outcome: 'majority',
      replicas: 3,
      needed: 2,
      result_hash: 'h',
      agreeing: expect.arrayContaining([
        { prover_id: p0, replica: replicaOf(p0), success: true, result_hash: 'h' },
        { prover_id: p2, replica: replicaOf(p2), success: true, result_hash: 'h' },
      ]),
      dissenting: [{ prover_id: p1, replica: replicaOf(p1), success: true, result_hash: 'x' }],
      not_reported: [],
    });
    expect((v.receipt.agreeing as unknown[]).length).toBe(2);
    // The settlement rewards exactly the agreeing replicas.
    const rewarded = (chain[3].receipt.rewards as { prover_id: string }[]).map((r) => r.prover_id).sort();
    expect(rewarded).toEqual([p0, p2].sort());
    expect(verifyReceiptChain(chain, await ctx.keys())).toMatchObject({ valid: true, length: 4 });
    expect(await ctx.verify({ network_job_id: id, receipts: chain })).toEqual({
      valid: true,
      length: 4,
      head: chain[3].receipt_hash,
    });
  });

  it('no majority: every reporter dissents; a majority before the last report names the one called off', async () => {
    const client = await ctx.fundedClient('10');
    const provers = await three();
    const failed = await ctx.running(client.key, provers, { max_cost_micros: 3_000_000, replicas: 3 });
    await ctx.report(failed, provers[0].key, { success: true, final_cost_micros: 1, result_hash: 'h' }).expect(201);
    await ctx.report(failed, provers[1].key, { success: true, final_cost_micros: 1, result_hash: 'x' }).expect(201);
    await ctx.report(failed, provers[2].key, { success: false, error_message: 'oom' }).expect(201);
    const chain = await ctx.settledChain(failed, 'FAILED');
    expect(chain.map((r) => r.receipt.kind)).toEqual(['assignment', 'execution', 'verification', 'settlement']);
    expect(chain[2].receipt).toMatchObject({
      outcome: 'no_majority',
      result_hash: null,
      agreeing: [],
      not_reported: [],
    });
    expect((chain[2].receipt.dissenting as { result_hash: string | null }[]).map((d) => d.result_hash).sort()).toEqual(
      ['h', 'x', null].sort(),
    );

    const early = await ctx.running(client.key, provers, { max_cost_micros: 3_000_000, replicas: 3 });
    await ctx.report(early, provers[0].key, { success: true, final_cost_micros: 1, result_hash: 'h' }).expect(201);
    await ctx.report(early, provers[1].key, { success: true, final_cost_micros: 1, result_hash: 'h' }).expect(201);
    const decided = await ctx.settledChain(early, 'AUDITED');
    expect(decided[2].receipt).toMatchObject({
      outcome: 'majority',
      dissenting: [],
      not_reported: [{ prover_id: provers[2].name, status: expect.any(String) }],
    });
  });

  it('a single-replica job has no verification receipt: its one report is in the execution receipt', async () => {
    const client = await ctx.fundedClient('10');
    const prover = await ctx.registeredProver();
    const id = await ctx.running(client.key, [prover], { max_cost_micros: 1_000_000 });
    await ctx.report(id, prover.key, { success: true, final_cost_micros: 1 }).expect(201);
    const chain = await ctx.settledChain(id, 'AUDITED');
    expect(chain.map((r) => r.receipt.kind)).toEqual(['assignment', 'execution', 'settlement']);
  });
});

import fc from 'fast-check';
import { LedgerVerifier } from '@tally/ledger';
import { JobsCtx } from '../../support/jobs-ctx';
import { microsOf } from '../../support/ledger-ctx';
import { startTestApp, TestApp } from '../../support/test-app';

type Path = 'success' | 'failure' | 'cancel-pending' | 'cancel-assigned' | 'cancel-running';

const lifecycle = fc.record({
  client: fc.integer({ min: 0, max: 3 }),
  prover: fc.integer({ min: 0, max: 2 }),
  maxCost: fc.bigInt({ min: 1n, max: 3_000_000n }),
  costShare: fc.integer({ min: 0, max: 100 }),
  path: fc.constantFrom<Path>('success', 'failure', 'cancel-pending', 'cancel-assigned', 'cancel-running'),
  // -1: no service (the platform default fee); else one of SERVICES.
  service: fc.integer({ min: -1, max: 3 }),
});

/** The platform default fee (the test app's PLATFORM_FEE_BPS). */
const DEFAULT_FEE_BPS = 1000n;

/**
 * Services whose jobs settle by their own fee (null: the platform default). One micro per
 * unit, so a job of maxCost units holds maxCost micros, as a job without a service does. A
 * single replica gets the whole pool whatever the base share.
 */
const SERVICES: { fee_bps: number | null; base_share_bps: number }[] = [
  { fee_bps: 250, base_share_bps: 0 },
  { fee_bps: 0, base_share_bps: 3000 },
  { fee_bps: 10_000, base_share_bps: 0 },
  { fee_bps: null, base_share_bps: 5000 },
];

describe('job lifecycles against a model of the ledger', () => {
  let t: TestApp;
  let ctx: JobsCtx;
  beforeAll(async () => {
    // Jobs move only by the routes here (an admin assigns): no scheduler.
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new JobsCtx(t);
  });
  afterAll(() => t.close());

  it('500 random lifecycles leave every balance where the model says, and verify passes', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => ctx.fundedClient('2000')));
    const provers = await Promise.all(Array.from({ length: 3 }, () => ctx.workingProver()));
    const platformStart = microsOf((await ctx.balance('platform', 'main')).posted);
    const serviceIds = SERVICES.map((_, i) => `model-fee-${i}`);
    for (const [i, terms] of SERVICES.entries()) {
      await t
        .http()
        .put(`/v1/registry/services/${serviceIds[i]}`)
        .set(ctx.admin())
        .send({
          price_per_unit: '0.000001',
          unit: 'op',
          size_factor: '1',
          minimum_charge: '0',
          hardware_requirements: {},
          ...terms,
        })
        .expect(201);
    }

    await fc.assert(
      fc.asyncProperty(fc.array(lifecycle, { minLength: 500, maxLength: 500 }), async (plan) => {
        const model = {
          clients: clients.map(() => 2_000_000_000n),
          provers: provers.map(() => 0n),
          platform: platformStart,
        };
        const runOne = async (step: (typeof plan)[number]) => {
          const client = clients[step.client];
          const prover = provers[step.prover];
          const service = step.service < 0 ? {} : { service: serviceIds[step.service], units: step.maxCost.toString() };
          const id = (
            await ctx.submit(client.key, { max_cost_micros: step.maxCost.toString(), ...service }).expect(201)
          ).body.network_job_id;
          if (step.path === 'cancel-pending')
            return void (await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200));
          await ctx.assign(id, [prover.name]).expect(201);
          if (step.path === 'cancel-assigned')
            return void (await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200));
          await ctx.start(id, prover.key).expect(201);
          if (step.path === 'cancel-running')
            return void (await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).expect(200));
          if (step.path === 'failure') return void (await ctx.report(id, prover.key, { success: false }).expect(201));
          const cost = (step.maxCost * BigInt(step.costShare)) / 100n || 1n;
          await ctx.report(id, prover.key, { success: true, final_cost_micros: cost.toString() }).expect(201);
          const fee = step.service < 0 ? DEFAULT_FEE_BPS : BigInt(SERVICES[step.service].fee_bps ?? DEFAULT_FEE_BPS);
          const reward = (cost * (10_000n - fee)) / 10_000n;
          model.clients[step.client] -= cost;
          model.provers[step.prover] += reward;
          model.platform += cost - reward;
        };
        for (let i = 0; i < plan.length; i += 10) await Promise.all(plan.slice(i, i + 10).map(runOne));

        for (const [i, c] of clients.entries()) {
          const b = await ctx.balance('user', c.name);
          expect({ posted: microsOf(b.posted), pending: microsOf(b.pending) }).toEqual({
            posted: model.clients[i],
            pending: 0n,
          });
        }
        for (const [i, p] of provers.entries()) {
          const res = await t.http().get(`/v1/credits/accounts/provider/${p.name}`).set(ctx.admin());
          expect(res.status === 404 ? 0n : microsOf(res.body.balance.posted)).toBe(model.provers[i]);
        }
        expect(microsOf((await ctx.balance('platform', 'main')).posted)).toBe(model.platform);
        expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
        expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);
      }),
      { numRuns: 1 },
    );
  }, 300_000);
});

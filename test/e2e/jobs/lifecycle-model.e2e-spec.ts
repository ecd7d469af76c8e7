import { randomUUID } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
import fc from 'fast-check';
import { CloseDisputeWindowsCommand } from '@tally/jobs';
import { LedgerVerifier, ReleaseUnbondedCommand } from '@tally/ledger';
import { JobsCtx } from '../../support/jobs-ctx';
import { microsOf } from '../../support/ledger-ctx';
import { CAPABILITIES, HARDWARE } from '../../support/prover-profile';
import { SchedulerCtx } from '../../support/scheduler-ctx';
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

/*
 * Stakes, slashes (of dissenters and of silent provers), replicas' base + bonus and metered
 * usage, against a model of its own: every amount below is computed here in bigint micros by
 * the rules of docs/economics.md, not by the ledger's or the jobs' split functions, so a
 * rounding or ordering slip on either side shows.
 */

const BPS = 10_000n;
const MICROS = 1_000_000n;
const PROVERS = 5;
/** What each prover starts with in its provider account, to bond from. */
const PROVER_FUNDS = 100n * MICROS;
const CLIENT_FUNDS = 2000n * MICROS;
/** A price schedule of one micro a unit, with no minimum. */
const oneMicroSchedule = {
  price_per_unit: '0.000001',
  unit: 'op',
  size_factor: '1',
  minimum_charge: '0',
  hardware_requirements: {},
};

/**
 * Services at one micro a unit (a job of u units on r replicas holds u × r), for replicated
 * jobs and for single-replica jobs whose prover goes silent.
 */
const REPLICATED: {
  fee_bps: number | null;
  base_share_bps: number;
  slash_dissent_bps: number;
  slash_timeout_bps: number;
  slash_cap_micros: string | null;
}[] = [
  { fee_bps: 500, base_share_bps: 3000, slash_dissent_bps: 1000, slash_timeout_bps: 2000, slash_cap_micros: null },
  { fee_bps: 0, base_share_bps: 0, slash_dissent_bps: 10_000, slash_timeout_bps: 10_000, slash_cap_micros: '2500000' },
  { fee_bps: 10_000, base_share_bps: 5000, slash_dissent_bps: 0, slash_timeout_bps: 0, slash_cap_micros: null },
  // A cap of 0: nothing to lose, so no slash.
  { fee_bps: null, base_share_bps: 10_000, slash_dissent_bps: 2500, slash_timeout_bps: 5000, slash_cap_micros: '0' },
  { fee_bps: 250, base_share_bps: 7000, slash_dissent_bps: 333, slash_timeout_bps: 777, slash_cap_micros: null },
];

/**
 * Services whose completed jobs' rewards stay pending through a dispute window (one micro a
 * unit, like REPLICATED). The last one's window is 1 s: its jobs are left undisputed and
 * released by the sweep at the end of the run; the others' are disputed and resolved.
 */
const DISPUTED: {
  fee_bps: number | null;
  base_share_bps: number;
  slash_dispute_bps: number;
  slash_cap_micros: string | null;
  dispute_window_seconds: number;
}[] = [
  { fee_bps: 500, base_share_bps: 0, slash_dispute_bps: 2000, slash_cap_micros: null, dispute_window_seconds: 3600 },
  {
    fee_bps: null,
    base_share_bps: 3000,
    slash_dispute_bps: 10_000,
    slash_cap_micros: '700000',
    dispute_window_seconds: 3600,
  },
  { fee_bps: 10_000, base_share_bps: 5000, slash_dispute_bps: 0, slash_cap_micros: null, dispute_window_seconds: 3600 },
  { fee_bps: 1234, base_share_bps: 2500, slash_dispute_bps: 1000, slash_cap_micros: null, dispute_window_seconds: 1 },
];
const WINDOW_SERVICE = DISPUTED.length - 1;

/** Metered services at 333 333 micros a unit (so usage rounds up), one replica. */
const UNIT_PRICE = 333_333n;
const METERED: { fee_bps: number | null; metered_refund: 'earned' | 'all'; minimum_charge_micros: bigint }[] = [
  { fee_bps: 250, metered_refund: 'earned', minimum_charge_micros: 0n },
  { fee_bps: null, metered_refund: 'all', minimum_charge_micros: 0n },
  // A minimum charge: the first report pays it, and reports under it cost nothing more.
  { fee_bps: 0, metered_refund: 'earned', minimum_charge_micros: 1_500_000n },
  { fee_bps: 1234, metered_refund: 'all', minimum_charge_micros: 2_000_000n },
];

/** Micros (or micro-units) as the API's decimal string. */
const decimal = (micros: bigint): string => {
  const whole = micros / MICROS;
  const frac = (micros % MICROS).toString().padStart(6, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : `${whole}`;
};
const min = (a: bigint, b: bigint) => (a < b ? a : b);
const feeOf = (fee: number | null) => (fee === null ? DEFAULT_FEE_BPS : BigInt(fee));
/** The provers' pool of a cost: cost × (1 − fee), rounded down. */
const poolOf = (cost: bigint, fee: number | null) => (cost * (BPS - feeOf(fee))) / BPS;
/** A metered service's price of `u` micro-units: ⌈max(minimum charge, price × units)⌉. */
const meteredCost = (terms: (typeof METERED)[number], u: bigint) => {
  const usage = (UNIT_PRICE * u + MICROS - 1n) / MICROS;
  return usage > terms.minimum_charge_micros ? usage : terms.minimum_charge_micros;
};

/**
 * A stake op between rounds, asked for by the prover or an admin: an amount `share` % (and
 * `jitter` micros) of what the prover could move; or the sweep that releases every unbonding.
 */
type StakeOp =
  { kind: 'bond' | 'unbond'; prover: number; share: number; jitter: bigint; byAdmin: boolean } | { kind: 'release' };

type Dissent = 'none' | 'result' | 'failure';
/**
 * A job and what happens to it. Each path has its driver (runPath) and its model update
 * (settlePath); a new path (a dispute) is one more member here and one more entry in each.
 */
type JobPath =
  | {
      path: 'replicated';
      client: number;
      service: number;
      replicas: number;
      /** Replica i is run by provers[i]; replica 0 dissents unless `dissent` is 'none'. */
      provers: number[];
      units: bigint;
      /** Each replica's reported cost, in % of the hold. */
      costShares: number[];
      dissent: Dissent;
      /** The replicas in the order they report. */
      order: number[];
    }
  | {
      path: 'metered';
      client: number;
      service: number;
      prover: number;
      /** Micro-units submitted. */
      units: bigint;
      /** Cumulative usage reports, in micro-units, rising. */
      reports: bigint[];
      /** The last report sent again (a replay: nothing moves). */
      replay: boolean;
      end: 'result' | 'failure' | 'cancel';
      /** The final cost, in % of what is left of the hold above the metered usage. */
      costShare: number;
    }
  | {
      /**
       * Replicas that all agree, within a dispute window: the client disputes and an admin
       * upholds or refunds `refundShare` % of the cost, or (`window`) nobody disputes and the
       * sweep pays the rewards once the window closes.
       */
      path: 'disputed';
      client: number;
      service: number;
      provers: number[];
      units: bigint;
      costShare: number;
      end: 'uphold' | 'refund' | 'window';
      refundShare: number;
    }
  | {
      /** One replica, RUNNING when its prover goes silent: the timeout sweep fails the job and slashes the prover. */
      path: 'silent';
      client: number;
      service: number;
      prover: number;
      units: bigint;
    };
type PathOf<P extends JobPath['path']> = Extract<JobPath, { path: P }>;

interface ProverModel {
  balance: bigint;
  bonded: bigint;
  unbonding: bigint;
  slashed: bigint;
  /** What jobs paid into its provider account (`earned_micros`): rewards and held shares released to it. */
  earned: bigint;
  /** Its stake account exists (a first bond creates it). */
  staked: boolean;
  /** Open unbondings, each released whole by the sweep. */
  unbondings: number;
  /** Rewards held for it through dispute windows still open (its provider account's incoming). */
  pending: bigint;
}
interface Model {
  clients: bigint[];
  provers: ProverModel[];
  platform: bigint;
  /** Slash postings so far (a slash of 0 is none). */
  slashes: number;
}

const stakeOp: fc.Arbitrary<StakeOp> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constantFrom<'bond' | 'unbond'>('bond', 'bond', 'unbond'),
      prover: fc.integer({ min: 0, max: PROVERS - 1 }),
      // Over 100: more than there is, refused.
      share: fc.integer({ min: 0, max: 110 }),
      jitter: fc.bigInt({ min: 0n, max: 999n }),
      byAdmin: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant<StakeOp>({ kind: 'release' }) },
);

const replicatedJob: fc.Arbitrary<PathOf<'replicated'>> = fc
  .record({
    client: fc.integer({ min: 0, max: 3 }),
    service: fc.integer({ min: 0, max: REPLICATED.length - 1 }),
    replicas: fc.integer({ min: 2, max: 3 }),
    provers: fc.shuffledSubarray([...Array(PROVERS).keys()], { minLength: 3, maxLength: 3 }),
    units: fc.bigInt({ min: 1n, max: 3_000_000n }),
    costShares: fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 3, maxLength: 3 }),
    dissent: fc.constantFrom<Dissent>('none', 'result', 'result', 'failure'),
    order: fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }),
  })
  .map((j) => ({
    path: 'replicated' as const,
    ...j,
    provers: j.provers.slice(0, j.replicas),
    order: j.order.filter((i) => i < j.replicas),
  }));

const meteredJob: fc.Arbitrary<PathOf<'metered'>> = fc
  .record({
    client: fc.integer({ min: 0, max: 3 }),
    service: fc.integer({ min: 0, max: METERED.length - 1 }),
    prover: fc.integer({ min: 0, max: PROVERS - 1 }),
    units: fc.bigInt({ min: 1n, max: 30_000_000n }),
    // Per mille of the units submitted.
    reports: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 3 }),
    replay: fc.boolean(),
    end: fc.constantFrom<'result' | 'failure' | 'cancel'>('result', 'result', 'failure', 'cancel'),
    costShare: fc.integer({ min: 0, max: 100 }),
  })
  .map((j) => ({
    path: 'metered' as const,
    ...j,
    reports: [...new Set(j.reports.map((pm) => (j.units * BigInt(pm)) / 1000n).filter((u) => u > 0n))].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0,
    ),
  }));

const silentJob: fc.Arbitrary<PathOf<'silent'>> = fc.record({
  path: fc.constant('silent' as const),
  client: fc.integer({ min: 0, max: 3 }),
  service: fc.integer({ min: 0, max: REPLICATED.length - 1 }),
  prover: fc.integer({ min: 0, max: PROVERS - 1 }),
  units: fc.bigInt({ min: 1n, max: 3_000_000n }),
});

const disputedJob: fc.Arbitrary<PathOf<'disputed'>> = fc
  .record({
    client: fc.integer({ min: 0, max: 3 }),
    service: fc.integer({ min: 0, max: WINDOW_SERVICE - 1 }),
    provers: fc.shuffledSubarray([...Array(PROVERS).keys()], { minLength: 1, maxLength: 2 }),
    units: fc.bigInt({ min: 1n, max: 3_000_000n }),
    costShare: fc.integer({ min: 1, max: 100 }),
    end: fc.constantFrom<'uphold' | 'refund' | 'window'>('uphold', 'refund', 'refund', 'window'),
    refundShare: fc.integer({ min: 0, max: 100 }),
  })
  .map((j) => ({ path: 'disputed' as const, ...j, service: j.end === 'window' ? WINDOW_SERVICE : j.service }));

/**
 * Paths whose jobs run one by one after the round's others: the timeout sweep fails every job
 * a silent prover holds, and a refunded dispute slashes every prover of its result.
 */
const ALONE: readonly JobPath['path'][] = ['silent', 'disputed'];

const econRound = fc.record({
  stake: fc.array(stakeOp, { maxLength: 4 }),
  jobs: fc.array(
    fc.oneof(
      { weight: 5, arbitrary: replicatedJob },
      { weight: 4, arbitrary: meteredJob },
      { weight: 1, arbitrary: silentJob },
      { weight: 3, arbitrary: disputedJob },
    ),
    { minLength: 10, maxLength: 10 },
  ),
});

/** What the model expects a stake op to answer, after applying it (nothing moves on a refusal). */
function stakeModel(m: Model, op: Exclude<StakeOp, { kind: 'release' }>): { status: number; amount: bigint } {
  const p = m.provers[op.prover];
  const from = op.kind === 'bond' ? p.balance : p.bonded;
  const amount = (from * BigInt(op.share)) / 100n + op.jitter || 1n;
  if (op.kind === 'unbond' && !p.staked) return { status: 404, amount };
  if (amount > from) return { status: 402, amount };
  if (op.kind === 'bond') {
    p.balance -= amount;
    p.bonded += amount;
    p.staked = true;
  } else {
    p.bonded -= amount;
    p.unbonding += amount;
    p.unbondings += 1;
  }
  return { status: 201, amount };
}

type Outcome = 'AWAITING_REPLICAS' | 'COMPLETED' | 'FAILED' | 'refused';
interface ReplicaDecisionModel {
  /** Each report's answer, in `order`: 201 with this outcome, or refused (409: the job was decided). */
  outcomes: Outcome[];
  settled: { kind: 'completed'; majority: number[]; reporters: number[]; cost: bigint } | { kind: 'failed' };
}

const replicatedHold = (j: PathOf<'replicated'>) => j.units * BigInt(j.replicas);
const replicaCost = (j: PathOf<'replicated'>, i: number) => (replicatedHold(j) * BigInt(j.costShares[i])) / 100n || 1n;
const agrees = (j: PathOf<'replicated'>, i: number) => i !== 0 || j.dissent === 'none';

/** A strict majority of the replicas reporting the same result completes the job; a majority out of reach fails it. */
function decideModel(j: PathOf<'replicated'>): ReplicaDecisionModel {
  const needed = Math.floor(j.replicas / 2) + 1;
  const reported: number[] = [];
  const outcomes: Outcome[] = [];
  let settled: ReplicaDecisionModel['settled'] | undefined;
  for (const i of j.order) {
    if (settled) {
      outcomes.push('refused');
      continue;
    }
    reported.push(i);
    const majority = reported.filter((r) => agrees(j, r));
    const other = reported.some((r) => !agrees(j, r)) && j.dissent === 'result' ? 1 : 0;
    const outstanding = j.replicas - reported.length;
    if (majority.length >= needed) {
      const costs = majority.map((r) => replicaCost(j, r)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      // The majority's lower median.
      settled = {
        kind: 'completed',
        majority,
        reporters: [...reported],
        cost: costs[Math.floor((costs.length - 1) / 2)],
      };
    } else if (Math.max(majority.length, other) + outstanding < needed) settled = { kind: 'failed' };
    outcomes.push(settled ? (settled.kind === 'completed' ? 'COMPLETED' : 'FAILED') : 'AWAITING_REPLICAS');
  }
  return { outcomes, settled: settled! };
}

/** The model's update for each path, by docs/economics.md. */
const settlePath: { [P in JobPath['path']]: (m: Model, j: PathOf<P>) => void } = {
  replicated(m, j) {
    const { settled } = decideModel(j);
    // No majority: the hold goes back whole; no reward, no slash.
    if (settled.kind === 'failed') return;
    const terms = REPLICATED[j.service];
    const { cost, majority, reporters } = settled;
    const pool = poolOf(cost, terms.fee_bps);
    const basePool = (pool * BigInt(terms.base_share_bps)) / BPS;
    const base = basePool / BigInt(reporters.length);
    const bonus = (pool - basePool) / BigInt(majority.length);
    let paid = 0n;
    for (const r of reporters) {
      const reward = majority.includes(r) ? base + bonus : base;
      m.provers[j.provers[r]].balance += reward;
      m.provers[j.provers[r]].earned += reward;
      paid += reward;
    }
    m.clients[j.client] -= cost;
    m.platform += cost - paid;
    // A dissenter that reported another successful result before the decision is slashed.
    if (j.dissent === 'result' && reporters.includes(0)) {
      slash(m, j.client, j.provers[0], terms.slash_dissent_bps, terms.slash_cap_micros, cost);
    }
  },
  metered(m, j) {
    const terms = METERED[j.service];
    const { metered, shares, final } = meteredModel(j);
    const p = m.provers[j.prover];
    if (j.end === 'result') {
      const reward = shares + poolOf(final - metered, terms.fee_bps);
      m.clients[j.client] -= final;
      p.balance += reward;
      p.earned += reward;
      m.platform += final - reward;
    } else if (terms.metered_refund === 'earned') {
      // What was metered stays paid; only the rest of the hold goes back.
      m.clients[j.client] -= metered;
      p.balance += shares;
      p.earned += shares;
      m.platform += metered - shares;
    }
    // `all`: the usage goes back to the client, the held shares to the platform: nothing moves.
  },
  disputed(m, j) {
    const terms = DISPUTED[j.service];
    const cost = disputedCost(j);
    const rewards = disputedRewards(j);
    // The cost is captured at settlement; the rewards are holds, pending, until the window's end.
    m.clients[j.client] -= cost;
    m.platform += cost;
    if (j.end === 'window') {
      for (const r of rewards) m.provers[r.prover].pending += r.amount;
    } else if (j.end === 'uphold') {
      for (const r of rewards) pay(m, r.prover, r.amount);
    } else {
      // Voided (the platform keeps them); the refund from the platform; each prover slashed in replica order.
      const refund = (cost * BigInt(j.refundShare)) / 100n;
      m.clients[j.client] += refund;
      m.platform -= refund;
      let owed = cost;
      for (const prover of j.provers)
        owed -= slash(m, j.client, prover, terms.slash_dispute_bps, terms.slash_cap_micros, owed);
    }
  },
  silent(m, j) {
    // The hold goes back whole; the slash compensates the client up to the hold again.
    const terms = REPLICATED[j.service];
    slash(m, j.client, j.prover, terms.slash_timeout_bps, terms.slash_cap_micros, j.units);
  },
};

/**
 * A slash of `bps` of the prover's bonded stake, rounded down, at most the cap: the client is
 * compensated up to `owed`, the platform gets the rest. Nothing bonded (or 0): no slash.
 */
function slash(m: Model, client: number, prover: number, bps: number, cap: string | null, owed: bigint): bigint {
  const p = m.provers[prover];
  let slashed = (p.bonded * BigInt(bps)) / BPS;
  if (cap !== null) slashed = min(slashed, BigInt(cap));
  if (slashed === 0n) return 0n;
  const toClient = min(slashed, owed);
  m.slashes += 1;
  p.bonded -= slashed;
  p.slashed += slashed;
  m.clients[client] += toClient;
  m.platform += slashed - toClient;
  return toClient;
}

/** A reward paid from the platform into the prover's account. */
function pay(m: Model, prover: number, amount: bigint) {
  m.provers[prover].balance += amount;
  m.provers[prover].earned += amount;
  m.platform -= amount;
}

/** A disputed job's cost: costShare % of its hold (units × replicas), at least a micro. */
const disputedCost = (j: PathOf<'disputed'>) => (j.units * BigInt(j.provers.length) * BigInt(j.costShare)) / 100n || 1n;

/** Each replica's reward (all agree: base + bonus each); a reward of 0 is no hold. */
function disputedRewards(j: PathOf<'disputed'>): { prover: number; amount: bigint }[] {
  const terms = DISPUTED[j.service];
  const pool = poolOf(disputedCost(j), terms.fee_bps);
  const basePool = (pool * BigInt(terms.base_share_bps)) / BPS;
  const n = BigInt(j.provers.length);
  const each = basePool / n + (pool - basePool) / n;
  return each === 0n ? [] : j.provers.map((prover) => ({ prover, amount: each }));
}

/** A metered job's hold, its usage cost and the prover's shares (each report rounds on its own), and its final cost. */
function meteredModel(j: PathOf<'metered'>) {
  const terms = METERED[j.service];
  const hold = meteredCost(terms, j.units);
  let metered = 0n;
  let shares = 0n;
  const reports = j.reports.map((u) => {
    const cost = meteredCost(terms, u) - metered;
    metered += cost;
    shares += poolOf(cost, terms.fee_bps);
    return { units: u, metered, shares };
  });
  // A result's cost is at least a micro (and at least what was metered).
  const final = metered + ((hold - metered) * BigInt(j.costShare)) / 100n || 1n;
  return { hold, metered, shares, reports, final };
}

describe('stakes, slashes, disputes, base + bonus and metered usage against a model of the ledger', () => {
  let t: TestApp;
  let ctx: SchedulerCtx;
  beforeAll(async () => {
    // No scheduler: jobs move by these routes, unbondings and timeouts by the sweeps run here;
    // a job whose prover goes silent fails at once (one attempt).
    t = await startTestApp({ SCHEDULER_ENABLED: 'false', SCHEDULER_MAX_ATTEMPTS: '1' });
    ctx = new SchedulerCtx(t);
  });
  afterAll(() => t.close());

  it('random rounds of stake moves and jobs leave every balance and stake where the model says', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, () => ctx.fundedClient(decimal(CLIENT_FUNDS))));
    const provers = await Promise.all(Array.from({ length: PROVERS }, () => ctx.workingProver()));
    for (const p of provers) await ctx.mint('provider', p.name, decimal(PROVER_FUNDS));
    const platformStart = await ctx.postedMicros('platform', 'main');
    const replicatedIds = REPLICATED.map((_, i) => `model-replicated-${i}`);
    for (const [i, terms] of REPLICATED.entries()) {
      await ctx.putService(replicatedIds[i], { ...oneMicroSchedule, ...terms }).expect(201);
    }
    const disputedIds = DISPUTED.map((_, i) => `model-disputed-${i}`);
    for (const [i, terms] of DISPUTED.entries()) {
      await ctx.putService(disputedIds[i], { ...oneMicroSchedule, ...terms }).expect(201);
    }
    /** The jobs left undisputed in a window of 1 s: the sweep pays them at the end of the run. */
    const windowed: string[] = [];
    const meteredIds = METERED.map((_, i) => `model-metered-${i}`);
    for (const [i, { minimum_charge_micros, ...terms }] of METERED.entries()) {
      await ctx
        .putService(meteredIds[i], {
          ...oneMicroSchedule,
          price_per_unit: decimal(UNIT_PRICE),
          minimum_charge: decimal(minimum_charge_micros),
          ...terms,
        })
        .expect(201);
    }
    const usage = (id: string, key: Record<string, string>, units: bigint) =>
      t
        .http()
        .post(`/v1/jobs/${id}/usage`)
        .set(key)
        .send({ units: decimal(units), cumulative: true });

    const stakeStep = async (m: Model, op: StakeOp) => {
      if (op.kind === 'release') {
        const due = m.provers.reduce((n, p) => n + p.unbondings, 0);
        // A moment past every unbonding asked for (STAKE_UNBONDING_SECONDS is 7 days).
        const released = await t.app
          .get(CommandBus)
          .execute(new ReleaseUnbondedCommand(new Date(Date.now() + 8 * 86_400_000)));
        expect(released).toBe(due);
        for (const p of m.provers) Object.assign(p, { balance: p.balance + p.unbonding, unbonding: 0n, unbondings: 0 });
        return;
      }
      const p = provers[op.prover];
      const expected = stakeModel(m, op);
      const res = await t
        .http()
        .post(`/v1/provers/${p.name}/${op.kind === 'bond' ? 'stake' : 'unstake'}`)
        .set(op.byAdmin ? ctx.admin() : p.key)
        .set('Idempotency-Key', randomUUID())
        .send({ amount: decimal(expected.amount) });
      expect({ op, status: res.status, code: res.body.code }).toEqual({
        op,
        status: expected.status,
        code: { 201: undefined, 402: 'DSE-008', 404: 'DSE-011' }[expected.status],
      });
      if (res.status === 201) {
        const s = m.provers[op.prover];
        expect(res.body).toMatchObject({ bonded_micros: `${s.bonded}`, unbonding_micros: `${s.unbonding}` });
      }
    };

    /** Runs a job down its path, checking every answer the model predicts. */
    const runPath: { [P in JobPath['path']]: (j: PathOf<P>) => Promise<void> } = {
      async replicated(j) {
        const hold = replicatedHold(j);
        const client = clients[j.client];
        const replicas = j.provers.map((i) => provers[i]);
        const id = await ctx.running(client.key, replicas, {
          service: replicatedIds[j.service],
          units: `${j.units}`,
          replicas: j.replicas,
          max_cost_micros: `${hold}`,
        });
        const { outcomes } = decideModel(j);
        for (const [n, i] of j.order.entries()) {
          const body = !agrees(j, i)
            ? j.dissent === 'failure'
              ? { success: false, error_message: 'dissent' }
              : { success: true, final_cost_micros: `${replicaCost(j, i)}`, result_hash: 'other' }
            : { success: true, final_cost_micros: `${replicaCost(j, i)}`, result_hash: 'h' };
          const res = await ctx.report(id, replicas[i].key, body);
          const got = res.status === 201 ? res.body.outcome : res.status === 409 ? 'refused' : `${res.status}`;
          expect({ job: j, report: n, outcome: got }).toEqual({ job: j, report: n, outcome: outcomes[n] });
        }
      },
      async metered(j) {
        const terms = METERED[j.service];
        const client = clients[j.client];
        const prover = provers[j.prover];
        const { hold, metered, shares, reports, final } = meteredModel(j);
        const id = await ctx.running(client.key, [prover], {
          service: meteredIds[j.service],
          units: decimal(j.units),
          max_cost_micros: `${hold}`,
        });
        for (const r of reports) {
          const res = await usage(id, prover.key, r.units).expect(200);
          expect({ job: j, body: res.body }).toEqual({
            job: j,
            body: {
              network_job_id: id,
              units: decimal(r.units),
              metered_micros: `${r.metered}`,
              reward_micros: `${r.shares}`,
              held_micros: `${hold - r.metered}`,
            },
          });
        }
        if (j.replay && reports.length > 0) {
          const again = await usage(id, prover.key, reports[reports.length - 1].units).expect(200);
          expect(again.headers['idempotent-replayed']).toBe('true');
        }
        const giveAll = terms.metered_refund === 'all';
        if (j.end === 'cancel') {
          const res = await t.http().post(`/v1/jobs/${id}/cancel`).set(client.key).send({});
          expect({ job: j, status: res.status, refunded: res.body.refunded_micros }).toEqual({
            job: j,
            status: 200,
            refunded: `${giveAll ? hold : hold - metered}`,
          });
          return;
        }
        const res = await ctx.report(
          id,
          prover.key,
          j.end === 'failure'
            ? { success: false, error_message: 'gave up' }
            : { success: true, final_cost_micros: `${final}` },
        );
        expect({ job: j, status: res.status, body: res.body }).toMatchObject({
          job: j,
          status: 201,
          body:
            j.end === 'failure'
              ? { outcome: 'FAILED', refunded_micros: `${giveAll ? hold : hold - metered}` }
              : {
                  outcome: 'COMPLETED',
                  final_cost_micros: `${final}`,
                  reward_micros: `${shares + poolOf(final - metered, terms.fee_bps)}`,
                  refunded_micros: `${hold - final}`,
                },
        });
      },
      async disputed(j) {
        const client = clients[j.client];
        const replicas = j.provers.map((i) => provers[i]);
        const cost = disputedCost(j);
        const id = await ctx.running(client.key, replicas, {
          service: disputedIds[j.service],
          units: `${j.units}`,
          replicas: replicas.length,
          max_cost_micros: `${j.units * BigInt(replicas.length)}`,
        });
        for (const p of replicas) {
          await ctx.report(id, p.key, { success: true, final_cost_micros: `${cost}`, result_hash: 'h' }).expect(201);
        }
        const byName = (a: { prover: string }, b: { prover: string }) => (a.prover < b.prover ? -1 : 1);
        const held = (await ctx.job(id).expect(200)).body.dispute.pending_rewards as {
          prover_id: string;
          reward_micros: string;
        }[];
        expect({
          job: j,
          pending: held.map((r) => ({ prover: r.prover_id, amount: BigInt(r.reward_micros) })).sort(byName),
        }).toEqual({
          job: j,
          pending: disputedRewards(j)
            .map((r) => ({ prover: provers[r.prover].name, amount: r.amount }))
            .sort(byName),
        });
        if (j.end === 'window') return void windowed.push(id);
        await t.http().post(`/v1/jobs/${id}/dispute`).set(client.key).send({ reason: 'model' }).expect(200);
        const refund = (cost * BigInt(j.refundShare)) / 100n;
        const res = await t
          .http()
          .post(`/v1/jobs/${id}/resolve`)
          .set(ctx.admin())
          .send(j.end === 'uphold' ? { outcome: 'uphold' } : { outcome: 'refund', refund_micros: `${refund}` });
        expect({ job: j, status: res.status, outcome: res.body.dispute?.outcome }).toEqual({
          job: j,
          status: 200,
          outcome: j.end,
        });
      },
      async silent(j) {
        const prover = provers[j.prover];
        const id = await ctx.running(clients[j.client].key, [prover], {
          service: replicatedIds[j.service],
          units: `${j.units}`,
          max_cost_micros: `${j.units}`,
        });
        await ctx.silence({ ...prover, spec: {} });
        // Other provers silent since their last heartbeat may go offline too; they hold no job now.
        const swept = await ctx.sweep();
        expect({ job: j, offline: swept.offline.includes(prover.name), gaveUp: swept.gaveUp }).toEqual({
          job: j,
          offline: true,
          gaveUp: 1,
        });
        expect((await ctx.job(id).expect(200)).body.status).toBe('FAILED');
        await Promise.all(
          provers.map((p) =>
            t
              .http()
              .post(`/v1/provers/${p.name}/heartbeat`)
              .set(p.key)
              .send({ hardware_profile: HARDWARE, capabilities: CAPABILITIES, load_factor: 0 })
              .expect(200),
          ),
        );
      },
    };

    await fc.assert(
      fc.asyncProperty(fc.array(econRound, { minLength: 20, maxLength: 20 }), async (rounds) => {
        const model: Model = {
          clients: clients.map(() => CLIENT_FUNDS),
          provers: provers.map(() => ({
            balance: PROVER_FUNDS,
            bonded: 0n,
            unbonding: 0n,
            slashed: 0n,
            earned: 0n,
            staked: false,
            unbondings: 0,
            pending: 0n,
          })),
          platform: platformStart,
          slashes: 0,
        };
        for (const round of rounds) {
          // Stake moves between the rounds' jobs: the model knows every balance they read.
          for (const op of round.stake) await stakeStep(model, op);
          // A slash takes its share of what is bonded when its job settles: two jobs that may
          // slash the same prover run one after the other, so the model sees them in order.
          const run = async (j: JobPath) => {
            await (runPath[j.path] as (j: JobPath) => Promise<void>)(j);
            (settlePath[j.path] as (m: Model, j: JobPath) => void)(model, j);
          };
          const chains = new Map<number, Promise<void>>();
          const together = round.jobs.filter((j) => !ALONE.includes(j.path));
          await Promise.all(
            together.map((j) => {
              if (j.path !== 'replicated' || j.dissent !== 'result') return run(j);
              const chained = (chains.get(j.provers[0]) ?? Promise.resolve()).then(() => run(j));
              chains.set(j.provers[0], chained);
              return chained;
            }),
          );
          for (const j of round.jobs.filter((j) => ALONE.includes(j.path))) await run(j);
        }

        // The undisputed rewards are pending until their windows close, then the sweep pays them: a
        // provider account's incoming is those and its prover's unbondings (held stake → provider).
        for (const [i, p] of provers.entries()) {
          expect({ prover: i, incoming: microsOf((await ctx.balance('provider', p.name)).incoming) }).toEqual({
            prover: i,
            incoming: model.provers[i].pending + model.provers[i].unbonding,
          });
        }
        if (windowed.length > 0) {
          const [{ closes }] = await t.dataSource.query(
            `SELECT max(dispute_closes_at) AS closes FROM jobs WHERE network_job_id = ANY($1::bigint[])`,
            [windowed],
          );
          await new Promise((r) => setTimeout(r, Math.max(0, new Date(closes).getTime() - Date.now() + 50)));
          const closeWindows = () => t.app.get(CommandBus).execute(new CloseDisputeWindowsCommand());
          while ((await closeWindows()) > 0);
          const [{ open }] = await t.dataSource.query(
            `SELECT count(*)::int AS open FROM jobs WHERE network_job_id = ANY($1::bigint[]) AND pending_rewards IS NOT NULL`,
            [windowed],
          );
          expect(open).toBe(0);
        }
        for (const [i, p] of model.provers.entries()) {
          pay(model, i, p.pending);
          p.pending = 0n;
        }

        for (const [i, c] of clients.entries()) {
          const b = await ctx.balance('user', c.name);
          expect({ client: i, posted: microsOf(b.posted), pending: microsOf(b.pending) }).toEqual({
            client: i,
            posted: model.clients[i],
            pending: 0n,
          });
        }
        for (const [i, p] of provers.entries()) {
          const s = model.provers[i];
          const b = await ctx.balance('provider', p.name);
          const stake = (await t.http().get(`/v1/provers/${p.name}`).set(ctx.admin()).expect(200)).body.stake;
          expect({
            prover: i,
            posted: microsOf(b.posted),
            available: microsOf(b.available),
            bonded: BigInt(stake.bonded_micros),
            unbonding: BigInt(stake.unbonding_micros),
            slashed: BigInt(stake.slashed_micros),
            earned: BigInt(stake.earned_micros),
          }).toEqual({
            prover: i,
            posted: s.balance,
            available: s.balance,
            bonded: s.bonded,
            unbonding: s.unbonding,
            slashed: s.slashed,
            earned: s.earned,
          });
          expect(s.bonded >= 0n && s.unbonding >= 0n).toBe(true);
          if (s.staked) {
            const st = await ctx.balance('stake', p.name);
            expect({ posted: microsOf(st.posted), pending: microsOf(st.pending) }).toEqual({
              posted: s.bonded + s.unbonding,
              pending: s.unbonding,
            });
          }
        }
        expect(await ctx.postedMicros('platform', 'main')).toBe(model.platform);
        const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM transfers WHERE kind = 'slash'`);
        expect(n).toBe(model.slashes);
        expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
        expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);
      }),
      // A failure reports at once with its seed and path: a shrink would re-run on the app's changed state.
      { numRuns: 1, endOnFailure: true },
    );
  }, 300_000);
});

import { randomUUID } from 'node:crypto';
import { CommandBus } from '@nestjs/cqrs';
import { LedgerVerifier, ReleaseUnbondedCommand } from '@tally/ledger';
import { microsOf } from '../../support/ledger-ctx';
import { ProversCtx } from '../../support/provers-ctx';
import { startTestApp, TestApp } from '../../support/test-app';
import { createTestDatabase, TestDatabase } from '../../support/test-database';

type Headers = Record<string, string>;

const UNBONDING_SECONDS = 604800;
/** A moment past any unbonding asked for now (the default STAKE_UNBONDING_SECONDS, and a minute). */
const afterUnbonding = () => new Date(Date.now() + (UNBONDING_SECONDS + 60) * 1000);

describe('prover stake', () => {
  let t: TestApp;
  let ctx: ProversCtx;
  beforeAll(async () => {
    t = await startTestApp({ SCHEDULER_ENABLED: 'false' });
    ctx = new ProversCtx(t);
  });
  afterAll(() => t.close());

  const move = (what: 'stake' | 'unstake', prover: string, key: Headers, body: unknown, idem = randomUUID()) =>
    t
      .http()
      .post(`/v1/provers/${prover}/${what}`)
      .set(key)
      .set('Idempotency-Key', idem)
      .send(body as object);
  const sweep = (now = afterUnbonding()) => t.app.get(CommandBus).execute(new ReleaseUnbondedCommand(now));
  const stakeOf = async (prover: string) => (await ctx.getProver(prover).expect(200)).body.stake;
  /** A registered prover with `credits` in its provider account. */
  const fundedProver = async (credits: string) => {
    const p = await ctx.registeredProver();
    await ctx.mint('provider', p.name, credits);
    return p;
  };
  /** Every account's balance as one comparable snapshot (nothing moved: it is unchanged). */
  const snapshot = async () =>
    t.dataSource.query(
      `SELECT kind, owner_id, posted_debits::text, posted_credits::text, pending_debits::text, pending_credits::text
       FROM accounts ORDER BY kind, owner_id`,
    );

  // docs/economics.md, "Stake": this test is its worked example, number for number.
  it('bonds, unbonds and releases exactly the worked example of docs/economics.md', async () => {
    const p = await fundedProver('1000');
    expect(await ctx.balance('provider', p.name)).toMatchObject({ available: '1000' });
    expect(await stakeOf(p.name)).toEqual({
      bonded_micros: '0',
      unbonding_micros: '0',
      slashed_micros: '0',
      earned_micros: '0',
    });

    const bond = await move('stake', p.name, p.key, { amount: '600' }).expect(201);
    expect(bond.body).toMatchObject({
      prover_id: p.name,
      kind: 'stake',
      amount: '600',
      bonded_micros: '600000000',
      unbonding_micros: '0',
      unbonds_at: null,
    });
    expect(await ctx.balance('provider', p.name)).toMatchObject({ posted: '400', pending: '0', available: '400' });

    const before = Date.now();
    const unbond = await move('unstake', p.name, p.key, { amount: '250' }).expect(201);
    expect(unbond.body).toMatchObject({
      kind: 'hold',
      amount: '250',
      bonded_micros: '350000000',
      unbonding_micros: '250000000',
    });
    const due = Date.parse(unbond.body.unbonds_at);
    expect(due).toBeGreaterThanOrEqual(before + UNBONDING_SECONDS * 1000);
    expect(due).toBeLessThanOrEqual(Date.now() + UNBONDING_SECONDS * 1000);
    expect(await stakeOf(p.name)).toMatchObject({ bonded_micros: '350000000', unbonding_micros: '250000000' });
    expect(await ctx.balance('stake', p.name)).toMatchObject({ posted: '600', pending: '250', available: '350' });
    // Locked, not bonded and not yet the prover's to spend: incoming to its provider account.
    expect(await ctx.balance('provider', p.name)).toMatchObject({ posted: '400', available: '400', incoming: '250' });

    // Not due yet: the sweep leaves it; once due, it is released into the provider account.
    expect(await sweep(new Date(due - 1000))).toBe(0);
    expect(await stakeOf(p.name)).toMatchObject({ bonded_micros: '350000000', unbonding_micros: '250000000' });
    expect(await ctx.balance('provider', p.name)).toMatchObject({ available: '400' });
    expect(await sweep(new Date(due + 1))).toBe(1);
    expect(await sweep(new Date(due + 1))).toBe(0);
    expect(await ctx.balance('provider', p.name)).toMatchObject({
      posted: '650',
      pending: '0',
      available: '650',
      incoming: '0',
    });
    expect(await ctx.balance('stake', p.name)).toMatchObject({ posted: '350', pending: '0', available: '350' });
    expect(await stakeOf(p.name)).toEqual({
      bonded_micros: '350000000',
      unbonding_micros: '0',
      slashed_micros: '0',
      earned_micros: '0',
    });
    const hold = await t.http().get(`/v1/credits/holds/${unbond.body.transfer_id}`).set(ctx.admin()).expect(200);
    expect(hold.body).toMatchObject({ status: 'captured', amount: '250', captured: '250' });
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('is idempotent by Idempotency-Key: a replay answers as the first time, another body is DSE-009', async () => {
    const p = await fundedProver('10');
    const key = randomUUID();
    const first = await move('stake', p.name, p.key, { amount: '4' }, key).expect(201);
    await move('stake', p.name, p.key, { amount: '1' }).expect(201);
    const again = await move('stake', p.name, p.key, { amount: '4' }, key).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await move('stake', p.name, p.key, { amount: '5' }, key).expect(409);
    expect(other.body.code).toBe('DSE-009');
    expect(await stakeOf(p.name)).toMatchObject({ bonded_micros: '5000000' });

    const uKey = randomUUID();
    const u1 = await move('unstake', p.name, p.key, { amount: '2' }, uKey).expect(201);
    const u2 = await move('unstake', p.name, p.key, { amount: '2' }, uKey).expect(201);
    expect(u2.body).toEqual(u1.body);
    expect(await stakeOf(p.name)).toMatchObject({ bonded_micros: '3000000', unbonding_micros: '2000000' });
  });

  it('lets an admin bond and unbond for a prover, and answers DSE-004 for an unknown one', async () => {
    const p = await fundedProver('3');
    await move('stake', p.name, ctx.admin(), { amount: '3' }).expect(201);
    await move('unstake', p.name, ctx.admin(), { amount: '1' }).expect(201);
    await move('unstake', p.name, ctx.admin(), { amount: '5' }).expect(402);
    expect(await stakeOf(p.name)).toMatchObject({ bonded_micros: '2000000', unbonding_micros: '1000000' });
    // An admin's are control actions (a prover's own are not), refusals included.
    const logged = async (action: string) =>
      (await t.http().get(`/v1/admin/control-log?action=${action}`).set(ctx.admin()).expect(200)).body.items
        .filter((r: { fields: { params: { prover_id: string } } }) => r.fields.params.prover_id === p.name)
        .map((r: { fields: { body: unknown }; outcome: string; error_code: string | null }) => [
          r.fields.body,
          r.outcome,
          r.error_code,
        ]);
    expect(await logged('provers.stake')).toEqual([[{ amount: '3' }, 'ok', null]]);
    expect(await logged('provers.unstake')).toEqual([
      [{ amount: '1' }, 'ok', null],
      [{ amount: '5' }, 'rejected', 'DSE-008'],
    ]);
    const before = await snapshot();
    const unknown = await move('stake', ctx.name('nobody'), ctx.admin(), { amount: '1' }).expect(404);
    expect(unknown.body.code).toBe('DSE-004');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses more than the provider account has, or more than is bonded (DSE-008), and nothing moves', async () => {
    const p = await fundedProver('5');
    await move('stake', p.name, p.key, { amount: '3' }).expect(201);
    const before = await snapshot();
    const tooMuch = await move('stake', p.name, p.key, { amount: '2.000001' }).expect(402);
    expect(tooMuch.body.code).toBe('DSE-008');
    const overUnbond = await move('unstake', p.name, p.key, { amount: '3.000001' }).expect(402);
    expect(overUnbond.body.code).toBe('DSE-008');
    expect(await snapshot()).toEqual(before);
    // Nothing bonded yet: no stake account to unbond from.
    const q = await fundedProver('1');
    const none = await move('unstake', q.name, q.key, { amount: '1' });
    expect(none.status).toBe(404);
    expect(none.body.code).toBe('DSE-011');
  });

  it('refuses a client, another prover and bad input, and nothing moves', async () => {
    const p = await fundedProver('5');
    await move('stake', p.name, p.key, { amount: '2' }).expect(201);
    const other = await fundedProver('5');
    const client = await ctx.fundedClient('5');
    const before = await snapshot();
    for (const what of ['stake', 'unstake'] as const) {
      for (const key of [client.key, other.key]) {
        const res = await move(what, p.name, key, { amount: '1' }).expect(403);
        expect(res.body.code).toBe('DSE-002');
      }
      for (const body of [
        {},
        { amount: '0' },
        { amount: '-1' },
        { amount: 1 },
        { amount: '1.0000001' },
        { amount: '9223372036854.775808' },
        { amount: '1', extra: true },
      ]) {
        const res = await move(what, p.name, p.key, body);
        expect([res.status, res.body.code]).toEqual([400, 'DSE-001']);
      }
      const noKey = await t.http().post(`/v1/provers/${p.name}/${what}`).set(p.key).send({ amount: '1' });
      expect([noKey.status, noKey.body.code]).toEqual([400, 'DSE-001']);
      const badId = await move(what, 'not a prover', ctx.admin(), { amount: '1' });
      expect([badId.status, badId.body.code]).toEqual([400, 'DSE-001']);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('refuses every other movement into or out of a stake account (DSE-001), and nothing moves', async () => {
    const p = await fundedProver('10');
    await move('stake', p.name, p.key, { amount: '5' }).expect(201);
    const unbond = await move('unstake', p.name, p.key, { amount: '1' }).expect(201);
    const holdId = unbond.body.transfer_id;
    const user = ctx.name();
    await ctx.mint('user', user, '10');
    const stake = { account_type: 'stake', account_id: p.name };
    const provider = { account_type: 'provider', account_id: p.name };
    const before = await snapshot();
    const post = (path: string, body: unknown) =>
      t
        .http()
        .post(path)
        .set(ctx.admin())
        .set('Idempotency-Key', randomUUID())
        .send(body as object);
    const refusals = [
      await post('/v1/credits/transfer', { from: stake, to: provider, amount: '1' }),
      await post('/v1/credits/transfer', { from: provider, to: stake, amount: '1' }),
      await post('/v1/credits/transfer', { from: { account_type: 'user', account_id: user }, to: stake, amount: '1' }),
      await post('/v1/credits/transfer', {
        entries: [
          { ...stake, side: 'debit', amount: '1' },
          { account_type: 'user', account_id: user, side: 'credit', amount: '1' },
        ],
      }),
      await post(`/v1/credits/holds/${holdId}/capture`, { amount: '1', to: provider }),
      await post(`/v1/credits/holds/${holdId}/capture`, {
        amount: '1',
        to: { account_type: 'user', account_id: user },
      }),
      await post(`/v1/credits/holds/${holdId}/void`, {}),
    ];
    for (const res of refusals) expect([res.status, res.body.code]).toEqual([400, 'DSE-001']);
    const mint = await post('/v1/credits/mint', { ...stake, amount: '1' });
    expect([mint.status, mint.body.code]).toEqual([400, 'DSE-001']);

    const batch = await ctx
      .batch([
        { kind: 'transfer', id: randomUUID(), from: provider, to: stake, amount: '1' },
        { kind: 'transfer', id: randomUUID(), from: stake, to: provider, amount: '1' },
        { kind: 'capture', id: randomUUID(), hold_id: holdId, amount: '1', to: provider },
        { kind: 'void', id: randomUUID(), hold_id: holdId },
      ])
      .expect(200);
    for (const item of batch.body.items) expect(item).toMatchObject({ status: 'rejected', code: 'DSE-001' });
    // A stake account of someone who never bonded is not left behind by a refused credit.
    const ghost = { account_type: 'stake', account_id: ctx.name('ghost') };
    const res = await post('/v1/credits/transfer', { from: provider, to: ghost, amount: '1' });
    expect([res.status, res.body.code]).toEqual([400, 'DSE-001']);
    expect(await snapshot()).toEqual(before);
    expect(await stakeOf(p.name)).toMatchObject({ bonded_micros: '4000000', unbonding_micros: '1000000' });
  });

  it('never unbonds more than is bonded, however many unstakes race', async () => {
    const p = await fundedProver('10');
    await move('stake', p.name, p.key, { amount: '10' }).expect(201);
    const results = await Promise.all(
      Array.from({ length: 24 }, () => move('unstake', p.name, p.key, { amount: '1.5' })),
    );
    const ok = results.filter((r) => r.status === 201).length;
    expect(ok).toBe(6); // 6 × 1.5 = 9 ≤ 10 < 7 × 1.5
    for (const r of results.filter((r) => r.status !== 201)) expect(r.body.code).toBe('DSE-008');
    expect(await stakeOf(p.name)).toMatchObject({ bonded_micros: '1000000', unbonding_micros: '9000000' });
    expect(await sweep()).toBeGreaterThanOrEqual(6); // and any other test's unbondings
    expect(await stakeOf(p.name)).toMatchObject({ bonded_micros: '1000000', unbonding_micros: '0' });
    expect(await ctx.balance('provider', p.name)).toMatchObject({ posted: '9', available: '9' });
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('keeps balances exact when bonds race unbonds', async () => {
    const p = await fundedProver('20');
    await move('stake', p.name, p.key, { amount: '2' }).expect(201);
    // 8 bonds and 12 unbondings of 1 credit: at most 10 can be unbonded, so 2 or more are refused.
    const kinds = Array.from({ length: 20 }, (_, i) => (i % 5 < 2 ? 'stake' : 'unstake') as 'stake' | 'unstake');
    const results = await Promise.all(kinds.map((what) => move(what, p.name, p.key, { amount: '1' })));
    let bonded = 2_000_000n;
    let unbonding = 0n;
    let refused = 0;
    for (const [i, r] of results.entries()) {
      if (r.status !== 201) {
        expect([kinds[i], r.status, r.body.code]).toEqual(['unstake', 402, 'DSE-008']);
        refused++;
      } else if (kinds[i] === 'stake') bonded += 1_000_000n;
      else {
        bonded -= 1_000_000n;
        unbonding += 1_000_000n;
      }
    }
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(bonded).toBeGreaterThanOrEqual(0n);
    const stake = await stakeOf(p.name);
    expect(stake).toMatchObject({ bonded_micros: String(bonded), unbonding_micros: String(unbonding) });
    const provider = await ctx.balance('provider', p.name);
    expect(microsOf(provider.posted)).toBe(20_000_000n - bonded - unbonding);
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });

  it('leaves a ledger that verifies', async () => {
    expect((await t.app.get(LedgerVerifier).verify()).problems).toEqual([]);
  });
});

describe('prover stake: the unbonding sweep', () => {
  it('runs on the periodic timers, and releases each unbonding once', async () => {
    const t = await startTestApp({ STAKE_UNBONDING_SECONDS: '1' });
    try {
      const ctx = new ProversCtx(t);
      const p = await ctx.registeredProver();
      await ctx.mint('provider', p.name, '3');
      const send = (what: string, amount: string) =>
        t
          .http()
          .post(`/v1/provers/${p.name}/${what}`)
          .set(p.key)
          .set('Idempotency-Key', randomUUID())
          .send({ amount })
          .expect(201);
      await send('stake', '3');
      await send('unstake', '2');
      const deadline = Date.now() + 10_000;
      let stake = (await ctx.getProver(p.name).expect(200)).body.stake;
      while (stake.unbonding_micros !== '0' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        stake = (await ctx.getProver(p.name).expect(200)).body.stake;
      }
      expect(stake).toMatchObject({ bonded_micros: '1000000', unbonding_micros: '0' });
      expect(await ctx.balance('provider', p.name)).toMatchObject({ posted: '2', available: '2' });
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM transfers WHERE kind = 'capture' AND prover_id = $1`,
        [p.name],
      );
      expect(n).toBe(1);
    } finally {
      await t.close();
    }
  });
});

/**
 * Two app instances on one database sweep at once (on the embedded database, one process per
 * data directory: one instance whose sweeps race each other).
 */
describe('prover stake: sweeps racing on two instances', () => {
  const server = Boolean(process.env.DATABASE_URL);
  let db: TestDatabase;
  let apps: TestApp[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    apps.push(await startTestApp({ SCHEDULER_ENABLED: 'false' }, db));
    const second = { SCHEDULER_ENABLED: 'false', TALLY_ADMIN_KEY: apps[0].adminKey };
    apps.push(server ? await startTestApp(second, db) : apps[0]);
  });
  afterAll(async () => {
    for (const app of new Set(apps)) await app.close();
    apps = [];
    await db.drop();
  });

  it('releases each unbonding exactly once', async () => {
    const [t] = apps;
    const ctx = new ProversCtx(t);
    const provers = await Promise.all(Array.from({ length: 4 }, () => ctx.registeredProver()));
    const holds: string[] = [];
    for (const p of provers) {
      await ctx.mint('provider', p.name, '10');
      const send = (what: string, amount: string) =>
        t.http().post(`/v1/provers/${p.name}/${what}`).set(p.key).set('Idempotency-Key', randomUUID()).send({ amount });
      await send('stake', '10').expect(201);
      for (const amount of ['1', '2', '3']) holds.push((await send('unstake', amount).expect(201)).body.transfer_id);
    }
    const now = afterUnbonding();
    const counts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => apps[i % 2].app.get(CommandBus).execute(new ReleaseUnbondedCommand(now))),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(holds.length);
    const captures = await t.dataSource.query(
      `SELECT hold_id::text, count(*)::int AS n FROM transfers WHERE kind = 'capture' GROUP BY hold_id ORDER BY 1`,
    );
    expect(captures).toEqual([...holds].sort().map((hold_id) => ({ hold_id, n: 1 })));
    for (const p of provers) {
      expect(await ctx.balance('provider', p.name)).toMatchObject({ posted: '6', pending: '0', available: '6' });
      expect(await ctx.balance('stake', p.name)).toMatchObject({ posted: '4', pending: '0', available: '4' });
    }
    expect(await ctx.totals()).toEqual({ posted: '0', pending: '0' });
  });
});

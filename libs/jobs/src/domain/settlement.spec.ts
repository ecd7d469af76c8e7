import fc from 'fast-check';
import { decideReplicas, splitReplicaRewards, splitReward } from './settlement';

describe('splitReward', () => {
  it('pays provers cost × (1 − fee) in equal shares and gives the remainder to the platform', () => {
    expect(splitReward(1_000_000n, 1000n, 1)).toEqual({ perProver: 900_000n, platformKeeps: 100_000n });
    expect(splitReward(1_000_001n, 1000n, 3)).toEqual({ perProver: 300_000n, platformKeeps: 100_001n });
    expect(splitReward(7n, 0n, 2)).toEqual({ perProver: 3n, platformKeeps: 1n });
  });

  it('conserves credits and never pays out more than was captured', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 62n }),
        fc.bigInt({ min: 0n, max: 10_000n }),
        fc.integer({ min: 1, max: 7 }),
        (cost, fee, n) => {
          const { perProver, platformKeeps } = splitReward(cost, fee, n);
          return perProver >= 0n && platformKeeps >= 0n && perProver * BigInt(n) + platformKeeps === cost;
        },
      ),
    );
  });
});

describe('splitReplicaRewards', () => {
  const terms = (feeBps: bigint, baseShareBps: bigint) => ({ feeBps, baseShareBps });

  it('pays every reporter the base and the majority its bonus on top, the remainders to the platform', () => {
    // The worked example of docs/economics.md: pool ⌊1 234 567 × 95 %⌋ = 1 172 838; base pool
    // ⌊30 %⌋ = 351 851 → 117 283 each of 3 (2 left); bonus 820 987 → 410 493 each of 2 (1 left).
    expect(splitReplicaRewards(1_234_567n, terms(500n, 3000n), ['a', 'b'], ['c'])).toEqual({
      pool: 1_172_838n,
      base: 117_283n,
      bonus: 410_493n,
      rewards: [
        { proverId: 'a', amount: 527_776n },
        { proverId: 'b', amount: 527_776n },
        { proverId: 'c', amount: 117_283n },
      ],
      platformKeeps: 61_732n,
    });
    // Without remainders: pool 950 000; base 285 000 → 95 000 each; bonus 665 000 → 332 500 each.
    expect(splitReplicaRewards(1_000_000n, terms(500n, 3000n), ['a', 'b'], ['c']).platformKeeps).toBe(50_000n);
    // 1 000 001 × 90 % = 900 000 (0.9 rounded down); base 10 % = 90 000 → 30 000 each;
    // bonus 810 000 → 405 000 each of 2; nothing left over but the fee and its rounding.
    expect(splitReplicaRewards(1_000_001n, terms(1000n, 1000n), ['a', 'b'], ['c']).platformKeeps).toBe(100_001n);
    // Every division rounds down: pool 10, base 3 → 1 each of 2 (1 left), bonus 7 → 7.
    expect(splitReplicaRewards(10n, terms(0n, 3000n), ['a'], ['b'])).toMatchObject({
      base: 1n,
      bonus: 7n,
      platformKeeps: 1n,
    });
  });

  it('gives the majority the whole pool when the base share is 0, and every reporter an equal part at 10000', () => {
    expect(splitReplicaRewards(900n, terms(0n, 0n), ['a', 'b'], ['c']).rewards.map((r) => r.amount)).toEqual([
      450n,
      450n,
      0n,
    ]);
    expect(splitReplicaRewards(900n, terms(0n, 10_000n), ['a', 'b'], ['c']).rewards.map((r) => r.amount)).toEqual([
      300n,
      300n,
      300n,
    ]);
  });

  it('refuses terms out of range, an empty majority and a prover counted twice', () => {
    expect(() => splitReplicaRewards(1n, terms(10_001n, 0n), ['a'], [])).toThrow(RangeError);
    expect(() => splitReplicaRewards(1n, terms(0n, -1n), ['a'], [])).toThrow(RangeError);
    expect(() => splitReplicaRewards(-1n, terms(0n, 0n), ['a'], [])).toThrow(RangeError);
    expect(() => splitReplicaRewards(1n, terms(0n, 0n), [], ['a'])).toThrow(RangeError);
    expect(() => splitReplicaRewards(1n, terms(0n, 0n), ['a'], ['a'])).toThrow(RangeError);
  });

  const inputs = fc.record({
    cost: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    fee: fc.bigInt({ min: 0n, max: 10_000n }),
    baseShare: fc.bigInt({ min: 0n, max: 10_000n }),
    majority: fc.integer({ min: 1, max: 7 }),
    dissenters: fc.integer({ min: 0, max: 6 }),
  });
  const provers = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  it('conserves credits, rounds every share down and pays a majority replica at least a dissenter', () => {
    fc.assert(
      fc.property(inputs, ({ cost, fee, baseShare, majority, dissenters }) => {
        const split = splitReplicaRewards(
          cost,
          terms(fee, baseShare),
          provers('m', majority),
          provers('d', dissenters),
        );
        const paid = split.rewards.reduce((sum, r) => sum + r.amount, 0n);
        const reporters = BigInt(majority + dissenters);
        // Each amount is the largest whole micro within its exact share (rounded down, never up).
        const pool = (cost * (10_000n - fee)) / 10_000n;
        const basePool = (pool * baseShare) / 10_000n;
        return (
          paid + split.platformKeeps === cost &&
          split.platformKeeps >= 0n &&
          split.pool === pool &&
          split.pool * 10_000n <= cost * (10_000n - fee) &&
          (split.pool + 1n) * 10_000n > cost * (10_000n - fee) &&
          split.base * reporters <= basePool &&
          (split.base + 1n) * reporters > basePool &&
          split.bonus * BigInt(majority) <= pool - basePool &&
          (split.bonus + 1n) * BigInt(majority) > pool - basePool &&
          // The platform keeps at least its fee, and less than fee + one micro per division's share.
          split.platformKeeps >= cost - pool &&
          split.platformKeeps < cost - pool + reporters + BigInt(majority) &&
          split.rewards.every((r) => r.amount >= 0n) &&
          split.rewards.slice(0, majority).every((r) => r.amount === split.base + split.bonus) &&
          split.rewards.slice(majority).every((r) => r.amount === split.base)
        );
      }),
    );
  });

  it('with a base share of 0 is exactly the old split: the majority shares the pool, dissenters get nothing', () => {
    fc.assert(
      fc.property(inputs, ({ cost, fee, majority, dissenters }) => {
        const old = splitReward(cost, fee, majority);
        const split = splitReplicaRewards(cost, terms(fee, 0n), provers('m', majority), provers('d', dissenters));
        return (
          split.platformKeeps === old.platformKeeps &&
          split.base === 0n &&
          split.rewards.every((r, i) => r.amount === (i < majority ? old.perProver : 0n))
        );
      }),
    );
  });
});

describe('decideReplicas', () => {
  const ok = (proverId: string, hash: string, cost: bigint) => ({
    proverId,
    success: true,
    resultHash: hash,
    finalCostMicros: cost,
  });
  const fail = (proverId: string) => ({ proverId, success: false, resultHash: null, finalCostMicros: null });

  it('completes on a strict majority with the same hash, at the median cost', () => {
    expect(decideReplicas(3, [ok('a', 'h', 30n), ok('b', 'h', 10n)])).toEqual({
      kind: 'completed',
      majority: ['a', 'b'],
      dissenters: [],
      finalCostMicros: 10n,
    });
    expect(decideReplicas(3, [ok('a', 'h', 30n), ok('b', 'x', 10n), ok('c', 'h', 20n)])).toMatchObject({
      kind: 'completed',
      majority: ['a', 'c'],
      dissenters: ['b'],
      finalCostMicros: 20n,
    });
  });

  it('waits while a majority is still possible and fails once it is not', () => {
    expect(decideReplicas(3, [ok('a', 'h', 1n)])).toEqual({ kind: 'waiting' });
    expect(decideReplicas(3, [ok('a', 'h', 1n), fail('b')])).toEqual({ kind: 'waiting' });
    expect(decideReplicas(3, [ok('a', 'h', 1n), ok('b', 'x', 1n), fail('c')])).toMatchObject({ kind: 'failed' });
    expect(decideReplicas(2, [ok('a', 'h', 1n), ok('b', 'x', 1n)])).toMatchObject({ kind: 'failed' });
  });

  it('never completes without a strict majority, whatever the reports', () => {
    const report = fc.record({
      success: fc.boolean(),
      resultHash: fc.constantFrom('h1', 'h2', null),
      finalCostMicros: fc.bigInt({ min: 1n, max: 1000n }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 7 }).chain((n) => fc.tuple(fc.constant(n), fc.array(report, { maxLength: n }))),
        ([n, rs]) => {
          const reports = rs.map((r, i) => ({ ...r, proverId: `p${i}` }));
          const d = decideReplicas(n, reports);
          if (d.kind !== 'completed') return true;
          return d.majority.length * 2 > n;
        },
      ),
    );
  });
});

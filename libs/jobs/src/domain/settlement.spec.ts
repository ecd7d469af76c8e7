import fc from 'fast-check';
import { decideReplicas, splitReward } from './settlement';

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

import fc from 'fast-check';
import { DomainError, ErrorCode, formatMicros, INT64_MAX } from '@tally/shared';
import { estimateCostMicros } from './estimate-cost';
import type { PriceSchedule } from './service-schedule';

const M = 1_000_000n;

const schedule = (price: string, sizeFactor: string, minimum = '0'): PriceSchedule => ({
  pricePerUnitMicros: micros(price),
  sizeFactor,
  minimumChargeMicros: micros(minimum),
});

function micros(credits: string): bigint {
  const [w, f = ''] = credits.split('.');
  return BigInt(w) * M + BigInt(f.padEnd(6, '0'));
}

/** The exact answer in integers: every decimal scaled by 10^6, the quotient rounded up. */
function oracle(units: bigint, replicas: bigint, s: PriceSchedule): bigint {
  const scale = M * M; // units and factor each carry 10^6
  const usage = s.pricePerUnitMicros * units * micros(s.sizeFactor);
  const perReplica = usage > s.minimumChargeMicros * scale ? usage : s.minimumChargeMicros * scale;
  const total = perReplica * replicas;
  return (total + scale - 1n) / scale;
}

/** Decimal amounts as micros: mostly everyday sizes, sometimes the extremes. */
const smallOrHuge = (max: bigint) =>
  fc.oneof(fc.bigInt({ min: 1n, max: 100n * M }), fc.bigInt({ min: 1n, max: 1_000n }), fc.bigInt({ min: 1n, max }));
const priceMicros = smallOrHuge(INT64_MAX);
const minimumMicros = fc.oneof(fc.constant(0n), smallOrHuge(INT64_MAX));
/** Up to 18 integer and 6 fractional digits, > 0, as micros. */
const decimalMicros = smallOrHuge(10n ** 24n - 1n);
const replicas = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }));
const scheduleArb = fc
  .record({ price: priceMicros, factor: decimalMicros, minimum: minimumMicros })
  .map(({ price, factor, minimum }) => ({
    pricePerUnitMicros: price,
    sizeFactor: formatMicros(factor),
    minimumChargeMicros: minimum,
  }));

function dse001(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    return e instanceof DomainError && e.code === ErrorCode.InvalidRequest;
  }
}

describe('estimateCostMicros', () => {
  it('is exact on hand-computed examples', () => {
    // 0.25 × 10 × 1.5 = 3.75 credits
    expect(estimateCostMicros({ units: '10', replicas: 1, schedule: schedule('0.25', '1.5') })).toBe(3_750_000n);
    expect(estimateCostMicros({ units: '10', replicas: 3, schedule: schedule('0.25', '1.5') })).toBe(11_250_000n);
    // below the minimum of 5 credits: the minimum, per replica
    expect(estimateCostMicros({ units: '10', replicas: 2, schedule: schedule('0.25', '1.5', '5') })).toBe(10_000_000n);
    // 0.1 × 0.1 × 0.1 = 0.001 exactly (binary floating point says 0.0010000000000000002)
    expect(estimateCostMicros({ units: '0.1', replicas: 1, schedule: schedule('0.1', '0.1') })).toBe(1_000n);
    // 0.333333 × 3 = 0.999999, no rounding needed
    expect(estimateCostMicros({ units: '3', replicas: 1, schedule: schedule('0.333333', '1') })).toBe(999_999n);
    // 3600 GPU-seconds at 0.000125 with a 2.5× size factor on 4 replicas = 4.5 credits
    expect(estimateCostMicros({ units: '3600', replicas: 4, schedule: schedule('0.000125', '2.5', '0.5') })).toBe(
      4_500_000n,
    );
    // trailing zeros are the same number
    expect(estimateCostMicros({ units: '1.500000', replicas: 1n, schedule: schedule('2', '1.0') })).toBe(3_000_000n);
  });

  it('rounds up to the next whole micro, once, after multiplying by replicas', () => {
    // half a micro is charged as one
    expect(estimateCostMicros({ units: '0.5', replicas: 1, schedule: schedule('0.000001', '1') })).toBe(1n);
    // 10^-12 of a micro is still one micro
    expect(estimateCostMicros({ units: '0.000001', replicas: 1, schedule: schedule('0.000001', '0.000001') })).toBe(1n);
    // 1.5 micros × 2 replicas = 3 micros, not 2 × ceil(1.5) = 4
    expect(estimateCostMicros({ units: '1.5', replicas: 2, schedule: schedule('0.000001', '1') })).toBe(3n);
    // 1/3 of a credit each: 0.333333 × 1.000001 = 0.333333333333 → 333334 micros
    expect(estimateCostMicros({ units: '1.000001', replicas: 1, schedule: schedule('0.333333', '1') })).toBe(333_334n);
  });

  it('stays exact beyond int64 (the caller refuses what exceeds its ceiling)', () => {
    const max = { pricePerUnitMicros: INT64_MAX, sizeFactor: '1', minimumChargeMicros: 0n };
    expect(estimateCostMicros({ units: '1', replicas: 2, schedule: max })).toBe(2n * INT64_MAX);
    const huge = { pricePerUnitMicros: INT64_MAX, sizeFactor: '999999999999999999.999999', minimumChargeMicros: 0n };
    const units = '999999999999999999.999999';
    const r = Number.MAX_SAFE_INTEGER;
    expect(estimateCostMicros({ units, replicas: r, schedule: huge })).toBe(oracle(micros(units), BigInt(r), huge));
  });

  it('equals the exact integer computation, rounded up, for any valid input', () => {
    fc.assert(
      fc.property(decimalMicros, replicas, scheduleArb, (u, r, s) => {
        expect(estimateCostMicros({ units: formatMicros(u), replicas: r, schedule: s })).toBe(oracle(u, BigInt(r), s));
      }),
      { numRuns: 500 },
    );
  });

  it('never undercharges, by less than one micro', () => {
    fc.assert(
      fc.property(decimalMicros, replicas, scheduleArb, (u, r, s) => {
        const cost = estimateCostMicros({ units: formatMicros(u), replicas: r, schedule: s });
        // exact cost = (max(min·10^12, price·U·F) · replicas) / 10^12, with U and F in millionths
        const scale = M * M;
        const usage = s.pricePerUnitMicros * u * micros(s.sizeFactor);
        const minimum = s.minimumChargeMicros * scale;
        const exact = (usage > minimum ? usage : minimum) * BigInt(r);
        expect(cost * scale >= exact).toBe(true);
        expect((cost - 1n) * scale < exact).toBe(true);
      }),
    );
  });

  it('is monotonic in units', () => {
    fc.assert(
      fc.property(decimalMicros, decimalMicros, replicas, scheduleArb, (a, b, r, s) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const costLo = estimateCostMicros({ units: formatMicros(lo), replicas: r, schedule: s });
        const costHi = estimateCostMicros({ units: formatMicros(hi), replicas: r, schedule: s });
        expect(costLo <= costHi).toBe(true);
      }),
    );
  });

  it('is monotonic in replicas', () => {
    fc.assert(
      fc.property(decimalMicros, replicas, replicas, scheduleArb, (u, a, b, s) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        const units = formatMicros(u);
        const costLo = estimateCostMicros({ units, replicas: lo, schedule: s });
        const costHi = estimateCostMicros({ units, replicas: hi, schedule: s });
        expect(costLo <= costHi).toBe(true);
      }),
    );
  });

  it('charges at least the minimum per replica, and always something', () => {
    fc.assert(
      fc.property(decimalMicros, replicas, scheduleArb, (u, r, s) => {
        const cost = estimateCostMicros({ units: formatMicros(u), replicas: r, schedule: s });
        expect(cost >= s.minimumChargeMicros * BigInt(r)).toBe(true);
        expect(cost > 0n).toBe(true);
      }),
    );
  });

  it('refuses units and replicas it cannot price exactly (DSE-001), never rounding them', () => {
    const s = schedule('1', '1');
    for (const units of [
      '0',
      '0.000000',
      '-1',
      '1.0000001',
      '1e3',
      '.5',
      '5.',
      ' 1',
      '',
      'NaN',
      '1000000000000000000',
    ]) {
      expect(dse001(() => estimateCostMicros({ units, replicas: 1, schedule: s }))).toBe(true);
    }
    expect(dse001(() => estimateCostMicros({ units: 1 as unknown as string, replicas: 1, schedule: s }))).toBe(true);
    for (const r of [0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, 0n, -2n, 2n ** 60n]) {
      expect(dse001(() => estimateCostMicros({ units: '1', replicas: r, schedule: s }))).toBe(true);
    }
  });
});

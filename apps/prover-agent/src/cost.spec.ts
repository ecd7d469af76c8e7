import fc from 'fast-check';
import { estimateCostMicros } from '@tally/services';
import { formatMicros } from '@tally/shared';
import { costOf, measuredUnits, meteredCost, priceMicros, resultOf, timeUnitMs } from './cost';

const micros = fc.bigInt({ min: 0n, max: 10n ** 12n });
const decimal = fc
  .tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 999_999 }))
  .filter(([w, f]) => w > 0 || f > 0)
  .map(([w, f]) => `${w}.${String(f).padStart(6, '0')}`);

describe('the agent prices a job as the registry estimates one', () => {
  it('priceMicros equals estimateCostMicros for any schedule, units and replicas', () => {
    fc.assert(
      fc.property(
        micros,
        micros,
        decimal,
        decimal,
        fc.integer({ min: 1, max: 7 }),
        (price, minimum, size, units, r) => {
          const estimate = estimateCostMicros({
            units,
            replicas: r,
            schedule: { pricePerUnitMicros: price, sizeFactor: size, minimumChargeMicros: minimum },
          });
          const service = {
            price_per_unit: formatMicros(price),
            minimum_charge: formatMicros(minimum),
            size_factor: size,
            unit: 'second',
          };
          return priceMicros(service, units, r) === estimate;
        },
      ),
    );
  });
});

describe('costOf', () => {
  const job = { max_cost_micros: '1000000', replicas: 1, units: null };
  const perSecond = { price_per_unit: '0.1', unit: 'gpu_second', size_factor: '1', minimum_charge: '0.01' };

  it("takes the command's last line TALLY_COST_MICROS=<n>, within the ceiling and at least 1", () => {
    expect(costOf(job, 'out\nTALLY_COST_MICROS=300000\n', 5, null)).toEqual({ micros: 300000n, basis: 'metered' });
    expect(costOf(job, 'TALLY_COST_MICROS=9000000', 5, null).micros).toBe(1000000n);
    expect(costOf(job, 'TALLY_COST_MICROS=0', 5, null).micros).toBe(1n);
    // Only the last line meters: an earlier one is output.
    expect(meteredCost('TALLY_COST_MICROS=5\nmore')).toBeNull();
  });

  it('prices a service by time from the time the command ran, capped at the held price of the declared units', () => {
    const timed = { ...job, units: '5' };
    expect(costOf(timed, 'ok\n', 1234, perSecond)).toEqual({ micros: 123400n, basis: '1.234 gpu_second' });
    expect(costOf(timed, 'ok\n', 60_000, perSecond).micros).toBe(500000n); // 5 s held
    expect(costOf(timed, 'ok\n', 1, perSecond).micros).toBe(10000n); // the minimum charge
  });

  it('without a metered figure: the declared units of a service not priced by time, else the ceiling', () => {
    const byProof = { ...perSecond, unit: 'proof' };
    expect(costOf({ ...job, units: '3' }, '', 99, byProof)).toEqual({ micros: 300000n, basis: '3 proof' });
    expect(costOf(job, '', 99, null)).toEqual({ micros: 1000000n, basis: 'max_cost_micros' });
  });

  it('knows the units that price by time', () => {
    expect(['second', 'gpu_second', 'cpu_hours', 'minute', 'millisecond'].map(timeUnitMs)).toEqual([
      1000, 1000, 3_600_000, 60_000, 1,
    ]);
    expect(['proof', 'gpu', 'seconds_x', 'byte'].map(timeUnitMs)).toEqual([null, null, null, null]);
    expect(measuredUnits(1, 3_600_000)).toBe('0.000001');
  });

  it('hashes the result without its metering line', () => {
    expect(resultOf('a\nb\nTALLY_COST_MICROS=7\n')).toBe('a\nb\n');
    expect(resultOf('a\nb\n')).toBe('a\nb\n');
  });
});

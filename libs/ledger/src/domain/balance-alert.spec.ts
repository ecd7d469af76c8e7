import { armedAtCreation, followAlert } from './balance-alert';

const steps = (...available: bigint[]) => available.map((a, i) => ({ transferId: `t${i}`, available: a }));

describe('balance alerts', () => {
  it('fires once on crossing below, not on further steps below, and again after crossing back', () => {
    const alert = { id: 'a', direction: 'below' as const, threshold: 10n, armed: true };
    const { armed, fired } = followAlert(alert, steps(15n, 9n, 5n, 10n, 3n));
    expect(fired.map((f) => f.transferId)).toEqual(['t1', 't4']);
    expect(armed).toBe(false);
  });

  it('an above alert fires on rising past its threshold (equal is not past)', () => {
    const alert = { id: 'a', direction: 'above' as const, threshold: 100n, armed: true };
    expect(followAlert(alert, steps(100n)).fired).toEqual([]);
    expect(followAlert(alert, steps(101n, 200n)).fired.map((f) => f.transferId)).toEqual(['t0']);
  });

  it('a disarmed alert re-arms on the near side without firing', () => {
    const alert = { id: 'a', direction: 'below' as const, threshold: 10n, armed: false };
    expect(followAlert(alert, steps(4n))).toEqual({ armed: false, fired: [] });
    expect(followAlert(alert, steps(12n))).toEqual({ armed: true, fired: [] });
  });

  it('an alert made past its threshold starts disarmed', () => {
    expect(armedAtCreation('below', 10n, 5n)).toBe(false);
    expect(armedAtCreation('below', 10n, 10n)).toBe(true);
    expect(armedAtCreation('above', 10n, 11n)).toBe(false);
  });
});

import { moneySeries } from './business-metrics';

describe('moneySeries', () => {
  it('writes money samples as exact decimal credits, from their micros', () => {
    const text = moneySeries('tally_x_credits', 'what it is', 'gauge', [
      ['{kind="mint"}', 1_500_000n],
      ['{kind="spend"}', 1n],
      ['{kind="refund"}', -2_000_000n],
      // Past 2^53 micros a JS number would lose micros; the text keeps every one.
      ['{kind="transfer"}', 9_007_199_254_740_993n],
    ]);
    expect(text.split('\n')).toEqual([
      '# HELP tally_x_credits what it is',
      '# TYPE tally_x_credits gauge',
      'tally_x_credits{kind="mint"} 1.5',
      'tally_x_credits{kind="spend"} 0.000001',
      'tally_x_credits{kind="refund"} -2',
      'tally_x_credits{kind="transfer"} 9007199254.740993',
      '',
    ]);
  });
});

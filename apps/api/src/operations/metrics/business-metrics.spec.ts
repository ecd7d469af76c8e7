import { creditsFloat } from './business-metrics';

describe('creditsFloat', () => {
  it('turns exact micros into the nearest float of credits, only at the metric boundary', () => {
    expect(creditsFloat(1_500_000n)).toBe(1.5);
    expect(creditsFloat('1')).toBe(0.000001);
    expect(creditsFloat('-2000000')).toBe(-2);
    // Past 2^53 micros a sum would lose micros as a number; the exact string keeps them until here.
    expect(creditsFloat('9007199254740993')).toBe(9007199254.740993);
  });
});

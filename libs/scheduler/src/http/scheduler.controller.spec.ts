import { MIN_WEIGHT } from '../domain';
import { presentWeight } from './scheduler.controller';

describe('presentWeight: placement weights as decimal strings, like scores', () => {
  it.each([
    [1.9174079000000002, '1.917408'],
    [MIN_WEIGHT, '0.000001'],
    [2, '2'],
    [100, '100'],
    [1.5, '1.5'],
    [0.1 + 0.2, '0.3'],
    [1999999.999998, '1999999.999998'],
  ])('%p → %s', (weight, shown) => {
    expect(presentWeight(weight)).toBe(shown);
  });
});

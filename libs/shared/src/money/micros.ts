// No imports: the SDK bundles this file as it is (packages/sdk), so it must stay pure.

/** 1 credit = 1,000,000 micro-credits; every amount is stored and computed in micros. */
export const MICROS_PER_CREDIT = 1_000_000n;

/** Formats micros as the shortest exact decimal string: 97500000n → "97.5", -1n → "-0.000001". */
export function formatMicros(micros: bigint): string {
  const negative = micros < 0n;
  const abs = negative ? -micros : micros;
  const whole = abs / MICROS_PER_CREDIT;
  const fraction = (abs % MICROS_PER_CREDIT).toString().padStart(6, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

import { formatMicros, MICROS_PER_CREDIT } from '../../../libs/shared/src/money/micros';

const DECIMAL = /^(-)?(0|[1-9]\d*)(?:\.(\d+))?$/;

/**
 * Credits as a decimal string ("1.5", "-0.000001") to bigint micros (1500000n). More than 6
 * fractional digits is a RangeError: an amount is never rounded. Money is never a JS number.
 */
export function toMicros(credits: string): bigint {
  const match = DECIMAL.exec(credits);
  if (!match) throw new RangeError(`not a decimal amount: ${JSON.stringify(credits)}`);
  const [, minus, whole, fraction = ''] = match;
  if (fraction.length > 6) throw new RangeError(`more than 6 decimal places: ${credits}`);
  const micros = BigInt(whole) * MICROS_PER_CREDIT + BigInt(fraction.padEnd(6, '0'));
  return minus ? -micros : micros;
}

/** bigint micros to the shortest exact decimal string of credits: 1500000n → "1.5". */
export function fromMicros(micros: bigint): string {
  return formatMicros(micros);
}

export { MICROS_PER_CREDIT };

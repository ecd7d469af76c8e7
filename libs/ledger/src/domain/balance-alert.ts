/**
 * Balance alerts: a threshold on an account's available balance that fires once when the
 * balance crosses it, and re-arms when the balance crosses back (docs/events.md, Balance alerts).
 */
export const ALERT_DIRECTIONS = ['below', 'above'] as const;
export type AlertDirection = (typeof ALERT_DIRECTIONS)[number];

/** At most this many alerts per account: each one is evaluated inside the account's postings. */
export const MAX_ALERTS_PER_ACCOUNT = 10;

export interface BalanceAlertState {
  id: string;
  direction: AlertDirection;
  threshold: bigint;
  /** Ready to fire: the balance was on the near side of the threshold when last seen. */
  armed: boolean;
}

/** A balance an account passed through: its available balance after one transfer. */
export interface BalanceStep {
  transferId: string;
  available: bigint;
}

/** Whether `available` is past the threshold: strictly below it, or strictly above it. */
export function isPastThreshold(direction: AlertDirection, threshold: bigint, available: bigint): boolean {
  return direction === 'below' ? available < threshold : available > threshold;
}

/**
 * An alert made while the balance is already past its threshold starts disarmed: it fires on
 * a crossing, never on the state it was made in.
 */
export function armedAtCreation(direction: AlertDirection, threshold: bigint, available: bigint): boolean {
  return !isPastThreshold(direction, threshold, available);
}

/**
 * Follows an alert along the balances an account passed through, in order: it fires on the
 * step that takes an armed alert past the threshold (and disarms), and re-arms on a step
 * back. Further steps past the threshold fire nothing.
 */
export function followAlert(
  alert: BalanceAlertState,
  steps: readonly BalanceStep[],
): { armed: boolean; fired: BalanceStep[] } {
  let armed = alert.armed;
  const fired: BalanceStep[] = [];
  for (const step of steps) {
    const past = isPastThreshold(alert.direction, alert.threshold, step.available);
    if (past && armed) fired.push(step);
    armed = !past;
  }
  return { armed, fired };
}

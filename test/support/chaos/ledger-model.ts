/** An account as the API names it. */
export interface AccountName {
  type: 'user' | 'provider' | 'platform' | 'escrow' | 'issuance';
  id: string;
}

/** What the API shows of a balance, in micros. */
export interface ModelBalance {
  posted: bigint;
  pending: bigint;
  available: bigint;
  incoming: bigint;
}

export const PLATFORM: AccountName = { type: 'platform', id: 'main' };
export const ESCROW: AccountName = { type: 'escrow', id: 'main' };
export const ISSUANCE: AccountName = { type: 'issuance', id: 'main' };

/**
 * Decimal credits ("-12.5", "0.000001") to micros, written here rather than taken from the
 * app, so a model compared with the API does not share the app's arithmetic.
 */
export function microsOf(credits: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(credits);
  if (!match) throw new Error(`not a credits amount: ${JSON.stringify(credits)}`);
  const micros = BigInt(match[2]) * 1_000_000n + BigInt((match[3] ?? '').padEnd(6, '0'));
  return match[1] ? -micros : micros;
}

/** Micros to the decimal credits the API takes ("2.5", "0.000001"). */
export function creditsOf(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${abs / 1_000_000n}${fraction ? `.${fraction}` : ''}`;
}

const keyOf = (a: AccountName) => `${a.type}/${a.id}`;

/**
 * The balances a fault test expects, kept in bigint micros from the answers it was given:
 * each acknowledged (or replayed) posting is applied once, as the ledger's double entry
 * would, so after any number of crashes every account must equal its model to the micro.
 */
export class LedgerModel {
  private readonly accounts = new Map<
    string,
    { name: AccountName; posted: bigint; pending: bigint; incoming: bigint }
  >();

  constructor() {
    for (const a of [PLATFORM, ESCROW, ISSUANCE]) this.account(a);
  }

  private account(name: AccountName) {
    const key = keyOf(name);
    let a = this.accounts.get(key);
    if (!a) this.accounts.set(key, (a = { name, posted: 0n, pending: 0n, incoming: 0n }));
    return a;
  }

  /** A posted movement: from's posted balance down, to's up. */
  move(from: AccountName, to: AccountName, micros: bigint): void {
    this.account(from).posted -= micros;
    this.account(to).posted += micros;
  }

  mint(to: AccountName, micros: bigint): void {
    this.move(ISSUANCE, to, micros);
  }

  /** A hold into escrow: pending on the held account, incoming on escrow. */
  hold(from: AccountName, micros: bigint): void {
    this.account(from).pending += micros;
    this.account(ESCROW).incoming += micros;
  }

  /** A hold resolved: all of it released, `captured` of it posted from the held account to `to`. */
  resolveHold(from: AccountName, held: bigint, captured: bigint, to: AccountName = PLATFORM): void {
    this.account(from).pending -= held;
    this.account(ESCROW).incoming -= held;
    if (captured > 0n) this.move(from, to, captured);
  }

  names(): AccountName[] {
    return [...this.accounts.values()].map((a) => a.name);
  }

  balance(name: AccountName): ModelBalance {
    const a = this.account(name);
    return { posted: a.posted, pending: a.pending, available: a.posted - a.pending, incoming: a.incoming };
  }
}

/**
 * A reference model of POST /v1/credits/transfers/batch, written from its contract and
 * independent of the ledger's code: it applies a batch's items one by one, in bigint micros,
 * and says what each item's outcome is and what every balance becomes.
 *
 * What the contract leaves open, taken as the route does it (and kept here on purpose):
 * - a replayed item (same id, same body) answers its earlier outcome and takes no part in
 *   its chain's decision: its chain-mates are decided on their own;
 * - an item refused as invalid before any posting is not remembered (its id stays free).
 */

export interface AccountRefBody {
  account_type: string;
  account_id: string;
}

/** An item as sent (the fields this model reads). */
export interface BatchItem {
  id: string;
  kind: 'mint' | 'transfer' | 'hold' | 'capture' | 'void';
  amount?: string;
  account_type?: string;
  account_id?: string;
  from?: AccountRefBody;
  to?: AccountRefBody;
  hold_id?: string;
  linked?: boolean;
  memo?: string;
}

export interface ModelOutcome {
  status: 'ok' | 'rejected';
  code?: string;
  reason?: string;
  replayed: boolean;
  /** For linked_event_failed: why the chain failed (the failing item's reason, or DSE-001 if it was invalid). */
  cause?: string;
}

interface Balance {
  posted: bigint;
  /** Held: debits pending. */
  pending: bigint;
}

interface Hold {
  from: string;
  amount: bigint;
  status: 'pending' | 'captured' | 'voided';
}

interface State {
  accounts: Map<string, Balance>;
  holds: Map<string, Hold>;
  /** The platform account's change since the model started (captures go there by default). */
  platform: bigint;
}

type Refusal = { code: string; reason: string };

const MICROS = 1_000_000n;
/** A decimal string of credits ("12.5") as micros; null when it is not a valid amount above zero. */
export function micros(amount: string | undefined): bigint | null {
  const m = /^(0|[1-9]\d*)(?:\.(\d{1,6}))?$/.exec(amount ?? '');
  if (!m) return null;
  const v = BigInt(m[1]) * MICROS + BigInt((m[2] ?? '').padEnd(6, '0'));
  return v > 0n ? v : null;
}

/** Micros as the API writes credits: "12.5", "0.000001", "-3". */
export function creditsOf(v: bigint): string {
  const sign = v < 0n ? '-' : '';
  const a = v < 0n ? -v : v;
  const frac = (a % MICROS).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${a / MICROS}${frac ? `.${frac}` : ''}`;
}

/** `kind/owner`; "prover" is the API's other name for a provider account. */
export const refKey = (r: AccountRefBody) =>
  `${r.account_type === 'prover' ? 'provider' : r.account_type}/${r.account_id}`;
/** Accounts a credit creates when they do not exist yet. */
const createdOnCredit = (key: string) => key.startsWith('user/') || key.startsWith('provider/');

const rejected = (code: string, reason: string, extra: Partial<ModelOutcome> = {}): ModelOutcome => ({
  status: 'rejected',
  code,
  reason,
  replayed: false,
  ...extra,
});
const CONFLICT = rejected('DSE-009', 'id-reused');

export class BatchModel {
  private state: State = { accounts: new Map(), holds: new Map(), platform: 0n };
  /** Every id the ledger remembers: its body (as sent) and its outcome. */
  private readonly seen = new Map<string, { body: string; outcome: ModelOutcome }>();

  /** Accounts that exist before the model starts (funded by the test), with their posted balance. */
  open(key: string, posted: bigint): void {
    this.state.accounts.set(key, { posted, pending: 0n });
  }

  balance(key: string): Balance | undefined {
    const b = this.state.accounts.get(key);
    return b && { ...b };
  }

  get platformChange(): bigint {
    return this.state.platform;
  }

  apply(items: BatchItem[]): ModelOutcome[] {
    const out: ModelOutcome[] = new Array(items.length);
    const bodies = items.map((i) => JSON.stringify(i));
    // An id repeated within the batch answers as the first (reaching the ledger) answered, at the end.
    const firstInBatch = new Map<string, number>();
    const repeats = new Map<number, number>();
    for (const run of runs(items)) {
      const invalid = run.indexes.find((i) => !valid(items[i]));
      if (invalid !== undefined) {
        // Refused before the ledger sees any of the chain: nothing of it is remembered.
        for (const i of run.indexes) {
          out[i] = !valid(items[i])
            ? rejected('DSE-001', 'invalid')
            : run.open
              ? rejected('DSE-001', 'linked_event_chain_open')
              : rejected('DSE-010', 'linked_event_failed', { cause: 'DSE-001' });
        }
        continue;
      }
      const fresh: number[] = [];
      let conflict = false;
      for (const i of run.indexes) {
        const { id } = items[i];
        const earlier = this.seen.get(id);
        const first = firstInBatch.get(id);
        if (earlier || first !== undefined) {
          const same = earlier ? earlier.body === bodies[i] : bodies[first!] === bodies[i];
          if (!same) {
            out[i] = CONFLICT;
            conflict = true;
          } else if (earlier) out[i] = { ...earlier.outcome, replayed: true };
          else repeats.set(i, first!);
          continue;
        }
        firstInBatch.set(id, i);
        fresh.push(i);
      }
      const settle = (i: number, o: ModelOutcome) => {
        out[i] = o;
        this.seen.set(items[i].id, { body: bodies[i], outcome: o });
      };
      if (run.open) {
        fresh.forEach((i) => settle(i, rejected('DSE-001', 'linked_event_chain_open')));
        continue;
      }
      // A chain posts whole or not at all: a member whose id is taken by another body fails it.
      if (conflict) {
        fresh.forEach((i) => settle(i, rejected('DSE-010', 'linked_event_failed', { cause: 'id-already-used' })));
        continue;
      }
      const trial = cloneState(this.state);
      let failed: { at: number; why: Refusal } | undefined;
      for (const i of fresh) {
        const why = decide(items[i], trial);
        if (why) {
          failed = { at: i, why };
          break;
        }
      }
      if (!failed) {
        this.state = trial;
        fresh.forEach((i) => settle(i, { status: 'ok', replayed: false }));
      } else {
        for (const i of fresh) {
          settle(
            i,
            i === failed.at
              ? rejected(failed.why.code, failed.why.reason)
              : rejected('DSE-010', 'linked_event_failed', { cause: failed.why.reason }),
          );
        }
      }
    }
    for (const [i, first] of repeats) out[i] = { ...out[first], replayed: true };
    return out;
  }
}

function runs(items: BatchItem[]): { indexes: number[]; open: boolean }[] {
  const all: { indexes: number[]; open: boolean }[] = [];
  let current: number[] = [];
  items.forEach((item, i) => {
    current.push(i);
    if (item.linked !== true) {
      all.push({ indexes: current, open: false });
      current = [];
    }
  });
  if (current.length > 0) all.push({ indexes: current, open: true });
  return all;
}

/** The only invalid items the tests send: an amount that is not above zero. */
const valid = (item: BatchItem) => item.kind === 'void' || micros(item.amount) !== null;

function cloneState(s: State): State {
  return {
    accounts: new Map([...s.accounts].map(([k, b]) => [k, { ...b }])),
    holds: new Map([...s.holds].map(([k, h]) => [k, { ...h }])),
    platform: s.platform,
  };
}

/** Applies one item to `s` if the ledger's rules allow it; else says why not (and leaves `s` alone). */
function decide(item: BatchItem, s: State): Refusal | undefined {
  const credit = (key: string, by: bigint) => {
    if (key === 'platform/main') return void (s.platform += by);
    const b = s.accounts.get(key) ?? { posted: 0n, pending: 0n };
    b.posted += by;
    s.accounts.set(key, b);
  };
  const exists = (key: string) => s.accounts.has(key) || createdOnCredit(key);
  const spendable = (key: string, amount: bigint): Refusal | undefined => {
    const b = s.accounts.get(key);
    if (!b) return { code: 'DSE-011', reason: 'unknown-account' };
    if (b.posted - b.pending < amount) return { code: 'DSE-008', reason: 'insufficient-credits' };
    return undefined;
  };
  switch (item.kind) {
    case 'mint': {
      const to = refKey({ account_type: item.account_type!, account_id: item.account_id! });
      if (!exists(to)) return { code: 'DSE-011', reason: 'unknown-account' };
      credit(to, micros(item.amount)!);
      return undefined;
    }
    case 'transfer': {
      const [from, to] = [refKey(item.from!), refKey(item.to!)];
      const amount = micros(item.amount)!;
      if (!s.accounts.has(from) || !exists(to)) return { code: 'DSE-011', reason: 'unknown-account' };
      const why = spendable(from, amount);
      if (why) return why;
      s.accounts.get(from)!.posted -= amount;
      credit(to, amount);
      return undefined;
    }
    case 'hold': {
      const from = refKey({ account_type: item.account_type!, account_id: item.account_id! });
      const amount = micros(item.amount)!;
      const why = spendable(from, amount);
      if (why) return why;
      s.accounts.get(from)!.pending += amount;
      s.holds.set(item.id, { from, amount, status: 'pending' });
      return undefined;
    }
    case 'capture':
    case 'void': {
      const hold = s.holds.get(item.hold_id!);
      if (!hold) return { code: 'DSE-015', reason: 'unknown-hold' };
      if (hold.status !== 'pending') return { code: 'DSE-010', reason: 'hold-not-open' };
      const captured = item.kind === 'capture' ? micros(item.amount)! : 0n;
      if (captured > hold.amount) return { code: 'DSE-013', reason: 'capture-exceeds-hold' };
      const from = s.accounts.get(hold.from)!;
      from.pending -= hold.amount;
      from.posted -= captured;
      if (captured > 0n) credit(item.to ? refKey(item.to) : 'platform/main', captured);
      hold.status = item.kind === 'capture' ? 'captured' : 'voided';
      return undefined;
    }
  }
}

import fc from 'fast-check';
import { balanceOf, ESCROW, ISSUANCE, PLATFORM, userAccount } from './account';
import {
  decidePosting,
  decidePostings,
  isBalanced,
  type LedgerAccount,
  type LedgerState,
  withinHold,
} from './posting-rules';
import { fixtureAccount, fixtureState } from './ledger-state.fixture';
import type { Leg, PostingRequest } from './transfer';

const NOW = new Date('2026-01-01T00:00:00Z');

const account = fixtureAccount;

const stateOf = (accounts: LedgerAccount[]) => fixtureState(accounts, NOW);

const ledger = (aliceCredits = 100n) =>
  stateOf([
    account('1', 'issuance', 'main'),
    account('2', 'platform', 'main'),
    account('3', 'escrow', 'main'),
    account('4', 'user', 'alice', aliceCredits),
    account('5', 'user', 'bob'),
  ]);
const alice = userAccount('alice');
const bob = userAccount('bob');
const legs = (...l: [typeof alice, 'D' | 'C', bigint][]): Leg[] =>
  l.map(([account, side, amount]) => ({ account, side, amount }));
const transfer = (id: string, l: Leg[]): PostingRequest => ({ id, kind: 'transfer', legs: l });
const rejectionOf = (d: ReturnType<typeof decidePosting>) => ('rejected' in d ? d.rejected : undefined);

describe('posting rules', () => {
  it('moves the counters of an accepted transfer and gives each leg its account after it', () => {
    const state = ledger();
    const d = decidePosting(transfer('t', legs([alice, 'D', 30n], [bob, 'C', 30n])), state);
    expect('accepted' in d && d.accepted.amount).toBe(30n);
    expect(balanceOf(state.accounts.get('4')!).available).toBe(70n);
    expect(balanceOf(state.accounts.get('5')!).available).toBe(30n);
    expect('accepted' in d && d.accepted.legs.map((l) => l.after.postedDebits)).toEqual([30n, 0n]);
  });

  it('refuses an unbalanced transfer, and one that moves nothing, before anything moves', () => {
    const state = ledger();
    expect(rejectionOf(decidePosting(transfer('t', legs([alice, 'D', 30n], [bob, 'C', 29n])), state))).toEqual({
      reason: 'unbalanced',
      detail: 'the debits of a transfer must equal its credits',
    });
    expect(rejectionOf(decidePosting(transfer('t', []), state))?.reason).toBe('unbalanced');
    expect(state.accounts.get('4')!.postedDebits).toBe(0n);
  });

  it('balances per phase: a pending debit is not balanced by a posted credit', () => {
    expect(
      isBalanced([
        { side: 'D', phase: 'pending', amount: 5n },
        { side: 'C', phase: 'posted', amount: 5n },
      ]),
    ).toBe(false);
    expect(
      isBalanced([
        { side: 'D', amount: 5n, currency: 'CREDIT' },
        { side: 'C', amount: 5n, currency: 'OTHER' },
      ]),
    ).toBe(false);
  });

  it('refuses an overdraft of the available balance, naming the account, but lets issuance go negative', () => {
    const state = ledger(10n);
    expect(rejectionOf(decidePosting(transfer('t', legs([alice, 'D', 11n], [bob, 'C', 11n])), state))).toEqual({
      reason: 'insufficient-credits',
      detail: 'insufficient credits in user/alice',
    });
    const mint = decidePosting({ id: 'm', kind: 'mint', legs: legs([ISSUANCE, 'D', 5n], [bob, 'C', 5n]) }, state);
    expect('accepted' in mint).toBe(true);
    expect(balanceOf(state.accounts.get('1')!).available).toBe(-5n);
  });

  it('counts held credits as unavailable', () => {
    const state = ledger(10n);
    decidePosting({ id: 'h', kind: 'hold', from: alice, to: ESCROW, amount: 8n }, state);
    expect(rejectionOf(decidePosting(transfer('t', legs([alice, 'D', 3n], [bob, 'C', 3n])), state))?.reason).toBe(
      'insufficient-credits',
    );
  });

  it('names unknown accounts once each', () => {
    const carol = userAccount('carol');
    expect(rejectionOf(decidePosting(transfer('t', legs([carol, 'D', 1n], [carol, 'C', 1n])), ledger()))).toEqual({
      reason: 'unknown-account',
      detail: 'no such account: user/carol',
    });
  });

  describe('holds', () => {
    const held = (amount = 40n, expiresAt?: Date) => {
      const state = ledger();
      const d = decidePosting({ id: 'h', kind: 'hold', from: alice, to: ESCROW, amount, expiresAt }, state);
      expect('accepted' in d && d.accepted.placedHold?.status).toBe('pending');
      return state;
    };

    it('captures at most the held amount (and releases the rest)', () => {
      const state = held();
      expect(
        rejectionOf(decidePosting({ id: 'c', kind: 'capture', holdId: 'h', amount: 41n, to: PLATFORM }, state)),
      ).toEqual({ reason: 'capture-exceeds-hold', detail: 'capture exceeds the held amount' });
      const d = decidePosting({ id: 'c', kind: 'capture', holdId: 'h', amount: 25n, to: PLATFORM }, state);
      expect('accepted' in d && d.accepted.resolvedHold?.captured).toBe(25n);
      expect(balanceOf(state.accounts.get('4')!)).toMatchObject({ available: 75n, pending: 0n });
      expect(balanceOf(state.accounts.get('2')!).available).toBe(25n);
      expect(withinHold(40n, 40n) && !withinHold(41n, 40n)).toBe(true);
    });

    it('voids or captures only an open hold', () => {
      const state = held();
      expect('accepted' in decidePosting({ id: 'v', kind: 'void', holdId: 'h' }, state)).toBe(true);
      expect(rejectionOf(decidePosting({ id: 'v2', kind: 'void', holdId: 'h' }, state))).toEqual({
        reason: 'hold-not-open',
        detail: 'hold is already voided',
      });
      expect(rejectionOf(decidePosting({ id: 'x', kind: 'void', holdId: 'nope' }, state))).toEqual({
        reason: 'unknown-hold',
        detail: 'no hold nope',
      });
    });

    it('refuses to capture an expired hold, which may still be voided', () => {
      const state = held(40n, NOW);
      expect(
        rejectionOf(decidePosting({ id: 'c', kind: 'capture', holdId: 'h', amount: 1n, to: PLATFORM }, state))?.reason,
      ).toBe('hold-expired');
      expect('accepted' in decidePosting({ id: 'v', kind: 'void', holdId: 'h' }, state)).toBe(true);
    });
  });

  it('refuses totals beyond int64', () => {
    const state = ledger();
    const big = 2n ** 63n - 1n;
    expect(
      rejectionOf(
        decidePosting({ id: 'm', kind: 'mint', legs: legs([ISSUANCE, 'D', big + 1n], [bob, 'C', big + 1n]) }, state),
      ),
    ).toEqual({ reason: 'beyond-int64', detail: 'the transfer amount is beyond the int64 range' });
    decidePosting({ id: 'm1', kind: 'mint', legs: legs([ISSUANCE, 'D', big], [bob, 'C', big]) }, state);
    expect(
      rejectionOf(decidePosting({ id: 'm2', kind: 'mint', legs: legs([ISSUANCE, 'D', 1n], [bob, 'C', 1n]) }, state)),
    ).toEqual({
      reason: 'beyond-int64',
      detail: 'the transfer would take the totals of issuance/main, user/bob beyond the int64 range',
    });
  });

  describe('properties', () => {
    const owners = ['alice', 'bob', 'carol'];
    const refs = [ISSUANCE, PLATFORM, ...owners.map(userAccount)];
    const ref = fc.constantFrom(...refs);
    const amount = fc.bigInt({ min: 1n, max: 1_000n });
    const leg = fc.record({ account: ref, side: fc.constantFrom<'D' | 'C'>('D', 'C'), amount });
    /** Transfers that balance, by construction: each debit is matched by a credit of the same amount. */
    const balanced = fc
      .array(fc.tuple(ref, ref, amount), { minLength: 1, maxLength: 3 })
      .map((pairs) => pairs.flatMap(([from, to, a]) => legs([from, 'D', a], [to, 'C', a])));
    const request = fc.oneof(
      balanced.map((l) => ({ kind: 'transfer' as const, legs: l })),
      fc.array(leg, { maxLength: 4 }).map((l) => ({ kind: 'transfer' as const, legs: l })),
      fc.tuple(fc.constantFrom(...owners), amount).map(([o, a]) => ({ kind: 'hold' as const, owner: o, amount: a })),
      fc.tuple(fc.nat(20), fc.bigInt({ min: 0n, max: 1_000n }), fc.boolean()).map(([n, a, capture]) => ({
        kind: capture ? ('capture' as const) : ('void' as const),
        n,
        amount: a,
      })),
    );
    const startingCredits = fc.tuple(...owners.map(() => fc.bigInt({ min: 0n, max: 2_000n })));

    /** Requests over a ledger where the users start with the given credits (minted from issuance). */
    function run(credits: bigint[], specs: unknown[]) {
      const users = owners.map((o, i) => account(String(10 + i), 'user', o, credits[i]));
      const issuance = account('1', 'issuance', 'main');
      issuance.postedDebits = credits.reduce((s, c) => s + c, 0n);
      const state = stateOf([issuance, account('2', 'platform', 'main'), account('3', 'escrow', 'main'), ...users]);
      const holdIds: string[] = [];
      const requests = specs.map((s, i): PostingRequest => {
        const spec = s as { kind: string; legs?: Leg[]; owner?: string; amount?: bigint; n?: number };
        const id = `r${i}`;
        if (spec.kind === 'transfer') return { id, kind: 'transfer', legs: spec.legs! };
        if (spec.kind === 'hold') {
          holdIds.push(id);
          return { id, kind: 'hold', from: userAccount(spec.owner!), to: ESCROW, amount: spec.amount! };
        }
        const holdId = holdIds[spec.n! % Math.max(holdIds.length, 1)] ?? 'none';
        return spec.kind === 'capture'
          ? { id, kind: 'capture', holdId, amount: spec.amount!, to: PLATFORM }
          : { id, kind: 'void', holdId };
      });
      // Each decision, and whether the accounts' counters stayed as they were.
      const counters = () =>
        [...state.accounts.values()]
          .map((a) => `${a.postedDebits},${a.postedCredits},${a.pendingDebits},${a.pendingCredits}`)
          .join(';');
      const decisions = requests.map((r) => {
        const before = counters();
        const [decision] = decidePostings([r], state);
        return { decision, unmoved: counters() === before };
      });
      return { state, requests, decisions };
    }

    const total = (state: LedgerState, f: (a: LedgerAccount) => bigint) =>
      [...state.accounts.values()].reduce((s, a) => s + f(a), 0n);

    it('conserves the sum of balances, posted and pending, whatever is accepted', () => {
      fc.assert(
        fc.property(startingCredits, fc.array(request, { maxLength: 30 }), (credits, specs) => {
          const { state } = run(credits, specs);
          expect(total(state, (a) => a.postedCredits - a.postedDebits)).toBe(0n);
          expect(total(state, (a) => a.pendingCredits - a.pendingDebits)).toBe(0n);
        }),
      );
    });

    it('never takes an account that may not go negative below zero available', () => {
      fc.assert(
        fc.property(startingCredits, fc.array(request, { maxLength: 30 }), (credits, specs) => {
          const { state } = run(credits, specs);
          for (const a of state.accounts.values()) {
            if (!a.allowNegative) expect(balanceOf(a).available >= 0n).toBe(true);
            expect(a.pendingDebits >= 0n && a.pendingCredits >= 0n).toBe(true);
          }
        }),
      );
    });

    it('refuses every unbalanced transfer, and nothing moves for a refusal', () => {
      fc.assert(
        fc.property(startingCredits, fc.array(request, { maxLength: 30 }), (credits, specs) => {
          const { requests, decisions } = run(credits, specs);
          requests.forEach((r, i) => {
            const { decision: d, unmoved } = decisions[i];
            if ('legs' in r && !isBalanced(r.legs)) expect(rejectionOf(d)?.reason).toBe('unbalanced');
            if ('rejected' in d) expect(unmoved).toBe(true);
            if ('accepted' in d) {
              const debits = d.accepted.legs.filter((l) => l.side === 'D').reduce((s, l) => s + l.amount, 0n);
              const credits = d.accepted.legs.filter((l) => l.side === 'C').reduce((s, l) => s + l.amount, 0n);
              expect(debits).toBe(credits);
            }
          });
        }),
      );
    });
  });
});

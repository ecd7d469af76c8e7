import { PAYOUT, providerAccount } from './account';
import { decidePayoutMove, type Payout, payoutHold, payoutResolution } from './payout';
import { decidePosting, type LedgerState } from './posting-rules';
import { fixtureAccount, fixtureState } from './ledger-state.fixture';
import type { PostingRequest } from './transfer';

const payout = (status: Payout['status'], note: string | null = null): Payout => ({
  id: 'po',
  proverId: 'p1',
  amountMicros: 7_250_000n,
  status,
  holdId: 'h1',
  externalRef: status === 'confirmed' ? note : null,
  reason: status === 'failed' ? note : null,
  createdAt: '2026-01-01T00:00:00.000Z',
  resolvedAt: status === 'pending' ? null : '2026-01-01T00:01:00.000Z',
});

const account = fixtureAccount;

function ledger(): LedgerState {
  const accounts = [
    account('1', 'provider', 'p1', 12_500_000n),
    account('2', 'payout', 'main'),
    account('3', 'platform', 'main'),
  ];
  return fixtureState(accounts);
}

const reasonOf = (d: ReturnType<typeof decidePosting>) => ('rejected' in d ? d.rejected.reason : 'accepted');

describe('payouts', () => {
  it('makes a move once from pending, replays the same one, and refuses any other (DSE-010)', () => {
    expect(decidePayoutMove(payout('pending'), { move: 'confirm', note: 'w1' })).toBe('apply');
    expect(decidePayoutMove(payout('pending'), { move: 'fail', note: 'closed' })).toBe('apply');
    expect(decidePayoutMove(payout('confirmed', 'w1'), { move: 'confirm', note: 'w1' })).toBe('replay');
    expect(decidePayoutMove(payout('failed', 'closed'), { move: 'fail', note: 'closed' })).toBe('replay');
    for (const [p, move, note] of [
      [payout('confirmed', 'w1'), 'confirm', 'w2'],
      [payout('confirmed', 'w1'), 'fail', 'w1'],
      [payout('failed', 'closed'), 'confirm', 'closed'],
      [payout('failed', 'closed'), 'fail', 'other'],
    ] as const) {
      expect(() => decidePayoutMove(p, { move, note })).toThrow(expect.objectContaining({ code: 'DSE-010' }));
    }
  });

  it('holds, captures and voids through the payout account, which nothing else may move', () => {
    const state = ledger();
    const hold = payoutHold('h1', 'p1', 'po', 7_250_000n);
    expect(reasonOf(decidePosting(hold, state))).toBe('accepted');
    expect(state.accounts.get('1')).toMatchObject({ postedCredits: 12_500_000n, pendingDebits: 7_250_000n });
    expect(state.accounts.get('2')).toMatchObject({ pendingCredits: 7_250_000n });

    const strangers: PostingRequest[] = [
      {
        id: 't1',
        kind: 'transfer',
        legs: [
          { account: providerAccount('p1'), side: 'D', amount: 1n },
          { account: PAYOUT, side: 'C', amount: 1n },
        ],
      },
      { id: 't2', kind: 'hold', from: providerAccount('p1'), to: PAYOUT, amount: 1n },
      { id: 't3', kind: 'capture', holdId: 'h1', amount: 7_250_000n, to: PAYOUT },
      { id: 't4', kind: 'void', holdId: 'h1' },
    ];
    for (const r of strangers) expect(reasonOf(decidePosting(r, state))).toBe('reserved-account');
    expect(state.holds.get('h1')!.status).toBe('pending');

    const captured = decidePosting(payoutResolution('c1', payout('pending'), 'confirm'), state);
    expect(reasonOf(captured)).toBe('accepted');
    expect(state.accounts.get('1')).toMatchObject({ postedDebits: 7_250_000n, pendingDebits: 0n });
    expect(state.accounts.get('2')).toMatchObject({ postedCredits: 7_250_000n, pendingCredits: 0n });
  });

  it('refuses a payout beyond what the prover has available, by the ledger rule', () => {
    const state = ledger();
    expect(reasonOf(decidePosting(payoutHold('h2', 'p1', 'po', 12_500_001n), state))).toBe('insufficient-credits');
    expect(reasonOf(decidePosting(payoutHold('h3', 'p1', 'po', 12_500_000n), state))).toBe('accepted');
    expect(reasonOf(decidePosting(payoutResolution('v', { ...payout('pending'), holdId: 'h3' }, 'fail'), state))).toBe(
      'accepted',
    );
    expect(state.accounts.get('1')).toMatchObject({ postedCredits: 12_500_000n, pendingDebits: 0n, postedDebits: 0n });
  });
});

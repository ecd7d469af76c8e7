import { balanceOf, providerAccount, refKey, stakeAccount, userAccount } from './account';
import { decidePosting, type LedgerAccount, type LedgerState, type PostingDecision } from './posting-rules';
import { bondRequest, releaseRequest, unbondRequest } from './stake-rules';
import { simpleLegs, type PostingRequest } from './transfer';

const NOW = new Date('2026-01-01T00:00:00Z');
const LATER = new Date('2026-01-08T00:00:00Z');

function account(id: string, kind: LedgerAccount['kind'], owner: string, credits = 0n): LedgerAccount {
  return {
    id,
    kind,
    owner,
    currency: 'CREDIT',
    allowNegative: false,
    postedDebits: 0n,
    postedCredits: credits,
    pendingDebits: 0n,
    pendingCredits: 0n,
  };
}

/** Prover p (1000 in its provider account, an empty stake account), prover q, and user alice. */
function ledger(): LedgerState {
  const accounts = [
    account('1', 'provider', 'p', 1000n),
    account('2', 'stake', 'p'),
    account('3', 'provider', 'q', 1000n),
    account('4', 'stake', 'q', 50n),
    account('5', 'user', 'alice', 1000n),
  ];
  return {
    accounts: new Map(accounts.map((a) => [a.id, a])),
    byRef: new Map(accounts.map((a) => [refKey(a.kind, a.owner), a.id])),
    holds: new Map(),
    now: NOW,
  };
}

const reasonOf = (d: PostingDecision) => ('rejected' in d ? d.rejected.reason : 'accepted');
/** Not asked for by the stake routes: the stake account is reserved; asked for, in another shape: refused as such. */
const expected = (r: PostingRequest) => (r.purpose === 'staking' ? 'stake-account' : 'reserved-account');
const available = (s: LedgerState, id: string) => balanceOf(s.accounts.get(id)!).available;

describe('stake rules', () => {
  it('bonds, unbonds and releases: provider → stake → (locked) → provider', () => {
    const s = ledger();
    expect(reasonOf(decidePosting(bondRequest('b', 'p', 600n), s))).toBe('accepted');
    expect(reasonOf(decidePosting(unbondRequest('h', 'p', 250n, LATER), s))).toBe('accepted');
    expect([available(s, '1'), available(s, '2'), s.accounts.get('2')!.pendingDebits]).toEqual([400n, 350n, 250n]);
    // No more than is bonded can be unbonded.
    expect(reasonOf(decidePosting(unbondRequest('h2', 'p', 351n, LATER), s))).toBe('insufficient-credits');
    expect(reasonOf(decidePosting(releaseRequest('r', 'h', 'p', 250n), s))).toBe('accepted');
    expect([available(s, '1'), available(s, '2'), s.accounts.get('2')!.pendingDebits]).toEqual([650n, 350n, 0n]);
  });

  it('refuses every movement of a stake account not asked for by the stake routes', () => {
    const s = ledger();
    const p = providerAccount('p');
    const stake = stakeAccount('p');
    const requests: PostingRequest[] = [
      { id: 't1', kind: 'transfer', legs: simpleLegs(p, stake, 1n) },
      { id: 't2', kind: 'transfer', legs: simpleLegs(stakeAccount('q'), p, 1n) },
      { id: 't3', kind: 'reward', legs: simpleLegs(userAccount('alice'), stakeAccount('q'), 1n) },
      { id: 't4', kind: 'hold', from: stakeAccount('q'), to: providerAccount('q'), amount: 1n },
      { id: 't5', kind: 'stake', legs: simpleLegs(p, stake, 1n) },
      // Asked for by the stake routes, but not in a shape they make.
      { id: 't6', kind: 'stake', purpose: 'staking', legs: simpleLegs(providerAccount('q'), stake, 1n) },
      { id: 't7', kind: 'stake', purpose: 'staking', legs: simpleLegs(userAccount('alice'), stake, 1n) },
      { id: 't8', kind: 'stake', purpose: 'staking', legs: simpleLegs(stake, p, 1n) },
      { id: 't9', kind: 'hold', purpose: 'staking', from: stakeAccount('q'), to: providerAccount('p'), amount: 1n },
      { id: 't10', kind: 'hold', purpose: 'staking', from: stakeAccount('q'), to: userAccount('alice'), amount: 1n },
      { id: 't11', kind: 'transfer', purpose: 'staking', legs: simpleLegs(p, stake, 1n) },
    ];
    for (const r of requests) expect([r.id, reasonOf(decidePosting(r, s))]).toEqual([r.id, expected(r)]);
    expect([available(s, '1'), available(s, '2'), available(s, '4')]).toEqual([1000n, 0n, 50n]);
  });

  it('ends an unbonding only by its whole release into the same prover', () => {
    const s = ledger();
    expect(reasonOf(decidePosting(unbondRequest('h', 'q', 20n, LATER), s))).toBe('accepted');
    const refused: PostingRequest[] = [
      { id: 'v', kind: 'void', holdId: 'h' },
      { id: 'e', kind: 'expire', holdId: 'h' },
      { id: 'c1', kind: 'capture', holdId: 'h', amount: 20n, to: providerAccount('q') },
      { ...releaseRequest('c2', 'h', 'q', 19n) },
      { id: 'c3', kind: 'capture', purpose: 'staking', holdId: 'h', amount: 20n, to: providerAccount('p') },
      { id: 'c4', kind: 'capture', purpose: 'staking', holdId: 'h', amount: 20n, to: userAccount('alice') },
    ];
    for (const r of refused) expect([r.id, reasonOf(decidePosting(r, s))]).toEqual([r.id, expected(r)]);
    expect(s.holds.get('h')!.status).toBe('pending');
    expect(reasonOf(decidePosting(releaseRequest('r', 'h', 'q', 20n), s))).toBe('accepted');
    expect([available(s, '3'), available(s, '4')]).toEqual([1020n, 30n]);
  });

  it('leaves postings without a stake account alone', () => {
    const s = ledger();
    const r: PostingRequest = {
      id: 't',
      kind: 'transfer',
      legs: simpleLegs(userAccount('alice'), providerAccount('p'), 5n),
    };
    expect(reasonOf(decidePosting(r, s))).toBe('accepted');
  });
});

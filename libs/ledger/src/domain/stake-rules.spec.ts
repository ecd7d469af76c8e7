import { balanceOf, PLATFORM, providerAccount, stakeAccount, userAccount } from './account';
import { decidePosting, type LedgerState, type PostingDecision } from './posting-rules';
import { bondRequest, planSlashes, releaseRequest, slashAmount, slashRequest, unbondRequest } from './stake-rules';
import { fixtureAccount, fixtureState } from './ledger-state.fixture';
import { simpleLegs, type PostingRequest } from './transfer';

const NOW = new Date('2026-01-01T00:00:00Z');
const LATER = new Date('2026-01-08T00:00:00Z');

const account = fixtureAccount;

/** Prover p (1000 in its provider account, an empty stake account), prover q, and user alice. */
function ledger(): LedgerState {
  const accounts = [
    account('1', 'provider', 'p', 1000n),
    account('2', 'stake', 'p'),
    account('3', 'provider', 'q', 1000n),
    account('4', 'stake', 'q', 50n),
    account('5', 'user', 'alice', 1000n),
    account('6', 'platform', PLATFORM.owner),
  ];
  return fixtureState(accounts, NOW);
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

  it('slashes a stake to the client and the platform, and refuses any other shape', () => {
    const s = ledger();
    const slash = { proverId: 'q', reason: 'dissent' as const, slashed: 30n, toClient: 20n, toPlatform: 10n };
    const refused: PostingRequest[] = [
      // Not asked for by a settlement.
      { ...slashRequest('x1', 'j', 'alice', slash), purpose: undefined },
      // Another prover's stake, to a provider, or nothing taken from a stake.
      { ...slashRequest('x2', 'j', 'alice', slash), proverId: 'p' },
      {
        id: 'x3',
        kind: 'slash',
        purpose: 'staking',
        proverId: 'q',
        legs: simpleLegs(stakeAccount('q'), providerAccount('q'), 5n),
      },
      { id: 'x4', kind: 'slash', purpose: 'staking', legs: simpleLegs(userAccount('alice'), PLATFORM, 5n) },
    ];
    for (const r of refused) expect([r.id, reasonOf(decidePosting(r, s))]).toEqual([r.id, expected(r)]);
    // More than is bonded: refused as such, and nothing moves.
    const tooMuch = { ...slash, slashed: 51n, toPlatform: 31n };
    expect(reasonOf(decidePosting(slashRequest('x5', 'j', 'alice', tooMuch), s))).toBe('insufficient-credits');
    expect(reasonOf(decidePosting(slashRequest('ok', 'j', 'alice', slash), s))).toBe('accepted');
    expect([available(s, '4'), available(s, '5'), available(s, '6')]).toEqual([20n, 1020n, 10n]);
  });

  it('takes bps of the bonded stake rounded down, at most the cap; the client is paid first, in order', () => {
    expect(slashAmount(999n, 1000n, null)).toBe(99n);
    expect(slashAmount(999n, 1000n, 50n)).toBe(50n);
    expect(slashAmount(0n, 1000n, null)).toBe(0n);
    const terms = { dissentBps: 1000n, timeoutBps: 0n, disputeBps: 2000n, capMicros: 70n };
    const slashes = planSlashes(
      [
        { proverId: 'a', reason: 'dissent', bonded: 500n }, // 50
        { proverId: 'b', reason: 'dissent', bonded: 0n }, // nothing bonded: no slash
        { proverId: 'c', reason: 'dissent', bonded: 5_000n }, // 500, capped at 70
        { proverId: 'd', reason: 'timeout', bonded: 5_000n }, // 0 bps: no slash
        { proverId: 'e', reason: 'dispute', bonded: 300n }, // 20% of 300 = 60; the client's 80 already paid
      ],
      terms,
      80n,
    );
    expect(slashes).toEqual([
      { proverId: 'a', reason: 'dissent', slashed: 50n, toClient: 50n, toPlatform: 0n },
      { proverId: 'c', reason: 'dissent', slashed: 70n, toClient: 30n, toPlatform: 40n },
      { proverId: 'e', reason: 'dispute', slashed: 60n, toClient: 0n, toPlatform: 60n },
    ]);
  });
});

import { maySee, OwnedEvent } from './event-visibility';

const admin = { role: 'admin' as const, subject: 'ops' };
const alice = { role: 'client' as const, subject: 'alice' };
const bob = { role: 'client' as const, subject: 'bob' };
const p1 = { role: 'prover' as const, subject: 'p1' };
const p2 = { role: 'prover' as const, subject: 'p2' };
const event = (type: string, payload: Record<string, unknown>, jobClient: string | null = null): OwnedEvent => ({
  type,
  payload,
  jobClient,
});

describe('who may see an event (live streams and webhooks)', () => {
  it('a client: the events of its own jobs and the transfers on its own account', () => {
    const submitted = event('JobSubmitted', { network_job_id: '1', client_id: 'alice' }, 'alice');
    const completed = event('JobCompleted', { network_job_id: '1', provers: ['p1'] }, 'alice');
    const mint = event('TransferPosted', {
      kind: 'mint',
      job_id: null,
      legs: [
        { account_type: 'issuance', account_id: 'treasury' },
        { account_type: 'user', account_id: 'alice' },
      ],
    });
    // A provider account named like a client is not the client's.
    const reward = event('TransferPosted', { legs: [{ account_type: 'provider', account_id: 'bob' }] });
    for (const e of [submitted, completed, mint]) {
      expect(maySee(alice, e)).toBe(true);
      expect(maySee(bob, e)).toBe(false);
    }
    expect(maySee(bob, reward)).toBe(false);
    expect(maySee(alice, event('ScorecardUpdate', { prover_id: 'p1' }))).toBe(false);
    expect(maySee(alice, event('TransferPosted', { legs: 'not a list' }))).toBe(false);
  });

  it("a client: the balance alerts of its own user account, not a provider account's of the same name", () => {
    const alert = (account_type: string) =>
      event('BalanceAlertTriggered', { account_type, account_id: 'alice', direction: 'below', threshold: '5' });
    expect(maySee(alice, alert('user'))).toBe(true);
    expect(maySee(bob, alert('user'))).toBe(false);
    expect(maySee(alice, alert('provider'))).toBe(false);
    expect(maySee(admin, alert('provider'))).toBe(true);
  });

  it('a prover: jobs assigned to it and their cancellations, nothing else', () => {
    const assigned = event('JobAssigned', { network_job_id: '1', provers: ['p1'] }, 'alice');
    const cancelled = event(
      'JobCancelled',
      { network_job_id: '1', prover_id: null, assigned_provers: ['p1'] },
      'alice',
    );
    for (const e of [assigned, cancelled]) {
      expect(maySee(p1, e)).toBe(true);
      expect(maySee(p2, e)).toBe(false);
    }
    expect(maySee(p1, event('JobCompleted', { network_job_id: '1', provers: ['p1'] }, 'alice'))).toBe(false);
    expect(maySee(p1, event('ScorecardUpdate', { prover_id: 'p1' }))).toBe(false);
  });

  it('an admin: everything', () => {
    expect(maySee(admin, event('SettlementBatchSealed', {}))).toBe(true);
    expect(maySee(admin, event('JobAssigned', { provers: [] }, 'alice'))).toBe(true);
  });
});

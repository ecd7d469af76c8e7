import { eventSubjects, eventToken, publicEvent, registerEventSubjects, subjectToken } from './public-event';

describe('public event envelope', () => {
  const row = {
    id: '9007199254740993',
    event_id: '0e9d2a1c-7f43-4b1e-8a5d-93c1f1b2d7aa',
    event_type: 'SpecPublicThing',
    payload: { network_job_id: '12', amount: '5' },
    created_at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
  };

  it('carries the id as a decimal sequence (no digit lost past 2^53), the commit time in UTC and the payload as data', () => {
    expect(publicEvent(row)).toEqual({
      event_id: row.event_id,
      type: 'SpecPublicThing',
      sequence: '9007199254740993',
      occurred_at: '2026-01-02T03:04:05.006Z',
      data: { network_job_id: '12', amount: '5' },
    });
    expect(publicEvent({ ...row, id: 7n, created_at: '2026-01-02T08:34:05.006+05:30' })).toMatchObject({
      sequence: '7',
      occurred_at: '2026-01-02T03:04:05.006Z',
    });
  });

  it('names the subject only for the broker copy', () => {
    expect(publicEvent(row, 'tally.x.1')).toMatchObject({ subject: 'tally.x.1' });
    expect('subject' in publicEvent(row)).toBe(false);
  });
});

describe('event subjects', () => {
  it('uses the rule its producer declared, under the prefix, one subject per token list', () => {
    registerEventSubjects('SpecLegsMoved', (p) => (p.legs as string[]).map((a) => ['ledger', 'transfer', 'user', a]));
    const row = { event_type: 'SpecLegsMoved', payload: { legs: ['alice', 'bob'] } };
    expect(eventSubjects(row)).toEqual(['tally.ledger.transfer.user.alice', 'tally.ledger.transfer.user.bob']);
    expect(eventSubjects(row, 'test_42')).toEqual([
      'test_42.ledger.transfer.user.alice',
      'test_42.ledger.transfer.user.bob',
    ]);
  });

  it('publishes a type nobody declared on <prefix>.event.<type>, never drops it', () => {
    expect(eventSubjects({ event_type: 'SpecUndeclared', payload: {} })).toEqual(['tally.event.SpecUndeclared']);
  });

  it('escapes what NATS reserves in a token, keeping distinct values distinct', () => {
    expect(subjectToken('prover-42_a:b@c')).toBe('prover-42_a:b@c');
    expect(subjectToken('a.b')).toBe('a%2Eb');
    expect(subjectToken('*')).toBe('%2A');
    expect(subjectToken('>')).toBe('%3E');
    expect(subjectToken('a b')).toBe('a%20b');
    expect(subjectToken('50%')).toBe('50%25');
    expect(subjectToken('é')).toBe('%C3%A9');
    expect(subjectToken('')).toBe('%');
    expect(subjectToken('a.b')).not.toBe(subjectToken('a%2Eb'));
  });

  it('writes an event name as a snake_case token', () => {
    expect(eventToken('JobStartReleased', 'Job')).toBe('start_released');
    expect(eventToken('JobSubmitted', 'Job')).toBe('submitted');
    expect(eventToken('TransferPosted')).toBe('transfer_posted');
  });
});

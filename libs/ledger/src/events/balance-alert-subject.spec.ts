import { eventSubjects } from '@tally/database';
import { BALANCE_ALERT_TRIGGERED } from './ledger.events';

describe('balance alert subject', () => {
  it('goes out on ledger.alert.<account_type>.<account_id>', () => {
    const payload = { alert_id: 'a', account_type: 'user', account_id: 'alice' };
    expect(eventSubjects({ event_type: BALANCE_ALERT_TRIGGERED, payload })).toEqual(['tally.ledger.alert.user.alice']);
  });
});

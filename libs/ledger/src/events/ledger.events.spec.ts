import { eventSubjects } from '@tally/database';
import { HOLD_CAPTURED, TRANSFER_POSTED } from './ledger.events';

const leg = (account_type: string, account_id: string, side: string) => ({
  account_type,
  account_id,
  side,
  phase: 'posted',
  amount: '1',
});

describe('ledger event subjects', () => {
  it('sends a transfer once per account leg, on ledger.transfer.<account_type>.<account_id>', () => {
    const payload = { legs: [leg('user', 'alice', 'debit'), leg('platform', 'platform', 'credit')] };
    expect(eventSubjects({ event_type: TRANSFER_POSTED, payload })).toEqual([
      'tally.ledger.transfer.user.alice',
      'tally.ledger.transfer.platform.platform',
    ]);
  });

  it('sends one message per account even when the account has several legs', () => {
    const payload = {
      legs: [leg('escrow', 'escrow', 'debit'), leg('platform', 'platform', 'credit'), leg('escrow', 'escrow', 'debit')],
    };
    expect(eventSubjects({ event_type: HOLD_CAPTURED, payload })).toEqual([
      'tally.ledger.transfer.escrow.escrow',
      'tally.ledger.transfer.platform.platform',
    ]);
  });
});
